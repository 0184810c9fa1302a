"""The store: engines from URLs, SQLite pragmas and locking, sessions, migrations, UTC datetimes."""

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.exc import StatementError

from facegate.errors import InputError
from facegate.store import Database, UTCDateTime, database_url, make_engine
from facegate.store.migrate import alembic_config, current


def test_default_database_is_a_sqlite_file_in_wal_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FACEGATE_DATABASE_URL", raising=False)
    db = Database.open(home=tmp_path)
    assert (tmp_path / "facegate.db").is_file()
    with db.session(readonly=True) as s:
        pragmas = {name: s.execute(text(f"PRAGMA {name}")).scalar() for name in
                   ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")}  # fmt: skip
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000, "synchronous": 1}
    db.dispose()


def test_database_url_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FACEGATE_DATABASE_URL", raising=False)
    assert database_url(tmp_path) == f"sqlite:///{tmp_path / 'facegate.db'}"
    monkeypatch.setenv("FACEGATE_DATABASE_URL", "postgresql+psycopg://db/facegate")
    assert database_url(tmp_path) == "postgresql+psycopg://db/facegate"
    assert database_url(tmp_path, "sqlite:///other.db") == "sqlite:///other.db"


@pytest.mark.parametrize("url", ["not a url", "mysql://db/facegate", "sqlite://", "sqlite:///:memory:"])
def test_unusable_urls_are_input_errors(url: str) -> None:
    with pytest.raises(InputError):
        make_engine(url)


def test_postgresql_urls_get_the_psycopg_driver() -> None:
    assert make_engine("postgresql://u@localhost/db").dialect.driver == "psycopg"


def test_migrations_reach_head_and_are_idempotent(database: Database, database_url: str) -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert len(scripts.get_heads()) == 1, "migrations must form one line (set down_revision to the latest)"
    assert current(database.engine) == scripts.get_current_head()
    again = Database.open(database_url)  # a second open finds nothing to do
    assert current(again.engine) == current(database.engine)
    again.dispose()
    with database.session(readonly=True) as s:
        assert s.execute(text("SELECT size FROM audit_head WHERE id = 1")).scalar_one() == 0


@pytest.fixture
def scratch(database: Database) -> Table:
    table = Table("scratch_store_test", MetaData(), Column("n", Integer), Column("at", UTCDateTime))
    with database.begin() as conn:
        table.create(conn)
    return table


def test_sessions_commit_or_roll_back_as_a_whole(database: Database, scratch: Table) -> None:
    with database.session() as s:
        s.execute(insert(scratch).values(n=1))
    with pytest.raises(RuntimeError), database.session() as s:
        s.execute(insert(scratch).values(n=2))
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError), database.begin() as conn:
        conn.execute(insert(scratch).values(n=3))
        raise RuntimeError("boom")
    with database.session(readonly=True) as s:
        assert s.execute(select(scratch.c.n)).scalars().all() == [1]


def test_quick_transactions_commit_or_roll_back_as_a_whole(database: Database, scratch: Table) -> None:
    def sql(db, query: str) -> str:  # the driver's own connection: sqlite3 or psycopg (pipelined when writing)
        return query if isinstance(db, sqlite3.Connection) else query.replace("?", "%s")

    with database.quick(write=True) as db:
        db.execute(sql(db, "INSERT INTO scratch_store_test (n) VALUES (?)"), (1,))
    with pytest.raises(RuntimeError), database.quick(write=True) as db:
        db.execute(sql(db, "INSERT INTO scratch_store_test (n) VALUES (?)"), (2,))
        raise RuntimeError("boom")
    with pytest.raises((sqlite3.Error, psycopg.Error)), database.quick(write=True) as db:
        db.execute(sql(db, "INSERT INTO scratch_store_test (n) VALUES (?)"), (4,))
        db.execute("SELECT n FROM scratch_store_test").fetchall()  # a statement waited for mid-transaction
        db.execute("SELECT 1 / 0" if isinstance(db, psycopg.Connection) else "INSERT INTO no_such_table VALUES (1)")
    with database.quick() as db:
        rows = db.execute("SELECT n FROM scratch_store_test").fetchall()
    assert [n for (n,) in rows] == [1]
    with database.quick(write=True) as db:  # the connection that rolled back serves again
        db.execute(sql(db, "INSERT INTO scratch_store_test (n) VALUES (?)"), (3,))
    with database.quick() as db:
        assert sorted(n for (n,) in db.execute("SELECT n FROM scratch_store_test").fetchall()) == [1, 3]


def test_utc_datetimes_round_trip_and_naive_ones_are_refused(database: Database, scratch: Table) -> None:
    beijing = timezone(timedelta(hours=8))
    moment = datetime(2026, 6, 1, 20, 0, 0, 123456, tzinfo=beijing)
    with database.session() as s:
        s.execute(insert(scratch).values(n=1, at=moment))
    with database.session(readonly=True) as s:
        stored = s.execute(select(scratch.c.at)).scalar_one()
    assert stored == moment and stored.tzinfo == UTC
    with pytest.raises(StatementError, match="naive datetime") as refused, database.session() as s:
        s.execute(insert(scratch).values(n=2, at=datetime(2026, 6, 1)))
    assert isinstance(refused.value.orig, ValueError)
    with database.session(readonly=True) as s:
        assert s.execute(select(scratch.c.n)).scalars().all() == [1]  # nothing was written


def test_sqlite_writers_lock_at_begin_and_readers_do_not(tmp_path: Path) -> None:
    path = tmp_path / "lock.db"
    db = Database.open(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    with db.session() as s:
        s.connection()  # the transaction has begun, nothing written yet
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        with db.session(readonly=True) as reader:  # a snapshot reader is not blocked by the writer
            assert reader.execute(text("SELECT count(*) FROM audit_entry")).scalar() == 0
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()
    db.dispose()


def test_postgresql_readers_get_a_snapshot(database: Database) -> None:
    if database.backend != "postgresql":
        pytest.skip("PostgreSQL only")
    with database.session(readonly=True) as s:
        assert s.execute(text("SHOW transaction_isolation")).scalar() == "repeatable read"
