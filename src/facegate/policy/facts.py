"""Facts the rules read off a deployment spec: canonical premises, analyses and locations, who is likely present."""

from facegate.policy import claims, vocabulary
from facegate.policy.answers import stated
from facegate.policy.spec import Deployment

CHILD_PREMISES = vocabulary.tagged("premises_type", "children")
BUSINESS_PREMISES = vocabulary.tagged("premises_type", "business")
EDUCATION_PREMISES = vocabulary.tagged("premises_type", "education")
WORKPLACE_PREMISES = vocabulary.tagged("premises_type", "workplace")
PRIVATE_SPACES = vocabulary.tagged("location_type", "private")
# A street or a square is a public place whatever location.setting says (CN25-13b, PIPL-26).
PUBLIC_LOCATIONS = ("public_square",)
PUBLIC_PREMISES = ("public_street",)


def premises(spec: Deployment) -> str:
    """The premises type's canonical value ('' when the spec does not say)."""
    return spec.premises_type or ""


def location(spec: Deployment) -> str:
    """The location type's canonical value ('' when the spec does not say)."""
    return spec.location.type or ""


def private_space(spec: Deployment, blocklist: tuple[str, ...]) -> str | None:
    """The §5.1 name under which the location is a prohibited private space, or None.

    A location on the list is prohibited by name; any other private space (an inpatient ward, a shower room)
    falls under the catch-all `other_private_space` when the blocklist carries it.
    """
    where = location(spec)
    if where in blocklist:
        return where
    if where in PRIVATE_SPACES and "other_private_space" in blocklist:
        return "other_private_space"
    return None


def public_place(spec: Deployment) -> bool:
    """Whether the devices are in a public place: so set, or at a street or square, which location.setting cannot
    make private."""
    return (
        spec.location.setting == "public_place"
        or location(spec) in PUBLIC_LOCATIONS
        or premises(spec) in PUBLIC_PREMISES
    )


def is_business_premises(spec: Deployment) -> bool:
    """Whether the premises are business premises named by CN23-T05 (hotels, banks, stations, ...)."""
    return premises(spec) in BUSINESS_PREMISES


def is_public_facing(spec: Deployment) -> bool:
    """Whether members of the public meet the deployment (a public place or business premises)."""
    return public_place(spec) or is_business_premises(spec)


def children_likely(spec: Deployment) -> bool:
    """Whether children are likely among the people captured (kindergartens to junior high schools, ...)."""
    return premises(spec) in CHILD_PREMISES


def minors_stated(spec: Deployment) -> bool:
    """Whether the spec's own figures put under-14s among the people: a share above 0 or an age floor below 14."""
    minors = spec.minors
    return bool(minors.share) or (minors.age_floor is not None and minors.age_floor < 14)


def ages_known(spec: Deployment) -> bool:
    """Whether nobody of unknown age is processed: only the enrolled present their faces (active capture), and the
    youngest enrolled is 14 or older (parents verified at a kindergarten gate; the children never face the camera)."""
    return spec.capture == "active" and spec.minors.age_floor is not None and spec.minors.age_floor >= 14


def minors_expected(spec: Deployment, unknown_age: str) -> bool:
    """Whether under-14s' data will be processed: declared (as a flag or by the figures), or likely where ages are
    unknown and unknown ages count as minors (Q15)."""
    likely = children_likely(spec) and unknown_age == "treat_as_minor" and not ages_known(spec)
    return spec.minors.expected or minors_stated(spec) or likely


def analyses(spec: Deployment) -> tuple[str, ...]:
    """The analyses besides matching, by their §5.2 names; emotion is placed at work or in education by context."""
    return tuple(dict.fromkeys(analysis(spec, name) for name in spec.analyses))


def analysis(spec: Deployment, name: str) -> str:
    """An analysis by its §5.2 name in this spec's setting: emotion at work or in education is named for it."""
    return _emotion_setting(spec) if name == "emotion" else name


def exception_recorded(spec: Deployment, allowed: tuple[str, ...]) -> bool:
    """Whether the spec records one of the `allowed` exceptions for a prohibited analysis, with its basis."""
    exception = spec.analysis_exception
    if exception is None or exception.basis not in allowed:
        return False
    if exception.basis == "separate_consent":
        return spec.consent_based
    return stated(exception.ref)


def _emotion_setting(spec: Deployment) -> str:
    kind = premises(spec)
    if kind in EDUCATION_PREMISES or spec.purpose.category == "exam_proctoring":
        return "emotion_education"
    if kind in WORKPLACE_PREMISES or spec.purpose.category == "attendance":
        return "emotion_workplace"
    return "emotion"


def is_remote_passive_identification(spec: Deployment) -> bool:
    """Whether people are singled out 1:N without taking part, in a public place or on business premises."""
    return (
        spec.modality == "identification"
        and spec.capture == "passive"
        and (public_place(spec) or is_business_premises(spec))
    )


def public_security_duty(spec: Deployment) -> bool:
    """Whether the deployment serves public security as the law looks at it: filed under that purpose, or run by a
    public security organ carrying out a statutory duty that a registry provision (or an attestation) supports.

    The handler decides, not only the purpose token: an exit-entry office checking travellers under the Exit and
    Entry Administration Law is doing public-security work even when filed as identity_verification.
    """
    if spec.purpose.category == "public_security":
        return True
    return spec.handler.kind == "public_security_organ" and claims.supported(spec, "statutory_basis")
