"""Liveness: challenges handed out and failed checks in the database, so every replica sees them.

Revision ID: 0010_liveness
Revises: 0009_camera
Create Date: 2026-12-04 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_liveness"
down_revision: str | None = "0009_camera"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "gate_liveness_challenge",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("deployment_id", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=128), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("challenge", sa.Text(), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_gate_liveness_challenge")),
    )
    op.create_index(op.f("ix_gate_liveness_challenge_deadline"), "gate_liveness_challenge", ["deadline"])
    op.create_table(
        "gate_liveness_failure",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=256), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_liveness_failure")),
    )
    op.create_index("ix_gate_liveness_failure_scope_at", "gate_liveness_failure", ["scope", "at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_gate_liveness_failure_scope_at", table_name="gate_liveness_failure")
    op.drop_table("gate_liveness_failure")
    op.drop_index(op.f("ix_gate_liveness_challenge_deadline"), table_name="gate_liveness_challenge")
    op.drop_table("gate_liveness_challenge")
