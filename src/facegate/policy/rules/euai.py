"""The EU AI Act's Article 5 and the GDPR's rules on biometric data (profile eu-ai-act)."""

from collections.abc import Iterator

from facegate.policy import facts
from facegate.policy.answers import stated
from facegate.policy.profiles import INFERENCE_EXCEPTIONS, INFERENCE_LISTS
from facegate.policy.rule import CheckContext, Rule, Violation
from facegate.policy.rules.cn25 import exception_recorded
from facegate.policy.spec import Deployment

EU = ("eu-ai-act",)


def gallery(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """EUAI-5-1e: no FR database built by untargeted scraping of the internet or CCTV."""
    source = spec.gallery.source
    if source in ("internet_scrape", "cctv_footage"):
        yield Violation(
            "gallery.source",
            f"a face database built from {source.replace('_', ' ')} is prohibited: enrol people individually "
            "(gallery.source: enrollment)",
        )
    elif source == "import" and not stated(spec.gallery.provenance_ref):
        yield Violation(
            "gallery.provenance_ref",
            "an imported gallery needs its provenance (who enrolled whom, on what basis): set gallery.provenance_ref",
        )


def emotion(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """EUAI-5-1f: no emotion recognition at work or in education, except for medical or safety reasons."""
    found = [a for a in facts.analyses(spec) if a in INFERENCE_LISTS["eu_art5_1f"]]
    if found and not exception_recorded(spec, INFERENCE_EXCEPTIONS["eu_art5_1f"]):
        place = "at work" if found[0] == "emotion_workplace" else "in education"
        yield Violation(
            "analyses",
            f"emotion recognition {place} is prohibited: remove it from analyses (only a medical or safety reason, "
            "recorded in analysis_exception, is an exception)",
        )


def categorisation(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """EUAI-5-1g: no biometric categorisation deducing race, politics, union membership, beliefs, sex life."""
    found = [a for a in facts.analyses(spec) if a in INFERENCE_LISTS["eu_art5_1g"]]
    if found:
        yield Violation(
            "analyses",
            f"biometric categorisation by {', '.join(found)} is prohibited: remove it from analyses",
        )


def real_time_identification(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """EUAI-5-1h: real-time remote identification in public for law enforcement only under narrow exceptions."""
    if not (
        spec.modality == "identification"
        and spec.capture == "passive"
        and spec.location.setting == "public_place"
        and spec.purpose.category == "public_security"
    ):
        return
    exception = spec.law_enforcement_exception
    if exception is None:
        yield Violation(
            "law_enforcement_exception",
            "real-time remote identification in public for law enforcement needs one of the Art. 5(1)(h) grounds: "
            "record it in law_enforcement_exception, or stop",
        )
        return
    minimum = ctx.profile.numbers["rbi_exception_offence_max_sentence_years"]["value"]
    years = exception.offence_max_sentence_years
    if exception.ground == "serious_offence_suspect" and (years is None or years < minimum):
        yield Violation(
            "law_enforcement_exception.offence_max_sentence_years",
            f"searching for a suspect is allowed only for offences punishable by at least {minimum} years: record "
            "the offence's maximum sentence (or stop)",
        )


def art5_date(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """EUAI-5-DATE: Article 5 applies from 2025-02-02."""
    start = ctx.profile.numbers["art5_apply_from"]
    if ctx.today < start:
        yield Violation(None, f"Article 5 applies from {start}; today ({ctx.today}) it does not yet apply")


def transparency(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """EUAI-50: people exposed to emotion recognition or biometric categorisation (any analysis) are told so."""
    found = facts.analyses(spec)
    if found:
        yield Violation(
            "analyses",
            f"people exposed to {', '.join(found)} must be told (Art. 50), and the system may be high-risk "
            "(Art. 15, 27, 49): say so in the notice and the impact assessment",
        )


def art9_basis(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """GDPR-9-1: biometric identification needs an Art. 9(2) exception (e.g. explicit consent)."""
    if spec.legal_basis == "contract":
        yield Violation(
            "legal_basis",
            "a contract is not an Art. 9(2) exception for biometric data: use explicit consent (separate_consent or "
            "written_consent), or a statutory basis with legal_basis_ref",
        )
    elif spec.legal_basis == "statutory" and not stated(spec.legal_basis_ref):
        yield Violation("legal_basis_ref", "name the Union or member-state law (Art. 9(2)(b), (g)) in legal_basis_ref")
    if spec.consent_based and spec.capture == "passive" and spec.location.setting == "public_place":
        yield Violation(
            "capture",
            "explicit consent cannot cover passers-by whose faces a passive camera in a public place also processes: "
            "set capture: active (only people who enrolled present their face), or stop",
        )


def gdpr_duties(spec: Deployment, ctx: CheckContext) -> Iterator[Violation]:
    """GDPR-5/8/13/32/35: storage limitation and children's consent age."""
    if spec.storage.retention_days is None:
        yield Violation("storage.retention_days", "storage limitation: set storage.retention_days")
    if spec.minors.expected:
        gdpr = ctx.profile.numbers["gdpr"]
        yield Violation(
            "minors.expected",
            f"children under {gdpr['child_consent_age_default']} (as low as {gdpr['child_consent_age_min']} where the "
            "member state says so) need a holder of parental responsibility to consent",
        )


RULES: tuple[Rule, ...] = (
    Rule("EUAI-5-1e", "No FR databases from untargeted scraping", "BLOCK", "C", EU, check=gallery,
         enforced_at=("vault",)),
    Rule("EUAI-5-1f", "No emotion recognition at work or in education", "BLOCK", "C", EU, check=emotion,
         enforced_at=("gate",)),
    Rule("EUAI-5-1g", "No biometric categorisation by sensitive traits", "BLOCK", "C", EU, check=categorisation,
         enforced_at=("gate",)),
    Rule("EUAI-5-1h", "Real-time remote identification in public for law enforcement only by exception", "BLOCK",
         "C", EU, check=real_time_identification, enforced_at=("gate",)),
    Rule("EUAI-5-DATE", "Article 5 applies from 2025-02-02", "INFO", "C", EU, check=art5_date),
    Rule("EUAI-PEN", "Art. 5 fines up to EUR 35 m or 7% of turnover", "INFO", "S", EU, enforced_at=("oversight",)),
    Rule("EUAI-15/27/49/50", "High-risk duties; fundamental-rights assessment; registration; transparency", "WARN",
         "U", EU, check=transparency, enforced_at=("oversight",)),
    Rule("GDPR-4-14", "Facial images are biometric data", "INFO", "C", EU, enforced_at=("policy",)),
    Rule("GDPR-9-1", "Biometric identification only under an Art. 9(2) exception", "BLOCK", "C", EU,
         check=art9_basis, enforced_at=("gate",)),
    Rule("GDPR-9-INF", "Inferring special categories is Art. 9 processing", "BLOCK", "U", EU, via=("EUAI-5-1g",)),
    Rule("GDPR-5/8/13/32/35", "Storage limitation, child consent, information, security, DPIA", "WARN", "U", EU,
         check=gdpr_duties),
    Rule("GDPR-83", "Fines up to EUR 20 m or 4% of turnover", "INFO", "U", EU, enforced_at=("oversight",)),
)  # fmt: skip
