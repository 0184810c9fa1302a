"""A bounded loopback load test of verification: N concurrent clients against a real `facegate serve`.

    .venv/bin/python bench/load.py [--clients 1,4] [--requests 40] [--photo tests/data/obama2.jpg]

The data directory is made fresh in a temporary folder: the office example deployment, one consenting, enrolled
subject per client and an operator key. Then `facegate serve` runs on 127.0.0.1 and, for each client count,
every client posts `--requests` verifications of its own subject over HTTP (one keep-alive connection each),
after a warm-up. Printed per client count: throughput, p50/p95 latency, the server's peak RSS during that step
(the kernel's high-water mark, reset before each step), and the throughput relative to one client, measured in
the same run.
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


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size since the last reset (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak(pid: int) -> None:
    """Start a new high-water mark (Linux: 5 > /proc/PID/clear_refs)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


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
    warm = [threading.Thread(target=client_run, args=(url, secret, f"load-{i}", photo, 2, [])) for i in range(clients)]
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


def main() -> None:
    """Run the steps and print one line per client count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,4", help="Comma-separated client counts (1 is always run first).")
    parser.add_argument("--requests", type=int, default=40, help="Verifications per client per step.")
    parser.add_argument("--photo", type=Path, default=ROOT / "tests" / "data" / "obama2.jpg")
    parser.add_argument("--enroll-photo", type=Path, default=ROOT / "tests" / "data" / "obama.jpg")
    args = parser.parse_args()
    counts = sorted({1, *(int(c) for c in args.clients.split(","))})
    photo = args.photo.read_bytes()
    with tempfile.TemporaryDirectory(prefix="facegate-load-") as folder:
        home = Path(folder) / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FACEGATE_")}
        os.environ.update({"FACEGATE_MASTER_KEY_FILE": str(Path(folder) / "master.key")})
        env["FACEGATE_MASTER_KEY_FILE"] = os.environ["FACEGATE_MASTER_KEY_FILE"]
        secret = prepare(home, max(counts), args.enroll_photo)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "facegate", "serve", "--home", str(home), "--port", str(port)]
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                raise SystemExit("the server did not start")
            print(f"verify over HTTP on loopback, {args.requests} requests per client, photo {args.photo.name}, "
                  f"{os.cpu_count()} cores")  # fmt: skip
            print(f"{'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'peak RSS MB':>12} {'vs 1 client':>12}")
            base = None
            for clients in counts:
                r = step(url, secret, server.pid, clients, photo, args.requests)
                base = base or r["throughput"]
                print(f"{clients:>7} {r['throughput']:>8.1f} {r['p50_ms']:>8.0f} {r['p95_ms']:>8.0f} "
                      f"{r['peak_rss_mb']:>12.0f} {r['throughput'] / base:>11.2f}x")  # fmt: skip
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
