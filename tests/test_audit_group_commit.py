"""Group commit: concurrent audit-only appends share a transaction, each caller returns after its own commit, and
a process killed with SIGKILL mid-load loses no acknowledged entry (SQLite and PostgreSQL)."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from facegate.audit import AuditLog, Event
from facegate.audit.driver import Condition
from facegate.audit.group import CHECK_FAILED, GroupCommit
from facegate.clock import utc_now
from facegate.errors import InputError
from facegate.events import Op
from facegate.store import Database, Statements

ROOT = Path(__file__).resolve().parents[1]
ACKS_BEFORE_KILL = 400


def refusal(event_id: str) -> Event:
    return Event(actor="api_key:k1", operation=Op.VERIFY, decision="refuse", outcome="refused",
                 rule_ids=["CN25-6e"], event_id=event_id)  # fmt: skip


def test_waiting_appends_share_one_transaction(database_url: str, tmp_path: Path) -> None:
    db = Database.open(database_url)
    log = AuditLog.for_home(tmp_path / "home")
    group = GroupCommit(db, log, utc_now)
    transactions = []
    waiting = threading.Event()

    def first_check(conn: Statements) -> bool:
        # The first batch holds the lead until the six others are queued behind it: they must share the next one.
        transactions.append("first")
        waiting.wait(timeout=60)
        return True

    def later_check(conn: Statements) -> bool:
        transactions.append("later")
        return True

    def skipped(conn: Statements) -> bool:
        return False

    results: dict[str, object] = {}

    def run(event_id: str, check) -> None:  # type: ignore[no-untyped-def]
        try:
            results[event_id] = group.append(refusal(event_id), check)
        except InputError as exc:
            results[event_id] = exc

    group.append(refusal("dup"))
    leader = threading.Thread(target=run, args=("e0", first_check))
    leader.start()
    while not transactions:
        threading.Event().wait(0.01)
    ids = ["e1", "e2", "e3", "dup", "skip", "e4"]
    others = [threading.Thread(target=run, args=(i, skipped if i == "skip" else later_check)) for i in ids]
    for thread in others:
        thread.start()
    while len(group._queue) < len(ids):
        threading.Event().wait(0.01)
    waiting.set()
    for thread in [leader, *others]:
        thread.join(timeout=60)

    assert transactions[:6] == ["first", "later", "later", "later", "later", "later"]  # e1-e4 and dup: one batch
    assert isinstance(results["dup"], InputError)  # a duplicate fails alone; its batch was retried one by one
    assert results["skip"] is None
    receipts = [results[i] for i in ("e0", "e1", "e2", "e3", "e4")]
    assert [r.event_id for r in receipts] == ["e0", "e1", "e2", "e3", "e4"]  # type: ignore[union-attr]
    with db.session(readonly=True) as s:
        stored = s.execute(text("SELECT event_id FROM audit_entry ORDER BY idx")).scalars().all()
        assert log.verify(s).ok
    assert sorted(stored) == ["dup", "e0", "e1", "e2", "e3", "e4"]
    db.dispose()


def test_appends_of_another_writer_between_batches_keep_the_log_whole(database_url: str, tmp_path: Path) -> None:
    # On PostgreSQL a batch writes from the head the last one left while nobody else wrote in between; another
    # process's appends and checkpoint must make it read the head again, never overwrite theirs.
    db = Database.open(database_url)
    log = AuditLog.for_home(tmp_path / "home")
    group, other = GroupCommit(db, log, utc_now), Database.open(database_url)
    expected = []
    for round_ in range(4):
        for i in range(3):  # the second and third write from the head the first left
            expected.append(f"g{round_}-{i}")
            assert group.append(refusal(expected[-1])).index == len(expected) - 1  # type: ignore[union-attr]
        with other.session() as s:
            expected.append(f"other{round_}")
            log.append(s, refusal(expected[-1]))
            if round_ == 2:
                log.checkpoint(s)  # moves only the head's checkpoint columns
    with db.session(readonly=True) as s:
        stored = s.execute(text("SELECT event_id FROM audit_entry ORDER BY idx")).scalars().all()
        assert log.verify(s).ok
    assert stored == expected
    other.dispose()
    db.dispose()


def test_a_check_that_fails_in_the_transaction_records_nothing(database_url: str, tmp_path: Path) -> None:
    db = Database.open(database_url)
    log = AuditLog.for_home(tmp_path / "home")
    group = GroupCommit(db, log, utc_now)

    def failing(conn: Statements) -> bool:
        # As a check on PostgreSQL's pipeline does: a statement that fails the transaction, its answer not awaited
        if isinstance(conn, psycopg.Connection):
            conn.execute(f"SELECT ('{CHECK_FAILED} ' || count(*))::int FROM audit_head")
            return True
        return False

    for i in range(3):  # the last ones write from the head the first left, in one round trip
        group.append(refusal(f"e{i}"))
    assert group.append(refusal("checked"), failing) is None
    assert group.append(refusal("e3")).index == 3  # type: ignore[union-attr]
    with db.session(readonly=True) as s:
        stored = s.execute(text("SELECT event_id FROM audit_entry ORDER BY idx")).scalars().all()
        assert log.verify(s).ok
    assert stored == ["e0", "e1", "e2", "e3"]
    db.dispose()


class Revision:
    """A check that is also a SQL condition (group.Conditional), as the verification's re-check is: the audit head's
    checkpoint size must still be `expected`."""

    def __init__(self, expected: int) -> None:
        self.expected = expected

    def __call__(self, conn: Statements) -> bool:
        if isinstance(conn, psycopg.Connection):  # the pipelined form: fail the transaction, answer not awaited
            conn.execute(self.condition().sql.replace("%b", "%s"), self.condition().params)
            return True
        return bool(conn.execute("SELECT checkpoint_size FROM audit_head").fetchone()[0] == self.expected)

    def condition(self) -> Condition:
        return Condition(
            f"(SELECT CASE WHEN checkpoint_size = %b THEN 1 ELSE ('{CHECK_FAILED} ' || checkpoint_size)::int END"
            " FROM audit_head h0 WHERE h0.id = 1) = 1",
            (self.expected,),
        )


def test_a_check_said_as_a_condition_of_the_write_records_only_when_it_holds(
    database_url: str, tmp_path: Path
) -> None:
    db = Database.open(database_url)
    log = AuditLog.for_home(tmp_path / "home")
    group = GroupCommit(db, log, utc_now)
    for i in range(3):  # then a lone event's check travels inside its write, one statement on PostgreSQL
        group.append(refusal(f"e{i}"))
    with db.session(readonly=True) as s:
        signed = s.execute(text("SELECT checkpoint_size FROM audit_head")).scalar_one()
    assert group.append(refusal("moved"), Revision(signed + 1)) is None
    assert group.append(refusal("kept"), Revision(signed)).index == 3  # type: ignore[union-attr]
    with db.session(readonly=True) as s:
        stored = s.execute(text("SELECT event_id FROM audit_entry ORDER BY idx")).scalars().all()
        assert log.verify(s).ok
    assert stored == ["e0", "e1", "e2", "kept"]
    db.dispose()


@pytest.mark.slow
def test_sigkill_under_load_loses_no_acknowledged_append(database_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    AuditLog.for_home(home)
    Database.open(database_url).dispose()  # migrated before the child starts
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "audit_appender.py"), database_url, str(home)],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert child.stdout is not None
    acked = []
    for line in child.stdout:
        acked.append(line.split()[1])
        if len(acked) == ACKS_BEFORE_KILL:
            break
    os.killpg(child.pid, signal.SIGKILL)
    acked += [line.split()[1] for line in child.stdout if line.startswith("ack ")]  # printed before the kill
    child.wait()
    assert child.returncode == -signal.SIGKILL and len(acked) >= ACKS_BEFORE_KILL

    db = Database.open(database_url)
    with db.session(readonly=True) as s:
        stored = set(s.execute(text("SELECT event_id FROM audit_entry")).scalars())
    db.dispose()
    assert set(acked) <= stored  # every acknowledged append committed
    env = {**os.environ, "FACEGATE_HOME": str(home), "FACEGATE_DATABASE_URL": database_url}
    verify = subprocess.run([sys.executable, "-m", "facegate", "audit", "verify"], env=env, capture_output=True,
                            text=True)  # fmt: skip
    assert verify.returncode == 0, verify.stderr
