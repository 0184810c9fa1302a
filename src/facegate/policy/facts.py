"""Facts the rules read off a deployment spec: normalised premises, analyses and locations, who is likely present."""

from facegate.policy.profiles import (
    BUSINESS_PREMISES,
    CHILD_PREMISES,
    EDUCATION_PREMISES,
    WORKPLACE_PREMISES,
    inference_type,
    location_type,
    normalise,
)
from facegate.policy.spec import Deployment

EMOTION_WORDS = frozenset({"emotion", "emotions", "emotion_recognition", "affect", "mood", "facial_expression"})


def premises(spec: Deployment) -> str:
    """The premises type as a snake_case token ('' when the spec does not say)."""
    return normalise(spec.premises_type or "")


def location(spec: Deployment) -> str:
    """The location type as its §5.1 name where it is one, else as a snake_case token."""
    return location_type(spec.location.type or "")


def is_business_premises(spec: Deployment) -> bool:
    """Whether the premises are business premises named by CN23-T05 (hotels, banks, stations, ...)."""
    return premises(spec) in BUSINESS_PREMISES


def is_public_facing(spec: Deployment) -> bool:
    """Whether members of the public meet the deployment (a public place or business premises)."""
    return spec.location.setting == "public_place" or is_business_premises(spec)


def children_likely(spec: Deployment) -> bool:
    """Whether children are likely among the people captured (schools, kindergartens, ...)."""
    return premises(spec) in CHILD_PREMISES


def minors_expected(spec: Deployment, unknown_age: str) -> bool:
    """Whether under-14s' data will be processed: declared, or likely and unknown ages count as minors (Q15)."""
    return spec.minors.expected or (children_likely(spec) and unknown_age == "treat_as_minor")


def analyses(spec: Deployment) -> tuple[str, ...]:
    """The analyses besides matching, by their §5.2 names; emotion is placed at work or in education by context."""
    names = []
    for text in spec.analyses:
        name = inference_type(text)
        if name in EMOTION_WORDS:
            name = _emotion_setting(spec)
        names.append(name)
    return tuple(dict.fromkeys(names))


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
        and (spec.location.setting == "public_place" or is_business_premises(spec))
    )
