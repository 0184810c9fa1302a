"""Write a new schema migration: `.venv/bin/python scripts/migration.py -m MESSAGE [--url URL]` (a developer's tool).

The tables of every `facegate.<room>.models` module are on the store's Base; `--url` autogenerates the revision
against a database brought up to date first (without it the script is empty).
"""

import argparse
import importlib
import pkgutil

from alembic import command

import facegate
from facegate.store import make_engine
from facegate.store.migrate import alembic_config, upgrade


def load_models() -> list[str]:
    """Import every room's `models` module, so Base.metadata describes the whole schema; their names."""
    names = [m.name for m in pkgutil.walk_packages(facegate.__path__, "facegate.") if m.name.endswith(".models")]
    for name in names:
        importlib.import_module(name)
    return names


def main(argv: list[str] | None = None) -> None:
    """Write a migration script under src/facegate/store/migrations/versions."""
    parser = argparse.ArgumentParser(prog="scripts/migration.py", description=__doc__)
    parser.add_argument("-m", "--message", required=True)
    parser.add_argument("--url", help="autogenerate against this database (brought up to date first)")
    args = parser.parse_args(argv)
    config = alembic_config()
    load_models()
    if args.url:
        engine = make_engine(args.url)
        upgrade(engine)
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.revision(config, message=args.message, autogenerate=True)
    else:
        command.revision(config, message=args.message)


if __name__ == "__main__":
    main()
