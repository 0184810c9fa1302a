"""Filing deadlines in PRC working days: holidays skipped, make-up days counted, Beijing dates, the 2027 fallback."""

from datetime import UTC, date, datetime, timedelta

import pytest

from facegate.oversight.calendar_data import SCHEDULES
from facegate.oversight.workdays import WorkingCalendar, beijing_date

CAL = WorkingCalendar()


def due(trigger: date, days: int = 30, include: bool = True) -> date:
    return CAL.add_working_days(trigger, days, include).due_on


# Each expectation below was counted by hand on a printed calendar with the State Council notices.


def test_2025_national_day_holiday_and_its_make_up_days() -> None:
    # 30 Sep (Tue) is day 1; 1-8 Oct are off; Sat 11 Oct is a make-up working day.
    assert due(date(2025, 9, 30)) == date(2025, 11, 17)
    # With no schedule at all, 30 calendar days end four weeks earlier.
    assert WorkingCalendar(schedules={}).add_working_days(date(2025, 9, 30), 30, True).due_on == date(2025, 10, 29)
    # Fri 26 Sep: Sun 28 Sep is worked (day 2), then 29, 30 Sep, then 9 Oct is day 5.
    assert due(date(2025, 9, 26), 5) == date(2025, 10, 9)


def test_2026_national_day_and_mid_autumn_with_their_make_up_days() -> None:
    # 24 Sep (Thu) day 1; 25-27 Sep off; 28-30 Sep; 1-7 Oct off; 8, 9 and Sat 10 Oct worked.
    assert due(date(2026, 9, 24)) == date(2026, 11, 11)
    assert due(date(2026, 9, 24), 7) == date(2026, 10, 10)
    # Sun 20 Sep 2026 is a make-up working day: counted as day 1 when the duty arises that day.
    assert CAL.is_working_day(date(2026, 9, 20))
    assert due(date(2026, 9, 20), 2) == date(2026, 9, 21)


def test_2025_spring_festival_with_its_make_up_days() -> None:
    # Fri 24 Jan day 1, Sun 26 Jan day 2, Mon 27 Jan day 3; 28 Jan - 4 Feb off; Sat 8 Feb worked.
    assert due(date(2025, 1, 24), 3) == date(2025, 1, 27)
    assert due(date(2025, 1, 24), 4) == date(2025, 2, 5)
    assert due(date(2025, 1, 24), 7) == date(2025, 2, 8)
    assert due(date(2025, 1, 24)) == date(2025, 3, 12)


def test_2026_spring_festival_with_its_make_up_days() -> None:
    # Fri 13 Feb day 1, Sat 14 Feb worked (day 2); 15-23 Feb off; Sat 28 Feb worked (day 7).
    assert due(date(2026, 2, 13), 2) == date(2026, 2, 14)
    assert due(date(2026, 2, 13), 3) == date(2026, 2, 24)
    assert due(date(2026, 2, 13), 7) == date(2026, 2, 28)
    assert due(date(2026, 2, 13)) == date(2026, 4, 1)


def test_a_trigger_on_a_holiday_starts_counting_on_the_next_working_day() -> None:
    assert due(date(2025, 10, 1)) == date(2025, 11, 18)
    assert due(date(2025, 10, 1)) == due(date(2025, 10, 9))


def test_excluding_the_trigger_day_moves_the_due_date_by_one_working_day() -> None:
    assert due(date(2025, 9, 30), include=False) == date(2025, 11, 18)


def test_counting_starts_the_day_after_the_trigger_by_default_civil_code_201() -> None:
    # CC-201 (§8 Q2): the trigger day is not day 1; a Tuesday trigger makes Wednesday day 1.
    assert CAL.add_working_days(date(2025, 9, 30), 30).due_on == date(2025, 11, 18)
    assert CAL.add_working_days(date(2026, 11, 24), 1).due_on == date(2026, 11, 25)


def test_a_year_without_a_schedule_counts_calendar_days_and_says_so() -> None:
    assert 2027 not in SCHEDULES
    result = CAL.add_working_days(date(2027, 1, 4), 30, True)
    assert result.due_on == date(2027, 2, 2)
    assert result.fallback_years == (2027,)
    assert "2027" in result.basis and "calendar days" in result.basis
    # A deadline running from 2026 into 2027 counts 2026 by the schedule and 2027 by the calendar.
    across = CAL.add_working_days(date(2026, 11, 26), 30, True)
    assert across.due_on == date(2027, 1, 4)
    assert across.fallback_years == (2027,)
    inside = CAL.add_working_days(date(2026, 11, 2), 30)
    assert inside.fallback_years == () and "calendar days" not in inside.basis


def test_the_calendar_days_setting_counts_every_day() -> None:
    result = WorkingCalendar(calendar_days=True).add_working_days(date(2025, 9, 30), 30, True)
    assert result.due_on == date(2025, 10, 29)
    assert "calendar days" in result.basis


@pytest.mark.parametrize("year", sorted(SCHEDULES))
def test_the_schedules_are_consistent(year: int) -> None:
    schedule = SCHEDULES[year]
    off = {d for h in schedule.holidays for d in h.days()}
    assert all(d.year == year for d in off)
    assert all(d.weekday() >= 5 for d in schedule.makeup_workdays), "make-up days are weekend days"
    assert not off & set(schedule.makeup_workdays)
    assert schedule.source and schedule.status in ("C", "S", "U")
    # New Year, Spring Festival (8+ days since 2025), Qingming, Labour Day (5), Dragon Boat, Mid-Autumn, National Day.
    assert len(off) >= 28


def test_working_days_between_counts_up_to_and_including_the_end() -> None:
    assert CAL.working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    assert CAL.working_days_between(date(2025, 10, 9), date(2025, 9, 30)) == -1
    assert CAL.working_days_between(date(2025, 10, 9), date(2025, 10, 9)) == 0


def test_the_day_a_deadline_counts_from_is_the_date_in_beijing() -> None:
    evening = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # midnight in Beijing: National Day
    assert beijing_date(evening) == date(2026, 10, 1)
    assert beijing_date(evening - timedelta(seconds=1)) == date(2026, 9, 30)
