"""How long counting stored individuals takes: 200,000 synthetic subjects of one handler, 10% of them enrolled in
a second deployment too, then the counts, the threshold date and the whole status report.

    .venv/bin/python bench/oversight.py [--subjects 200000] [--overlap 0.1] [--database-url URL] [--rounds 5]

What is measured, on a fresh database (a SQLite file by default, or an empty database at --database-url):

- setup (not a product figure): `oversight.synthetic.enroll_synthetic` writes each subject's row, a data key
  wrapped in the key store and one random 128-d template sealed with AES-256-GCM, 10,000 per transaction;
- first refresh: `Oversight.refresh` reconciling with the vault from nothing (one GROUP BY over the templates,
  an HMAC per subject, the keyed hashes inserted) and latching the threshold: what the first daily run costs
  on a database that already holds data;
- the counts: cumulative `COUNT(*)` over the handler's keyed hashes and currently-stored
  `COUNT(DISTINCT subject_id)` over its templates, and the date the 100,000th individual was first stored
  (an indexed ORDER BY ... OFFSET), medians of --rounds;
- a later refresh (incremental: only templates since the last one) and the whole status report;
- the enrollment hook `record_stored` (keyed hash, insert-or-ignore, tally) per new individual, one
  transaction each, median of 500.
"""

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from facegate import policy
from facegate.audit import AuditLog, SigningKey
from facegate.gate import Context, Gate
from facegate.oversight import Oversight, record_stored
from facegate.oversight.individuals import cumulative_count, current_count, nth_first_stored
from facegate.oversight.synthetic import enroll_synthetic
from facegate.store import Database
from facegate.vault.keystore import Keystore
from facegate.vault.vault import Vault

ROOT = Path(__file__).resolve().parents[1]
HANDLER = "Example Technology (Shanghai) Co., Ltd."


def timed(fn, rounds: int = 1) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """The median wall time of `rounds` calls, and the last result."""
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=200_000)
    parser.add_argument("--overlap", type=float, default=0.1, help="share also enrolled in a second deployment")
    parser.add_argument("--database-url", help="an empty database; default: a SQLite file in a temporary folder")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        folder = Path(home)
        db = Database.open(args.database_url or f"sqlite:///{folder / 'facegate.db'}")
        keystore = Keystore([b"b" * 32], f"sqlite:///{folder / 'keystore.db'}")
        now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        clock = [now]
        gate = Gate(Context(db, Vault(keystore), AuditLog(SigningKey.generate()), clock=lambda: clock[0]))
        spec = policy.parse_spec((ROOT / "examples" / "deployments" / "office-entry.yaml").read_text())
        gate.register(spec)
        gate.register(spec.model_copy(update={"id": "hq-side-door"}))
        office = Oversight(gate.context)
        subjects = [f"s{i:07d}" for i in range(args.subjects)]
        both = subjects[: int(len(subjects) * args.overlap)]

        def setup_data() -> None:
            enroll_synthetic(db, gate.vault, spec.id, subjects, now, seed=1)
            enroll_synthetic(db, gate.vault, "hq-side-door", both, now, seed=2)

        setup, _ = timed(setup_data)
        first, _ = timed(office.refresh)
        clock[0] = now + timedelta(days=1)  # the next daily run
        with db.session(readonly=True) as session:
            ids = [spec.id, "hq-side-door"]
            t_cum, cumulative = timed(lambda: cumulative_count(session, HANDLER), args.rounds)
            t_cur, current = timed(lambda: current_count(session, ids), args.rounds)
            t_nth, reached = timed(lambda: nth_first_stored(session, HANDLER, 100_000), args.rounds)
        later, _ = timed(office.refresh, args.rounds)
        t_status, report = timed(lambda: office.status(refresh=False), args.rounds)
        assert cumulative == current == len(subjects), (cumulative, current)
        assert reached is not None
        task = report["handlers"][0]["open_tasks"][0]  # type: ignore[index]

        def hook() -> None:
            with db.session() as session:
                record_stored(session, keystore, HANDLER, f"new-{time.perf_counter_ns()}", now)

        t_hook, _ = timed(hook, 500)
        print(f"backend: {db.backend}; os.cpu_count() = {os.cpu_count()}")
        templates = len(subjects) + len(both)
        print(f"{len(subjects):,} subjects, {templates:,} templates in 2 deployments ({len(both):,} people in both)")
        print(f"setup, synthetic enrollments (keys, sealing, rows): {setup:8.2f} s")
        print(f"first refresh (reconcile from nothing + latch):      {first:8.2f} s")
        print(f"count, cumulative (COUNT over keyed hashes):         {t_cum * 1000:8.1f} ms -> {cumulative:,}")
        print(f"count, currently stored (COUNT DISTINCT templates):  {t_cur * 1000:8.1f} ms -> {current:,}")
        print(f"date the 100,000th individual was first stored:      {t_nth * 1000:8.1f} ms")
        print(f"later refresh (incremental):                         {later * 1000:8.1f} ms")
        print(f"status report (all handlers):                        {t_status * 1000:8.1f} ms")
        print(f"enrollment hook record_stored, per new individual:   {t_hook * 1000:8.2f} ms")
        print(f"filing task: {task['kind']} {task['profile']} triggered {task['trigger_on']}, due {task['due_on']}")
        db.dispose()
        keystore.engine.dispose()


if __name__ == "__main__":
    main()
