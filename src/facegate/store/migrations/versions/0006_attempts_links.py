"""Vault: failed secret-based checks and lock-outs per subject and deployment; the subject's portal-link nonce.

Revision ID: 0006_attempts_links
Revises: 0005_edge
Create Date: 2026-11-27 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_attempts_links"
down_revision: str | None = "0005_edge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "vault_attempt",
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("deployment_id", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["vault_deployment.id"],
            name=op.f("fk_vault_attempt_deployment_id_vault_deployment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["vault_subject.id"],
            name=op.f("fk_vault_attempt_subject_id_vault_subject"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subject_id", "deployment_id", name=op.f("pk_vault_attempt")),
    )
    with op.batch_alter_table("vault_subject", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_nonce", sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("vault_subject", schema=None) as batch_op:
        batch_op.drop_column("link_nonce")
    op.drop_table("vault_attempt")
