"""Export of a time range as JSON lines: entries, the checkpoints around them and the proofs to check them.

Lines, in order: one `header`; `checkpoint` lines in increasing tree size (the last one before the range,
the first one after it, the latest); a `consistency` proof between each consecutive pair; then one `entry`
line per entry with its inclusion proof against the latest checkpoint. `standalone_verify.py` checks it.
"""

import base64
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from facegate.audit.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from facegate.audit.event import format_time
from facegate.audit.keys import VerifyingKey
from facegate.audit.merkle import consistency_proof, inclusion_proof
from facegate.audit.models import AuditCheckpoint, AuditEntry
from facegate.audit.tree import MissingNodeError, StoredTree
from facegate.errors import InputError, TamperedError

FORMAT = "facegate-audit-export/1"


def b64(data: bytes) -> str:
    """Standard base64 text."""
    return base64.b64encode(data).decode()


def export_lines(
    conn: Connection, latest: Checkpoint, key: VerifyingKey, since: datetime, until: datetime
) -> Iterator[dict[str, Any]]:
    """Yield the export's lines for entries recorded in [since, until) and covered by `latest`."""
    in_range = (AuditEntry.recorded_at >= since, AuditEntry.recorded_at < until, AuditEntry.idx < latest.size)
    first, last, count = conn.execute(
        select(func.min(AuditEntry.idx), func.max(AuditEntry.idx), func.count()).where(*in_range)
    ).one()
    checkpoints = _bracket(conn, latest, key, first, None if last is None else last + 1)
    tree = StoredTree(conn, latest.size)
    yield {
        "type": "header",
        "format": FORMAT,
        "origin": latest.origin,
        "since": format_time(since),
        "until": format_time(until),
        "entries": count,
        "checkpoints": len(checkpoints),
        "public_key": key.vkey(latest.origin),
    }
    for cp in checkpoints:
        yield {"type": "checkpoint", "tree_size": cp.size, "note": cp.note}
    try:
        for old, new in itertools.pairwise(checkpoints):
            proof = consistency_proof(old.size, new.size, tree.subtree)
            yield {"type": "consistency", "from": old.size, "to": new.size, "proof": [b64(h) for h in proof]}
        rows = conn.execution_options(yield_per=1000).execute(
            select(AuditEntry.idx, AuditEntry.payload, AuditEntry.leaf_hash).where(*in_range).order_by(AuditEntry.idx)
        )
        for idx, payload, leaf in rows:
            proof = inclusion_proof(idx, latest.size, tree.subtree)
            yield {
                "type": "entry",
                "index": idx,
                "entry": json.loads(payload) if payload is not None else None,
                "leaf_hash": b64(leaf),
                "tree_size": latest.size,
                "proof": [b64(h) for h in proof],
            }
    except MissingNodeError as exc:
        raise TamperedError(f"cannot export: {exc}; run facegate audit verify") from None


def _bracket(
    conn: Connection, latest: Checkpoint, key: VerifyingKey, first: int | None, end: int | None
) -> list[Checkpoint]:
    """The last checkpoint at or before the range, the first at or after its end, and the latest."""
    sizes = {latest.size}
    if first is not None and end is not None:
        before = conn.execute(
            select(AuditCheckpoint.tree_size).where(AuditCheckpoint.tree_size <= first, AuditCheckpoint.tree_size > 0)
            .order_by(AuditCheckpoint.tree_size.desc()).limit(1)
        ).scalar()
        after = conn.execute(
            select(AuditCheckpoint.tree_size).where(AuditCheckpoint.tree_size >= end)
            .order_by(AuditCheckpoint.tree_size).limit(1)
        ).scalar()
        sizes.update(s for s in (before, after) if s is not None and s <= latest.size)
    notes = []
    for size in sorted(sizes):
        if size == latest.size:
            notes.append(latest)
            continue
        note = conn.execute(
            select(AuditCheckpoint.note).where(AuditCheckpoint.tree_size == size).order_by(AuditCheckpoint.id).limit(1)
        ).scalar_one()
        try:
            notes.append(open_checkpoint(note, key))
        except CheckpointError as exc:
            raise TamperedError(f"the checkpoint at size {size} does not verify: {exc}") from None
    return notes


def time_range(since: str, until: str) -> tuple[datetime, datetime]:
    """Parse --since/--until: dates cover whole UTC days (until inclusive); datetimes give [since, until)."""
    start, end = _bound(since, "since"), _bound(until, "until")
    if end <= start:
        raise InputError(f"--until ({until}) must come after --since ({since})")
    return start, end


# Bounds a time range may name: every entry of any log lies between them, and both print as ISO 8601.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _bound(text: str, name: str) -> datetime:
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            moment = day + timedelta(days=1) if name == "until" else day
        else:
            moment = datetime.fromisoformat(text)
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        if not EARLIEST <= moment <= LATEST:
            raise OverflowError
    except ValueError:
        raise InputError(f"--{name}: {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None
    except OverflowError:
        raise InputError(f"--{name}: {text!r} is outside 1970-01-01 to 9998-12-31") from None
    return moment
