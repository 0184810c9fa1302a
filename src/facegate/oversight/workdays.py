"""Deadlines in PRC working days (regulation.md §8 Q2): holidays skipped, make-up days counted, dates in Beijing time.

Counting starts on the day after the trigger (Civil Code Art. 201, CC-201; §8 Q2) unless a profile says
`calendar.include_trigger_day`.
A year without a State Council schedule (see calendar_data.py) falls back to calendar days, and the due
date says so; so does the `calendar_days` setting of Q2.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from facegate.clock import BEIJING, beijing_date
from facegate.oversight.calendar_data import SCHEDULES, YearSchedule

__all__ = ["BEIJING", "DueDate", "WorkingCalendar", "beijing_date"]
MAX_DAYS = 3660  # no deadline of the Measures is near ten years; stop a runaway loop on bad input


@dataclass(frozen=True)
class DueDate:
    """A deadline: the day, how it was counted, and the years counted in calendar days for want of a schedule."""

    due_on: date
    trigger_on: date
    working_days: int
    fallback_years: tuple[int, ...] = ()
    calendar_days_only: bool = False

    @property
    def basis(self) -> str:
        """One line saying how the due date was counted."""
        if self.calendar_days_only:
            return f"{self.working_days} calendar days from {self.trigger_on} (calendar.working_days = calendar_days)"
        text = f"{self.working_days} PRC working days from {self.trigger_on} (State Council calendar)"
        if self.fallback_years:
            years = ", ".join(map(str, self.fallback_years))
            text += f"; {years}: no State Council schedule known, counted in calendar days (§8 Q2 fallback)"
        return text

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view."""
        return {
            "due_on": self.due_on.isoformat(),
            "trigger_on": self.trigger_on.isoformat(),
            "working_days": self.working_days,
            "fallback_years": list(self.fallback_years),
            "basis": self.basis,
        }


class WorkingCalendar:
    """The State Council working-day calendar, or plain calendar days."""

    def __init__(self, schedules: dict[int, YearSchedule] | None = None, calendar_days: bool = False) -> None:
        self.schedules = SCHEDULES if schedules is None else schedules
        self.calendar_days = calendar_days
        self._off = {d for s in self.schedules.values() for h in s.holidays for d in h.days()}
        self._on = {d for s in self.schedules.values() for d in s.makeup_workdays}

    def is_working_day(self, day: date) -> bool:
        """Whether `day` counts: a weekday that is no holiday, or a make-up day; every day in a year without data."""
        if self.calendar_days or day.year not in self.schedules:
            return True
        if day in self._on:
            return True
        return day.weekday() < 5 and day not in self._off

    def add_working_days(self, trigger: date, days: int, include_trigger_day: bool = False) -> DueDate:
        """The `days`-th working day counting from `trigger` (day 1 if it is a working day and included)."""
        if days < 1:
            raise ValueError("a deadline counts at least one day")
        day = trigger if include_trigger_day else trigger + timedelta(days=1)
        counted, fallback = 0, set()
        for _ in range(MAX_DAYS):
            if not self.calendar_days and day.year not in self.schedules:
                fallback.add(day.year)
            if self.is_working_day(day):
                counted += 1
                if counted == days:
                    return DueDate(day, trigger, days, tuple(sorted(fallback)), self.calendar_days)
            day += timedelta(days=1)
        raise ValueError(f"no due date within {MAX_DAYS} days of {trigger}")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))
