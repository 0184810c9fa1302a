"""A hub under its devices: 1,000 simulated devices syncing every 30 s against one `facegate serve` on PostgreSQL.

    .venv/bin/python bench/hub.py [--devices 1000] [--every 30] [--seconds 90] [--events 2] [--threads 24]
                                  [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A fresh PostgreSQL database and data directory; `hq-lobby` registered on a hub; --devices devices paired with
one-time tokens (in process, not timed). The hub runs as a real `facegate serve` on a loopback port. Each
simulated device keeps a real audit log in memory (RFC 9162 leaves of canonical entries, checkpoints signed
with its own Ed25519 audit key, consistency proofs) and, every --every seconds from a random start, makes one
sync: a signed pull (cursor, no change waiting) and a signed push of the --events entries it logged since.
Everything stays on 127.0.0.1 and the run stops after --seconds.

Printed, with the machine's core count: the baseline (GET /api/v1/health: latency and hub CPU per request, same
server, same run), then per sync (pull + push): hub CPU time (the server process's user+system time over the
window divided by the syncs), p50/p95/max latency, and the database's growth per device-day (pg_database_size
before and after, scaled to 86,400 / --every syncs). The load generator shares the machine's cores with the hub.
"""

import argparse
import base64
import heapq
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from databases import postgres_database, postgres_reachable
from sqlalchemy import create_engine, text

from facegate.audit import Event, SigningKey, sign_checkpoint
from facegate.audit.event import canonical, entry_object
from facegate.audit.merkle import consistency_proof, leaf_hash, root
from facegate.edge import signing
from facegate.edge.hub import Hub
from facegate.gate import Gate
from facegate.home import choose_node_kind
from facegate.policy import parse_spec

ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENT = "hq-lobby"


class SimDevice:
    """A device as the hub sees it over the wire: its keys, cursor and an in-memory audit log."""

    def __init__(self, device_id: str, key: SigningKey, audit_key: SigningKey) -> None:
        self.id, self.key, self.audit_key = device_id, key, audit_key
        self.leaves: list[bytes] = []
        self.payloads: list[str] = []
        self.applied = 0
        self.hub_size = 0
        self.lock = threading.Lock()

    def log(self, count: int) -> None:
        now = datetime.now(UTC)
        for _ in range(count):
            subject = f"s{random.randrange(500)}"
            event = Event(actor="operator:turnstile", operation="verify", decision="allow", outcome="match",
                          deployment=DEPLOYMENT, subject=subject, purpose="access_control")  # fmt: skip
            payload = canonical(entry_object(len(self.leaves), event, now))
            self.leaves.append(leaf_hash(payload))
            self.payloads.append(payload.decode())

    def post(self, client: httpx.Client, path: str, body: dict) -> dict:
        raw = json.dumps(body, separators=(",", ":")).encode()
        headers = signing.sign_request(self.key, self.id, "POST", path, raw, datetime.now(UTC))
        answer = client.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")
        return answer.json()

    def sync(self, client: httpx.Client, events: int) -> None:
        with self.lock:
            feed = self.post(client, "/api/v1/edge/pull", {"applied": self.applied, "acks": []})
            self.applied, self.hub_size = feed["cursor"], feed["log_size"]
            self.log(events)
            size, old = len(self.leaves), self.hub_size
            cp = sign_checkpoint(f"facegate-device/{self.id}", size, root(self.leaves), self.audit_key)
            proof = consistency_proof(old, size, lambda s, e: root(self.leaves[s:e])) if 0 < old < size else []
            body = {
                "from": old,
                "checkpoint": cp.note,
                "entries": [{"idx": i, "payload": self.payloads[i]} for i in range(old, size)],
                "proof": [base64.b64encode(h).decode() for h in proof],
                "self_check": {"ok": True, "problem": None},
                "holdings": None,  # what a device holds is sent when it changes (none changes here)
                "subjects": [],
            }
            self.hub_size = self.post(client, "/api/v1/edge/push", body)["log_size"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between one device's syncs")
    parser.add_argument("--seconds", type=float, default=90.0, help="length of the measured window (bounded)")
    parser.add_argument("--events", type=int, default=2, help="audit entries each device logs per sync")
    parser.add_argument("--threads", type=int, default=24)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    if not postgres_reachable(args.postgres):
        sys.exit(f"no PostgreSQL at {args.postgres}")
    print(f"machine: {os.cpu_count()} cores; {args.devices} devices syncing every {args.every:g} s for "
          f"{args.seconds:g} s, {args.events} audit entries per device per sync")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, postgres_database(args.postgres) as url:
        home = Path(tmp) / "hub"
        home.mkdir()
        choose_node_kind(home, "hub")
        os.environ["FACEGATE_DATABASE_URL"] = url
        gate = Gate.open(home)
        gate.register(parse_spec((ROOT / "examples" / "deployments" / "office-entry.yaml").read_text()))
        hub = Hub(gate, home)
        started = time.perf_counter()
        devices = []
        for n in range(args.devices):
            key, audit_key = SigningKey.generate(), SigningKey.generate()
            token = hub.mint_token([DEPLOYMENT], "operator:bench")
            joined = hub.join(token.token, f"sim-{n}", key.public.pem(), audit_key.public.pem())
            devices.append(SimDevice(joined["device_id"], key, audit_key))
        print(f"setup: {args.devices} devices paired in {time.perf_counter() - started:.1f} s (not a figure)")
        gate.db.dispose()
        port = 18000 + random.randrange(1000)
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        server = subprocess.Popen(
            [sys.executable, "-m", "facegate", "serve", "--home", str(home), "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            time.sleep(5)  # the server warms its face engine in the background at start: let it finish
            run(args, base, server.pid, url, devices)
        finally:
            server.terminate()
            server.wait(timeout=30)


def run(args: argparse.Namespace, base: str, pid: int, url: str, devices: list[SimDevice]) -> None:
    with httpx.Client(base_url=base) as client:
        before, samples = cpu_seconds(pid), []
        for _ in range(500):
            t = time.perf_counter()
            client.get("/api/v1/health")
            samples.append(time.perf_counter() - t)
        cpu = (cpu_seconds(pid) - before) / 500
    print(f"baseline GET /api/v1/health: p50 {statistics.median(samples) * 1e3:.1f} ms, p95 "
          f"{percentile(samples, 0.95) * 1e3:.1f} ms, hub CPU {cpu * 1e3:.2f} ms per request")  # fmt: skip
    # One warm-up sync each (first pull, first push), not measured: then the steady state is measured.
    engine = create_engine(url)

    def warm(part: list[SimDevice]) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            for device in part:
                device.sync(client, args.events)

    warmers = [threading.Thread(target=warm, args=(devices[i :: args.threads],)) for i in range(args.threads)]
    for th in warmers:
        th.start()
    for th in warmers:
        th.join()
    with engine.connect() as conn:
        size_before = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    start = time.monotonic()
    due = [(start + random.uniform(0, args.every), n) for n in range(len(devices))]
    heapq.heapify(due)
    latencies: list[float] = []
    failures: list[str] = []
    guard = threading.Lock()
    stop = start + args.seconds
    cpu_before = cpu_seconds(pid)

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:
                with guard:
                    if not due or due[0][0] >= stop or time.monotonic() > stop + args.every:
                        return  # the window is over (a hub that fell behind is not waited for)
                    at, n = heapq.heappop(due)
                    heapq.heappush(due, (at + args.every, n))
                pause = at - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                t = time.perf_counter()
                try:
                    devices[n].sync(client, args.events)
                except Exception as exc:
                    failures.append(type(exc).__name__)
                    continue
                latencies.append(time.perf_counter() - t)

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - start
    hub_cpu = cpu_seconds(pid) - cpu_before
    with engine.connect() as conn:
        size_after = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    syncs = len(latencies)
    per_day = 86_400 / args.every
    growth = (size_after - size_before) / max(1, syncs) * per_day
    wanted = len(devices) * args.seconds / args.every
    print(f"syncs: {syncs} of {wanted:.0f} due, in {elapsed:.0f} s ({syncs / elapsed:.1f}/s; {len(failures)} failed)")
    print(f"hub CPU per sync (pull + push): {hub_cpu / max(1, syncs) * 1e3:.2f} ms "
          f"({hub_cpu / elapsed * 100:.0f}% of one core)")  # fmt: skip
    print(f"sync latency: p50 {statistics.median(latencies) * 1e3:.1f} ms, p95 {percentile(latencies, 0.95) * 1e3:.1f} "
          f"ms, max {max(latencies) * 1e3:.1f} ms")  # fmt: skip
    print(f"database growth: {growth / 1024:.0f} KiB per device-day ({per_day:.0f} syncs, "
          f"{per_day * args.events:.0f} audit entries)")  # fmt: skip


if __name__ == "__main__":
    main()
