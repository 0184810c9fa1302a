"""The longest retention facegate accepts per purpose category (FG-13): PIPL-19's "minimum necessary" made a figure.

The figures are facegate policy, not law: each is the longest period the purpose plausibly needs for the people it
serves (a visitor's pass lasts a day; an employee's access card lasts the employment, re-enrolled at least every
three years). A longer period needs evidence that a law requires it (claim `retention_by_law`, regulation.md §4.8).
"""

from facegate.policy.spec import Deployment

MAX_DAYS: dict[str, int] = {
    "identity_verification": 30,  # a one-off check: the template serves the transaction and its disputes
    "visitor_management": 30,  # visitors come for a day; 30 days covers a return visit and an incident review
    "access_control": 1095,  # staff or residents, re-enrolled at least every 3 years
    "attendance": 1095,
    "payment": 1095,
    "device_unlock": 1095,
    "account_recovery": 1095,
    "customer_identification": 365,
    "exam_proctoring": 90,  # the exam, its results and the appeal period
    "public_security": 365,
    "premises_security": 90,
    "loss_prevention": 90,
    "marketing": 90,
    "customer_analytics": 90,
    "algorithm_training": 365,
    "other": 365,
}


def maximum(spec: Deployment) -> int:
    """The longest retention in days facegate accepts for the spec's purpose category."""
    return MAX_DAYS.get(spec.purpose.category, 365)


def over_maximum(spec: Deployment) -> bool:
    """Whether the spec keeps templates (or raw images) longer than its purpose category's maximum."""
    limit = maximum(spec)
    days = [d for d in (spec.storage.retention_days, spec.storage.raw_image_retention_days) if d is not None]
    return any(d > limit for d in days)
