"""Filing tasks: open the initial filing when a threshold is reached, change filings and cancellations on their
triggers (regulation.md CN25-15, CN23-T13, §5.6 `filing_change`, §8 Q1, Q7, Q8), and find the overdue ones.

A task is a latch: once open it stays until a filing receipt closes it. Deleting templates never closes one.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import policy, webhooks
from facegate.errors import RefusedError
from facegate.oversight.models import FilingRow, TaskRow
from facegate.oversight.thresholds import AUTHORITY, LEGACY_RULES, FilingDuty
from facegate.oversight.workdays import DueDate, WorkingCalendar, beijing_date

KINDS = ("filing", "change", "cancellation")
BLOCKING_KINDS = ("filing", "change")  # an overdue filing (or change filing) stops new enrollments (§8 Q7)
FILED_ITEM_TRIGGERS = ("purpose_change", "method_change", "security_measures_change", "rules_or_procedures_change")
KIND_LABEL = {"filing": "filing", "change": "change filing", "cancellation": "cancellation of the filing"}


@cache
def working_calendar(calendar_days: bool = False) -> WorkingCalendar:
    """The shared State Council calendar (or plain calendar days, §8 Q2's `calendar_days`)."""
    return WorkingCalendar(calendar_days=calendar_days)


def calendar_for(settings: policy.Settings) -> WorkingCalendar:
    """The calendar the settings ask for."""
    return working_calendar(settings.get("calendar.working_days") == "calendar_days")


@dataclass(frozen=True)
class ChangeSeen:
    """One substantive change since the last filing (Q8): trigger, field, deployment, and the day it happened."""

    trigger: str
    field: str
    deployment: str | None
    on: date
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (values shortened: they are spec fields, never personal data)."""
        return {
            "trigger": self.trigger,
            "field": self.field,
            "deployment": self.deployment,
            "on": self.on.isoformat(),
            "old": _short(self.old),
            "new": _short(self.new),
        }


def _short(value: Any) -> Any:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return value if len(text) <= 200 else text[:197] + "..."


def open_tasks(session: Session, handler: str) -> list[TaskRow]:
    """The handler's open tasks, earliest due first."""
    return list(
        session.scalars(
            select(TaskRow).where(TaskRow.handler == handler, TaskRow.closed_at.is_(None)).order_by(TaskRow.due_on)
        )
    )


def all_tasks(session: Session, handler: str) -> list[TaskRow]:
    """Every task of the handler, open and closed, in the order they were opened."""
    return list(session.scalars(select(TaskRow).where(TaskRow.handler == handler).order_by(TaskRow.opened_at)))


def filings(session: Session, handler: str, profile: str | None = None) -> list[FilingRow]:
    """The handler's recorded filings (of one profile, if given), oldest first."""
    query = select(FilingRow).where(FilingRow.handler == handler)
    if profile is not None:
        query = query.where(FilingRow.profile == profile)
    return list(session.scalars(query.order_by(FilingRow.recorded_at)))


def last_cancellation(session: Session, handler: str, profile: str) -> datetime | None:
    """When the profile's filing was last cancelled (CN25-15e), if ever."""
    return max((f.recorded_at for f in filings(session, handler, profile) if f.kind == "cancellation"), default=None)


def _since_cancellation(session: Session, handler: str, profile: str) -> tuple[list[TaskRow], list[FilingRow]]:
    """The profile's tasks and filings since its last cancellation (a cancelled filing starts afresh)."""
    recorded = filings(session, handler, profile)
    cut = last_cancellation(session, handler, profile)
    tasks = [t for t in all_tasks(session, handler) if t.profile == profile]
    if cut is not None:
        tasks = [t for t in tasks if t.opened_at > cut]
        recorded = [f for f in recorded if f.recorded_at > cut]
    return tasks, recorded


def initial_filing_needed(session: Session, handler: str, profile: str) -> bool:
    """Whether no filing of the profile is on record or open (since the last cancellation)."""
    tasks, recorded = _since_cancellation(session, handler, profile)
    return not any(t.kind == "filing" for t in tasks) and not any(f.kind in ("filing", "change") for f in recorded)


def last_filed(session: Session, handler: str, profile: str) -> FilingRow | None:
    """The newest filing or change filing of the profile since its last cancellation."""
    _, recorded = _since_cancellation(session, handler, profile)
    done = [f for f in recorded if f.kind in ("filing", "change")]
    return done[-1] if done else None


def _due(duty: FilingDuty, calendar: WorkingCalendar, trigger_on: date, days: int) -> DueDate:
    return calendar.add_working_days(trigger_on, days, duty.include_trigger_day)


def _row(
    handler: str,
    duty: FilingDuty,
    kind: str,
    trigger: str,
    rule_ids: tuple[str, ...],
    trigger_on: date,
    due_on: date,
    basis: str,
    details: dict[str, Any],
    now: datetime,
) -> TaskRow:
    return TaskRow(
        id=str(uuid.uuid4()),
        handler=handler,
        profile=duty.profile,
        kind=kind,
        trigger=trigger,
        rule_ids=",".join(dict.fromkeys(rule_ids)),
        trigger_on=trigger_on,
        due_on=due_on,
        due_basis=basis,
        details=json.dumps(details, ensure_ascii=False, default=str),
        opened_at=now,
    )


def _opened(session: Session, row: TaskRow, now: datetime) -> TaskRow:
    """Add a new task, and tell the receivers of `filing.due` in the same transaction."""
    session.add(row)
    data = {"task": row.id, "handler": row.handler[:200], "profile": row.profile, "kind": row.kind,
            "due_on": row.due_on.isoformat(), "rule_ids": row.rule_ids.split(",")}  # fmt: skip
    webhooks.publish(session, "filing.due", data, now)
    return row


def open_filing(
    session: Session,
    handler: str,
    duty: FilingDuty,
    reached_at: datetime,
    trigger: str,
    details: dict[str, Any],
    calendar: WorkingCalendar,
    now: datetime,
) -> TaskRow:
    """Open the initial filing, latching the day the duty arose; before the Measures, CN25-FA-1's fixed date."""
    trigger_on = beijing_date(reached_at)
    if duty.legacy_deadline is not None and duty.effective_date is not None and trigger_on < duty.effective_date:
        basis = (
            f"CN25-FA-1: the threshold was reached on {trigger_on}, before the Measures applied "
            f"({duty.effective_date}); file by {duty.legacy_deadline}"
        )
        row = _row(handler, duty, "filing", "legacy", LEGACY_RULES + duty.rule_ids, trigger_on,
                   duty.legacy_deadline, basis, details, now)  # fmt: skip
    else:
        due = _due(duty, calendar, trigger_on, duty.deadline_working_days)
        row = _row(handler, duty, "filing", trigger, duty.rule_ids, trigger_on, due.due_on, due.basis, details, now)
    return _opened(session, row, now)


def note_changes(
    session: Session,
    handler: str,
    duty: FilingDuty,
    changes: list[ChangeSeen],
    calendar: WorkingCalendar,
    now: datetime,
) -> TaskRow | None:
    """Open the change filing for these changes, or add them to the open one (its earliest change sets the due)."""
    if not changes:
        return None
    task = next(
        (t for t in open_tasks(session, handler) if t.profile == duty.profile and t.kind == "change"),
        None,
    )
    seen = [c.to_dict() for c in changes]
    if task is not None:
        details = json.loads(task.details)
        known = {(c["trigger"], c["field"], c["deployment"]) for c in details.get("changes", [])}
        fresh = [c for c in seen if (c["trigger"], c["field"], c["deployment"]) not in known]
        if not fresh:
            return task
        details["changes"] = details.get("changes", []) + fresh
        task.details = json.dumps(details, ensure_ascii=False, default=str)
        first = min(task.trigger_on, *(c.on for c in changes))
        if first < task.trigger_on:
            due = _due(duty, calendar, first, duty.change_deadline_working_days)
            task.trigger_on, task.due_on, task.due_basis = first, due.due_on, due.basis
        return task
    first = min(c.on for c in changes)
    due = _due(duty, calendar, first, duty.change_deadline_working_days)
    trigger = changes[0].trigger if len({c.trigger for c in changes}) == 1 else "substantive_change"
    row = _row(handler, duty, "change", trigger, duty.change_rule_ids, first, due.due_on, due.basis,
               {"changes": seen}, now)  # fmt: skip
    return _opened(session, row, now)


def open_cancellation(
    session: Session,
    handler: str,
    duty: FilingDuty,
    ended_on: date,
    details: dict[str, Any],
    calendar: WorkingCalendar,
    now: datetime,
) -> TaskRow | None:
    """Open the cancellation of the profile's filing after face recognition ended (CN25-15e), unless open already."""
    if any(t.profile == duty.profile and t.kind == "cancellation" for t in open_tasks(session, handler)):
        return None
    due = _due(duty, calendar, ended_on, duty.cancel_deadline_working_days)
    row = _row(handler, duty, "cancellation", "fr_use_ended", duty.cancel_rule_ids, ended_on, due.due_on,
               due.basis, details, now)  # fmt: skip
    return _opened(session, row, now)


def wanted_changes(changes: list[ChangeSeen], settings: policy.Settings) -> list[ChangeSeen]:
    """Keep the changes §8 Q8's `filing.change_triggers` counts as substantive."""
    kinds = set(settings.get("filing.change_triggers"))
    keep = []
    for c in changes:
        family = "filed_item_change" if c.trigger in FILED_ITEM_TRIGGERS else c.trigger
        if family in kinds or c.trigger in kinds:
            keep.append(c)
    return keep


def overdue_tasks(session: Session, handler: str, today: date) -> list[TaskRow]:
    """The handler's open filings and change filings whose due date has passed."""
    return list(
        session.scalars(
            select(TaskRow)
            .where(
                TaskRow.handler == handler,
                TaskRow.closed_at.is_(None),
                TaskRow.kind.in_(BLOCKING_KINDS),
                TaskRow.due_on < today,
            )
            .order_by(TaskRow.due_on)
        )
    )


def overdue_refusal(task: TaskRow, duty: FilingDuty | None) -> RefusedError:
    """The refusal of a new enrollment while `task` is overdue (§8 Q7: verification goes on)."""
    authority = AUTHORITY.get(duty.authority, duty.authority) if duty else "the cyberspace administration"
    rule_ids = list(dict.fromkeys(["FG-5", "CN25-15c", *task.rule_ids.split(",")]))
    return RefusedError(
        f"the {KIND_LABEL[task.kind]} of {task.handler} with {authority} was due on {task.due_on} ({task.profile}) "
        "and no filing receipt is recorded: new enrollments are refused until it is (facegate oversight filed); "
        "verification and the non-biometric alternatives continue (facegate policy FG-5, serving CN25-15c; "
        "setting filing.on_overdue: warn_only turns it off with a justification, §8 Q7)",
        rule_ids,
    )


def filing_dict(filing: FilingRow) -> dict[str, Any]:
    """A filing receipt as the status report and the inspection package show it."""
    return {
        "id": filing.id,
        "profile": filing.profile,
        "kind": filing.kind,
        "receipt": filing.receipt,
        "filed_on": filing.filed_on.isoformat(),
        "recorded_at": filing.recorded_at.isoformat(),
        "recorded_by": filing.recorded_by,
    }


def task_dict(task: TaskRow, today: date, calendar: WorkingCalendar, receipts: dict[str, FilingRow]) -> dict[str, Any]:
    """A task as the status report and the console show it."""
    receipt = receipts.get(task.closed_by or "")
    state = "closed" if task.closed_at else "overdue" if task.due_on < today else "open"
    return {
        "id": task.id,
        "kind": task.kind,
        "profile": task.profile,
        "trigger": task.trigger,
        "rule_ids": task.rule_ids.split(","),
        "trigger_on": task.trigger_on.isoformat(),
        "due_on": task.due_on.isoformat(),
        "due_basis": task.due_basis,
        "state": state,
        "working_days_left": None if task.closed_at else calendar.working_days_between(today, task.due_on),
        "opened_at": task.opened_at.isoformat(),
        "closed_at": task.closed_at and task.closed_at.isoformat(),
        "receipt": receipt.receipt if receipt else None,
        "details": json.loads(task.details),
    }
