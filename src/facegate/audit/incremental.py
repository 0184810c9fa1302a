"""Checking only what was appended since a verified checkpoint, so the cost does not grow with the log's length.

`verify_extension` rehashes the new entries against their stored leaf hashes and checks, by a consistency proof
built from the stored tree, that the log at its new size extends the verified one (RFC 9162 §2.1.4): the new
entries plus O(log n) stored nodes. Edits to older entries are what the full `verify` finds; `spot_check` rehashes
a few old entries picked at random on each call, so such an edit is found over time without a full pass.
"""

import json
import random

from sqlalchemy import Connection, select

from facegate.audit.merkle import EMPTY_ROOT, consistency_proof, leaf_hash, verify_consistency
from facegate.audit.models import AuditEntry
from facegate.audit.tree import MissingNodeError, StoredTree


def verify_extension(conn: Connection, start: int, start_root: bytes, end: int) -> tuple[str, bytes]:
    """Check the stored entries [start, end) against the verified checkpoint (start, start_root): the problem
    ('' when none) and the root at `end`."""
    if end < start:
        return f"the log shrank from {start} to {end} entries since it was last verified", b""
    rows = conn.execute(
        select(AuditEntry.idx, AuditEntry.payload, AuditEntry.leaf_hash)
        .where(AuditEntry.idx >= start, AuditEntry.idx < end)
        .order_by(AuditEntry.idx)
    ).all()
    if [r.idx for r in rows] != list(range(start, end)):
        return f"entries between #{start} and #{end - 1} are missing", b""
    for idx, payload, stored in rows:
        problem = _entry_problem(idx, payload, stored)
        if problem:
            return problem, b""
    if end == 0:
        return "", EMPTY_ROOT
    tree = StoredTree(conn, end)
    try:
        root = tree.subtree(0, end)
        if start and start < end:
            proof = consistency_proof(start, end, tree.subtree)
            if not verify_consistency(start, end, start_root, root, proof):
                return f"the log at {end} entries does not extend the one verified at {start}: it was rewritten", b""
        elif start == end and root != start_root:
            return f"the log at {end} entries has another root than when it was verified", b""
    except MissingNodeError as exc:
        return str(exc), b""
    return "", root


def spot_check(conn: Connection, below: int, count: int, rng: random.Random | None = None) -> str:
    """Rehash `count` entries below index `below` picked at random; the first problem found, or ''."""
    if below <= 0 or count <= 0:
        return ""
    picks = sorted((rng or random.SystemRandom()).sample(range(below), min(count, below)))
    rows = conn.execute(
        select(AuditEntry.idx, AuditEntry.payload, AuditEntry.leaf_hash).where(AuditEntry.idx.in_(picks))
    ).all()
    if len(rows) != len(picks):
        return "entries picked for a spot check are missing: the log was cut"
    for idx, payload, stored in rows:
        if payload is None:
            continue  # purged by retention: only its leaf hash is kept
        problem = _entry_problem(idx, payload, stored)
        if problem:
            return problem
    return ""


def _entry_problem(idx: int, payload: str | None, stored: bytes) -> str:
    if payload is None:
        return f"entry #{idx} has no payload"
    if leaf_hash(payload.encode()) != stored:
        return f"entry #{idx} does not hash to its stored leaf: it was edited"
    try:
        index = json.loads(payload).get("index")
    except ValueError:
        return f"entry #{idx} is not JSON"
    if index != idx:
        return f"entry #{idx} names index {index}: it was moved"
    return ""
