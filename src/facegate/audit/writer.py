"""The one writer of the audit log: every part of facegate appends its events here, typed (`facegate.events.Op`)
and stamped by its context's clock; the log itself only adds its own purge records and checkpoints. An event that
changes what paired nodes follow is also recorded in the typed change feed (facegate.changes), in the same
transaction (the group commit's too)."""

from facegate import changes
from facegate.audit.event import Event
from facegate.audit.group import Check, GroupCommit
from facegate.audit.log import AuditLog, Receipt
from facegate.clock import Clock
from facegate.store import Database, Statements


class AuditWriter:
    """Appends typed events to one audit log, in the caller's transaction or in one of its own."""

    def __init__(self, db: Database, audit: AuditLog, clock: Clock, group: GroupCommit | None = None) -> None:
        self.db, self.audit, self.clock = db, audit, clock
        self.group = group or GroupCommit(db, audit, clock)

    def append(self, session: Statements, event: Event) -> Receipt:
        """Record `event` in `session`, the transaction of its effect (nothing is committed here)."""
        receipt = self.audit.append(session, event, now=self.clock())
        changes.record_event(session, event, receipt)
        return receipt

    def append_alone(self, event: Event) -> Receipt:
        """Record `event` without other effect (a refusal, say); returns once it has committed.

        Concurrent callers share one transaction and one commit (facegate.audit.group)."""
        receipt = self.group.append(event)
        assert receipt is not None  # no check, so never skipped
        return receipt

    def append_checked(self, event: Event, check: Check) -> Receipt | None:
        """Record `event` if `check` passes in the same transaction; None (nothing recorded) when it does not."""
        return self.group.append(event, check)
