"""Door cameras: the stream each camera reads, the deployment it serves, and its live status (nothing biometric).

Revision ID: 0009_camera
Revises: 0008_webhooks
Create Date: 2026-12-04 04:11:34
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_camera"
down_revision: str | None = "0008_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "camera",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("deployment_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("sample_fps", sa.Float(), nullable=False),
        sa.Column("relay_url", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("frames", sa.BigInteger(), nullable=False),
        sa.Column("skipped", sa.BigInteger(), nullable=False),
        sa.Column("decisions", sa.BigInteger(), nullable=False),
        sa.Column("identified", sa.BigInteger(), nullable=False),
        sa.Column("strangers", sa.BigInteger(), nullable=False),
        sa.Column("reconnects", sa.BigInteger(), nullable=False),
        sa.Column("last_frame_at", sa.DateTime(), nullable=True),
        sa.Column("status_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_camera")),
    )
    with op.batch_alter_table("camera", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_camera_deployment_id"), ["deployment_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("camera", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_camera_deployment_id"))
    op.drop_table("camera")
