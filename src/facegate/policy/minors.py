"""Who counts as under 14 (regulation.md §8 Q3 and Q15), for the gate's guardian-consent check (CN25-7a/b)."""

from datetime import date, timedelta

from facegate.policy import facts
from facegate.policy.settings import Settings
from facegate.policy.spec import Deployment

GUARDIAN_AGE = 14


def birthday(birth_date: date, years: int) -> date:
    """The day `years` after `birth_date`; a 29 February birth reaches it on 1 March in common years."""
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:
        return date(birth_date.year + years, 3, 1)


def needs_guardian_consent(
    birth_date: date | None, today: date, *, children_likely: bool, settings: Settings | None = None
) -> bool:
    """Whether a subject counts as under 14 today; unknown ages count as under 14 where children are likely.

    Pass `children_likely=children_likely(spec)` for the deployment the subject enrols in.
    """
    settings = settings or Settings()
    if birth_date is None:
        return children_likely and settings.get("minors.unknown_age") == "treat_as_minor"
    fourteenth = birthday(birth_date, GUARDIAN_AGE)
    if settings.get("minors.boundary") == "under_14_through_birthday":
        return today < fourteenth + timedelta(days=1)
    return today < fourteenth


def children_likely(spec: Deployment) -> bool:
    """Whether a deployment may capture under-14s: it says so, or its premises are where children are likely."""
    return spec.minors.expected or facts.children_likely(spec)
