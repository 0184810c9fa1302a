"""The gate's checks as pure functions on plain data: a spec, a subject's row and standing, a date, the settings.

Each raises a RefusedError that cites its rule IDs and names the deployment's non-biometric alternatives
(CN25-10b). They read nothing and write nothing, so tests hold them to tables of cases.
"""

from datetime import date, datetime, timedelta

from facegate import policy
from facegate.clock import beijing_date
from facegate.errors import RefusedError
from facegate.policy import claims
from facegate.vault.models import SubjectFacts
from facegate.vault.standing import Standing

# Which non-biometric methods facegate verifies itself, and the values of the alternatives vocabulary
# (policy.terms.ALTERNATIVES, the one table of their synonyms) each answers for: a spec's alternatives are canonical.
ALTERNATIVE_NAMES: dict[str, frozenset[str]] = {
    "pin": frozenset({"pin"}),
    "totp": frozenset({"totp"}),
    "checkin_code": frozenset({"checkin_code"}),
    "passkey": frozenset({"passkey"}),
    "staff": frozenset({"staff_assisted", "id_document"}),
}


# Secret-based alternatives: this many failures in a row are free, then each failure locks the subject out of
# the deployment's alternatives for FIRST_LOCKOUT, doubled each time, at most MAX_LOCKOUT (CN25-14a–d).
FREE_FAILURES = 5
FIRST_LOCKOUT = timedelta(seconds=30)
MAX_LOCKOUT = timedelta(days=1)
LOCKOUT_RULE = "CN25-14a–d"


def lockout(failures: int) -> timedelta | None:
    """How long a subject is locked out after `failures` failed secret checks in a row (None: not at all)."""
    if failures < FREE_FAILURES:
        return None
    return min(MAX_LOCKOUT, FIRST_LOCKOUT * int(2 ** min(failures - FREE_FAILURES, 20)))


def offers(spec: policy.Deployment, method: str) -> bool:
    """Whether the deployment's spec offers a method facegate verifies (under any of the method's names)."""
    return not ALTERNATIVE_NAMES.get(method, frozenset()).isdisjoint(spec.alternatives)


def refusal(spec: policy.Deployment, message: str, rule_ids: list[str]) -> RefusedError:
    """A refusal that names the deployment's non-biometric alternatives (CN25-10b)."""
    return RefusedError(message, rule_ids, list(spec.alternatives))


def check_deployment(spec: policy.Deployment, status: str, operation: str, purpose: str | None) -> None:
    """The deployment's own checks: status and modality allow the operation, the purpose is the registered one."""
    try:
        policy.check_operation(policy.Status(status), spec, operation)  # type: ignore[arg-type]
    except RefusedError as exc:
        raise refusal(spec, str(exc.args[0]), exc.rule_ids) from None
    if purpose is not None and purpose != spec.purpose.category:
        raise refusal(spec, f"purpose {purpose!r} is not the registered purpose {spec.purpose.category!r}", ["CN25-4b"])
    if spec.legal_basis in ("statutory", "contract") and not spec.legal_basis_ref:
        raise refusal(spec, "the legal basis has no reference to the law or contract", ["PIPL-13"])


def is_minor(subject: SubjectFacts, spec: policy.Deployment, today: date, settings: policy.Settings) -> bool:
    """Whether the subject counts as under 14 here (an unknown age where children are likely counts, Q15)."""
    if subject.birth_date is None and subject.age_band is not None:
        return subject.age_band == "under_14"
    return policy.needs_guardian_consent(
        subject.birth_date, today, children_likely=policy.children_likely(spec), settings=settings
    )


def check_subject(
    spec: policy.Deployment,
    profiles: tuple[str, ...],
    subject: SubjectFacts,
    standing: Standing,
    now: datetime,
    settings: policy.Settings,
) -> None:
    """The subject's checks: minors, notice, consent (separate, written, guardian), decline, transmission."""
    who = f"subject {subject.id}"
    minor = is_minor(subject, spec, beijing_date(now), settings)
    if minor and not spec.minors.expected:
        raise refusal(spec, f"{who} is under 14 and this deployment has no rules for minors", ["CN25-7c"])
    written = spec.legal_basis == "written_consent" or "bipa" in profiles
    consent = standing.current(
        "facial_processing",
        prefer=lambda c: (c.form == "written" or not written) and (c.given_by == "guardian" or not minor),
    )
    if notice_required(spec):
        shown = standing.notice_versions
        if spec.notice.version not in shown:
            rules = ["CN25-5c", "PIPL-17"] if shown else ["CN25-5b", "PIPL-17", "PIPL-18"]
            what = f"version {spec.notice.version} of the notice" if shown else "the notice"
            raise refusal(spec, f"{who} has not been shown {what}", rules)
    if spec.consent_based or "bipa" in profiles:
        if consent is None:
            latest = standing.latest("facial_processing")
            if latest is not None and latest.withdrawn_at is not None:
                raise refusal(spec, f"{who} withdrew consent", ["CN25-6d", "PIPL-15"])
            if latest is not None and latest.stale_at is not None:
                message = f"the consent of {who} is stale after a change of the deployment; ask again"
                raise refusal(spec, message, ["CN25-6e", "PIPL-14"])
            raise refusal(spec, f"{who} has given no separate consent", ["CN25-6a/b", "PIPL-29"])
        if consent.notice_version != spec.notice.version:
            raise refusal(spec, f"the consent of {who} was given on an earlier notice", ["CN25-5c", "CN25-6e"])
        if written and consent.form != "written":
            rules = ["BIPA-15b3"] if "bipa" in profiles else ["CN25-6a/b", "PIPL-29"]
            raise refusal(spec, f"{who} has given no written consent", rules)
        if minor and consent.given_by != "guardian":
            raise refusal(spec, f"{who} is under 14 and needs a guardian's consent", ["CN25-7a/b", "PIPL-31"])
    declined = standing.last_decline
    if declined is not None and (consent is None or consent.given_at <= declined):
        message = f"{who} declined face recognition; use the alternative"
        raise refusal(spec, message, ["CN25-12b", "CN25-10b", "NDSR-22"])
    if (
        spec.off_device
        and not claims.supported(spec, "statutory_basis")
        and standing.current("external_transmission") is None
    ):
        raise refusal(
            spec,
            f"facial data leaves the device ({spec.storage.location}) without {who}'s separate consent to the "
            "transmission",
            ["CN25-8a/b", "PIPL-29"],
        )
    if abroad(spec) and standing.current("cross_border") is None:
        raise refusal(
            spec,
            f"facial data of this deployment goes abroad; {who} has given no separate consent to the transfer "
            "(consent kind cross_border)",
            ["PIPL-39"],
        )


def notice_required(spec: policy.Deployment) -> bool:
    """Whether a notice must be shown before capture: on every legal basis, unless a registry provision exempts it.

    PIPL-18: only a provision of law (a registry entry whose scope covers the exemption) lifts the notice; an
    attestation alone does not.
    """
    if "notice_exemption" not in claims.made(spec):
        return True
    return claims.claim(spec, "notice_exemption").provision is None


def abroad(spec: policy.Deployment) -> bool:
    """Whether the deployment provides facial data to a recipient outside mainland China (PIPL-38/39)."""
    return any(r.abroad for r in spec.recipients)
