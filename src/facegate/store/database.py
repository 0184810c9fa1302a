"""The database: an engine from a URL (SQLite file by default, or PostgreSQL), sessions and transactions."""

import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from facegate import config
from facegate.errors import InputError, ScrubIncompleteError
from facegate.home import data_home
from facegate.store.migrate import upgrade
from facegate.store.watch import Watch

DB_FILE = "facegate.db"
URL_ENV = "FACEGATE_DATABASE_URL"
BUSY_TIMEOUT_MS = 30_000
# What statements run on: an ORM session, a Core connection, or the driver's own connection from `Database.quick`.
Driver = sqlite3.Connection | psycopg.Connection[Any]
DRIVERS = (sqlite3.Connection, psycopg.Connection)  # the same, for isinstance
Statements = Session | Connection | Driver
# Execution option read by the SQLite "begin" hook: "IMMEDIATE" takes the write lock at BEGIN.
SQLITE_BEGIN = "facegate_sqlite_begin"
# How long `scrub` keeps asking for a truncating checkpoint while readers hold the WAL.
SCRUB_DEADLINE_S = 120.0
# A spare PostgreSQL connection idle longer than this is pinged before use (what pool_pre_ping does at each use).
IDLE_PING_S = 10.0
# The listening connection of `remembered` (libpq's TCP options): a server gone without a word (a network cut) shows
# within about 10 s, where the system's defaults would take minutes.
WATCH_TCP = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 2,
             "tcp_user_timeout": 5000}  # fmt: skip
log = logging.getLogger(__name__)
T = TypeVar("T")


def database_url(home: Path, url: str | None = None) -> str:
    """Return `url`, else $FACEGATE_DATABASE_URL, else the SQLite file `<home>/facegate.db`."""
    if url:
        return url
    if env_url := config.current().database_url:
        return env_url
    return f"sqlite:///{home / DB_FILE}"


def make_engine(url: str) -> Engine:
    """Create an engine for `url`: SQLite gets WAL, foreign keys, a busy timeout and explicit BEGINs."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise InputError(f"not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise InputError("SQLite needs a file, sqlite:///PATH: an in-memory database would lose the audit log")
        private_file(Path(parsed.database))
        engine = create_engine(parsed, execution_options={SQLITE_BEGIN: "IMMEDIATE"})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True)
    raise InputError(f"unsupported database {backend!r}: use sqlite:///FILE or postgresql+psycopg://...")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's "begin" hook (the pysqlite default BEGINs too late).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten with zeros in the page images SQLite writes (see `scrub` for the WAL).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def private_file(path: Path) -> None:
    """Create a SQLite file 0600 before SQLite does: its -wal and -shm then get the same mode."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:
        return  # a missing folder or a read-only place: SQLite's own error says it better
    os.close(fd)


def checkpoint_truncate(path: str | Path | None, deadline_s: float = SCRUB_DEADLINE_S) -> None:
    """Copy a SQLite file's WAL into it and truncate the WAL to zero bytes; wait out readers up to a deadline.

    A truncating checkpoint needs every reader to have left the WAL's frames; SQLite's busy handler waits
    for them up to the busy timeout, and this retries until `deadline_s` has passed, then raises
    ScrubIncompleteError. A database not in WAL mode (or in memory, without a path) has no WAL: nothing to do.
    """
    if not path:
        return
    stop = time.monotonic() + deadline_s
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            return
        while True:
            busy, frames, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy == 0 and frames == 0:
                return
            if time.monotonic() > stop:
                raise ScrubIncompleteError(f"{Path(path).name}: readers held its WAL for {deadline_s:.0f} s")
            time.sleep(0.05)
    finally:
        conn.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One database: write sessions, read-only snapshot sessions and raw connections, all transactional."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.backend = engine.dialect.name
        # Writers on SQLite take the write lock at BEGIN (no upgrade deadlocks between processes);
        # readers get a snapshot: BEGIN DEFERRED on SQLite, REPEATABLE READ on PostgreSQL.
        reader = (
            engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
            if self.backend == "sqlite"
            else engine.execution_options(isolation_level="REPEATABLE READ")
        )
        self._writer = sessionmaker(bind=engine, expire_on_commit=False)
        self._reader = sessionmaker(bind=reader, expire_on_commit=False)
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._spare: queue.SimpleQueue[tuple[Driver, float]] = queue.SimpleQueue()
        self._watch: Watch | None = None
        self._watching = threading.Lock()

    @classmethod
    def open(cls, url: str | None = None, *, home: Path | None = None, migrate: bool = True) -> "Database":
        """Open the database at `url` (default: see `database_url`) and bring its schema to the newest."""
        if url is None:
            url = database_url(data_home(home))
        db = cls(make_engine(url))
        if migrate:
            upgrade(db.engine)
        return db

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on an exception."""
        with (self._reader if readonly else self._writer)() as session, session.begin():
            yield session

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in one write transaction: committed when the block ends, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def quick(self, *, write: bool = False) -> Iterator[Driver]:
        """A short transaction at the least cost, on the driver's own connection, for the statements of every
        verification (SQLAlchemy's execution machinery costs more than the statements themselves there).

        The connections are kept apart from SQLAlchemy's pool. A reader runs in autocommit mode, each statement
        its own snapshot; a writer's block is committed when it ends, rolled back on error. On PostgreSQL a
        writer's statements are pipelined: a statement whose rows are fetched waits for its answer, the others
        go with the next one or with the Sync that commits them, and the statements psycopg sees again are prepared.
        """
        raw = self._checkout()
        try:
            if isinstance(raw, sqlite3.Connection):
                if write:
                    raw.execute("BEGIN IMMEDIATE")
                yield raw
                if write:
                    raw.execute("COMMIT")
            elif write:
                # No BEGIN/COMMIT to send: the statements before the pipeline's Sync (at the block's end) are one
                # implicit transaction, committed by the Sync, all rolled back if one fails. A block that raises
                # closes the connection before any Sync, so the server rolls back what it received.
                with raw.pipeline():
                    try:
                        yield raw
                    except BaseException:
                        raw.close()
                        raise
            else:
                yield raw
        finally:
            self._checkin(raw)

    def remembered(self, keys: tuple[str, ...], read: Callable[[], T]) -> T:
        """`read()`; on PostgreSQL its value is remembered until a notification names one of the rows `keys` names
        (`table:id`, tables with the revision trigger of migration 0014): see facegate.store.watch."""
        if self.backend != "postgresql":
            return read()
        return self._watcher().remembered(keys, read)

    def on_change(self, wake: Callable[[], None]) -> Callable[[], None] | None:
        """On PostgreSQL, call `wake()` (from another thread) on each change added to the edge change feed and when
        listening begins, and return what stops it; None on SQLite, where nothing is heard."""
        return self._watcher().on_change(wake) if self.backend == "postgresql" else None

    def hearing(self) -> bool:
        """Whether this process is receiving PostgreSQL's notifications of changes now."""
        return self._watch is not None and self._watch.listening()

    def _watcher(self) -> Watch:
        with self._watching:
            if self._watch is None:
                self._watch = Watch(lambda: self._connect_pg(**WATCH_TCP))
            return self._watch

    def _checkout(self) -> Driver:
        try:
            raw, used = self._spare.get_nowait()
        except queue.Empty:
            return self._connect()
        if isinstance(raw, psycopg.Connection) and time.monotonic() - used > IDLE_PING_S:
            try:
                raw.execute("SELECT 1")
            except psycopg.Error:  # the server restarted or dropped it: a new one
                raw.close()
                return self._connect()
        return raw

    def _connect(self) -> Driver:
        if self.backend == "sqlite":
            raw = sqlite3.connect(self.engine.url.database or ":memory:", check_same_thread=False)
            _sqlite_connect(raw, None)
            return raw
        return self._connect_pg()

    def _connect_pg(self, **options: Any) -> psycopg.Connection[Any]:
        args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
        return psycopg.connect(*args, **{**kwargs, **options, "autocommit": True})

    def _checkin(self, raw: Driver) -> None:
        if isinstance(raw, sqlite3.Connection):
            if raw.in_transaction:
                raw.execute("ROLLBACK")
        elif raw.broken or raw.closed:
            return
        elif raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            try:
                raw.execute("ROLLBACK")
            except psycopg.Error:
                raw.close()
                return
        self._spare.put((raw, time.monotonic()))

    def scrub(self) -> None:
        """After an erasing transaction has committed: leave no old copy of erased rows in the database's files.

        SQLite (secure_delete on every connection) overwrites erased rows in the database; the WAL still
        holds the frames written before, so it is checkpointed and truncated (see `checkpoint_truncate`).
        PostgreSQL keeps dead row versions until VACUUM and old WAL segments until they are recycled (or
        archived): see docs/protection.md; nothing is run here on the data store.
        """
        if self.backend == "sqlite":
            checkpoint_truncate(self.engine.url.database)

    def dispose(self) -> None:
        """Close every pooled connection and stop watching for changes."""
        if self._watch is not None:
            self._watch.close()
            self._watch = None
        self.engine.dispose()
        while not self._spare.empty():
            self._spare.get()[0].close()
