"""PostgreSQL notifies each insert into the edge change feed at commit, on the channel `facegate_change`: the hub's
notice loop wakes at once instead of looking every quarter second (facegate.edge.notices). SQLite: nothing to do.

Revision ID: 0015_change_notify
Revises: 0014_revision_notify
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_change_notify"
down_revision: str | None = "0014_revision_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION facegate_change_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('facegate_change', '');
          RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER edge_change_notify AFTER INSERT ON edge_change FOR EACH STATEMENT "
        "EXECUTE FUNCTION facegate_change_notify()"
    )


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER edge_change_notify ON edge_change")
    op.execute("DROP FUNCTION facegate_change_notify()")
