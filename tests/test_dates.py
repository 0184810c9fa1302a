"""Date arithmetic against hand-worked cases: month ends, leap days, year ends, UTC against Beijing dates.

A deadline is a date in Beijing (UTC+8, no daylight saving); the machine's date never enters (see `make test-dates`,
which runs the date-sensitive tests with every process's clock moved to a year end, a leap day and others).
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from facegate.audit.log import years_before
from facegate.clock import beijing_date, beijing_today
from facegate.gate.checks import lockout
from facegate.oversight import WorkingCalendar

CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2027, 12, 31, 15, 59, 59, tzinfo=UTC), date(2027, 12, 31)),
        (datetime(2027, 12, 31, 16, 0, tzinfo=UTC), date(2028, 1, 1)),  # New Year in Beijing, still 2027 in UTC
        (datetime(2028, 2, 28, 16, 0, tzinfo=UTC), date(2028, 2, 29)),  # the leap day starts at 16:00 UTC
        (datetime(2028, 2, 29, 16, 0, tzinfo=UTC), date(2028, 3, 1)),
        (datetime(2027, 4, 30, 23, 0, tzinfo=UTC), date(2027, 5, 1)),  # a month end
        (datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC), date(2038, 1, 19)),  # past the 32-bit time_t limit
    ],
)
def test_a_moment_falls_on_its_beijing_date(moment: datetime, day: date) -> None:
    assert beijing_date(moment) == day
    assert beijing_today(lambda: moment) == day


@pytest.mark.parametrize(
    ("trigger", "days", "due", "fallback"),
    [
        # 2026 has a State Council schedule: Spring Festival 2026-02-15..23 off, make-up days 02-14 and 02-28.
        (date(2026, 2, 13), 1, date(2026, 2, 14), ()),  # the Saturday before the holiday is a make-up working day
        (date(2026, 2, 14), 1, date(2026, 2, 24), ()),  # then nine days off
        (date(2026, 12, 30), 3, date(2027, 1, 2), (2027,)),  # 12-31 counts, then 2027 has no schedule: every day
        # No schedule for 2028 is published: every day counts, through the leap day and Spring Festival eve.
        (date(2028, 2, 27), 3, date(2028, 3, 1), (2028,)),
        (date(2028, 1, 25), 15, date(2028, 2, 9), (2028,)),
    ],
)
def test_filing_deadlines_in_working_days(trigger: date, days: int, due: date, fallback: tuple[int, ...]) -> None:
    result = CAL.add_working_days(trigger, days)
    assert (result.due_on, result.fallback_years) == (due, fallback)


@pytest.mark.parametrize(
    ("moment", "years", "limit"),
    [
        (datetime(2028, 2, 29, 12, 0, tzinfo=UTC), 3, datetime(2025, 2, 28, 12, 0, tzinfo=UTC)),  # no 2025-02-29
        (datetime(2031, 2, 28, 12, 0, tzinfo=UTC), 3, datetime(2028, 2, 28, 12, 0, tzinfo=UTC)),
        (datetime(2027, 12, 31, 23, 59, tzinfo=UTC), 3, datetime(2024, 12, 31, 23, 59, tzinfo=UTC)),
    ],
)
def test_audit_retention_counts_whole_years_back(moment: datetime, years: int, limit: datetime) -> None:
    assert years_before(moment, years) == limit


def test_a_template_kept_365_days_from_a_leap_year_march_expires_on_the_leap_day() -> None:
    created = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    assert beijing_date(created + timedelta(days=365)) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("failures", "pause"),
    [
        (4, None),
        (5, timedelta(seconds=30)),
        (6, timedelta(seconds=60)),
        (17, timedelta(days=1)),
        (40, timedelta(days=1)),
    ],
)
def test_the_alternatives_lockout_doubles_to_a_day(failures: int, pause: timedelta | None) -> None:
    assert lockout(failures) == pause
