"""Schema migrations: Alembic scripts kept inside the package, applied programmatically (no alembic.ini).

Writing a new revision is a developer's job, done by scripts/migration.py outside the runtime package.
"""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same for every process migrating one PostgreSQL database.
PG_LOCK_KEY = 0x66616365  # "face"


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to `revision`; concurrent callers on one database run it one at a time."""
    config = alembic_config()
    # SQLite: the engine's BEGIN IMMEDIATE serialises migrators; PostgreSQL: a transaction-level lock.
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current(engine: Engine) -> str | None:
    """The schema revision the database is at, or None when it has none yet."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
