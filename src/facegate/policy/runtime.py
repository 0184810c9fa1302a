"""What the software refuses at run time, rule by rule: the source of every "enforced at run time" list in documents.

tests/test_policy_runtime.py holds this table to the code: each ID here is cited by a refusal the gate (or the
lifecycle it calls) raises, and each ID those refusals cite is here. A new refusal citing a new rule adds a line.
"""

RUNTIME: dict[str, str] = {
    "CN25-2": "live enrollment and matching are refused for an R&D or algorithm-training deployment",
    "CN25-3": "a 1:N gallery is not grown past the size at which strangers would be named (no harm to rights)",
    "CN25-4b": "a request for a purpose other than the registered one is refused",
    "CN25-5b": "capture is refused until the current notice was shown to the subject, on every legal basis",
    "CN25-5c": "a new notice version must be shown again before capture",
    "CN25-6a/b": "capture is refused without the subject's separate (or written) consent on a consent basis",
    "CN25-6d": "after withdrawal every operation is refused and the templates are deleted",
    "CN25-6e": "consents made stale by a change of purpose, method or data type are refused",
    "CN25-7a/b": "an under-14 subject needs a guardian's consent",
    "CN25-7c": "an under-14 subject is refused where the deployment has no rules for minors",
    "CN25-8a/b": "off-device storage needs the subject's separate consent to the transmission",
    "CN25-8c": "templates past their retention period are purged",
    "CN25-9a/b": "no biometric operation before an approved impact assessment (a draft deployment)",
    "CN25-9d": "a change of purpose or method, or a major incident, suspends the deployment until reassessed",
    "CN25-10a": "a non-biometric method the deployment does not offer is refused",
    "CN25-10b": "a refusal and a decline name the deployment's non-biometric alternatives",
    "CN25-12b": "after a decline, face recognition is not offered again unless the subject asks",
    "CN25-14a–d": "repeated wrong PINs or codes lock the subject out of the alternatives for a growing time",
    "CN25-15c": "the overdue filing is named when a new enrollment is refused under FG-5",
    "CN25-15d/e": "a retired deployment refuses every operation and its templates are deleted",
    "PIPL-8": "1:N decides at a threshold set from the model's calibrated error rates, or not at all",
    "PIPL-24": "with human review, identification returns candidates for a person to decide, not a verdict",
    "PIPL-13": "a statutory or contract basis without a reference is refused",
    "PIPL-14": "consent is asked again after a change (stale consents are refused)",
    "PIPL-15": "withdrawal stops processing at once",
    "PIPL-17": "the notice (and each new version) precedes capture",
    "PIPL-18": "the notice is skipped only where a registry provision exempts it",
    "PIPL-29": "separate consent for facial data, and for its transmission off the device",
    "PIPL-31": "a guardian's consent for under-14s",
    "PIPL-39": "a deployment sending facial data abroad needs each subject's separate cross_border consent",
    "PIPL-47": "deletion on withdrawal, retirement and at the end of retention",
    "PIPL-51": "security incidents are recorded; a major one reopens the assessment",
    "PIPL-55/56": "no processing before an approved impact assessment",
    "NDSR-22": "no repeated asking after a refusal",
    "ACC-1": "identification keeps the expected false positive rate within the deployment's target for its gallery",
    "BIPA-15b3": "under bipa, capture needs a written release",
    "FG-3": "facegate policy: no consent prompt within the re-prompt window after a decline (48 h by default)",
    "FG-5": "facegate policy: new enrollments stop while a filing is overdue (verification goes on)",
}

# Art. 12 of the Measures (no misleading, fraud or coercion) where software cannot reach: the handler's duty.
HANDLER_DUTIES: tuple[str, ...] = (
    "staff do not tell people face recognition is mandatory, or that declining delays or worsens the service "
    "(CN25-12a)",
    "signs, scripts and apps present the non-biometric alternative as plainly as face recognition (CN25-12a)",
    "no pretext (handling business, improving service) is used to obtain face recognition (CN25-12a)",
)
