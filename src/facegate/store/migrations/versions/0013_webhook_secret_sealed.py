"""Webhook secrets sealed at rest: a column for the sealed secret; the plain ones are sealed by `seal_plain`.

Sealing needs the key store, which migrations do not open (it lives apart from the data database), so the
plain secrets an older version wrote are sealed, blanked and scrubbed when the webhooks are first opened
(`facegate.webhooks.sealing.seal_plain`: on `facegate serve`, or any `facegate webhooks` command).

Revision ID: 0013_webhook_secret_sealed
Revises: 0012_edge_change
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_webhook_secret_sealed"
down_revision: str | None = "0012_edge_change"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("webhook", sa.Column("sealed_secret", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    """Revert this revision (the sealed secrets are lost: re-register the hooks)."""
    op.drop_column("webhook", "sealed_secret")
