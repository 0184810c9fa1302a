"""Verification throughput of `facegate serve` under concurrent clients, with the engine in the server process and
in a pool of worker processes, in the same run.

    .venv/bin/python bench/load.py [--clients 1 4] [--seconds 20] [--photo tests/data/obama2.jpg]

Seeds a throwaway data directory with `facegate demo`, then for each engine setting starts `facegate serve` on a
free port and has each client post the same photo to /verify in a loop for --seconds; prints verifications per
second for each client count and the ratio of the most clients to one.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
VERIFY = "/api/v1/deployments/hq-lobby/subjects/obama/verify"


def facegate(*args: str, home: Path, **options: object) -> subprocess.Popen:
    """`python -m facegate ARGS --home HOME`, with this checkout's sources first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "facegate", *args, "--home", str(home)]
    return subprocess.Popen(command, env=env, **options)  # type: ignore[call-overload]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def operator_key(home: Path) -> str:
    for line in (home / "demo-keys.txt").read_text().splitlines():
        if line.startswith("demo-operator"):
            return line.split(": ", 1)[1]
    raise SystemExit("the demo left no operator key")


def throughput(base: str, key: str, photo: bytes, clients: int, seconds: float) -> float:
    """Verifications per second with `clients` threads posting in a loop for `seconds`."""
    done, stop = [0] * clients, time.perf_counter() + seconds

    def client(i: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as http:
            while time.perf_counter() < stop:
                answer = http.post(VERIFY, files={"image": ("photo.jpg", photo, "image/jpeg")})
                if answer.status_code != 200 or answer.json()["outcome"] != "match":
                    raise SystemExit(f"verification failed: {answer.status_code} {answer.text[:200]}")
                done[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--photo", type=Path, default=ROOT / "tests" / "data" / "obama2.jpg")
    parser.add_argument("--engine-workers", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    args = parser.parse_args()
    photo = args.photo.read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        facegate("demo", "--no-walkthrough", home=home, stdout=subprocess.DEVNULL).wait()
        key = operator_key(home)
        print(f"{os.cpu_count()} cores; {args.photo.name}; {args.seconds:g} s per run")
        for workers in args.engine_workers:
            port = free_port()
            server = facegate(
                "serve", "--port", str(port), "--engine-workers", str(workers), "--purge-every", "86400",
                home=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            try:
                for _ in range(600):
                    try:
                        if httpx.get(base + "/api/v1/health").status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.2)
                throughput(base, key, photo, 1, 2)  # warm up: models loaded, caches filled
                rates = {n: throughput(base, key, photo, n, args.seconds) for n in args.clients}
            finally:
                server.terminate()
                server.wait()
            where = "in the server process" if workers == 1 else f"{workers} worker processes"
            line = ", ".join(f"{n} client{'s' if n > 1 else ''}: {rate:.1f}/s" for n, rate in rates.items())
            most = max(args.clients)
            print(f"engine {where:<24} {line}; {most} vs 1: {rates[most] / rates[min(args.clients)]:.2f}x")


if __name__ == "__main__":
    main()
