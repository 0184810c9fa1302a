"""Audit log: entries, stored tree nodes, signed checkpoints and the log head.

Revision ID: 0001_audit_log
Revises:
Create Date: 2026-01-01
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_audit_log"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the audit tables and the log head, with a fresh origin naming this log."""
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("origin", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint_at", sa.DateTime(), nullable=True),
        sa.Column("purge_event", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("idx", BigId, autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_audit_entry")),
        sa.UniqueConstraint("event_id", name=op.f("uq_audit_entry_event_id")),
    )
    op.create_index(op.f("ix_audit_entry_recorded_at"), "audit_entry", ["recorded_at"])
    op.create_table(
        "audit_node",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_audit_node")),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    op.create_index(op.f("ix_audit_checkpoint_tree_size"), "audit_checkpoint", ["tree_size"])
    op.bulk_insert(
        head,
        [{"id": 1, "origin": f"facegate.audit/{secrets.token_hex(8)}", "size": 0, "frontier": b"",
          "checkpoint_size": 0}],
    )


def downgrade() -> None:
    """Drop the audit tables (destroys the log: only for development databases)."""
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_node")
    op.drop_index(op.f("ix_audit_entry_recorded_at"), table_name="audit_entry")
    op.drop_table("audit_entry")
    op.drop_table("audit_head")
