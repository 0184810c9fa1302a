"""PostgreSQL notifies each new revision of a deployment or a subject (and its deletion) at commit, on the channel
`facegate_revision` with `table:id`: a gate remembers the revisions it read until it hears of a change
(facegate.store.watch), so a repeat verification reads none before the engine. SQLite: nothing to do.

Revision ID: 0014_revision_notify
Revises: 0013_webhook_secret_sealed
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_revision_notify"
down_revision: str | None = "0013_webhook_secret_sealed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("vault_deployment", "vault_subject")


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION facegate_revision_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('facegate_revision', TG_TABLE_NAME || ':' || OLD.id);
          RETURN NULL;
        END $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_revision AFTER UPDATE OF revision ON {table} FOR EACH ROW "
            "WHEN (OLD.revision IS DISTINCT FROM NEW.revision) EXECUTE FUNCTION facegate_revision_notify()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_deleted AFTER DELETE ON {table} FOR EACH ROW "
            "EXECUTE FUNCTION facegate_revision_notify()"
        )


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_deleted ON {table}")
        op.execute(f"DROP TRIGGER {table}_revision ON {table}")
    op.execute("DROP FUNCTION facegate_revision_notify()")
