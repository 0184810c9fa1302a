"""A device's incremental check of its own log: new entries against the last verified checkpoint, O(log n) more."""

import random
from pathlib import Path

import pytest
from sqlalchemy import text

from facegate.audit import AuditLog, Event
from facegate.audit.incremental import spot_check, verify_extension
from facegate.audit.tree import StoredTree
from facegate.events import Op
from facegate.store import Database


def event(i: int) -> Event:
    return Event(actor="api_key:k1", operation=Op.VERIFY, decision="allow", outcome="match",
                 deployment="hq-lobby", request_id=f"req-{i}")  # fmt: skip


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    return AuditLog.for_home(tmp_path / "home", checkpoint_every=64)


def fill(db: Database, log: AuditLog, start: int, end: int) -> None:
    with db.session() as s:
        log.append_many(s, [event(i) for i in range(start, end)])


def root_at(db: Database, size: int) -> bytes:
    with db.begin() as conn:
        return StoredTree(conn, size).subtree(0, size)


def check(db: Database, start: int, root: bytes, end: int) -> tuple[str, bytes]:
    with db.begin() as conn:
        return verify_extension(conn, start, root, end)


def test_new_entries_extending_the_verified_checkpoint_pass(database: Database, log: AuditLog) -> None:
    fill(database, log, 0, 300)
    verified = root_at(database, 300)
    fill(database, log, 300, 520)
    problem, root = check(database, 300, verified, 520)
    assert problem == "" and root == root_at(database, 520)
    assert check(database, 520, root, 520) == ("", root)


def test_an_edited_new_entry_is_found(database: Database, log: AuditLog) -> None:
    fill(database, log, 0, 200)
    verified = root_at(database, 200)
    fill(database, log, 200, 260)
    with database.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET payload = replace(payload, 'req-230', 'req-999') WHERE idx = 230"))
    problem, _ = check(database, 200, verified, 260)
    assert "entry #230" in problem and "edited" in problem


def test_history_rewritten_under_the_checkpoint_fails_the_consistency_proof(database: Database, log: AuditLog) -> None:
    fill(database, log, 0, 200)
    honest = root_at(database, 150)
    fill(database, log, 200, 210)
    forged = bytes(32)  # the checkpoint the device had verified is not what the stored tree now extends
    problem, _ = check(database, 150, forged, 210)
    assert "does not extend" in problem
    assert check(database, 150, honest, 210)[0] == ""
    assert "shrank" in check(database, 210, honest, 150)[0]


def test_a_spot_check_finds_an_old_edit_among_the_entries_it_picks(database: Database, log: AuditLog) -> None:
    fill(database, log, 0, 100)
    with database.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET payload = replace(payload, 'req-42', 'req-24') WHERE idx = 42"))
        assert (
            spot_check(conn, 100, 100, random.Random(1)) == "entry #42 does not hash to its stored leaf: it was edited"
        )
        assert spot_check(conn, 42, 42, random.Random(1)) == ""
