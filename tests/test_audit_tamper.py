"""Tampering with the stored log is detected, and the report names the first entry concerned."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from facegate.audit import AuditLog, Event, SigningKey, VerifyReport, merkle
from facegate.audit.event import canonical
from facegate.events import Op
from facegate.store import Database

SIZE = 100
EVERY = 16


def event(i: int) -> Event:
    return Event(actor="api_key:k1", operation=Op.VERIFY, decision="allow" if i % 3 else "refuse",
                 outcome="match" if i % 3 else "refused", deployment="hq-lobby", purpose="access_control",
                 rule_ids=["CN25-4b"], request_id=f"req-{i}")  # fmt: skip


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    return AuditLog.for_home(tmp_path / "home", checkpoint_every=EVERY)


@pytest.fixture
def filled(database: Database, log: AuditLog) -> Database:
    """A log of SIZE entries appended one transaction each, plus a final on-demand checkpoint."""
    for i in range(SIZE):
        with database.session() as s:
            log.append(s, event(i))
    with database.session() as s:
        log.save_witness(log.checkpoint(s))
    return database


def verify(db: Database, log: AuditLog) -> VerifyReport:
    with db.session(readonly=True) as s:
        return log.verify(s)


def tamper(db: Database, change: Callable[[Connection], None]) -> None:
    with db.begin() as conn:
        change(conn)


def row(conn: Connection, idx: int) -> dict:
    return dict(conn.execute(text("SELECT * FROM audit_entry WHERE idx = :i"), {"i": idx}).one()._mapping)


def set_row(conn: Connection, idx: int, **values: object) -> None:
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    conn.execute(text(f"UPDATE audit_entry SET {assignments} WHERE idx = :idx"), {"idx": idx, **values})


def checkpoint_sizes(db: Database) -> list[int]:
    with db.session(readonly=True) as s:
        return s.execute(text("SELECT tree_size FROM audit_checkpoint ORDER BY tree_size")).scalars().all()


def assert_problem(report: VerifyReport, kind: str, index: int) -> None:
    assert not report.ok, "tampering went unnoticed"
    assert report.problem is not None
    assert (report.problem.kind, report.problem.index) == (kind, index), report.problem.message
    assert f"#{index}" in report.problem.message


def test_an_untouched_log_verifies(filled: Database, log: AuditLog) -> None:
    report = verify(filled, log)
    assert report.ok, report.problem
    assert report.size == SIZE and report.latest_checkpoint == SIZE
    assert report.checkpoints == len(checkpoint_sizes(filled)) + 1  # every row, and the witness copy
    assert "OK" in report.summary()


@pytest.mark.parametrize("idx", [0, 1, 37, SIZE - 1])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_one_byte_changed_in_an_entry(filled: Database, log: AuditLog, idx: int, where: str) -> None:
    def flip(conn: Connection) -> None:
        payload = bytearray(row(conn, idx)["payload"].encode())
        at = {"first": 0, "middle": len(payload) // 2, "last": len(payload) - 1}[where]
        payload[at] ^= 0x01
        set_row(conn, idx, payload=payload.decode())

    tamper(filled, flip)
    assert_problem(verify(filled, log), "altered", idx)


@pytest.mark.parametrize("column", ["leaf_hash", "event_id", "recorded_at"])
def test_one_byte_changed_in_another_column(filled: Database, log: AuditLog, column: str) -> None:
    def flip(conn: Connection) -> None:
        value = row(conn, 42)[column]
        if column == "leaf_hash":
            changed: object = bytes([value[0] ^ 0x01]) + value[1:]
        elif column == "event_id":
            changed = ("0" if value[0] != "0" else "1") + value[1:]
        elif isinstance(value, str):  # SQLite keeps datetimes as text
            changed = value[:-1] + ("0" if value[-1] != "0" else "1")
        else:
            changed = value.replace(microsecond=(value.microsecond + 1) % 1_000_000)
        set_row(conn, 42, **{column: changed})

    tamper(filled, flip)
    assert_problem(verify(filled, log), "altered", 42)


def test_an_entry_rewritten_with_a_matching_leaf_hash(filled: Database, log: AuditLog) -> None:
    """Without the signing key the rewrite still misses the signed root; the report names the range."""

    def rewrite(conn: Connection) -> None:
        entry = json.loads(row(conn, 50)["payload"])
        entry["decision"] = "allow" if entry["decision"] == "refuse" else "refuse"
        payload = canonical(entry)
        set_row(conn, 50, payload=payload.decode(), leaf_hash=merkle.leaf_hash(payload))

    tamper(filled, rewrite)
    first = max(s for s in checkpoint_sizes(filled) if s <= 50)
    report = verify(filled, log)
    assert_problem(report, "altered", first)
    assert first <= 50 < first + EVERY


def test_a_deleted_entry(filled: Database, log: AuditLog) -> None:
    tamper(filled, lambda conn: conn.execute(text("DELETE FROM audit_entry WHERE idx = 60")))
    assert_problem(verify(filled, log), "deleted", 60)


def test_a_deleted_entry_with_the_rest_renumbered(filled: Database, log: AuditLog) -> None:
    def delete_and_close_the_gap(conn: Connection) -> None:
        conn.execute(text("DELETE FROM audit_entry WHERE idx = 60"))
        for idx in range(61, SIZE):
            conn.execute(text("UPDATE audit_entry SET idx = :new WHERE idx = :old"), {"new": idx - 1, "old": idx})

    tamper(filled, delete_and_close_the_gap)
    assert_problem(verify(filled, log), "moved", 60)


def test_two_entries_swapped(filled: Database, log: AuditLog) -> None:
    def swap(conn: Connection) -> None:
        a, b = row(conn, 20), row(conn, 70)
        set_row(conn, 70, event_id="swap-in-progress")
        set_row(conn, 20, **{k: v for k, v in b.items() if k != "idx"})
        set_row(conn, 70, **{k: v for k, v in a.items() if k != "idx"})

    tamper(filled, swap)
    assert_problem(verify(filled, log), "moved", 20)


def test_an_entry_inserted(filled: Database, log: AuditLog) -> None:
    def insert_copy(conn: Connection) -> None:
        copy = row(conn, 5)
        for idx in range(SIZE - 1, 29, -1):
            conn.execute(text("UPDATE audit_entry SET idx = :new WHERE idx = :old"), {"new": idx + 1, "old": idx})
        conn.execute(
            text("INSERT INTO audit_entry (idx, event_id, recorded_at, payload, leaf_hash) "
                 "VALUES (30, 'forged', :recorded_at, :payload, :leaf_hash)"),
            {k: copy[k] for k in ("recorded_at", "payload", "leaf_hash")},
        )  # fmt: skip

    tamper(filled, insert_copy)
    assert_problem(verify(filled, log), "moved", 30)


def test_a_truncated_tail(filled: Database, log: AuditLog) -> None:
    tamper(filled, lambda conn: conn.execute(text("DELETE FROM audit_entry WHERE idx >= 95")))
    assert_problem(verify(filled, log), "truncated", 95)


def test_a_truncated_tail_with_head_and_checkpoints_rewound(filled: Database, log: AuditLog) -> None:
    """The attacker also rewinds the log head and drops the checkpoints past the cut: the witness copy
    of the latest checkpoint, kept outside the database, still shows the entries are gone."""

    def rewind(conn: Connection) -> None:
        leaves = conn.execute(text("SELECT leaf_hash FROM audit_entry WHERE idx < 90 ORDER BY idx")).scalars().all()
        frontier: list[bytes] = []
        for size, leaf in enumerate(leaves):
            merkle.frontier_push(frontier, size, leaf)
        conn.execute(text("DELETE FROM audit_entry WHERE idx >= 90"))
        conn.execute(text("DELETE FROM audit_checkpoint WHERE tree_size > 90"))
        conn.execute(text("UPDATE audit_head SET size = 90, frontier = :f"), {"f": merkle.pack(frontier)})

    tamper(filled, rewind)
    report = verify(filled, log)
    assert_problem(report, "truncated", 90)
    assert "witness" in report.problem.message


def test_the_whole_log_rebuilt_without_the_signing_key(filled: Database, log: AuditLog, tmp_path: Path) -> None:
    """Every table rewritten consistently (one decision changed), checkpoints signed with another key."""
    with filled.session(readonly=True) as s:
        payloads = s.execute(text("SELECT payload FROM audit_entry ORDER BY idx")).scalars().all()
    events = []
    for payload in payloads:
        entry = json.loads(payload)
        fields = {k: v for k, v in entry.items() if k not in ("v", "index", "at", "purged_before")}
        events.append(Event(**{**fields, "operation": Op(fields["operation"])}))
    events[7] = events[7].model_copy(update={"decision": "allow", "outcome": "match"})

    def wipe(conn: Connection) -> None:
        for table in ("audit_entry", "audit_node", "audit_checkpoint"):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("UPDATE audit_head SET size = 0, frontier = :e, checkpoint_size = 0, checkpoint_at = NULL"),
                     {"e": b""})  # fmt: skip

    tamper(filled, wipe)
    forger = AuditLog(SigningKey.generate(), checkpoint_every=EVERY)
    for e in events:
        with filled.session() as s:
            forger.append(s, e)
    with filled.session(readonly=True) as s:
        assert forger.verify(s).ok  # consistent in itself...
    no_witness = AuditLog(log.key, checkpoint_every=EVERY)
    assert_problem(verify(filled, no_witness), "forged", 0)  # ...but not signed by this log's key
    assert "not signed by this log's key" in verify(filled, no_witness).problem.message


def test_the_whole_log_rebuilt_without_any_checkpoint(filled: Database, log: AuditLog) -> None:
    tamper(filled, lambda conn: conn.execute(text("DELETE FROM audit_checkpoint")))
    no_witness = AuditLog(log.key, checkpoint_every=EVERY)
    assert_problem(verify(filled, no_witness), "unsigned", 0)


def test_a_checkpoint_note_altered(filled: Database, log: AuditLog) -> None:
    def alter(conn: Connection) -> None:
        note = conn.execute(text("SELECT note FROM audit_checkpoint WHERE tree_size = 33")).scalar_one()
        origin, _size, root, rest = note.split("\n", 3)
        conn.execute(text("UPDATE audit_checkpoint SET note = :n WHERE tree_size = 33"),
                     {"n": "\n".join([origin, "34", root, rest])})  # fmt: skip

    tamper(filled, alter)
    assert_problem(verify(filled, log), "forged", 17)


def test_a_stored_tree_node_altered(database: Database, log: AuditLog) -> None:
    with database.session() as s:
        log.append_many(s, [event(i) for i in range(300)])
    tamper(database, lambda conn: conn.execute(text("UPDATE audit_node SET hash = :h WHERE level = 8 AND idx = 0"),
                                               {"h": b"\x00" * 32}))  # fmt: skip
    assert_problem(verify(database, log), "altered", 0)
