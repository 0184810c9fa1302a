"""What the gate costs: verification with and without its checks (policy, consent, key unwrap, audit), same run.

    .venv/bin/python bench/gate.py [--rounds 40] [--postgres URL | --no-postgres]

Runs on SQLite, then on a fresh database of the PostgreSQL server (default: $FACEGATE_TEST_POSTGRES_URL, else the
local one `scripts/test-postgres` starts) with the server's synchronous_commit, then with synchronous_commit off on
the bench database (the durability of SQLite's WAL with synchronous=NORMAL), each against the engine alone in the
same run.

"Engine only" decodes the photo, detects, embeds and compares with a template already in memory: the work
any face recognition system does. "Through the gate" is `Gate.verify`: the same work plus the deployment's and
subject's revisions read before the engine and, after it, the re-check and the audit event in one transaction;
the checks and the subject's decrypted templates are reused while neither revision moves, as for a subject
verified again the same day. "First of the day" forgets them before each call: every check, the key unwrap and
the decryption run again. Rounds alternate so that all three see the same machine load; the medians are compared.
On a loaded machine the engine's own time varies by more than the gate costs, so each gate call also times the
engine inside it: the call's time less the engine's is the gate's own, and its median over the engine-only median
is the overhead printed first (the difference of the medians follows it). Both databases print side by side.

On PostgreSQL it also counts the round trips of each call (the times the client waits for the server's answer:
psycopg's waits for a readable socket) and times one round trip (`SELECT 1` on an idle connection) in the same
run: on a loaded machine a round trip costs far more than the statements it carries.

CPU time does not grow with the machine's load as wall time does (a shared machine's figures are noisy): each call
also reads this thread's CPU time (less the engine's inside a gate call) and, on PostgreSQL, the CPU the database's
server backends used meanwhile (/proc/<pid>/schedstat; the server must run on this machine). Then the gate alone:
200 calls back to back with the engine's answer reused, the same work with the CPU's caches warm (after the
engine's run they are cold, and the gate's own time above is about twice this). The last line is a
one-line summary: the gate's overhead through the gate on each database, wall and CPU, and the load averages.
"""

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from databases import postgres_database, postgres_reachable, server_setting
from psycopg.waiting import Wait

from facegate import policy
from facegate.engine import quality
from facegate.engine.dlib_backend import DlibEngine
from facegate.engine.images import decode_image
from facegate.gate import Gate
from facegate.store import Database

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class RoundTrips:
    """Counts the round trips to PostgreSQL: psycopg's waits that waited for the server's answer (a readable socket);
    a wait that only sends (a pipelined statement) is not one."""

    def __init__(self) -> None:
        self.count = 0
        self._wait = psycopg.Connection.wait

    def __enter__(self) -> "RoundTrips":
        counter, wait = self, self._wait

        def counted(conn: psycopg.Connection[Any], gen: Any, *args: Any, **kwargs: Any) -> Any:
            def watched() -> Any:
                waited, ready = False, None
                while True:
                    try:
                        state = gen.send(ready)
                    except StopIteration as stop:
                        return stop.value
                    if state == Wait.R and not waited:
                        waited, counter.count = True, counter.count + 1
                    ready = yield state

            return wait(conn, watched(), *args, **kwargs)

        psycopg.Connection.wait = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        psycopg.Connection.wait = self._wait  # type: ignore[method-assign]


class Backends:
    """The CPU time the PostgreSQL server's backends of the bench database have used (the server runs on this
    machine): /proc/<pid>/schedstat's first field, in nanoseconds, summed over the database's connections.
    Unlike wall time it does not grow with the machine's load."""

    def __init__(self, db: Database) -> None:
        with db.quick() as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()").fetchall()
        self.paths = [Path(f"/proc/{pid}/schedstat") for (pid,) in rows]

    def cpu(self) -> float:
        """Seconds of CPU so far (0 where /proc is not readable: a server elsewhere or another user's)."""
        total = 0
        for path in self.paths:
            with suppress(OSError, ValueError, IndexError):
                total += int(path.read_text().split()[0])
        return total / 1e9


@contextmanager
def database(postgres: str | None, home: Path, synchronous_commit: str | None) -> Iterator[str]:
    """A SQLite file in `home`, or a fresh PostgreSQL database on the `postgres` server, dropped afterwards."""
    if postgres is None:
        yield f"sqlite:///{home / 'facegate.db'}"
    else:
        with postgres_database(postgres, synchronous_commit) as url:
            yield url


def measure(engine: DlibEngine, url: str, home: Path, photo: Path, rounds: int) -> tuple[str, dict[str, float]]:
    """The three paths' median ms on one database, rounds alternating between them, and the gate's own time."""
    gate = Gate.open(home, url, engine_factory=lambda: engine)
    inside: list[float] = []  # the engine's time inside the current gate call
    inside_cpu: list[float] = []  # and its CPU time (this thread's)
    embed = gate.engines.embed

    def timed_embed(*args: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return embed(*args, **kwargs)
        finally:
            inside.append(time.perf_counter() - started)
            inside_cpu.append(time.thread_time() - cpu)

    gate.engines.embed = timed_embed  # type: ignore[method-assign]
    spec = policy.parse_spec((ROOT / "examples" / "deployments" / "office-entry.yaml").read_text())
    gate.register(spec)
    gate.add_subject("obama")
    gate.notice_shown(spec.id, "obama")
    gate.give_consent(spec.id, "obama")
    gate.enroll(spec.id, "obama", (ROOT / "tests" / "data" / "obama.jpg").read_bytes())
    with gate.db.session(readonly=True) as session:
        template = gate.vault.templates(session, spec.id, "obama")[0].vector
    probe = photo.read_bytes()

    def engine_only() -> bool:
        pixels = decode_image(probe)
        face = quality.main_face(engine.detect(pixels))
        vector = engine.embed(pixels, [face])[0].vector
        return float(np.linalg.norm(vector - template)) < engine.threshold

    def through_gate() -> bool:
        return gate.verify(spec.id, "obama", probe).outcome == "match"

    def first_of_the_day() -> bool:
        gate.admission.passed.clear()
        gate.galleries.templates.clear()
        return through_gate()

    runs = {"engine only": engine_only, "through the gate": through_gate, "first of the day": first_of_the_day}
    assert all(run() for run in runs.values())
    backends = Backends(gate.db) if gate.db.backend == "postgresql" else None
    times: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}  # this thread's CPU, less the engine's in a gate call
    own: dict[str, list[float]] = {"through the gate": [], "first of the day": []}
    trips: dict[str, list[int]] = {name: [] for name in own}
    server: dict[str, list[float]] = {name: [] for name in own}
    ping: list[float] = []
    for _ in range(rounds):
        for name, run in runs.items():
            inside.clear()
            inside_cpu.clear()
            spent_before = backends.cpu() if backends else 0.0
            with RoundTrips() as counted:
                started, thread = time.perf_counter(), time.thread_time()
                run()
                times[name].append(time.perf_counter() - started)
                cpu[name].append(time.thread_time() - thread - (sum(inside_cpu) if name in own else 0.0))
            if name in own:
                own[name].append(times[name][-1] - sum(inside))
                trips[name].append(counted.count)
                server[name].append(backends.cpu() - spent_before if backends else 0.0)
        if gate.db.backend == "postgresql":
            with gate.db.quick() as conn:
                started = time.perf_counter()
                conn.execute("SELECT 1")
                ping.append(time.perf_counter() - started)
    # The gate alone, called back to back with the engine's answer reused: the same work with the CPU's caches warm.
    answer = embed(probe, enrollment=False, one_pass=True)
    gate.engines.embed = lambda *args, **kwargs: answer  # type: ignore[method-assign]
    warm: list[float] = []
    warm_cpu: list[float] = []
    for _ in range(200):
        started, thread = time.perf_counter(), time.thread_time()
        through_gate()
        warm.append(time.perf_counter() - started)
        warm_cpu.append(time.thread_time() - thread)
    backend = gate.db.backend
    gate.db.dispose()
    medians: dict[str, float] = {}
    medians["warm"], medians["cpu: warm"] = statistics.median(warm) * 1000, statistics.median(warm_cpu) * 1000
    medians |= {name: statistics.median(spent) * 1000 for name, spent in times.items()}
    medians |= {f"trips: {name}": statistics.median(counts) for name, counts in trips.items()}
    medians["round trip"] = statistics.median(ping) * 1000 if ping else 0.0
    medians |= {f"cpu: {name}": statistics.median(spent) * 1000 for name, spent in cpu.items()}
    medians |= {f"server: {name}": statistics.median(spent) * 1000 for name, spent in server.items()}
    return backend, medians | {f"own: {name}": statistics.median(spent) * 1000 for name, spent in own.items()}


def main() -> None:
    """SQLite, then PostgreSQL when its server answers, each against the engine alone in the same run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("FACEGATE_TEST_POSTGRES_URL") or DEFAULT_PG,
                        help="the PostgreSQL server to run on too, on a fresh database")  # fmt: skip
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--photo", type=Path, default=ROOT / "tests" / "data" / "obama2.jpg")
    args = parser.parse_args()
    engine = DlibEngine()
    servers: list[tuple[str, str | None, str | None]] = [("sqlite", None, None)]
    if not args.no_postgres:
        if postgres_reachable(args.postgres):
            setting = server_setting(args.postgres, "synchronous_commit")
            print(f"PostgreSQL: synchronous_commit {setting} on the server; then off on the bench database")
            servers += [("postgresql", args.postgres, None), ("pg sync off", args.postgres, "off")]
        else:
            print(f"PostgreSQL at {args.postgres.split('@')[-1]} does not answer: SQLite only (scripts/test-postgres)")
    load = "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, {load}; photo {args.photo.name}; {args.rounds} rounds each")
    results: dict[str, dict[str, float]] = {}
    for label, server, synchronous_commit in servers:
        with tempfile.TemporaryDirectory() as home, database(server, Path(home), synchronous_commit) as url:
            _, medians = measure(engine, url, Path(home), args.photo, args.rounds)
        results[label] = medians
    names = list(results)
    print(f"{'':44s}" + "".join(f"{name:>16s}" for name in names))
    for label in ("engine only", "through the gate", "first of the day"):
        print(f"  {label + ', median ms':42s}" + "".join(f"{results[n][label]:16.2f}" for n in names))
    for label in ("through the gate", "first of the day"):
        goal = " (goal: under 2%)" if label == "through the gate" else ""
        cells = []
        for n in names:
            own, base = results[n][f"own: {label}"], results[n]["engine only"]
            cells.append(f"{own:6.2f} ms {own / base:+6.1%}")
        print(f"  {'gate overhead, ' + label:42s}" + "".join(f"{c:>16s}" for c in cells) + goal)
        cells = [f"{(results[n][label] - results[n]['engine only']) / results[n]['engine only']:+.1%}" for n in names]
        print(f"  {'  (difference of the medians)':42s}" + "".join(f"{c:>16s}" for c in cells))
    for label in ("through the gate", "first of the day"):
        cells = [f"{results[n][f'trips: {label}']:.0f}" if n != "sqlite" else "-" for n in names]
        print(f"  {'round trips, ' + label:42s}" + "".join(f"{c:>16s}" for c in cells))
    cells = [f"{results[n]['round trip']:.3f}" if n != "sqlite" else "-" for n in names]
    print(f"  {'one round trip (SELECT 1), median ms':42s}" + "".join(f"{c:>16s}" for c in cells))
    print("CPU time (does not grow with the machine's load as wall time does), median ms")
    print(f"  {'engine only, this thread':42s}" + "".join(f"{results[n]['cpu: engine only']:16.2f}" for n in names))
    for label in ("through the gate", "first of the day"):
        cells = [f"{results[n][f'cpu: {label}']:.2f}" for n in names]
        print(f"  {'gate, ' + label + ', this thread':42s}" + "".join(f"{c:>16s}" for c in cells))
        cells = [f"{results[n][f'server: {label}']:.2f}" if n != "sqlite" else "-" for n in names]
        print(f"  {'  + PostgreSQL backend':42s}" + "".join(f"{c:>16s}" for c in cells))
    cells = [f"{results[n]['warm']:.2f} / {results[n]['cpu: warm']:.2f}" for n in names]
    print(f"  {'gate alone, back to back, wall / CPU ms':42s}" + "".join(f"{c:>16s}" for c in cells))
    end = "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    print(f"{end} at the end")
    label = "through the gate"
    cells = []
    for n in names:
        r = results[n]
        own, base = r[f"own: {label}"], r["engine only"]
        spent = r[f"cpu: {label}"] + r[f"server: {label}"]
        cells.append(f"{n} {own:.2f} ms {own / base:+.1%} (CPU {spent:.2f} ms {spent / r['cpu: engine only']:+.1%})")
    print(f"summary: gate overhead {label} (goal < 2%): " + "; ".join(cells) + f"; {load} at the start, {end}")


if __name__ == "__main__":
    main()
