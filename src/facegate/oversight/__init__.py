"""Oversight: stored-individual counts per handler, filing duties and due dates, the filing package and the
inspection export (regulation.md CN25-15, CN25-FA-1/2, CN23-T13, CN25-9c, CN25-16–18; §8 Q1, Q2, Q7–Q9).

    office = Oversight(context)                       # the data directory's Context, as the gate's
    office.status()                                   # counts, thresholds, tasks, warnings (JSON-ready)
    office.record_filing("Example Co., Ltd.", receipt="PI-2026-0001", filed_on=date(2026, 12, 1))
    office.filing_package("Example Co., Ltd.", Path("filing"))
    office.inspection_export(since, until, Path("inspection.zip"))

The gate calls `record_stored` and `enrollment_block` inside each enrollment's transaction.
"""

from typing import Any

from facegate.context import Context
from facegate.oversight.enrollment import enrollment_block, record_stored
from facegate.oversight.oversight import Oversight
from facegate.oversight.thresholds import FilingDuty, filing_duty
from facegate.oversight.workdays import DueDate, WorkingCalendar, beijing_date


def status_report(context: Context, handler: str | None = None, refresh: bool = True) -> dict[str, Any]:
    """The Oversight page's data for a data directory: refreshes (unless `refresh` is false), then reports (see
    report.status_report)."""
    return Oversight(context).status(handler, refresh=refresh)


__all__ = [
    "DueDate",
    "FilingDuty",
    "Oversight",
    "WorkingCalendar",
    "beijing_date",
    "enrollment_block",
    "filing_duty",
    "record_stored",
    "status_report",
]
