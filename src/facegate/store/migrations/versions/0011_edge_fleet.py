"""Edge fleet: site tokens of N devices, sites, wipe orders and acknowledgements, nonces, the device's checked log.

Revision ID: 0011_edge_fleet
Revises: 0010_liveness
Create Date: 2026-12-04 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_edge_fleet"
down_revision: str | None = "0010_liveness"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("edge_pairing_token") as batch:
        batch.add_column(sa.Column("site", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("max_uses", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("uses", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE edge_pairing_token SET uses = 1 WHERE used_at IS NOT NULL")
    with op.batch_alter_table("edge_device") as batch:
        batch.add_column(sa.Column("site", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("wipe_reason", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("wipe_ordered_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("wipe_acked_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("holds_until", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_edge_device_site"), ["site"], unique=False)
    with op.batch_alter_table("edge_link") as batch:
        batch.add_column(sa.Column("wiped_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("wipe_reason", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("wipe_acked_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("checked_size", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("checked_root", sa.LargeBinary(), nullable=False, server_default=""))
    op.create_table(
        "edge_nonce",
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "nonce", name=op.f("pk_edge_nonce")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("edge_nonce")
    with op.batch_alter_table("edge_link") as batch:
        batch.drop_column("checked_root")
        batch.drop_column("checked_size")
        batch.drop_column("wipe_acked_at")
        batch.drop_column("wipe_reason")
        batch.drop_column("wiped_at")
    with op.batch_alter_table("edge_device") as batch:
        batch.drop_index(batch.f("ix_edge_device_site"))
        for column in ("holds_until", "wipe_acked_at", "wipe_ordered_at", "wipe_reason", "site"):
            batch.drop_column(column)
    with op.batch_alter_table("edge_pairing_token") as batch:
        for column in ("uses", "max_uses", "site"):
            batch.drop_column(column)
