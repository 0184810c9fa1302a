"""The migration scripts build exactly the schema the models declare, on SQLite and PostgreSQL."""

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import facegate
from facegate.store import Base, Database


def load_models() -> list[str]:
    """Import every room's `models` module (as scripts/migration.py does before writing a revision)."""
    names = [m.name for m in pkgutil.walk_packages(facegate.__path__, "facegate.") if m.name.endswith(".models")]
    for name in names:
        importlib.import_module(name)
    return names


def test_migrations_match_the_models(database: Database) -> None:
    assert {"facegate.audit.models", "facegate.vault.models", "facegate.api.models"} <= set(load_models())
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
