"""Alembic environment: runs the packaged migrations on the connection facegate hands over."""

from alembic import context
from sqlalchemy import Connection

from facegate.store.base import Base


def run(connection: Connection) -> None:
    """Run the pending migrations on `connection`, inside the caller's transaction when it has one."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if _connection is None:
    raise RuntimeError("facegate migrations run through facegate.store.migrate, which passes a connection")
run(_connection)
