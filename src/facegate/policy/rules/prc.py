"""The other PRC provisions behind the Measures: PIPL, NDSR, the SPC 2021 provisions and GB/T 41819."""

import re
from collections.abc import Iterator

from facegate.policy import claims, facts
from facegate.policy.answers import stated
from facegate.policy.rule import CheckContext, Rule, Violation
from facegate.policy.spec import Deployment

PRC = ("cn2025",)
# Terms SPC21-11 says may be invalid: unlimited duration, irrevocable, freely sub-licensable.
UNFAIR_TERMS = re.compile(
    r"irrevocabl|perpetu|unlimited|in perpetuity|sub-?licens|不可撤销|永久|无限期|转授权|再许可", re.IGNORECASE
)


def legal_basis_ref(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-13: a basis other than consent names the law or contract behind it; a statutory one is evidenced (§4.8)."""
    if spec.legal_basis == "statutory" and (stated(spec.legal_basis_ref) or spec.attestations):
        yield from claims.violations(spec, "statutory_basis")
    elif not spec.consent_based and not stated(spec.legal_basis_ref):
        yield Violation(
            "legal_basis_ref",
            f"legal_basis is {spec.legal_basis} but no law or contract is named: set legal_basis_ref (e.g. the "
            "article of law), or use separate_consent",
        )


def recipients(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-23: providing facial data to another handler needs its particulars in the notice and separate consent."""
    for i, recipient in enumerate(spec.recipients):
        where = f"recipients[{i}]"
        for key in ("name", "contact", "purpose", "method"):
            if not stated(getattr(recipient, key)):
                yield Violation(f"{where}.{key}", f"the notice must name the recipient's {key}: set {where}.{key}")
        if not recipient.pi_categories:
            yield Violation(f"{where}.pi_categories", f"list what is provided in {where}.pi_categories")
        if not recipient.separate_consent and not claims.supported(spec, "statutory_basis"):
            yield Violation(
                f"{where}.separate_consent",
                f"providing facial data to {recipient.name or 'another handler'} needs each subject's separate "
                f"consent: set {where}.separate_consent: true (the gate asks for it), or stop providing it",
            )


def notice_exemption(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-18: notice is omitted only where a registered provision (or an attested one) exempts it."""
    yield from claims.violations(spec, "notice_exemption")


def explanation(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-48: the notice says where a person asks for the processing rules to be explained."""
    if not stated(spec.notice.explanation_channel) and not stated(spec.notice.rights_exercise_procedure):
        yield Violation(
            "notice.explanation_channel",
            "the notice does not say where a person may ask for the processing rules to be explained: set "
            "notice.explanation_channel (or notice.rights_exercise_procedure, which the notice then names for it)",
        )


SENSITIVE_ASSESSMENT_BAND = 10000  # 2024 CAC cross-border provisions: sensitive PI of 10,000 people or more


def transfer_mechanism(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-38: a foreign recipient needs a transfer mechanism that matches the volume band."""
    for i, recipient in enumerate(spec.recipients):
        if not recipient.abroad:
            continue
        where = f"recipients[{i}]"
        band = recipient.individuals
        needs_assessment = band is None or band >= SENSITIVE_ASSESSMENT_BAND
        mechanism = recipient.transfer_mechanism
        if mechanism is None:
            yield Violation(
                f"{where}.transfer_mechanism",
                f"facial data goes abroad to {recipient.name or 'a recipient'} ({recipient.country}) with no transfer "
                "mechanism: set transfer_mechanism to security_assessment (10,000 people or more since 1 January, or "
                "count unknown), or standard_contract / certification (fewer), with transfer_mechanism_ref",
            )
        elif needs_assessment and mechanism != "security_assessment":
            counted = "the count is not given" if band is None else f"{band:,} people since 1 January"
            yield Violation(
                f"{where}.transfer_mechanism",
                f"{counted}: facial information (sensitive) of 10,000 or more people, or an unknown number, needs a "
                f"CAC security assessment, not {mechanism}; set {where}.individuals if fewer, or obtain the assessment",
            )
        if mechanism is not None and not stated(recipient.transfer_mechanism_ref):
            yield Violation(
                f"{where}.transfer_mechanism_ref",
                f"name the {mechanism.replace('_', ' ')} (filing number, certificate or decision) in "
                f"{where}.transfer_mechanism_ref",
            )


def foreign_recipient_notice(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-39: the notice names each foreign recipient and how to exercise rights against it; separate consent."""
    for i, recipient in enumerate(spec.recipients):
        if not recipient.abroad:
            continue
        where = f"recipients[{i}]"
        for key in ("name", "contact", "purpose", "method", "rights_procedure"):
            if not stated(getattr(recipient, key)):
                yield Violation(
                    f"{where}.{key}",
                    f"the notice must give the foreign recipient's {key.replace('_', ' ')}: set {where}.{key}",
                )
        if not recipient.cross_border_consent:
            yield Violation(
                f"{where}.cross_border_consent",
                f"providing facial data to {recipient.name or 'a recipient'} abroad needs each subject's separate "
                f"consent to the transfer: set {where}.cross_border_consent: true (the gate then asks each subject "
                "for a separate cross_border consent before enrolling)",
            )


def ciio_localisation(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-40: a CIIO transfers personal information abroad only after a security assessment."""
    if not spec.ciio:
        return
    for i, recipient in enumerate(spec.recipients):
        if recipient.abroad and recipient.transfer_mechanism != "security_assessment":
            yield Violation(
                f"recipients[{i}].transfer_mechanism",
                "a critical information infrastructure operator stores personal information in China and transfers "
                "it abroad only after a CAC security assessment: set transfer_mechanism: security_assessment",
            )


def cross_border_assessment(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """PIPL-55-4: the impact assessment covers providing facial data abroad."""
    if not any(r.abroad for r in spec.recipients):
        return
    pia = spec.impact_assessment
    if pia is None or not stated(pia.cross_border):
        yield Violation(
            "impact_assessment.cross_border",
            "facial data is provided abroad but the impact assessment does not assess it: add "
            "impact_assessment.cross_border (the recipient's protection, the legal environment, the risks to "
            "individuals and how they exercise their rights)",
        )


def residents_alternative(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """SPC21-10: residents may demand a non-facial way in and out."""
    if facts.premises(spec) == "residential_property" and not spec.alternatives:
        yield Violation(
            "alternatives",
            "residents may demand a way in that does not use their face: offer an access card, PIN or staff check "
            "in alternatives (a sole-method provision does not remove this)",
        )


def consent_terms(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """SPC21-11: no irrevocable, unlimited or freely sub-licensable rights over facial data."""
    text = spec.notice.consent_text or ""
    match = UNFAIR_TERMS.search(text)
    if match:
        yield Violation(
            "notice.consent_text",
            f"the consent text grants {match.group(0)!r} rights over facial data, which courts may void; make consent "
            "revocable, time-limited and not sub-licensable",
        )


def template_only(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """GB/T 41819: keep templates only; delete images after matching unless authorised in writing."""
    if spec.storage.raw_images != "discard":
        yield Violation(
            "storage.raw_images",
            "the recommended standard keeps templates only and deletes images after matching: set raw_images: "
            "discard unless written authorisation is recorded",
        )


RULES: tuple[Rule, ...] = (
    Rule("PIPL-13", "Lawful bases; a basis other than consent names its law or contract", "BLOCK", "C", PRC,
         check=legal_basis_ref, enforced_at=("gate",)),
    Rule("PIPL-14", "Informed, voluntary, explicit consent; re-consent on change", "BLOCK", "C", PRC,
         via=("CN25-6e",)),
    Rule("PIPL-15", "Convenient withdrawal", "BLOCK", "C", PRC, via=("CN25-6c",)),
    Rule("PIPL-16", "No refusing service over withheld consent unless necessary", "BLOCK", "C", PRC,
         via=("CN25-10a", "CN25-12c")),
    Rule("PIPL-17", "Notice contents; changes notified", "BLOCK", "C", PRC, via=("CN25-5a", "CN25-5c")),
    Rule("PIPL-19", "Shortest necessary retention", "BLOCK", "C", PRC, via=("CN25-8c",)),
    Rule("PIPL-18", "Notice omitted only where a law exempts it (evidenced, §4.8)", "BLOCK", "S", PRC,
         check=notice_exemption, enforced_at=("gate",)),
    Rule("PIPL-23", "Providing to another handler: notify recipient, separate consent", "BLOCK", "C", PRC,
         check=recipients),
    Rule("PIPL-24", "Automated decisions: transparency, right to refuse", "WARN", "C", PRC, enforced_at=("gate",)),
    Rule("PIPL-38", "Transfer abroad only with a security assessment, certification or standard contract", "BLOCK",
         "S", PRC, check=transfer_mechanism, note="S (PIPL); C (volume bands, 2024 CAC provisions)"),
    Rule("PIPL-39", "Foreign recipient named in the notice; separate consent to the transfer", "BLOCK", "S", PRC,
         check=foreign_recipient_notice, enforced_at=("gate",)),
    Rule("PIPL-40", "CIIOs transfer abroad only after a security assessment", "BLOCK", "S", PRC,
         check=ciio_localisation),
    Rule("PIPL-48", "A person may ask for the processing rules to be explained", "WARN", "S", PRC,
         check=explanation),
    Rule("PIPL-55-4", "Impact assessment before providing personal information abroad", "BLOCK", "S", PRC,
         check=cross_border_assessment),
    Rule("PIPL-26", "Public places: public security only unless separate consent", "BLOCK", "C", PRC,
         via=("CN25-13b", "CN25-13c")),
    Rule("PIPL-28", "Biometrics and under-14s' data are sensitive", "BLOCK", "C", PRC, enforced_at=("vault",)),
    Rule("PIPL-29", "Separate consent for sensitive PI; written where required", "BLOCK", "C", PRC,
         via=("CN25-6a/b",)),
    Rule("PIPL-30", "Notify necessity and rights impact", "BLOCK", "C", PRC, via=("CN25-5a",)),
    Rule("PIPL-31", "Under 14: guardian consent, special rules", "BLOCK", "C", PRC, via=("CN25-7a/b", "CN25-7c")),
    Rule("PIPL-47", "Delete when purpose met, consent withdrawn or retention expired", "BLOCK", "C", PRC,
         via=("CN25-6d", "CN25-8c")),
    Rule("PIPL-51", "Internal rules, encryption, permissions, incident plans", "BLOCK", "C", PRC,
         via=("CN25-14a–d",)),
    Rule("PIPL-55/56", "Impact assessment triggers and content; kept 3 years", "BLOCK", "C", PRC,
         via=("CN25-9a/b", "CN25-9c")),
    Rule("CC-201", "A period in days counts from the day after the trigger (filing due dates)", "INFO", "S", PRC,
         enforced_at=("oversight",)),
    Rule("PIPL-62", "Basis of the CAC's FR rules", "INFO", "C", PRC, enforced_at=("policy",)),
    Rule("PIPL-66", "Fines", "INFO", "C", PRC, enforced_at=("oversight",)),
    Rule("NDSR-20", "Convenient complaint and reporting channels", "WARN", "C", PRC, via=("CN25-16–18",)),
    Rule("NDSR-21", "Processing rules: retention, expiry, rights procedures, under-14 rules", "BLOCK", "C", PRC,
         via=("CN25-5a",)),
    Rule("NDSR-22", "No coercion; separate consent; no frequent re-asking; re-consent on change", "BLOCK", "C", PRC,
         via=("CN25-6a/b", "CN25-6e", "CN25-12b")),
    Rule("NDSR-24", "Delete or anonymise on account cancellation", "BLOCK", "C", PRC, enforced_at=("vault",)),
    Rule("SPC21-2", "Infringing FR uses at hotels, malls, banks, stations, airports, venues", "INFO", "C", PRC,
         enforced_at=("audit",)),
    Rule("SPC21-4", "Consent invalid if a condition of service, bundled or coerced", "BLOCK", "C", PRC,
         via=("CN25-6a/b", "CN25-12c")),
    Rule("SPC21-10", "Residents may demand a non-facial entry alternative", "BLOCK", "C", PRC,
         check=residents_alternative, enforced_at=("gate",)),
    Rule("SPC21-11", "No unlimited, irrevocable or sub-licensable rights over facial data", "WARN", "C", PRC,
         check=consent_terms),
    Rule("GBT41819", "Recommended standard: template only, delete images after matching", "WARN", "S", PRC,
         check=template_only, note="Structure C; draft S; final clauses U"),
)  # fmt: skip
