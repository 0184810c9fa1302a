"""The rules of the 2023 draft (CN23), applied only under profile cn2023-draft or a §8 hardening flag."""

from collections.abc import Iterator

from facegate.policy import claims, facts
from facegate.policy.answers import stated
from facegate.policy.profiles import INFERENCE_EXCEPTIONS, INFERENCE_LISTS, normalise
from facegate.policy.rule import CheckContext, Rule, Violation
from facegate.policy.rules.cn25 import exception_recorded
from facegate.policy.spec import Deployment

DRAFT = ("cn2023-draft",)


def non_biometric_first(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-4a: non-biometric solutions are considered first."""
    if not stated(spec.purpose.alternatives_analysis):
        yield Violation(
            "purpose.alternatives_analysis",
            "the draft asks to prioritise non-biometric solutions: say in purpose.alternatives_analysis which were "
            "considered and why they do not meet the purpose",
        )


def sensitive_analyses(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-11: no analysis of race, ethnicity, religion, health, social class or other sensitive PI."""
    denied = [a for a in facts.analyses(spec) if a in INFERENCE_LISTS["cn_draft_art11"]]
    if denied and not exception_recorded(spec, INFERENCE_EXCEPTIONS["cn"]):
        yield Violation(
            "analyses",
            f"the draft forbids analysing {', '.join(denied)}; remove them from analyses, or record a security, "
            "emergency or separate-consent exception in analysis_exception",
        )


def consent_default(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T01: consent is the default basis; another basis needs a law that exempts consent."""
    if spec.consent_based or (spec.legal_basis == "statutory" and claims.supported(spec, "statutory_basis")):
        return
    yield Violation(
        "legal_basis",
        f"under the draft, {spec.legal_basis} is not a basis for facial data: use separate_consent (or "
        "written_consent), or legal_basis: statutory with the exempting law backed by a registry provision or a "
        "reviewer's attestation",
    )


def public_place_confidential(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T03: public-place data is kept confidential and not provided to others."""
    if spec.location.setting != "public_place":
        return
    for i, recipient in enumerate(spec.recipients):
        if not recipient.separate_consent:
            yield Violation(
                f"recipients[{i}]",
                f"facial data from a public place must not be provided to {recipient.name or 'others'}; remove the "
                "recipient or obtain each subject's separate consent",
            )


def internal_area(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T04: internal-management devices cover only the area actually needed."""
    if spec.location.setting == "private_premises" and not stated(spec.location.collection_area):
        yield Violation(
            "location.collection_area",
            "devices for internal management must cover only the area actually needed: describe it in "
            "location.collection_area",
        )


def business_premises(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T05: business premises must not force FR verification unless law requires it."""
    if facts.is_business_premises(spec) and not spec.alternatives and not claims.supported(spec, "sole_method"):
        yield Violation(
            "alternatives",
            f"a {facts.premises(spec)} must not force face recognition: offer a non-FR way (e.g. ID document "
            "checked by staff) in alternatives",
        )


def active_and_prompted(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T06: verification is voluntary and active, with a real-time prompt of its purpose."""
    if spec.modality == "verification" and spec.capture == "passive":
        yield Violation(
            "capture", "verification must need the person's active participation: set capture: active"
        )
    if not spec.notice.realtime_purpose_prompt:
        yield Violation(
            "notice.realtime_purpose_prompt",
            "the device must show or speak the purpose at capture: add the prompt and set "
            "notice.realtime_purpose_prompt: true",
        )


def remote_identification(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T08: remote, non-perceptible identification only for security or emergencies, tightly bounded."""
    if not facts.is_remote_passive_identification(spec):
        return
    if not facts.public_security_duty(spec):
        yield Violation(
            "capture",
            f"remote, passive 1:N identification is only for national or public security or emergencies, not "
            f"{spec.purpose.category}; set capture: active (people present their face) or stop identifying",
        )
        return
    watchlist = spec.watchlist
    needs = {
        "legal_basis_ref": "the legal basis",
        "time_window": "the time window",
        "geofence": "the area",
        "target_cap": "the maximum number of targets",
    }
    for key, what in needs.items():
        value = getattr(watchlist, key) if watchlist else None
        if value is None or (isinstance(value, str) and not stated(value)):
            yield Violation(f"watchlist.{key}", f"remote identification needs {what}: set watchlist.{key}")


def manual_review(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T09: in social assistance and real-estate disposal, FR assists but never replaces manual review."""
    sectors = ctx.profile.numbers.get("manual_review_required", ())
    if normalise(spec.sector or "") in sectors and not spec.human_review:
        yield Violation(
            "human_review",
            f"in {spec.sector}, face recognition may only assist a person's identity review: add the manual review "
            "step and set human_review: true",
        )


def raw_images(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T10 (and §8 Q6 under cn2025): no original images without law or separate consent."""
    for v in claims.violations(spec, "raw_images_by_law"):
        yield Violation(v.field, v.message, v.severity, questions=("Q6",))


def filing_public_place(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T13: any public-place use must be filed with the municipal CAC."""
    if spec.location.setting == "public_place":
        yield Violation(
            "location.setting",
            "under the draft, any public-place use must be filed with the municipal cyberspace administration within "
            "30 working days",
        )


def certified_devices(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """CN23-T14: catalogued devices are supplied only after certification or testing."""
    if not stated(spec.device_certification_ref):
        yield Violation(
            "device_certification_ref",
            "record the certification or test report of the recognition devices in device_certification_ref",
        )


RULES: tuple[Rule, ...] = (
    Rule("CN23-2", "Covers FR users and providers of FR products and services", "INFO", "C", DRAFT,
         enforced_at=("oversight",)),
    Rule("CN23-3", "No FR for prohibited activities", "BLOCK", "C", DRAFT, via=("CN25-3",)),
    Rule("CN23-4a", "Specific purpose, necessity; prioritise non-biometric solutions", "BLOCK", "C", DRAFT,
         check=non_biometric_first),
    Rule("CN23-4b", "National identity channels encouraged", "INFO", "C", DRAFT, via=("CN25-11",)),
    Rule("CN23-11", "No analysis of race, ethnicity, religion, health, social class, other sensitive PI", "BLOCK",
         "S", DRAFT, check=sensitive_analyses, enforced_at=("gate",)),
    Rule("CN23-T01", "Separate (or written) consent is the default basis", "BLOCK", "S", DRAFT,
         check=consent_default, enforced_at=("gate",)),
    Rule("CN23-T02", "No capture or identification equipment in privacy-infringing places", "BLOCK", "S", DRAFT,
         via=("CN25-13a",)),
    Rule("CN23-T03", "Public-place data confidential, public-security use only", "BLOCK", "S", DRAFT,
         check=public_place_confidential, enforced_at=("gate",)),
    Rule("CN23-T04", "Internal-management devices: area per actual need; no unauthorised viewing or export",
         "BLOCK", "S", DRAFT, check=internal_area, enforced_at=("gate", "audit")),
    Rule("CN23-T05", "Business premises must not force FR verification", "BLOCK", "S", DRAFT,
         check=business_premises, enforced_at=("gate",), note="S (list U)"),
    Rule("CN23-T06", "Voluntary, active verification with a real-time purpose prompt", "BLOCK", "S", DRAFT,
         check=active_and_prompted, enforced_at=("gate",)),
    Rule("CN23-T07", "Property managers: FR not the only entry method", "BLOCK", "S", DRAFT, via=("SPC21-10",),
         note="S/C (SPC21-10)"),
    Rule("CN23-T08", "Remote, non-perceptible identification only for security or emergencies", "BLOCK", "S", DRAFT,
         check=remote_identification, enforced_at=("gate",), note="S (conditions U)"),
    Rule("CN23-T09", "Social assistance, real-estate disposal: manual identity review", "BLOCK", "S", DRAFT,
         check=manual_review, enforced_at=("gate",)),
    Rule("CN23-T10", "No original facial images without law or separate consent", "BLOCK", "S", DRAFT,
         check=raw_images, enforced_at=("gate", "vault"), flag="storage.raw_image_discard", questions=("Q6",)),
    Rule("CN23-T11", "Under 14: guardian separate or written consent", "BLOCK", "S", DRAFT, via=("CN25-7a/b",)),
    Rule("CN23-T12", "Impact assessment before processing; kept; redone on change", "BLOCK", "S", DRAFT,
         via=("CN25-9a/b", "CN25-9d"), note="S (content U)"),
    Rule("CN23-T13", "File with the municipal CAC: public places or over 10,000 people", "WARN", "S", DRAFT,
         check=filing_public_place, enforced_at=("oversight",), note="S (materials U)"),
    Rule("CN23-T14", "Catalogued devices only after certification or testing", "BLOCK", "S", DRAFT,
         check=certified_devices),
    Rule("CN23-T15", "Supervision by CAC with telecoms, public security, market regulators", "INFO", "S", DRAFT,
         enforced_at=("oversight",)),
)  # fmt: skip
