"""Several processes appending at once leave one linear log that verifies (SQLite and PostgreSQL)."""

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from facegate.audit import AuditLog, Event
from facegate.events import Op
from facegate.store import Database

PER_PROCESS = 10_000
ROUNDS = 10  # the two processes meet at a barrier after each round, so both append in every round


def append_events(url: str, home: str, worker: int, count: int, barrier: Any) -> None:
    """Child process: open the database (migrating it if needed), then append `count` events one by one."""
    db = Database.open(url)
    log = AuditLog.for_home(Path(home))
    barrier.wait(timeout=120)
    for i in range(count):
        with db.session() as s:
            log.append(s, Event(actor=f"api_key:worker-{worker}", operation=Op.VERIFY, decision="allow",
                                outcome="match", request_id=f"w{worker}-{i:05d}"))  # fmt: skip
        if (i + 1) % (count // ROUNDS) == 0:
            barrier.wait(timeout=600)
    db.dispose()


@pytest.mark.slow
def test_two_processes_appending_10000_events_each(database_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    AuditLog.for_home(home)  # create the key once, before the race
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    workers = [
        ctx.Process(target=append_events, args=(database_url, str(home), w, PER_PROCESS, barrier)) for w in (0, 1)
    ]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=900)
    assert [p.exitcode for p in workers] == [0, 0]

    db = Database.open(database_url)
    log = AuditLog.for_home(home)
    with db.session(readonly=True) as s:
        report = log.verify(s)
        payloads = s.execute(text("SELECT payload FROM audit_entry ORDER BY idx")).scalars().all()
    db.dispose()
    assert report.ok, report.problem
    assert report.size == 2 * PER_PROCESS
    by_worker: dict[str, list[str]] = {"w0": [], "w1": []}
    order = []
    for payload in payloads:
        rid = json.loads(payload)["request_id"]
        by_worker[rid[:2]].append(rid)
        order.append(rid[:2])
    for worker, ids in by_worker.items():
        assert ids == [f"{worker}-{i:05d}" for i in range(PER_PROCESS)]  # each process's events, in its order
    # Each round's events all come before the next round's, and each round holds both processes' events.
    per_round = PER_PROCESS // ROUNDS
    rounds = [order[r * 2 * per_round : (r + 1) * 2 * per_round] for r in range(ROUNDS)]
    assert all(sorted(r) == ["w0"] * per_round + ["w1"] * per_round for r in rounds)
