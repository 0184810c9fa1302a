"""The one clock: the only place facegate reads the time of day.

Everything else takes "now" from a Context's clock (a `Clock`), which defaults to `utc_now`; tests pass a clock
they move by hand, and tests/test_import_contracts.py fails on any other `now()`, `today()` or `time()` call in src.
Dates that count towards a handler's deadline are Beijing dates: China keeps one time zone without daylight saving.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

Clock = Callable[[], datetime]
BEIJING = timezone(timedelta(hours=8), "CST")


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def beijing_date(moment: datetime) -> date:
    """The date in Beijing of an aware moment: the day a handler's deadline counts from."""
    return moment.astimezone(BEIJING).date()


def beijing_today(clock: Clock = utc_now) -> date:
    """Today's date in Beijing by `clock`."""
    return beijing_date(clock())
