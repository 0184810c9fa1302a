"""The PRC State Council holiday schedule (public holidays and weekend make-up working days, 调休) as data.

Each year comes from the State Council General Office's notice on the next year's holidays (国务院办公厅关于
YYYY年部分节假日安排的通知), published each November. Status follows regulation.md §1: the dates below were
checked against reprints of the Xinhua release of each notice (gmw.cn, xinhuanet.com), not against the
gov.cn original, so they are `S`; treat them as `U` where a deadline is close and confirm on gov.cn.

A year missing here has no published schedule known to facegate (2027's notice is due in November 2026):
`workdays.py` then counts calendar days for that year (regulation.md §8 Q2, `calendar.fallback`) and says so
on every due date it affects. Add the year here when its notice is out; do not guess it.
"""

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Holiday:
    """One holiday period of a notice: its name and first and last day off, both included."""

    name: str
    first: date
    last: date

    def days(self) -> list[date]:
        """Every day of the period."""
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class YearSchedule:
    """One year's notice: the holidays, the weekend days that are working days, the source and its status."""

    year: int
    holidays: tuple[Holiday, ...]
    makeup_workdays: tuple[date, ...]
    source: str
    status: str


SCHEDULES: dict[int, YearSchedule] = {
    2025: YearSchedule(
        2025,
        (
            Holiday("New Year's Day 元旦", date(2025, 1, 1), date(2025, 1, 1)),
            Holiday("Spring Festival 春节", date(2025, 1, 28), date(2025, 2, 4)),
            Holiday("Qingming 清明节", date(2025, 4, 4), date(2025, 4, 6)),
            Holiday("Labour Day 劳动节", date(2025, 5, 1), date(2025, 5, 5)),
            Holiday("Dragon Boat 端午节", date(2025, 5, 31), date(2025, 6, 2)),
            Holiday("National Day and Mid-Autumn 国庆节、中秋节", date(2025, 10, 1), date(2025, 10, 8)),
        ),
        (date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)),
        "国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号), 2024-11-12, via the Xinhua release",
        "S",
    ),
    2026: YearSchedule(
        2026,
        (
            Holiday("New Year's Day 元旦", date(2026, 1, 1), date(2026, 1, 3)),
            Holiday("Spring Festival 春节", date(2026, 2, 15), date(2026, 2, 23)),
            Holiday("Qingming 清明节", date(2026, 4, 4), date(2026, 4, 6)),
            Holiday("Labour Day 劳动节", date(2026, 5, 1), date(2026, 5, 5)),
            Holiday("Dragon Boat 端午节", date(2026, 6, 19), date(2026, 6, 21)),
            Holiday("Mid-Autumn 中秋节", date(2026, 9, 25), date(2026, 9, 27)),
            Holiday("National Day 国庆节", date(2026, 10, 1), date(2026, 10, 7)),
        ),
        (
            date(2026, 1, 4),
            date(2026, 2, 14),
            date(2026, 2, 28),
            date(2026, 5, 9),
            date(2026, 9, 20),
            date(2026, 10, 10),
        ),
        "国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04, via the Xinhua release",
        "S",
    ),
}
