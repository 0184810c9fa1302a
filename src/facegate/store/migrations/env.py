"""Alembic environment: runs the packaged migrations on the connection facegate hands over."""

import importlib

from alembic import context
from sqlalchemy import Connection

from facegate.store.base import Base

# Modules whose tables live on Base; each room adds its models module here so autogenerate sees them.
MODEL_MODULES = ["facegate.audit.models", "facegate.vault.models", "facegate.api.models", "facegate.oversight.models"]

for _module in MODEL_MODULES:
    importlib.import_module(_module)


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
