"""Verification of the stored log: recompute the tree from every entry, check every checkpoint's signature
and its consistency with the next, and name the first entry that was altered, deleted, inserted or moved."""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from facegate.audit.checkpoint import CheckpointError, note_size, open_checkpoint
from facegate.audit.keys import VerifyingKey
from facegate.audit.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    frontier_ranges,
    frontier_root,
    pack,
    root,
    verify_consistency,
)
from facegate.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditNode
from facegate.audit.tree import NODE_LEVEL
from facegate.events import Op
from facegate.wording import count

STREAM_BATCH = 20_000


@dataclass(frozen=True)
class Problem:
    """The first thing found wrong: its kind, the first entry concerned and a sentence for people."""

    kind: str  # altered | deleted | moved | inserted | truncated | forged | unsigned
    index: int | None
    message: str


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of `verify`: entries and checkpoints checked, and the first problem if any."""

    size: int
    checkpoints: int
    latest_checkpoint: int
    purged: int
    problem: Problem | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was found wrong."""
        return self.problem is None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {"ok": self.ok, **asdict(self)}

    def summary(self) -> str:
        """One line for people."""
        if self.problem is not None:
            return f"TAMPERED: {self.problem.message}"
        return (
            f"audit log OK: {count(self.size, 'entry', 'entries')}, "
            f"{count(self.checkpoints, 'signed checkpoint')} verified, "
            f"the latest covering {count(self.latest_checkpoint, 'entry', 'entries')}"
        )


class _Found(Exception):
    def __init__(self, kind: str, index: int | None, message: str) -> None:
        super().__init__(message)
        self.problem = Problem(kind, index, message)


class _Stored(NamedTuple):
    size: int
    root: bytes | None  # the row's column (None for the witness file)
    note: str
    source: str


def verify(
    conn: Connection, key: VerifyingKey, *, checkpoint_every: int, witness: str | None = None
) -> VerifyReport:
    """Check the log stored behind `conn` against `key`; never raises for tampering, reports it."""
    run = _Run(conn, key, checkpoint_every, witness)
    try:
        run.entries()
        run.ending()
    except _Found as found:
        return run.report(found.problem)
    return run.report(None)


class _Run:
    """One verification pass, streaming entries in index order."""

    def __init__(self, conn: Connection, key: VerifyingKey, every: int, witness: str | None) -> None:
        self.conn, self.key, self.every = conn, key, every
        self.head = conn.execute(select(AuditHead.__table__).where(AuditHead.id == 1)).one()
        self.checkpoints = [
            _Stored(r.tree_size, r.root_hash, r.note, f"checkpoint {r.id}")
            for r in conn.execute(
                select(AuditCheckpoint.__table__).order_by(AuditCheckpoint.tree_size, AuditCheckpoint.id)
            )
        ]
        if witness is not None:
            self.checkpoints.append(_Stored(note_size(witness), None, witness, "the witness copy"))
            self.checkpoints.sort(key=lambda c: c.size)
        self.nodes = {
            (r.level, r.idx): r.hash for r in conn.execute(select(AuditNode.__table__))
        }
        self.size = 0
        self.frontier: list[bytes] = []
        self.good_size, self.good_root = 0, EMPTY_ROOT
        self.good_nodes: dict[tuple[int, int], bytes] = {}
        self.since_good: list[bytes] = []  # leaf hashes after the last good checkpoint
        self.verified = 0
        self.purged = 0
        self.next_checkpoint = 0

    def report(self, problem: Problem | None) -> VerifyReport:
        """The report of this pass, ending with `problem` (None when all is well)."""
        return VerifyReport(self.size, self.verified, self.good_size, self.purged, problem)

    def entries(self) -> None:
        """Stream every entry in index order: hashes, positions, stored nodes, checkpoints on the way."""
        cut = self._purge_cut()
        sha = hashlib.sha256
        nodes, frontier, since_good = self.nodes, self.frontier, self.since_good
        self._checkpoints_at(0)
        rows = self.conn.execution_options(yield_per=STREAM_BATCH).execute(
            select(AuditEntry.idx, AuditEntry.event_id, AuditEntry.recorded_at, AuditEntry.payload,
                   AuditEntry.leaf_hash).order_by(AuditEntry.idx)
        )
        try:
            checkpoints = self.checkpoints
            for expected, (idx, event_id, recorded_at, payload, stored) in enumerate(rows):
                if idx != expected:
                    raise _Found("deleted", expected, f"entry #{expected} is missing: it was deleted")
                if payload is None:
                    if idx >= cut:
                        raise _Found("deleted", idx, f"the content of entry #{idx} was removed outside a purge")
                    leaf = stored
                    self.purged += 1
                else:
                    leaf = sha(b"\x00" + payload.encode()).digest()
                    if leaf != stored:
                        raise _Found("altered", idx, f"entry #{idx} ({event_id}) was altered: "
                                     "its content no longer matches its leaf hash")
                    self._check_payload(idx, event_id, recorded_at, payload)
                h, n, level = leaf, idx, 0
                while n & 1:
                    h = sha(b"\x01" + frontier.pop() + h).digest()
                    level += 1
                    n >>= 1
                    if level >= NODE_LEVEL:
                        index = ((idx + 1) >> level) - 1
                        if nodes.pop((level, index), None) != h:
                            first = index << level
                            raise _Found("altered", first, f"the stored tree node over entries #{first}–#{idx} "
                                         "does not match them: it was altered or removed")
                frontier.append(h)
                since_good.append(leaf)
                self.size = idx + 1
                if self.next_checkpoint < len(checkpoints) and checkpoints[self.next_checkpoint].size <= idx + 1:
                    self._checkpoints_at(idx + 1)
        finally:
            rows.close()  # a server-side cursor (PostgreSQL) must not outlive an early stop

    def _check_payload(self, idx: int, event_id: str, recorded_at: datetime, payload: str) -> None:
        try:
            entry = json.loads(payload)
            moved_from = entry["index"]
            same = entry["event_id"] == event_id and datetime.fromisoformat(entry["at"]) == recorded_at
        except (ValueError, KeyError, TypeError):
            raise _Found("altered", idx, f"entry #{idx} is not a well-formed entry") from None
        if moved_from != idx:
            raise _Found("moved", idx, f"entry #{idx} holds the content of entry #{moved_from}: "
                         "entries were deleted, inserted or reordered here")
        if not same:
            raise _Found("altered", idx, f"entry #{idx} was altered: its event ID or time column was changed")

    def _checkpoints_at(self, size: int) -> None:
        while self.next_checkpoint < len(self.checkpoints) and self.checkpoints[self.next_checkpoint].size <= size:
            self._check(self.checkpoints[self.next_checkpoint])
            self.next_checkpoint += 1

    def _open(self, stored: _Stored) -> bytes:
        first = self.good_size
        try:
            cp = open_checkpoint(stored.note, self.key)
        except CheckpointError as exc:
            raise _Found("forged", first, f"{stored.source} (size {stored.size}) is not signed by this log's key "
                         f"({exc}): entries from #{first} are not covered by a valid signature") from None
        if cp.origin != self.head.origin:
            raise _Found("forged", first, f"{stored.source} was signed for another log ({cp.origin})")
        if cp.size != stored.size or (stored.root is not None and stored.root != cp.root):
            raise _Found("forged", first, f"{stored.source}: its stored size or root differs from its signed note")
        return cp.root

    def _check(self, stored: _Stored) -> None:
        signed_root = self._open(stored)
        size, first = stored.size, self.good_size
        if signed_root != frontier_root(self.frontier):
            raise _Found("altered", first, f"entries #{first}–#{size - 1} do not hash to the root signed at "
                         f"size {size}: one of them was altered, inserted, deleted or moved")
        if first:
            proof = consistency_proof(first, size, self._old_or_new)
            if not verify_consistency(first, size, self.good_root, signed_root, proof):
                raise _Found("altered", first, f"the checkpoint at size {size} is not consistent with the one "
                             f"at size {first}")
        self.good_size, self.good_root = size, signed_root
        self.good_nodes = dict(zip(frontier_ranges(size), self.frontier, strict=True))
        self.since_good.clear()
        self.verified += 1

    def _old_or_new(self, start: int, end: int) -> bytes:
        # Consistency proof nodes lie wholly in the old tree (then they are frontier nodes of it) or
        # wholly after it (then they are hashed from the leaves seen since).
        if end <= self.good_size:
            return self.good_nodes[(start, end)]
        return root(self.since_good[start - self.good_size : end - self.good_size])

    def ending(self) -> None:
        """After the last entry: nothing signed or counted beyond it, head and nodes match, tail signed."""
        size = self.size
        for stored in self.checkpoints[self.next_checkpoint :]:
            self._open(stored)
            raise _Found("truncated", size, f"the log ends at entry #{size - 1}, but {stored.source} signed "
                         f"{stored.size} entries: entries #{size}–#{stored.size - 1} were removed")
        head = self.head
        if head.size > size:
            raise _Found("truncated", size, f"the log head counts {head.size} entries but only #0–#{size - 1} "
                         f"are stored: entries from #{size} were removed")
        if head.size < size:
            raise _Found("inserted", head.size, f"entries from #{head.size} are not in the log head: "
                         "they were written outside facegate")
        if head.frontier != pack(self.frontier):
            raise _Found("altered", None, "the log head's tree state does not match the entries")
        if self.nodes:
            level, index = min(self.nodes, key=lambda k: k[1] << k[0])
            raise _Found("inserted", index << level, f"a stored tree node at level {level}, index {index} "
                         "covers entries that do not exist")
        if size - self.good_size > self.every:
            raise _Found("unsigned", self.good_size, f"entries #{self.good_size}–#{size - 1} are not covered "
                         f"by any signed checkpoint, though one is signed every {self.every} entries: "
                         "checkpoints were removed or the log was rebuilt")

    def _purge_cut(self) -> int:
        idx = self.head.purge_event
        if idx is None:
            return 0
        row = self.conn.execute(
            select(AuditEntry.payload, AuditEntry.leaf_hash).where(AuditEntry.idx == idx)
        ).first()
        cut: int | None = None
        payload = row.payload if row is not None else None
        if (
            row is not None
            and payload is not None
            and hashlib.sha256(b"\x00" + payload.encode()).digest() == row.leaf_hash
        ):
            entry = json.loads(payload)
            if entry.get("operation") == Op.AUDIT_PURGE and isinstance(entry.get("purged_before"), int):
                cut = entry["purged_before"]
        if cut is None:
            raise _Found("altered", idx, f"entry #{idx}, the record of the latest purge, was altered or removed")
        return cut
