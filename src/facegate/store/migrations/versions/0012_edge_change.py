"""The typed change feed (edge_change), backfilled from the audit log so that devices' cursors stay valid.

A device's cursor was already an index into its hub's audit log; each row here sits at the index of the audit entry
that records the change, so a device paired before this revision pulls on from where it was, and nothing is pulled
twice or missed. The backfill reads the entries' payloads once, here; from now on the audit writer records each
change in the transaction that makes it.

Revision ID: 0012_edge_change
Revises: 0011_edge_fleet
Create Date: 2026-12-04 07:30:00
"""

import json
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012_edge_change"
down_revision: str | None = "0011_edge_fleet"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The operations of facegate.events.Op this revision knows, and the kind of change each is (frozen here: a later
# change to the code must not change what this revision did).
KINDS = {
    "notice.shown": "standing", "consent.give": "standing", "decline": "standing",
    "consent.withdraw": "withdrawal", "subject.delete": "deletion",
    "deployment.register": "deployment", "deployment.update": "deployment", "deployment.activate": "deployment",
    "deployment.retire": "deployment",
    "device.suspend": "device", "device.resume": "device", "device.unpair": "device", "device.lost": "device",
}  # fmt: skip
BATCH = 5000


def upgrade() -> None:
    """Apply this revision."""
    change = op.create_table(
        "edge_change",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("op", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("deployment", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("device", sa.String(length=32), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_edge_change")),
    )
    conn = op.get_bind()
    entries = sa.table(
        "audit_entry", sa.column("idx", sa.BigInteger()), sa.column("recorded_at", sa.DateTime()),
        sa.column("payload", sa.Text()),
    )  # fmt: skip
    start = 0
    while True:
        rows = conn.execute(
            sa.select(entries.c.idx, entries.c.recorded_at, entries.c.payload)
            .where(entries.c.idx >= start).order_by(entries.c.idx).limit(BATCH)
        ).all()  # fmt: skip
        if not rows:
            break
        out = []
        for idx, at, payload in rows:
            entry = json.loads(payload) if payload else {}
            kind = KINDS.get(entry.get("operation", ""))
            if kind is None or entry.get("decision") != "allow":
                continue
            if isinstance(at, str):
                at = datetime.fromisoformat(at)
            out.append({
                "idx": idx, "kind": kind, "op": entry["operation"], "actor": str(entry.get("actor", ""))[:96],
                "deployment": entry.get("deployment"), "subject": entry.get("subject"),
                "device": entry.get("request_id") if kind == "device" else None, "at": at,
            })  # fmt: skip
        if out:
            op.bulk_insert(change, out)
        start = rows[-1].idx + 1


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("edge_change")
