"""Shared fixtures: the sample photos the repository carries, and the shared data folder when present."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from gate_fixtures import Clock

    from facegate.gate import Gate
    from facegate.store import Database

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def photos() -> Path:
    """The folder of MIT-licensed sample photos carried in tests/data."""
    return DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or skip when this checkout has no shared folder beside it."""
    if not SHARED.is_dir():
        pytest.skip(f"needs the shared data folder at {SHARED}, which is absent here")
    return SHARED


# ---- databases (store, audit): SQLite always, PostgreSQL when FACEGATE_TEST_POSTGRES_URL is set ----

POSTGRES_ENV = "FACEGATE_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to a fresh, empty database: a SQLite file, or a uniquely named PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'facegate.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"facegate_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # Tests need no crash durability; this keeps thousands of commits fast.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator["Database"]:
    """A migrated `facegate.store.Database` on a fresh database (see `database_url`)."""
    from facegate.store import Database

    db = Database.open(database_url)
    yield db
    db.dispose()


# ---- the gate on a fresh database, with a clock the test moves by hand ----


@pytest.fixture
def clock() -> "Clock":
    """A clock that starts at a fixed time and moves only when the test says."""
    from gate_fixtures import Clock

    return Clock()


@pytest.fixture
def gate(database_url: str, tmp_path: Path, clock: "Clock") -> Iterator["Gate"]:
    """A gate on a fresh database (see `database_url`), its key store and signing key under tmp_path."""
    from gate_fixtures import make_gate

    yield from make_gate(database_url, tmp_path / "keys", clock)
