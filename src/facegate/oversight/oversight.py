"""The oversight office of a data directory: keeps the counts and filing tasks current, records filings, and
produces the status report, the filing package and the inspection export."""

import json
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facegate.audit import Event
from facegate.context import Context
from facegate.errors import InputError, NotFoundError
from facegate.events import Op
from facegate.oversight import changes, devices, individuals, report
from facegate.oversight.handlers import HandlerView, pick
from facegate.oversight.models import FilingRow
from facegate.oversight.tasks import (
    KINDS,
    calendar_for,
    initial_filing_needed,
    last_cancellation,
    last_filed,
    note_changes,
    open_cancellation,
    open_filing,
    open_tasks,
    wanted_changes,
)
from facegate.oversight.thresholds import filing_duty
from facegate.oversight.workdays import WorkingCalendar, beijing_date
from facegate.policy import public_place
from facegate.policy.profiles import lineage
from facegate.vault.models import TemplateRow

# The vault scan restarts a little before the last one, so a template committed late is not missed.
RECONCILE_OVERLAP = timedelta(hours=1)


class Oversight:
    """Counts of stored individuals, filing tasks and receipts, and the documents built from them."""

    def __init__(self, context: Context, count_band: int | None = None) -> None:
        self.context = context
        self.db, self.keystore, self.audit = context.db, context.keystore, context.audit
        self.settings, self.clock = context.settings, context.clock
        self.devices = devices.of(context)  # a hub's paired devices (facegate.edge implements the views)
        self.count_band = count_band  # None: each profile's threshold is its band size (Q8)
        # The model's 1:1 operating point for the documents' ACC-2 item, set by whoever knows the model (the faces,
        # through facegate.gate.verification_point); None leaves that item a gap.
        self.verification: Any = None

    @property
    def count_mode(self) -> str:
        """How stored individuals are counted (§8 Q1): cumulative (default) or currently_stored."""
        return str(self.settings.get("filing.count_mode"))

    @property
    def calendar(self) -> WorkingCalendar:
        """The working-day calendar the settings ask for (§8 Q2)."""
        return calendar_for(self.settings)

    def band_size(self, profile: str) -> int:
        """The width of a stored-count band whose change is a change to file (Q8)."""
        duty = filing_duty(profile)
        return self.count_band or (duty.threshold if duty else 100_000)

    # ---- counting ----

    def counts(self, session: Session, view: HandlerView) -> dict[str, int]:
        """The handler's stored individuals in both modes."""
        return {
            "cumulative": individuals.cumulative_count(session, view.name),
            "currently_stored": individuals.current_count(session, view.deployment_ids, self.clock(), self.devices),
        }

    def reached_at(self, session: Session, view: HandlerView, n: int) -> datetime | None:
        """When the handler's count (in the configured mode) first reached n."""
        if self.count_mode == "cumulative":
            return individuals.nth_first_stored(session, view.name, n)
        return individuals.nth_current(session, view.deployment_ids, n, self.clock(), self.devices)

    # ---- keeping tasks current ----

    def refresh(self, handler: str | None = None) -> None:
        """Reconcile the counts with the vault, latch thresholds and open the tasks their triggers call for.

        Run daily (the service does; `facegate oversight status` does too): it is idempotent.
        """
        now = self.clock()
        with self.db.session() as session:
            for view in pick(session, handler):
                self._refresh(session, view, now)

    def _refresh(self, session: Session, view: HandlerView, now: datetime) -> None:
        tally = individuals.lock_tally(session, view.name)
        since = tally.reconciled_at - RECONCILE_OVERLAP if tally.reconciled_at else None
        individuals.reconcile(session, self.keystore, view.name, view.deployment_ids, since)
        tally.reconciled_at = now
        count = self.counts(session, view)[self.count_mode]
        today, calendar = beijing_date(now), self.calendar
        latched = set(filter(None, tally.latched.split(",")))
        for profile in view.profiles:
            duty = filing_duty(profile)
            assert duty is not None
            if initial_filing_needed(session, view.name, profile):
                if not view.in_use:
                    continue  # nothing in use (all retired, perhaps cancelled): no new filing duty until one is
                trigger, at, details = None, None, {}
                if duty.reached(count):
                    trigger, at = "threshold_reached", self.reached_at(session, view, duty.first_count) or now
                    details = {"count_mode": self.count_mode, "count": count, "first_count": duty.first_count}
                if duty.public_place_trigger:
                    public = [d for d in view.deployments if profile in _lineages(d.profiles)
                              and public_place(d.spec)]  # fmt: skip
                    first = min((d.registered_at for d in public), default=None)
                    if first is not None and (at is None or first < at):
                        trigger, at = "public_place", first
                        details = {"deployments": [d.id for d in public]}
                if trigger is not None and at is not None:
                    cancelled = last_cancellation(session, view.name, profile)
                    at = max(at, cancelled) if cancelled is not None else at  # a new duty runs from after it
                    open_filing(session, view.name, duty, at, trigger, details, calendar, now)
                    latched.add(profile)
                continue
            filed = last_filed(session, view.name, profile)
            pending = any(t.profile == profile and t.kind == "filing" for t in open_tasks(session, view.name))
            if filed is None or pending:
                continue
            if not view.in_use:
                ended = max(beijing_date(d.updated_at) for d in view.deployments)
                left = templates_left(session, view.deployment_ids)
                evidence = {"templates_remaining": left, "deployments_retired": view.deployment_ids}
                open_cancellation(session, view.name, duty, ended, {"deletion_evidence": evidence}, calendar, now)
                continue
            seen = changes.detect(
                json.loads(filed.snapshot), view, count, lambda n: self.reached_at(session, view, n), today
            )
            note_changes(session, view.name, duty, wanted_changes(seen, self.settings), calendar, now)
        tally.latched = ",".join(sorted(latched))

    # ---- filings ----

    def record_filing(
        self,
        handler: str,
        receipt: str,
        filed_on: date,
        profile: str | None = None,
        task_id: str | None = None,
        kind: str | None = None,
        actor: str = "operator:cli",
    ) -> list[dict[str, Any]]:
        """Record a filing receipt from the authority: it closes the matching open tasks and snapshots what was filed.

        Without --task or --profile every open task of the handler is closed; the kind follows the tasks it
        closes (filing, change, cancellation), or `kind` when there is none.
        """
        if not receipt.strip():
            raise InputError("a filing receipt reference is required")
        if kind is not None and kind not in KINDS:
            raise InputError(f"unknown filing kind {kind!r}: use one of {', '.join(KINDS)}")
        now = self.clock()
        if filed_on > beijing_date(now):
            raise InputError(f"the filing date {filed_on} is in the future")
        self.refresh(handler)
        recorded = []
        with self.db.session() as session:
            view = pick(session, handler)[0]
            tasks = [t for t in open_tasks(session, view.name) if profile in (None, t.profile)]
            if task_id is not None:
                tasks = [t for t in tasks if t.id == task_id]
                if not tasks:
                    raise NotFoundError(f"no open task {task_id!r} for {view.name}")
            profiles = sorted({t.profile for t in tasks}) or [profile or (view.profiles or ("cn2025",))[0]]
            count = self.counts(session, view)[self.count_mode]
            for name in profiles:
                mine = [t for t in tasks if t.profile == name]
                which = kind or next((k for k in ("cancellation", "change", "filing") if any(
                    t.kind == k for t in mine)), "filing")  # fmt: skip
                snap = changes.snapshot(view, count, self.count_mode, self.band_size(name), now)
                row = FilingRow(
                    id=str(uuid.uuid4()), handler=view.name, profile=name, kind=which, receipt=receipt.strip(),
                    filed_on=filed_on, recorded_at=now, recorded_by=actor, snapshot=json.dumps(snap, default=str),
                )  # fmt: skip
                session.add(row)
                closing = mine if which != "cancellation" else [t for t in open_tasks(session, view.name)
                                                                  if t.profile == name]  # fmt: skip
                for t in closing:
                    t.closed_at, t.closed_by = now, row.id
                rules = sorted({r for t in closing for r in t.rule_ids.split(",")}) or ["CN25-15c"]
                self.context.writer.append(
                    session,
                    Event(actor=actor, operation=Op.OVERSIGHT_FILED, decision="allow", outcome=which,
                          rule_ids=rules, request_id=row.id),
                )  # fmt: skip
                recorded.append(
                    {"filing": row.id, "handler": view.name, "profile": name, "kind": which, "receipt": row.receipt,
                     "filed_on": filed_on.isoformat(), "closed_tasks": [t.id for t in closing]}
                )  # fmt: skip
        return recorded

    # ---- reports and documents ----

    def status(self, handler: str | None = None, refresh: bool = True, accuracy: Any = None) -> dict[str, Any]:
        """Everything the status command and the console's Oversight page show (see report.status_report);
        `accuracy` (the gate's `operating_points()`) sets each 1:N gallery's limit."""
        if refresh:
            self.refresh(handler)
        with self.db.session(readonly=True) as session:
            return report.status_report(self, session, pick(session, handler), accuracy)

    def filing_package(self, handler: str | None, out: Path) -> dict[str, Any]:
        """Write the filing package (regulation.md §5.5) of a handler as Markdown, HTML and JSON into `out`."""
        from facegate.oversight.package import write_package

        self.refresh(handler)
        with self.db.session(readonly=True) as session:
            views = pick(session, handler)
            if len(views) != 1:
                raise InputError(f"name the handler (--handler): {'; '.join(v.name for v in views) or 'none'}")
            return write_package(self, session, views[0], out)

    def inspection_export(
        self, since: datetime, until: datetime, out: Path, actor: str = "operator:cli"
    ) -> dict[str, Any]:
        """Write the inspection export (CN25-16–18) for [since, until) as one zip file; return its manifest."""
        from facegate.oversight.inspection import write_export

        self.refresh()
        return write_export(self, since, until, out, actor)


def _lineages(profiles: tuple[str, ...]) -> set[str]:
    return {p for name in profiles for p in lineage(name)}


def templates_left(session: Session, deployment_ids: list[str]) -> int:
    """Templates still stored in these deployments (deletion evidence after a decommission)."""
    if not deployment_ids:
        return 0
    query = select(func.count()).select_from(TemplateRow).where(TemplateRow.deployment_id.in_(deployment_ids))
    return int(session.scalar(query) or 0)
