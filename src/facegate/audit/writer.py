"""The one writer of the audit log: every part of facegate appends its events here, typed (`facegate.events.Op`)
and stamped by its context's clock; the log itself only adds its own purge records and checkpoints."""

from facegate.audit.event import Event
from facegate.audit.log import AuditLog, Receipt
from facegate.clock import Clock
from facegate.store import Database, Statements


class AuditWriter:
    """Appends typed events to one audit log, in the caller's transaction or in one of its own."""

    def __init__(self, db: Database, audit: AuditLog, clock: Clock) -> None:
        self.db, self.audit, self.clock = db, audit, clock

    def append(self, session: Statements, event: Event) -> Receipt:
        """Record `event` in `session`, the transaction of its effect (nothing is committed here)."""
        return self.audit.append(session, event, now=self.clock())

    def append_alone(self, event: Event) -> Receipt:
        """Record `event` in a transaction of its own (for a refusal, which changes nothing else)."""
        with self.db.session() as session:
            return self.append(session, event)
