"""Oversight: stored-individual counts per handler, filing duties and due dates, the filing package and the
inspection export (regulation.md CN25-15, CN25-FA-1/2, CN23-T13, CN25-9c, CN25-16–18; §8 Q1, Q2, Q7–Q9).

    office = Oversight.for_gate(gate)
    office.status()                                   # counts, thresholds, tasks, warnings (JSON-ready)
    office.record_filing("Example Co., Ltd.", receipt="PI-2026-0001", filed_on=date(2026, 12, 1))
    office.filing_package("Example Co., Ltd.", Path("filing"))
    office.inspection_export(since, until, Path("inspection.zip"))

The gate calls `record_stored` and `enrollment_block` inside each enrollment's transaction.
"""

from typing import TYPE_CHECKING, Any

from facegate.oversight.enrollment import enrollment_block, record_stored
from facegate.oversight.oversight import Oversight
from facegate.oversight.thresholds import FilingDuty, filing_duty
from facegate.oversight.workdays import DueDate, WorkingCalendar, beijing_date

if TYPE_CHECKING:
    from facegate.gate import Gate


def status_report(gate: "Gate", handler: str | None = None) -> dict[str, Any]:
    """The Oversight page's data for a gate's data directory: refreshes, then reports (see report.status_report)."""
    return Oversight.for_gate(gate).status(handler)


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
