"""The audit log: appends inside the caller's transaction, signed checkpoints, proofs, purge after retention."""

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from facegate import metrics
from facegate.audit import driver
from facegate.audit.checkpoint import Checkpoint, CheckpointError, note_size, open_checkpoint, sign_checkpoint
from facegate.audit.event import Event, canonical, entry_object, event_from
from facegate.audit.export import b64, export_lines
from facegate.audit.keys import SigningKey, key_path, write_public
from facegate.audit.merkle import (
    frontier_push,
    frontier_root,
    inclusion_proof,
    leaf_hash,
    pack,
    unpack,
    verify_inclusion,
)
from facegate.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditNode
from facegate.audit.tree import NODE_LEVEL, MissingNodeError, StoredTree
from facegate.audit.verify import VerifyReport, verify
from facegate.clock import Clock, utc_now
from facegate.errors import InputError, NotFoundError, RefusedError, TamperedError
from facegate.events import Op
from facegate.store import DRIVERS, Statements, table_of

RETENTION_RULE = "CN25-9c"
MIN_RETENTION_YEARS = 3
WITNESS_FILE = "latest-checkpoint"
CLOCK_SKEW = timedelta(minutes=5)
DUPLICATE = "an audit event with this event_id is already in the log"

Executor = Session | Connection
HEAD = table_of(AuditHead)
ENTRY = table_of(AuditEntry)
NODE = table_of(AuditNode)
CHECKPOINT = table_of(AuditCheckpoint)
# Built once: reusing statement objects skips SQLAlchemy's per-call construction and cache-key work.
LOCK_HEAD = (
    select(
        HEAD.c.origin, HEAD.c.size, HEAD.c.frontier, HEAD.c.checkpoint_size, HEAD.c.checkpoint_at, HEAD.c.purge_event
    )
    .where(HEAD.c.id == 1)
    .with_for_update()
)
UPDATE_HEAD = update(HEAD).where(HEAD.c.id == 1)
INSERT_ENTRY = insert(ENTRY)
INSERT_NODE = insert(NODE)
INSERT_CHECKPOINT = insert(CHECKPOINT)


@dataclass(frozen=True)
class Receipt:
    """Where an appended event landed: its index (leaf position), event ID, time and leaf hash."""

    index: int
    event_id: str
    at: datetime
    leaf_hash: bytes


@dataclass(frozen=True)
class InclusionProof:
    """An entry, its leaf hash and the RFC 9162 inclusion proof against a signed checkpoint."""

    index: int
    event_id: str
    entry: dict[str, Any] | None
    leaf_hash: bytes
    proof: list[bytes]
    checkpoint: Checkpoint

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready view with base64 hashes."""
        return {
            "index": self.index,
            "event_id": self.event_id,
            "entry": self.entry,
            "leaf_hash": b64(self.leaf_hash),
            "tree_size": self.checkpoint.size,
            "proof": [b64(h) for h in self.proof],
            "checkpoint": self.checkpoint.to_json(),
        }


def years_before(moment: datetime, years: int) -> datetime:
    """The same calendar moment `years` earlier (29 February falls back to the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def connection(db: Executor) -> Connection:
    """The connection behind a Session or Connection, in the caller's transaction."""
    return db.connection() if isinstance(db, Session) else db


class AuditLog:
    """One audit log: its signing key, checkpoint cadence and retention period."""

    def __init__(
        self,
        key: SigningKey,
        *,
        checkpoint_every: int = 256,
        checkpoint_seconds: float = 60.0,
        retention_years: int = MIN_RETENTION_YEARS,
        witness: Path | None = None,
        clock: Clock = utc_now,
    ) -> None:
        if retention_years < MIN_RETENTION_YEARS:
            raise RefusedError(f"audit records must be kept at least {MIN_RETENTION_YEARS} years", [RETENTION_RULE])
        if checkpoint_every < 1 or checkpoint_seconds <= 0:
            raise InputError("checkpoint_every and checkpoint_seconds must be positive")
        self.key = key
        self.checkpoint_every = checkpoint_every
        self.checkpoint_interval = timedelta(seconds=checkpoint_seconds)
        self.retention_years = retention_years
        self.witness = witness
        self.clock = clock  # a Context binds its log to its own clock

    @classmethod
    def for_home(cls, home: Path, *, create: bool = True, **options: Any) -> "AuditLog":
        """The log of a data directory: key in <home>/keys/ (created unless `create` is false), latest
        checkpoint copied to <home>/audit/."""
        path = key_path(home)
        key = SigningKey.load_or_create(path) if create else SigningKey.load(path)
        if create:  # the public file beside it, for the standalone verifier (rewritten if something replaced it)
            write_public(path, key)
        return cls(key, witness=home / "audit" / WITNESS_FILE, **options)

    # ---- writing ----

    def append(self, db: Statements, event: Event | dict[str, Any], *, now: datetime | None = None) -> Receipt:
        """Record `event` in the caller's transaction (nothing is committed here); return its receipt."""
        return self.append_many(db, [event], now=now)[0]

    def append_many(
        self,
        db: Statements,
        events: Iterable[Event | dict[str, Any]],
        *,
        now: datetime | None = None,
    ) -> list[Receipt]:
        """Record several events, in order, in the caller's transaction (SQLite's own connection will do too)."""
        return self.append_from(db, events, now=now)[0]

    def append_from(
        self,
        db: Statements,
        events: Iterable[Event | dict[str, Any]],
        *,
        now: datetime | None = None,
        start: driver.Head | None = None,
        condition: driver.Condition | None = None,
    ) -> tuple[list[Receipt], driver.Head | None]:
        """`append_many`, also returning the head it leaves (None when nothing was appended).

        With `start` (on PostgreSQL's driver connection: the head this process last committed) the head is not
        read first: the write fails the transaction (driver.HEAD_MOVED) unless the head is still exactly `start`,
        and is not done unless `condition` holds (the write is then one statement: driver.write).
        """
        checked = [event_from(e) for e in events]
        now = now or self.clock()
        conn = db if isinstance(db, DRIVERS) else connection(db)
        raw = driver.of(conn)
        head = start if start is not None else driver.lock_head(raw) if raw else _lock_head(conn)
        size, frontier = head.size, unpack(head.frontier)
        signed_size, signed_at = head.checkpoint_size, head.checkpoint_at
        entries, nodes, notes, receipts = [], [], [], []
        for event in checked:
            at = event.at or now
            payload = canonical(entry_object(size, event, at))
            leaf = leaf_hash(payload)
            entries.append(
                {
                    "idx": size,
                    "event_id": event.event_id,
                    "recorded_at": at,
                    "payload": payload.decode(),
                    "leaf_hash": leaf,
                }
            )
            for level, index, h in frontier_push(frontier, size, leaf):
                if level >= NODE_LEVEL:
                    nodes.append({"level": level, "idx": index, "hash": h})
            receipts.append(Receipt(size, event.event_id, at, leaf))
            size += 1
            due = signed_at is None or now - signed_at >= self.checkpoint_interval
            if due or size - signed_size >= self.checkpoint_every:
                notes.append(self._note(head.origin, size, frontier_root(frontier), now))
                signed_size, signed_at = size, now
        if not entries:
            return [], None
        head_now = {
            "size": size,
            "frontier": pack(frontier),
            "checkpoint_size": signed_size,
            "checkpoint_at": signed_at,
        }
        try:
            if raw:
                driver.write(raw, entries, nodes, notes, head_now, start, condition)
            else:
                _write(conn, entries, nodes, notes, head_now)
        except (IntegrityError, sqlite3.IntegrityError, psycopg.IntegrityError):
            raise InputError(DUPLICATE) from None
        metrics.decisions_recorded(checked)
        return receipts, driver.Head(head.origin, size, head_now["frontier"], signed_size, signed_at)

    def checkpoint(self, db: Executor, *, now: datetime | None = None) -> Checkpoint:
        """Sign the current tree now (on demand) unless the latest checkpoint already covers it."""
        now = now or self.clock()
        conn = connection(db)
        head = _lock_head(conn)
        if head.size == 0:
            raise InputError("the audit log is empty: there is nothing to sign yet")
        if head.size == head.checkpoint_size:
            latest = self.latest_checkpoint(conn)
            if latest is not None and latest.size == head.size:
                return latest
        row = self._note(head.origin, head.size, frontier_root(unpack(head.frontier)), now)
        conn.execute(INSERT_CHECKPOINT, row)
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(checkpoint_size=head.size, checkpoint_at=now))
        return Checkpoint(head.origin, head.size, row["root_hash"], row["note"])

    def _note(self, origin: str, size: int, root_hash: bytes, now: datetime) -> dict[str, Any]:
        cp = sign_checkpoint(origin, size, root_hash, self.key)
        return {"tree_size": size, "root_hash": root_hash, "created_at": now, "note": cp.note}

    def purge_before(self, db: Executor, cutoff: datetime, *, actor: str, now: datetime | None = None) -> int:
        """Drop the payloads of entries older than `cutoff`; refuse when any of them is within retention.

        The only deletion facegate offers (CN25-9c). Leaf hashes stay, so the tree and every checkpoint
        still verify; the purge itself is logged (operation `audit.purge`, `purged_before` = first kept
        index) and a checkpoint is signed. Returns the number of payloads dropped.
        """
        clock = self.clock()
        now = now or clock
        if now > clock + CLOCK_SKEW:
            raise RefusedError("a purge cannot be dated in the future", [RETENTION_RULE])
        limit = years_before(now, self.retention_years)
        if cutoff > limit:
            raise RefusedError(
                f"audit records younger than {self.retention_years} years cannot be deleted: "
                f"the cutoff must be at or before {limit.isoformat()}",
                [RETENTION_RULE],
            )
        conn = connection(db)
        head = _lock_head(conn)
        first_young = conn.execute(select(func.min(ENTRY.c.idx)).where(ENTRY.c.recorded_at >= cutoff)).scalar()
        cut = max(head.size if first_young is None else first_young, _purge_cut(conn, head.purge_event))
        dropped = conn.execute(
            update(ENTRY).where(ENTRY.c.idx < cut, ENTRY.c.payload.is_not(None)).values(payload=None)
        ).rowcount
        if not dropped:
            return 0
        receipt = self.append(
            conn,
            Event(
                actor=actor,
                operation=Op.AUDIT_PURGE,
                decision="allow",
                outcome="purged",
                rule_ids=[RETENTION_RULE],
                purged_before=cut,
                at=now,
            ),
            now=now,
        )
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(purge_event=receipt.index))
        self.checkpoint(conn, now=now)
        return dropped

    # ---- reading ----

    def sign_if_due(self, db: Executor, *, now: datetime | None = None) -> Checkpoint | None:
        """Sign the entries appended since the latest checkpoint once the checkpoint interval has passed.

        An append signs when the interval is up, so without this the last entries of a quiet log would wait,
        unsigned, for the next append; the server calls this on a schedule. None when nothing is due.
        """
        now = now or self.clock()
        head = _lock_head(connection(db))
        if head.size == head.checkpoint_size:
            return None
        if head.checkpoint_at is not None and now - head.checkpoint_at < self.checkpoint_interval:
            return None
        return self.checkpoint(db, now=now)

    def latest_checkpoint(self, db: Executor) -> Checkpoint | None:
        """The newest checkpoint, its signature checked; None when the log has none yet."""
        row = (
            connection(db)
            .execute(select(CHECKPOINT.c.note).order_by(CHECKPOINT.c.tree_size.desc(), CHECKPOINT.c.id.desc()).limit(1))
            .first()
        )
        if row is None:
            return None
        try:
            return open_checkpoint(row.note, self.key.public)
        except CheckpointError as exc:
            raise TamperedError(f"the latest checkpoint does not verify: {exc}") from None

    def prove(self, db: Executor, event_id: str) -> InclusionProof:
        """An inclusion proof of the event `event_id` against the latest checkpoint."""
        conn = connection(db)
        row = conn.execute(
            select(ENTRY.c.idx, ENTRY.c.payload, ENTRY.c.leaf_hash).where(ENTRY.c.event_id == event_id)
        ).first()
        if row is None:
            raise NotFoundError(f"no audit event {event_id!r}")
        cp = self.latest_checkpoint(conn)
        if cp is None or row.idx >= cp.size:
            raise InputError(
                f"entry #{row.idx} is newer than the latest checkpoint; sign one first (facegate audit checkpoint)"
            )
        proof = self._proof(StoredTree(conn, cp.size), row.idx, row.leaf_hash, cp)
        entry = json.loads(row.payload) if row.payload is not None else None
        return InclusionProof(row.idx, event_id, entry, row.leaf_hash, proof, cp)

    def _proof(self, tree: StoredTree, index: int, leaf: bytes, cp: Checkpoint) -> list[bytes]:
        try:
            proof = inclusion_proof(index, cp.size, tree.subtree)
        except MissingNodeError as exc:
            raise TamperedError(f"cannot prove entry #{index}: {exc}") from None
        if not verify_inclusion(index, cp.size, leaf, proof, cp.root):
            raise TamperedError(f"entry #{index} is not in the tree the latest checkpoint signed; run verify")
        return proof

    def recent(self, db: Executor, count: int = 50) -> tuple[int, list[dict[str, Any]]]:
        """The log's size and its newest `count` entries, newest first (entries whose payload was purged skipped)."""
        conn = connection(db)
        size = conn.execute(select(HEAD.c.size).where(HEAD.c.id == 1)).scalar_one()
        newest = select(ENTRY.c.payload).where(ENTRY.c.payload.is_not(None)).order_by(ENTRY.c.idx.desc()).limit(count)
        return size, [json.loads(payload) for (payload,) in conn.execute(newest)]

    def verify(self, db: Executor) -> VerifyReport:
        """Recompute the whole tree and check every checkpoint; the report names the first bad entry."""
        return verify(
            connection(db), self.key.public, checkpoint_every=self.checkpoint_every, witness=self.read_witness()
        )

    def export(self, db: Executor, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
        """JSON-ready lines: the entries recorded in [since, until), checkpoints and proofs to check them."""
        conn = connection(db)
        cp = self.latest_checkpoint(conn)
        if cp is None:
            raise InputError("the audit log has no checkpoint yet; sign one first (facegate audit checkpoint)")
        return export_lines(conn, cp, self.key.public, since, until)

    # ---- the witness: a copy of the latest checkpoint outside the database ----

    def save_witness(self, cp: Checkpoint) -> None:
        """Keep a copy of `cp` next to the key (not in the database), so truncation shows at verify."""
        if self.witness is None:
            return
        current = self.read_witness()
        if current is not None and note_size(current) > cp.size:
            return
        self.witness.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.witness.with_name(f".{self.witness.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # like every file in the data directory
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(cp.note)
        os.replace(tmp, self.witness)

    def read_witness(self) -> str | None:
        """The checkpoint note saved outside the database, if any."""
        if self.witness is None or not self.witness.exists():
            return None
        return self.witness.read_text()


def _lock_head(conn: Connection) -> Any:
    # The row lock (PostgreSQL) or the write lock taken at BEGIN IMMEDIATE (SQLite) keeps the log linear.
    return conn.execute(LOCK_HEAD).one()


def _write(
    conn: Connection,
    entries: list[dict[str, Any]],
    nodes: list[dict[str, Any]],
    notes: list[dict[str, Any]],
    head: dict[str, Any],
) -> None:
    conn.execute(INSERT_ENTRY, entries[0] if len(entries) == 1 else entries)
    if nodes:
        conn.execute(INSERT_NODE, nodes)
    if notes:
        conn.execute(INSERT_CHECKPOINT, notes[0] if len(notes) == 1 else notes)
    conn.execute(UPDATE_HEAD, head)


def _purge_cut(conn: Connection, purge_event: int | None) -> int:
    if purge_event is None:
        return 0
    payload = conn.execute(select(ENTRY.c.payload).where(ENTRY.c.idx == purge_event)).scalar()
    return json.loads(payload).get("purged_before", 0) if payload else 0
