"""A device's shred acknowledgement no longer carries a count of templates deleted: the device confirms that it holds
none of the subject's templates, not how many it deleted, so the column only ever held 0.

Revision ID: 0016_shred_ack_count
Revises: 0015_change_notify
Create Date: 2026-12-05 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_shred_ack_count"
down_revision: str | None = "0015_change_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("edge_shred_ack") as batch:
        batch.drop_column("templates_deleted")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("edge_shred_ack") as batch:
        batch.add_column(sa.Column("templates_deleted", sa.Integer(), nullable=False, server_default="0"))
