"""Service: console sessions ended by signing out (their random ID, kept until the session would have expired), so
that a copied session cookie stops working on every replica.

Revision ID: 0018_console_session_end
Revises: 0017_erasure_journal
Create Date: 2026-12-05 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_console_session_end"
down_revision: str | None = "0017_erasure_journal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "api_console_session_end",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_console_session_end")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("api_console_session_end")
