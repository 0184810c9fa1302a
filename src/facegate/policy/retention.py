"""The longest retention facegate accepts per purpose category (FG-13): PIPL-19's "minimum necessary" made a figure.

The figures are facegate policy, not law: each is the longest period the purpose plausibly needs for the people it
serves (a visitor's pass lasts a day; an employee's access card lasts the employment, re-enrolled at least every
three years). A longer period needs evidence that a law requires it (claim `retention_by_law`, regulation.md §4.8).
"""

import re

from facegate.policy import reading
from facegate.policy.spec import Deployment

MAX_DAYS: dict[str, int] = {
    # checks against a template enrolled for a card, an account or a role (a pupil's library card, a driver's
    # shift check): the relationship's year, then enrolled again; a one-off check against an ID photo stores none
    "identity_verification": 365,
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


# A clause that keeps or deletes facial data with a period states how long it is kept. A period counted from an event
# ("kept five years after the last purchase", "deleted 30 days after employment ends") adds to the time before the
# event, so the data is kept at least that long: such a period can show a longer retention, never a shorter one.
_KEEPS = re.compile(
    r"\b(?:kept|keeps?|retain\w*|stored?|stores|held|holds?|preserved?|delet\w*|eras\w*|purg\w*|destroy\w*|remov\w*)\b"
    r"|保存|保留|留存|存储|存放|删除|销毁|清除",
    re.IGNORECASE,
)
_EVERY = re.compile(
    r"\b(?:every|each)\s+(?:\w+\s+){0,2}?(?:days?|weeks?|months?|years?)\b|每(?:隔)?[^，。；]{0,4}?(?:天|日|周|星期|月|年)",
    re.IGNORECASE,
)  # a cycle ("re-enrolled every three years", "每年续签"), not a period of keeping
_OTHER_RECORDS = re.compile(
    r"\blogs?\b|\brecords?\b|\baudit|\breports?\b|assessment|receipts?|transactions?|invoices?|日志|记录|报告|评估|凭证|交易|发票",
    re.IGNORECASE,
)
_FACIAL = re.compile(r"fac(?:e|es|ial)|template|image|photo|biometric|人脸|面部|模板|照片|图像|特征", re.IGNORECASE)


def stated_periods(text: str) -> list[tuple[str, float]]:
    """The retention periods the words state for facial data, each as (clause, days): a clause that keeps or deletes
    with a duration, not denied, not about logs or records alone ('kept five years after the last purchase')."""
    found = []
    for clause in reading.clauses(text):
        if not _KEEPS.search(clause) or reading.negated(clause):
            continue
        if _OTHER_RECORDS.search(clause) and not _FACIAL.search(clause):
            continue
        days = reading.durations_days(_EVERY.sub(" ", clause))
        if days:
            found.append((clause, max(days)))
    return found
