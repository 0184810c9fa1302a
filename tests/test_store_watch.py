"""The revisions a PostgreSQL gate remembers until the database notifies a change (facegate.store.watch)."""

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from gate_fixtures import wait_for
from sqlalchemy import text

from facegate.store import Database
from facegate.store.watch import Watch

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
KEYS = ("vault_deployment:hq", "vault_subject:ann")


@pytest.fixture
def pg(database: Database) -> Iterator[Database]:
    """A migrated PostgreSQL database with the subject `ann`."""
    with database.begin() as conn:
        conn.execute(text("INSERT INTO vault_subject (id, revision, created_at) VALUES ('ann', 1, now())"))
    yield database


@pytest.fixture
def watch(pg: Database) -> Iterator[Watch]:
    """A watch of that database, listening."""
    args, kwargs = pg.engine.dialect.create_connect_args(pg.engine.url)
    watching = Watch(lambda: psycopg.connect(*args, **{**kwargs, "autocommit": True}))
    wait_for(watching.listening, "the notification to be heard")
    yield watching
    watching.close()


def change(db: Database, statement: str) -> None:
    """Commit `statement` on another connection, as another process's withdrawal or deletion does."""
    with db.begin() as conn:
        conn.execute(text(statement))


def counted(db: Database) -> tuple[list[Any], Callable[[], Any]]:
    """A read of ann's revision (None once she is gone), and the list of what each read returned."""
    reads: list[Any] = []

    def read() -> Any:
        with db.begin() as conn:
            reads.append(conn.execute(text("SELECT revision FROM vault_subject WHERE id = 'ann'")).scalar())
        return reads[-1]

    return reads, read


def test_a_value_is_remembered_until_another_connection_changes_its_row(pg: Database, watch: Watch) -> None:
    reads, read = counted(pg)
    assert [watch.remembered(KEYS, read) for _ in range(3)] == [1, 1, 1] and reads == [1]
    change(pg, "UPDATE vault_subject SET revision = revision + 1 WHERE id = 'ann'")
    wait_for(lambda: watch.remembered(KEYS, read) == 2, "the notification to be heard")
    assert watch.remembered(KEYS, read) == 2 and reads == [1, 2]


def test_a_deletion_is_heard_too(pg: Database, watch: Watch) -> None:
    _, read = counted(pg)
    watch.remembered(KEYS, read)
    change(pg, "DELETE FROM vault_subject WHERE id = 'ann'")
    wait_for(lambda: watch.remembered(KEYS, read) is None, "the notification to be heard")


def test_a_change_to_another_row_or_column_keeps_the_value(pg: Database, watch: Watch) -> None:
    change(pg, "INSERT INTO vault_subject (id, revision, created_at) VALUES ('bo', 1, now())")
    reads, read = counted(pg)
    bo = ("vault_subject:bo",)
    watch.remembered(KEYS, read)
    watch.remembered(bo, lambda: "read")
    change(pg, "UPDATE vault_subject SET created_at = now() WHERE id = 'ann'")  # not its revision
    change(pg, "UPDATE vault_subject SET revision = 2 WHERE id = 'bo'")
    # bo's change heard: a notification of ann's, committed before it, would have come first
    wait_for(lambda: watch.remembered(bo, lambda: "read again") == "read again", "the notification to be heard")
    assert watch.remembered(KEYS, read) == 1 and reads == [1]


def test_nothing_is_remembered_across_a_lost_connection(pg: Database, watch: Watch) -> None:
    reads, read = counted(pg)
    watch.remembered(KEYS, read)
    with pg.begin() as conn:  # the server drops the listening connection (a restart, a network cut)
        listener = "application_name = 'facegate watch' AND datname = current_database()"
        ended = conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {listener}"))
        ended = ended.scalars().all()
    assert ended == [True]
    wait_for(lambda: not watch.listening(), "the notification to be heard")
    wait_for(watch.listening, "the notification to be heard")  # it connects again
    watch.remembered(KEYS, read)
    assert reads == [1, 1]  # read again: notifications may have been missed while it was down


def test_past_its_bound_it_trusts_only_what_it_reads_afterwards(
    pg: Database, watch: Watch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("facegate.store.watch.MAX_ROWS", 2)
    reads, read = counted(pg)
    watch.remembered(("sentinel",), lambda: "before")  # a value of no row: only forgetting drops it

    def read_across_changes() -> Any:  # a read in flight while ann changes, then changes pass the bound
        value = read()
        change(pg, "UPDATE vault_subject SET revision = revision + 1 WHERE id = 'ann'")
        for other in ("x", "y"):
            change(pg, f"INSERT INTO vault_subject (id, revision, created_at) VALUES ('{other}', 1, now())")
            change(pg, f"UPDATE vault_subject SET revision = 2 WHERE id = '{other}'")
        wait_for(lambda: watch.remembered(("sentinel",), lambda: "after") == "after", "the changes forgotten")
        return value

    assert watch.remembered(KEYS, read_across_changes) == 1
    assert watch.remembered(KEYS, read) == 2 and reads == [1, 2]  # the value read before ann's change is not trusted


def test_a_watch_that_cannot_listen_reads_every_time(pg: Database) -> None:
    def unreachable() -> psycopg.Connection[Any]:
        raise psycopg.OperationalError("connection refused")

    watching = Watch(unreachable)  # the server's notifications never reach it
    reads, read = counted(pg)
    try:
        assert [watching.remembered(KEYS, read) for _ in range(3)] == [1, 1, 1] and reads == [1, 1, 1]
        assert not watching.listening()
    finally:
        watching.close()


def test_a_change_added_to_the_feed_wakes_who_waits_for_it_and_nothing_else_does(pg: Database, watch: Watch) -> None:
    wakes: list[int] = []
    cancel = watch.on_change(lambda: wakes.append(1))
    _, read = counted(pg)
    assert watch.remembered(KEYS, read) == 1
    change(pg, "UPDATE vault_subject SET revision = revision + 1 WHERE id = 'ann'")
    wait_for(lambda: watch.remembered(KEYS, read) == 2, "the notification to be heard")  # the revision was heard...
    assert wakes == []  # ...and woke no one
    change(pg, "INSERT INTO edge_change (idx, kind, op, actor, at) VALUES (1, 'standing', 'consent.give', 'x', now())")
    wait_for(lambda: len(wakes) == 1, "the notification to be heard")
    cancel()
    change(pg, "INSERT INTO edge_change (idx, kind, op, actor, at) VALUES (2, 'standing', 'consent.give', 'x', now())")
    change(pg, "UPDATE vault_subject SET revision = revision + 1 WHERE id = 'ann'")
    # notified after the second insert: both were heard
    wait_for(lambda: watch.remembered(KEYS, read) == 3, "the notification to be heard")
    assert len(wakes) == 1


def test_who_waits_for_changes_is_woken_when_listening_begins(pg: Database) -> None:
    args, kwargs = pg.engine.dialect.create_connect_args(pg.engine.url)
    watching = Watch(lambda: psycopg.connect(*args, **{**kwargs, "autocommit": True}))
    wakes: list[int] = []
    watching.on_change(lambda: wakes.append(1))  # registered before it listens, or after: woken when it begins
    try:
        wait_for(lambda: watching.listening() and len(wakes) == 1, "the notification to be heard")
    finally:
        watching.close()
