"""Throwaway databases for the benchmarks: a fresh SQLite file, or a fresh PostgreSQL database dropped afterwards."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    """A fresh SQLite file."""
    yield f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.db'}"


@contextmanager
def postgres_database(base: str, synchronous_commit: str | None = None) -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database, dropped afterwards; `synchronous_commit` set on it if given
    (else the server's setting holds)."""
    name = f"facegate_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        if synchronous_commit is not None:
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = {synchronous_commit}'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_reachable(url: str) -> bool:
    """True when a connection to `url` succeeds within a few seconds."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception:
        return False
    return True


def server_setting(url: str, name: str) -> str:
    """A PostgreSQL server setting (`SHOW name`)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        value = str(conn.execute(text(f"SHOW {name}")).scalar())
    engine.dispose()
    return value
