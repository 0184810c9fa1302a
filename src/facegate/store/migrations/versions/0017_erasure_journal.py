"""Erasures under way: an erasure is recorded before its key is shredded, so that a process killed between the
shred and the commit that deletes the rows leaves it to be finished at the next start or purge.

Revision ID: 0017_erasure_journal
Revises: 0016_shred_ack_count
Create Date: 2026-12-05 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_erasure_journal"
down_revision: str | None = "0016_shred_ack_count"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "gate_erasure",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("deployment_id", sa.String(length=64), nullable=True),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("rule_ids", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_erasure")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("gate_erasure")
