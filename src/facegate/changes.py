"""The node's change feed: one typed row per change that paired nodes follow, written by the audit writer in the
transaction of the change itself, keyed by the change's index in the audit log.

The index is the cursor: a device that has applied everything before index N asks the hub for the changes from N.
Only allowed operations that change what a device must know are recorded (a subject's standing, a withdrawal, a
deletion, a deployment, a device's status); nothing biometric, subjects under their pseudonymous IDs.
"""

import sqlite3
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, String, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from facegate.events import Op
from facegate.store import Base, Statements, UTCDateTime
from facegate.store.database import DRIVERS

if TYPE_CHECKING:
    from facegate.audit.event import Event
    from facegate.audit.log import Receipt


class Change(StrEnum):
    """What kind of change a row records."""

    STANDING = "standing"  # a notice shown, a consent given, a decline: the subject's standing in a deployment
    WITHDRAWAL = "withdrawal"  # a consent withdrawn: the subject's templates in the deployment are shredded
    DELETION = "deletion"  # a subject deleted: their templates are shredded everywhere
    DEPLOYMENT = "deployment"  # a deployment registered, updated, activated or retired
    DEVICE = "device"  # a device suspended, resumed, unpaired or reported lost (a wipe may be ordered)


KINDS: dict[Op, Change] = {
    Op.NOTICE_SHOWN: Change.STANDING,
    Op.CONSENT_GIVE: Change.STANDING,
    Op.DECLINE: Change.STANDING,
    Op.CONSENT_WITHDRAW: Change.WITHDRAWAL,
    Op.SUBJECT_DELETE: Change.DELETION,
    Op.DEPLOYMENT_REGISTER: Change.DEPLOYMENT,
    Op.DEPLOYMENT_UPDATE: Change.DEPLOYMENT,
    Op.DEPLOYMENT_ACTIVATE: Change.DEPLOYMENT,
    Op.DEPLOYMENT_RETIRE: Change.DEPLOYMENT,
    Op.DEVICE_SUSPEND: Change.DEVICE,
    Op.DEVICE_RESUME: Change.DEVICE,
    Op.DEVICE_UNPAIR: Change.DEVICE,
    Op.DEVICE_LOST: Change.DEVICE,
}
SHREDS = (Change.WITHDRAWAL, Change.DELETION)
INSERT = (
    "INSERT INTO edge_change (idx, kind, op, actor, deployment, subject, device, at) VALUES (%s, %s, %s, %s, %s, %s, "
    "%s, %s)"
)  # changes that order a node holding the subject to shred it


class ChangeRow(Base):
    """One change, at the index of its audit entry (the cursor)."""

    __tablename__ = "edge_change"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # its audit entry's index
    kind: Mapped[str] = mapped_column(String(16))  # a Change
    op: Mapped[str] = mapped_column(String(32))  # the facegate.events.Op recorded
    actor: Mapped[str] = mapped_column(String(96))  # who: a device's node tells its own changes from its hub's
    deployment: Mapped[str | None] = mapped_column(String(64), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(64), nullable=True)
    device: Mapped[str | None] = mapped_column(String(32), nullable=True)  # DEVICE changes: which device
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def change(self) -> Change:
        """The kind, typed."""
        return Change(self.kind)


def record(
    db: Statements, index: int, op: Op, decision: str, actor: str, deployment: str | None, subject: str | None,
    request_id: str | None, at: datetime,
) -> None:  # fmt: skip
    """Record the change an audit entry describes, in the caller's transaction (nothing when it changes nothing a
    paired node follows)."""
    kind = KINDS.get(op)
    if kind is None or decision != "allow":
        return
    row = {
        "idx": index, "kind": kind.value, "op": op.value, "actor": actor, "deployment": deployment,
        "subject": subject, "device": request_id if kind is Change.DEVICE else None, "at": at,
    }  # fmt: skip
    if isinstance(db, DRIVERS):  # the group commit's own driver connection (SQLite's, or psycopg's)
        naive = at.astimezone(UTC).replace(tzinfo=None)
        values = [*list(row.values())[:-1]]
        if isinstance(db, sqlite3.Connection):
            db.execute(INSERT.replace("%s", "?"), [*values, naive.isoformat(" ", "microseconds")])
        else:
            db.execute(INSERT, [*values, naive])
        return
    conn = db.connection() if isinstance(db, Session) else db
    conn.execute(insert(ChangeRow).values(**row))


def record_event(db: Statements, event: "Event", receipt: "Receipt") -> None:
    """Record the change of an event just appended (at `receipt`), in the same transaction."""
    record(
        db, receipt.index, event.operation, event.decision, event.actor, event.deployment, event.subject,
        event.request_id, receipt.at,
    )  # fmt: skip
