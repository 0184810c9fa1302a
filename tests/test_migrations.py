"""The migration scripts build exactly the schema the models declare, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from facegate.store import Base, Database
from facegate.store.migrate import load_models


def test_migrations_match_the_models(database: Database) -> None:
    load_models()
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
