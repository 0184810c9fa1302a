"""Schema migrations: Alembic scripts kept inside the package, applied programmatically (no alembic.ini)."""

import argparse
import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same for every process migrating one PostgreSQL database.
PG_LOCK_KEY = 0x66616365  # "face"
# The rooms whose tables live on Base. Only autogenerate and the schema test need them: upgrading runs the
# scripts and never imports the rooms, so the store stays below them.
MODEL_MODULES = (
    "facegate.audit.models",
    "facegate.vault.models",
    "facegate.api.models",
    "facegate.oversight.models",
    "facegate.edge.models",
)


def load_models() -> None:
    """Import every room's models so that Base.metadata describes the whole schema."""
    for module in MODEL_MODULES:
        importlib.import_module(module)


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


def main(argv: list[str] | None = None) -> None:
    """Developer entry point: `python -m facegate.store.migrate revision -m MESSAGE [--url URL]`."""
    parser = argparse.ArgumentParser(prog="python -m facegate.store.migrate")
    sub = parser.add_subparsers(dest="command", required=True)
    rev = sub.add_parser("revision", help="write a new migration script under store/migrations/versions")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--url", help="autogenerate against this (up-to-date) database")
    args = parser.parse_args(argv)
    config = alembic_config()
    load_models()
    if args.url:
        from facegate.store.database import make_engine

        engine = make_engine(args.url)
        upgrade(engine)
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.revision(config, message=args.message, autogenerate=True)
    else:
        command.revision(config, message=args.message)


if __name__ == "__main__":
    main()
