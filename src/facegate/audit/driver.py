"""The log's appends on the database driver's own connection (sqlite3, psycopg), as `Database.quick` hands out.

Every gate decision appends through these: plain SQL in the caller's transaction costs a fraction of the same
statements through SQLAlchemy's execution machinery. Times are stored exactly as SQLAlchemy stores them: naive
UTC (text with microseconds on SQLite). On PostgreSQL the rows and the new head go in one statement, so that with
the caller's pipeline (`Database.quick`) the write travels with the COMMIT: the head's row lock is the one
round trip an append adds. The group commit saves that one too while this process is the log's only writer: it
writes from the head it last committed, and the statement moves the head only if the head is still exactly that
one, and fails the transaction (HEAD_MOVED) otherwise.
"""

import sqlite3
from datetime import UTC, datetime
from typing import Any, NamedTuple

import psycopg
from sqlalchemy import Connection

from facegate.store import DRIVERS, Driver

HEAD_SQL = "SELECT origin, size, frontier, checkpoint_size, checkpoint_at FROM audit_head WHERE id = 1"
PG_WRITE = """
WITH e AS (
  INSERT INTO audit_entry (idx, event_id, recorded_at, payload, leaf_hash)
  SELECT * FROM unnest(%b::bigint[], %b::text[], %b::timestamp[], %b::text[], %b::bytea[])
), n AS (
  INSERT INTO audit_node (level, idx, hash) SELECT * FROM unnest(%b::smallint[], %b::bigint[], %b::bytea[])
), c AS (
  INSERT INTO audit_checkpoint (tree_size, root_hash, created_at, note)
  SELECT * FROM unnest(%b::bigint[], %b::bytea[], %b::timestamp[], %b::text[])
)
UPDATE audit_head SET size = %b, frontier = %b, checkpoint_size = %b, checkpoint_at = %b WHERE id = 1
"""
HEAD_MOVED = "facegate: the audit head moved"
# The same write from a head known beforehand: the head's update comes first (its row lock is taken before any row
# is inserted, as every append does) and matches only that head; the inserts depend on it, and no match is an error
# (a text that is no integer), which aborts the transaction with everything pipelined after it.
PG_WRITE_FROM = f"""
WITH h AS (
  UPDATE audit_head SET size = %b, frontier = %b, checkpoint_size = %b, checkpoint_at = %b
  WHERE id = 1 AND size = %b AND frontier = %b AND checkpoint_size = %b
    AND checkpoint_at IS NOT DISTINCT FROM %b::timestamp AND TRUE
  RETURNING 1
), e AS (
  INSERT INTO audit_entry (idx, event_id, recorded_at, payload, leaf_hash)
  SELECT * FROM unnest(%b::bigint[], %b::text[], %b::timestamp[], %b::text[], %b::bytea[]) WHERE EXISTS (SELECT FROM h)
), n AS (
  INSERT INTO audit_node (level, idx, hash)
  SELECT * FROM unnest(%b::smallint[], %b::bigint[], %b::bytea[]) WHERE EXISTS (SELECT FROM h)
), c AS (
  INSERT INTO audit_checkpoint (tree_size, root_hash, created_at, note)
  SELECT * FROM unnest(%b::bigint[], %b::bytea[], %b::timestamp[], %b::text[]) WHERE EXISTS (SELECT FROM h)
)
SELECT CASE count(*) WHEN 1 THEN 1 ELSE ('{HEAD_MOVED} ' || count(*))::int END FROM h
"""

# The same for one entry and no node or checkpoint (most appends of a verification): scalar parameters instead of
# arrays (psycopg dumps an array element by element), and two statements fewer for the server to run.
PG_WRITE_ONE_FROM = f"""
WITH h AS (
  UPDATE audit_head SET size = %b, frontier = %b
  WHERE id = 1 AND size = %b AND frontier = %b AND checkpoint_size = %b
    AND checkpoint_at IS NOT DISTINCT FROM %b::timestamp AND TRUE
  RETURNING 1
), e AS (
  INSERT INTO audit_entry (idx, event_id, recorded_at, payload, leaf_hash)
  SELECT %b::bigint, %b::text, %b::timestamp, %b::text, %b::bytea WHERE EXISTS (SELECT FROM h)
)
SELECT CASE count(*) WHEN 1 THEN 1 ELSE ('{HEAD_MOVED} ' || count(*))::int END FROM h
"""

# Where a condition of the caller's goes (`write`'s `condition`): in the head's update, evaluated before the head's
# row is locked, as a check's own statement would have run before the write.
CONDITION = "AND TRUE\n"


class Condition(NamedTuple):
    """A boolean SQL expression (psycopg's %b placeholders) that must hold for the write to happen; it may also fail
    the statement with an error of its own (a failed check: facegate.audit.group.CHECK_FAILED)."""

    sql: str
    params: tuple[Any, ...]


class Head(NamedTuple):
    """The log head as an append reads it."""

    origin: str
    size: int
    frontier: bytes
    checkpoint_size: int
    checkpoint_at: datetime | None


def of(conn: Connection | Driver) -> Driver | None:
    """The driver's own connection when `conn` is one (from `Database.quick`) or sits on SQLite, else None."""
    if isinstance(conn, DRIVERS):
        return conn
    raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
    return raw if isinstance(raw, sqlite3.Connection) else None


def moved(exc: BaseException) -> bool:
    """Whether `exc` is the failure of a write from a head that had moved meanwhile (see PG_WRITE_FROM)."""
    return isinstance(exc, psycopg.errors.InvalidTextRepresentation) and HEAD_MOVED in str(exc)


def lock_head(raw: Driver) -> Head:
    """The head, locked until the transaction ends (FOR UPDATE; SQLite's write lock was taken at BEGIN)."""
    if isinstance(raw, sqlite3.Connection):
        row = raw.execute(HEAD_SQL).fetchone()
        at = None if row[4] is None else datetime.fromisoformat(row[4])
    else:
        row = raw.execute(HEAD_SQL + " FOR UPDATE").fetchone()
        assert row is not None  # the migration creates the one head row
        at = row[4]
    return Head(row[0], row[1], bytes(row[2]), row[3], None if at is None else at.replace(tzinfo=UTC))


def _naive(at: datetime | None) -> datetime | None:
    return None if at is None else at.astimezone(UTC).replace(tzinfo=None)


def _text(at: datetime | None) -> str | None:
    naive = _naive(at)
    return None if naive is None else naive.isoformat(" ", "microseconds")


def write(raw: Driver, entries: list[dict[str, Any]], nodes: list[dict[str, Any]], notes: list[dict[str, Any]],
          head: dict[str, Any], start: Head | None = None, condition: Condition | None = None) -> None:  # fmt: skip
    """Insert the entries, nodes and checkpoint notes and move the head, in the caller's transaction; with `start`
    (PostgreSQL), only if the head is still `start`, else the transaction fails with HEAD_MOVED, and only if
    `condition` holds too: with both, the write is one statement, a transaction of its own on an autocommit
    connection."""
    assert condition is None or start is not None, "a condition goes with a head known beforehand"
    if isinstance(raw, psycopg.Connection):
        cond = condition or Condition("TRUE", ())
        if start is not None and len(entries) == 1 and not nodes and not notes:
            was = (start.size, start.frontier, start.checkpoint_size, _naive(start.checkpoint_at))
            (e,) = entries
            one = (e["idx"], e["event_id"], _naive(e["recorded_at"]), e["payload"], e["leaf_hash"])
            sql = PG_WRITE_ONE_FROM.replace(CONDITION, f"AND ({cond.sql})\n", 1)
            raw.execute(sql, (head["size"], head["frontier"], *was, *cond.params, *one))
            return
        moved = (head["size"], head["frontier"], head["checkpoint_size"], _naive(head["checkpoint_at"]))
        columns = (
            [e["idx"] for e in entries], [e["event_id"] for e in entries],
            [_naive(e["recorded_at"]) for e in entries], [e["payload"] for e in entries],
            [e["leaf_hash"] for e in entries],
            [n["level"] for n in nodes], [n["idx"] for n in nodes], [n["hash"] for n in nodes],
            [n["tree_size"] for n in notes], [n["root_hash"] for n in notes],
            [_naive(n["created_at"]) for n in notes], [n["note"] for n in notes],
        )  # fmt: skip
        if start is None:
            raw.execute(PG_WRITE, (*columns, *moved))
        else:
            was = (start.size, start.frontier, start.checkpoint_size, _naive(start.checkpoint_at))
            sql = PG_WRITE_FROM.replace(CONDITION, f"AND ({cond.sql})\n", 1)
            raw.execute(sql, (*moved, *was, *cond.params, *columns))
        return
    assert start is None, "a head known beforehand is for PostgreSQL's pipeline"
    raw.executemany(
        "INSERT INTO audit_entry (idx, event_id, recorded_at, payload, leaf_hash) VALUES (?, ?, ?, ?, ?)",
        [(e["idx"], e["event_id"], _text(e["recorded_at"]), e["payload"], e["leaf_hash"]) for e in entries],
    )
    if nodes:
        raw.executemany(
            "INSERT INTO audit_node (level, idx, hash) VALUES (?, ?, ?)",
            [(n["level"], n["idx"], n["hash"]) for n in nodes],
        )
    if notes:
        raw.executemany(
            "INSERT INTO audit_checkpoint (tree_size, root_hash, created_at, note) VALUES (?, ?, ?, ?)",
            [(n["tree_size"], n["root_hash"], _text(n["created_at"]), n["note"]) for n in notes],
        )
    raw.execute(
        "UPDATE audit_head SET size = ?, frontier = ?, checkpoint_size = ?, checkpoint_at = ? WHERE id = 1",
        (head["size"], head["frontier"], head["checkpoint_size"], _text(head["checkpoint_at"])),
    )
