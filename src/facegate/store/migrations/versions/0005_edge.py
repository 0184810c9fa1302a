"""Hub and device roles: pairing tokens, paired devices and their audit logs, shred acks, holdings; the hub link.

Revision ID: 0005_edge
Revises: 0003_oversight
Create Date: 2026-11-27 14:30:18.136402
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_edge"
down_revision: str | None = "0003_oversight"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "edge_device",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("deployments", sa.Text(), nullable=False),
        sa.Column("device_key", sa.Text(), nullable=False),
        sa.Column("audit_key", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paired_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("applied", sa.BigInteger(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("log_size", sa.BigInteger(), nullable=False),
        sa.Column("log_root", sa.LargeBinary(), nullable=False),
        sa.Column("log_frontier", sa.LargeBinary(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(), nullable=True),
        sa.Column("flag", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edge_device")),
    )
    op.create_table(
        "edge_device_checkpoint",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("proof", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edge_device_checkpoint")),
    )
    with op.batch_alter_table("edge_device_checkpoint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_edge_device_checkpoint_device_id"), ["device_id"], unique=False)

    op.create_table(
        "edge_device_entry",
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "idx", name=op.f("pk_edge_device_entry")),
    )
    op.create_table(
        "edge_holding",
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("deployment_id", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "deployment_id", "subject_id", name=op.f("pk_edge_holding")),
    )
    with op.batch_alter_table("edge_holding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_edge_holding_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "edge_link",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hub_url", sa.Text(), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("hub_key", sa.Text(), nullable=False),
        sa.Column("deployments", sa.Text(), nullable=False),
        sa.Column("paired_at", sa.DateTime(), nullable=False),
        sa.Column("applied", sa.BigInteger(), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(), nullable=True),
        sa.Column("pushed_size", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edge_link")),
    )
    op.create_table(
        "edge_pairing_token",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("deployments", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("device_id", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edge_pairing_token")),
    )
    op.create_table(
        "edge_shred_ack",
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("order_idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("deployment_id", sa.String(length=64), nullable=True),
        sa.Column("templates_deleted", sa.Integer(), nullable=False),
        sa.Column("device_event_id", sa.String(length=128), nullable=True),
        sa.Column("acked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "order_idx", name=op.f("pk_edge_shred_ack")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("edge_shred_ack")
    op.drop_table("edge_pairing_token")
    op.drop_table("edge_link")
    with op.batch_alter_table("edge_holding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_edge_holding_subject_id"))

    op.drop_table("edge_holding")
    op.drop_table("edge_device_entry")
    with op.batch_alter_table("edge_device_checkpoint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_edge_device_checkpoint_device_id"))

    op.drop_table("edge_device_checkpoint")
    op.drop_table("edge_device")
