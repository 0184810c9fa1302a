"""Service: an API key may expire (expires_at); the console shows it as expired and authentication refuses it.

Revision ID: 0007_api_key_expiry
Revises: 0006_attempts_links
Create Date: 2026-11-27 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_api_key_expiry"
down_revision: str | None = "0006_attempts_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("api_key") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("api_key") as batch:
        batch.drop_column("expires_at")
