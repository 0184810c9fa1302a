"""Oversight: individuals stored per handler (keyed hashes), handler tallies, filing tasks and filing receipts.

Revision ID: 0003_oversight
Revises: 0004_api_keys
Create Date: 2026-11-27 12:00:00

Numbered 0003 as planned, but chained after 0004_api_keys, which landed first with 0002 as its parent.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_oversight"
down_revision: str | None = "0004_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "oversight_individual",
        sa.Column("handler", sa.String(length=255), nullable=False),
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.Column("first_stored_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("handler", "subject_key", name=op.f("pk_oversight_individual")),
    )
    with op.batch_alter_table("oversight_individual", schema=None) as batch_op:
        batch_op.create_index("ix_oversight_individual_handler_first", ["handler", "first_stored_at"], unique=False)
    op.create_table(
        "oversight_handler",
        sa.Column("handler", sa.String(length=255), nullable=False),
        sa.Column("individuals", sa.Integer(), nullable=False),
        sa.Column("latched", sa.String(length=200), nullable=False),
        sa.Column("reconciled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("handler", name=op.f("pk_oversight_handler")),
    )
    op.create_table(
        "oversight_task",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("handler", sa.String(length=255), nullable=False),
        sa.Column("profile", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=64), nullable=False),
        sa.Column("rule_ids", sa.String(length=200), nullable=False),
        sa.Column("trigger_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_basis", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oversight_task")),
    )
    with op.batch_alter_table("oversight_task", schema=None) as batch_op:
        batch_op.create_index("ix_oversight_task_handler_closed", ["handler", "closed_at"], unique=False)
    op.create_table(
        "oversight_filing",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("handler", sa.String(length=255), nullable=False),
        sa.Column("profile", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("receipt", sa.String(length=200), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oversight_filing")),
    )
    with op.batch_alter_table("oversight_filing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oversight_filing_handler"), ["handler"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("oversight_filing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oversight_filing_handler"))
    op.drop_table("oversight_filing")
    with op.batch_alter_table("oversight_task", schema=None) as batch_op:
        batch_op.drop_index("ix_oversight_task_handler_closed")
    op.drop_table("oversight_task")
    op.drop_table("oversight_handler")
    with op.batch_alter_table("oversight_individual", schema=None) as batch_op:
        batch_op.drop_index("ix_oversight_individual_handler_first")
    op.drop_table("oversight_individual")
