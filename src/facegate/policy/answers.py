"""Free-text answers in a spec: blanks and placeholders ('TBD'), answers that say nothing applies ('无'), and fees or
waits that say zero ('免费', '0', 'immediately')."""

import re
from typing import TypeGuard

# Answers that say nothing: a field holding one of these is treated as absent.
PLACEHOLDERS = frozenset({"", "...", "…", "-", "tbd", "todo", "n/a", "na", "none", "null", "unknown", "?", "待定"})
# Answers that say "there is nothing more": an answer where a field asks whether anything else applies.
NOTHING = frozenset({"none", "no", "nothing", "no other matters", "none apply", "无", "没有", "无其他事项", "暂无"})


def stated_nothing(text: str | None) -> bool:
    """Whether a free-text answer says that nothing applies ("None.", "无"): an answer, not a blank."""
    return text is not None and text.strip().rstrip(".。").strip().lower() in NOTHING


ZERO = re.compile(
    r"^(0+(\.0+)?\s*(元|yuan|rmb|cny|minutes?|mins?|分钟|天|days?)?|¥\s*0|rmb\s*0|free|free of charge|no fee|no charge|"
    r"none|no wait|nil|zero|immediate|immediately|at once|on the spot|instant|免费|不收费|无|无需等待|即时|当场|立即|"
    r"零|0元)$",
    re.IGNORECASE,
)


def zero(text: str | None) -> bool:
    """Whether a fee or wait says none ('0', '免费', 'free', 'immediately'): an answer, and nothing to pay or wait."""
    return text is not None and bool(ZERO.match(text.strip().rstrip(".。").strip()))


def stated(text: str | None) -> TypeGuard[str]:
    """Whether a free-text field says something (not absent, empty or a placeholder such as 'TBD')."""
    return text is not None and text.strip().rstrip(".。").strip().lower() not in PLACEHOLDERS
