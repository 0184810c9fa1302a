"""Audit log throughput: appends per second (SQLite; PostgreSQL if reachable) and time to verify 1,000,000 entries.

    .venv/bin/python bench/audit.py [--appends 20000] [--threads 32] [--verify-size 1000000]
                                    [--postgres URL | --no-postgres]

Appends are timed five ways: one transaction per append through a Connection, and through a Session (how the
gate records a decision together with its effect: the commit is part of the cost); group commit, --threads
threads appending audit-only events (refusals) through the writer, each returning once its own entry has
committed while concurrent appends share one transaction and one commit; 100 appends per transaction (the
log's own throughput); and append_many with 1,000 events per call (bulk). The verify run builds a log of
--verify-size entries with append_many (same rows, nodes and checkpoints as single appends), then times
`AuditLog.verify`, which recomputes the tree from every entry and checks every checkpoint. Every run makes its
own temporary SQLite file or PostgreSQL database (dropped at the end) and a throwaway signing key. PostgreSQL
defaults to $FACEGATE_TEST_POSTGRES_URL, else postgresql+psycopg://postgres@127.0.0.1:5432/postgres; it runs
twice: with the server's own synchronous_commit (a commit waits for its WAL flush when it is on), then with
synchronous_commit off on the bench database (a commit does not wait: the durability of SQLite's WAL with
synchronous=NORMAL, which facegate sets: a crash of facegate loses nothing, a power loss may lose the last
commits). --verify-size runs on SQLite and on the first PostgreSQL run.
"""

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from databases import postgres_database, postgres_reachable, server_setting, sqlite_database

from facegate.audit import AuditLog, Event
from facegate.audit.group import GroupCommit
from facegate.clock import utc_now
from facegate.events import Op
from facegate.store import Database

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def event(i: int) -> Event:
    """A typical gate decision."""
    return Event(
        actor=f"api_key:k{i % 5}", operation=Op.VERIFY, decision="allow" if i % 11 else "refuse",
        outcome="match" if i % 11 else "refused", deployment="hq-lobby", purpose="access_control",
        rule_ids=["CN25-4b"] if i % 11 else ["CN25-6e", "CN25-10b"], request_id=f"req-{i:09d}",
        subject=f"s-{i % 9973}",
    )  # fmt: skip


def rate(n: int, run: Callable[[], None]) -> float:
    """Events per second of `run`, which handles n events."""
    start = time.perf_counter()
    run()
    return n / (time.perf_counter() - start)


def bench_appends(url: str, workdir: Path, n: int, threads: int) -> dict[str, float]:
    """Appends per second, one transaction each (Connection, Session), group commit, and 100 per transaction."""
    db = Database.open(url)
    log = AuditLog.for_home(workdir / f"home-{uuid.uuid4().hex[:6]}")
    events = [event(i) for i in range(5 * n)]
    batches = iter(range(0, len(events), n))

    def per_connection() -> None:
        """The gate's pattern through a Connection: one append, one commit."""
        for e in events[next(batches) :][:n]:
            with db.begin() as conn:
                log.append(conn, e)

    def per_session() -> None:
        """The gate's pattern through a Session: one append, one commit."""
        for e in events[next(batches) :][:n]:
            with db.session() as session:
                log.append(session, e)

    def group_commit() -> None:
        """Audit-only appends from many threads: each waits for its own commit, which it shares."""
        chunk = events[next(batches) :][:n]
        group = GroupCommit(db, log, utc_now)

        def appender(first: int) -> None:
            for e in chunk[first::threads]:
                group.append(e)

        workers = [threading.Thread(target=appender, args=(t,)) for t in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    def hundred_per_transaction() -> None:
        """The log's own throughput: 100 appends share each commit."""
        chunk = events[next(batches) :][:n]
        for start in range(0, n, 100):
            with db.session() as session:
                for e in chunk[start : start + 100]:
                    log.append(session, e)

    def append_many() -> None:
        """Bulk: append_many with 1,000 events per call and transaction."""
        chunk = events[next(batches) :][:n]
        for start in range(0, n, 1000):
            with db.session() as session:
                log.append_many(session, chunk[start : start + 1000])

    results = {
        "one append per transaction (Connection)": rate(n, per_connection),
        "one append per transaction (Session)": rate(n, per_session),
        f"group commit, {threads} threads": rate(n, group_commit),
        "100 appends per transaction": rate(n, hundred_per_transaction),
        "append_many, 1,000 per transaction": rate(n, append_many),
    }
    with db.session(readonly=True) as session:
        report = log.verify(session)
    assert report.ok and report.size == 5 * n, report.problem
    db.dispose()
    return results


def bench_verify(url: str, workdir: Path, size: int) -> dict[str, float]:
    """Seconds to build and to verify a log of `size` entries."""
    db = Database.open(url)
    log = AuditLog.for_home(workdir / f"home-{uuid.uuid4().hex[:6]}")
    batch = 10_000
    start = time.perf_counter()
    for first in range(0, size, batch):
        with db.session() as session:
            log.append_many(session, [event(i) for i in range(first, min(first + batch, size))])
    built = time.perf_counter() - start
    start = time.perf_counter()
    with db.session(readonly=True) as session:
        report = log.verify(session)
    verified = time.perf_counter() - start
    assert report.ok and report.size == size, report.problem
    db.dispose()
    return {"build seconds": built, "verify seconds": verified, "checkpoints": report.checkpoints}


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appends", type=int, default=20_000, help="appends per timed mode")
    parser.add_argument("--threads", type=int, default=32, help="appending threads in the group-commit mode")
    parser.add_argument("--verify-size", type=int, default=1_000_000, help="entries in the verified log")
    parser.add_argument("--postgres", default=os.environ.get("FACEGATE_TEST_POSTGRES_URL") or DEFAULT_PG)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    figures: dict[str, object] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "machine": platform.machine(),
    }
    backends: list[tuple[str, Callable[[Path], object]]] = [("sqlite", sqlite_database)]
    if not args.no_postgres and postgres_reachable(args.postgres):
        setting = server_setting(args.postgres, "synchronous_commit")
        figures["postgresql"] = f"synchronous_commit {setting} on the server"
        backends.append(("postgresql", lambda _: postgres_database(args.postgres)))
        backends.append(("pg sync off", lambda _: postgres_database(args.postgres, "off")))
    else:
        figures["postgresql"] = "not reachable (skipped)" if not args.no_postgres else "skipped"

    names = [name for name, _ in backends]
    with tempfile.TemporaryDirectory(prefix="facegate-bench-") as tmp:
        workdir = Path(tmp)
        for name, database in backends:
            with database(workdir) as url:  # type: ignore[attr-defined]
                figures[f"{name} appends/s"] = bench_appends(url, workdir, args.appends, args.threads)
            if name == "pg sync off":
                continue
            with database(workdir) as url:  # type: ignore[attr-defined]
                figures[f"{name} verify {args.verify_size:,} entries"] = bench_verify(url, workdir, args.verify_size)
            print(f"... {name} done", file=sys.stderr, flush=True)

    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"machine: {figures['cores']} cores ({figures['machine']}), Python {figures['python']}, "
          f"SQLite {figures['sqlite']}; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    if "postgresql" in figures:
        print(f"postgresql: {figures['postgresql']}")
    for table in ("appends/s", f"verify {args.verify_size:,} entries"):
        shown = [name for name in names if f"{name} {table}" in figures]
        print(f"\n{table:44s}" + "".join(f"{name:>14s}" for name in shown))
        columns = [figures[f"{name} {table}"] for name in shown]
        for label in columns[0]:  # type: ignore[attr-defined]
            cells = [column[label] for column in columns]  # type: ignore[index]
            print(f"  {label:42s}" + "".join(f"{c:>14,.1f}" if isinstance(c, float) else f"{c:>14,}" for c in cells))


if __name__ == "__main__":
    main()
