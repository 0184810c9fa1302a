"""A device's check of its own log before a push: incremental (new entries + consistency proof) against full.

    .venv/bin/python bench/device_push.py [--sizes 10000,100000,1000000] [--new 2] [--rounds 20]

For each size, builds a device audit log of that many entries on SQLite (append_many, as the gate's appends
store them), then times what `Device._check_log` does on a push once it has a verified checkpoint: rehash the
`--new` entries appended since, the stored tree's root and the consistency proof from the checkpoint, and the
spot check of 16 older entries (median of --rounds). The baseline is the full `AuditLog.verify` of the same log
(what every push did before). The log lives in a temporary directory, removed at the end.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from facegate.audit import AuditLog, Event
from facegate.audit.incremental import spot_check, verify_extension
from facegate.audit.tree import StoredTree
from facegate.edge.device import SPOT_CHECKS
from facegate.events import Op
from facegate.store import Database


def event(i: int) -> Event:
    """A typical decision on a turnstile."""
    return Event(
        actor="operator:kiosk", operation=Op.VERIFY, decision="allow", outcome="match", deployment="hq-lobby",
        purpose="access_control", rule_ids=["CN25-4b"], request_id=f"req-{i:09d}", subject=f"s-{i % 997}",
    )  # fmt: skip


def fill(db: Database, log: AuditLog, start: int, end: int) -> None:
    """Append events [start, end) in transactions of 10,000."""
    for first in range(start, end, 10_000):
        with db.session() as session:
            log.append_many(session, [event(i) for i in range(first, min(first + 10_000, end))])


def measure(workdir: Path, size: int, new: int, rounds: int) -> dict[str, float]:
    """Incremental and full check times (ms) at one log size."""
    db = Database.open(f"sqlite:///{workdir / f'device-{size}.db'}")
    log = AuditLog.for_home(workdir / f"home-{size}")
    built = time.perf_counter()
    fill(db, log, 0, size)
    build_s = time.perf_counter() - built
    times = []
    checked = size
    for _ in range(rounds):
        with db.begin() as conn:
            root = StoredTree(conn, checked).subtree(0, checked)
        fill(db, log, checked, checked + new)
        start = time.perf_counter()
        with db.begin() as conn:
            problem, _ = verify_extension(conn, checked, root, checked + new)
            problem = problem or spot_check(conn, checked, SPOT_CHECKS)
        times.append((time.perf_counter() - start) * 1000)
        assert not problem, problem
        checked += new
    start = time.perf_counter()
    with db.session(readonly=True) as session:
        report = log.verify(session)
    full_ms = (time.perf_counter() - start) * 1000
    assert report.ok
    db.dispose()
    median = statistics.median(times)
    return {
        "entries": size, "build_s": round(build_s, 1), "incremental_ms_median": round(median, 2),
        "incremental_ms_max": round(max(times), 2), "full_verify_ms": round(full_ms), "ratio": round(full_ms / median),
    }  # fmt: skip


def main() -> None:
    """Run the sizes asked for and print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--new", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            print(json.dumps(measure(Path(folder), size, args.new, args.rounds)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
