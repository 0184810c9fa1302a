"""A bounded loopback load test of verification: N concurrent clients against a real `facegate serve`.

    .venv/bin/python bench/load.py [--clients 1 4] [--requests 40] [--engine-workers 1 2] [--photo FILE]

The data directory is made fresh in a temporary folder: the office example deployment, one consenting, enrolled
subject per client and an operator key (the master key file outside it). Then, for each engine setting
(`--engine-workers`: 1 runs the engine in the server process, more in a pool of worker processes),
`facegate serve` runs on 127.0.0.1 and, for each client count, every client posts `--requests` verifications
of its own subject over HTTP (one keep-alive connection each), after a warm-up. Printed per client count:
throughput, p50/p95 latency, the peak RSS of the server and its engine workers together during that step (the
kernel's high-water marks, reset before each step), and the throughput relative to one client in the same run.
"""

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "deployments" / "office-entry.yaml"
DEPLOYMENT = "hq-lobby"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(home: Path, subjects: int, enroll_photo: Path) -> str:
    """A data directory with the office deployment and `subjects` enrolled subjects; an operator key's secret."""
    from facegate import policy
    from facegate.api.service import Service
    from facegate.gate import Gate

    gate = Gate.open(home)
    gate.register(policy.parse_spec(EXAMPLE.read_text()))
    image = enroll_photo.read_bytes()
    for i in range(subjects):
        subject = f"load-{i}"
        gate.add_subject(subject)
        gate.notice_shown(DEPLOYMENT, subject)
        gate.give_consent(DEPLOYMENT, subject)
        gate.enroll(DEPLOYMENT, subject, image)
    service = Service.open(home, gate)
    secret = service.keys.create("operator", service.clock(), "load", [DEPLOYMENT])[1]
    gate.db.dispose()
    return secret


def family(pid: int) -> list[int]:
    """The process and its children (the engine workers), from /proc."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def peak_rss_mb(pid: int) -> float:
    """The peak resident set size since the last reset (VmHWM) of the process and its children, in MB."""
    total = 0
    for member in family(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return total / 1024


def reset_peak(pid: int) -> None:
    """Start new high-water marks (Linux: 5 > /proc/PID/clear_refs) for the process and its children."""
    for member in family(pid):
        with contextlib.suppress(OSError):
            Path(f"/proc/{member}/clear_refs").write_text("5")


def client_run(url: str, secret: str, subject: str, photo: bytes, count: int, times: list[float]) -> None:
    """Post `count` verifications of `subject`, recording each one's latency."""
    path = f"{url}/api/v1/deployments/{DEPLOYMENT}/subjects/{subject}/verify"
    with httpx.Client(headers={"Authorization": f"Bearer {secret}"}, timeout=120) as client:
        for _ in range(count):
            started = time.perf_counter()
            answer = client.post(path, files={"image": ("probe.jpg", photo, "image/jpeg")})
            times.append(time.perf_counter() - started)
            if answer.status_code != 200 or answer.json().get("outcome") != "match":
                raise SystemExit(f"verification failed: {answer.status_code} {answer.text[:200]}")


def step(url: str, secret: str, pid: int, clients: int, photo: bytes, requests: int) -> dict:
    """One client count: warm-up, then `requests` verifications per client, all clients at once."""
    # Warm-up wide enough to reach every engine worker (each loads the models on first use).
    warm = [
        threading.Thread(target=client_run, args=(url, secret, f"load-{i % clients}", photo, 3, []))
        for i in range(max(clients, 4))
    ]
    for t in warm:
        t.start()
    for t in warm:
        t.join()
    reset_peak(pid)
    times: list[list[float]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=client_run, args=(url, secret, f"load-{i}", photo, requests, times[i]))
        for i in range(clients)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for per in times for x in per)
    if len(latencies) != clients * requests:
        raise SystemExit("a client stopped early")
    return {
        "clients": clients,
        "throughput": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        "peak_rss_mb": peak_rss_mb(pid),
    }


def serve(home: Path, env: dict[str, str], workers: int) -> tuple[subprocess.Popen, str]:
    """`facegate serve` on a free loopback port with `workers` engine processes, once it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "facegate", "serve", "--home", str(home), "--port", str(port),
               "--engine-workers", str(workers), "--purge-every", "86400"]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    """Run the steps and print one line per engine setting and client count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", nargs="+", default=["1", "4"], help="Client counts (1 always runs first).")
    parser.add_argument("--requests", type=int, default=40, help="Verifications per client per step.")
    parser.add_argument("--engine-workers", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--photo", type=Path, default=ROOT / "tests" / "data" / "obama2.jpg")
    parser.add_argument("--enroll-photo", type=Path, default=ROOT / "tests" / "data" / "obama.jpg")
    args = parser.parse_args()
    counts = sorted({1, *(int(c) for text in args.clients for c in text.split(","))})
    photo = args.photo.read_bytes()
    with tempfile.TemporaryDirectory(prefix="facegate-load-") as folder:
        home = Path(folder) / "home"
        os.environ["FACEGATE_MASTER_KEY_FILE"] = str(Path(folder) / "master.key")
        env = {k: v for k, v in os.environ.items() if not k.startswith("FACEGATE_") or k.endswith("_KEY_FILE")}
        env["PYTHONPATH"] = str(ROOT / "src")
        secret = prepare(home, max(counts), args.enroll_photo)
        print(f"verify over HTTP on loopback, {args.requests} requests per client, photo {args.photo.name}, "
              f"{os.cpu_count()} cores")  # fmt: skip
        print(f"{'engine':<16} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'peak RSS MB':>12} "
              f"{'vs 1 client':>12}")  # fmt: skip
        for workers in sorted(set(args.engine_workers)):
            where = "in the server" if workers == 1 else f"{workers} workers"
            server, url = serve(home, env, workers)
            try:
                base = None
                for clients in counts:
                    r = step(url, secret, server.pid, clients, photo, args.requests)
                    base = base or r["throughput"]
                    print(f"{where:<16} {clients:>7} {r['throughput']:>8.1f} {r['p50_ms']:>8.0f} {r['p95_ms']:>8.0f} "
                          f"{r['peak_rss_mb']:>12.0f} {r['throughput'] / base:>11.2f}x")  # fmt: skip
            finally:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(30)
                except subprocess.TimeoutExpired:
                    server.kill()


if __name__ == "__main__":
    main()
