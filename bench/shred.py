"""How soon a withdrawal at the hub shreds the face on an online device: real hub and device servers on loopback.

    .venv/bin/python bench/shred.py [--polls 5,2] [--rounds 5]

A hub (`facegate serve`, SQLite) with `hq-lobby`, and a device paired to it and serving with `--sync-every P`
for each P of --polls. Each round: a subject is consented at the hub, enrolled on the device (one photo of
tests/data), then the consent is withdrawn at the hub; the time from that withdrawal's return to the moment the
device's database holds no template of the subject is measured (the device's data is polled every 20 ms).
Baseline in the same run: the same withdrawal made on the device itself (no hub in between). The goal is 10 s.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from facegate.edge.device import Device
from facegate.edge.hub import Hub
from facegate.gate import Gate
from facegate.home import choose_node_kind
from facegate.policy import parse_spec
from facegate.vault.models import TemplateRow

ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENT = "hq-lobby"
PHOTO = (ROOT / "tests" / "data" / "obama.jpg").read_bytes()


def serve(home: Path, sync_every: float) -> tuple[subprocess.Popen, str]:
    """Start `facegate serve` for a data directory on a free loopback port; its process and URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "facegate", "serve", "--home", str(home), "--port", str(port),
               "--sync-every", str(sync_every)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the server for {home} did not start")


def held(gate: Gate, subject: str) -> int:
    with gate.db.session(readonly=True) as session:
        return len(session.scalars(select(TemplateRow.id).where(TemplateRow.subject_id == subject)).all())


def wait(condition, limit: float = 60.0) -> float:  # type: ignore[no-untyped-def]
    """Seconds until `condition()` holds (polled every 20 ms, at most `limit`)."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > limit:
            raise SystemExit("gave up waiting")
        time.sleep(0.02)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--polls", default="5,2", help="device sync intervals to try, seconds, comma-separated")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; {args.rounds} withdrawals per setting")
    with tempfile.TemporaryDirectory() as tmp:
        hub_home = Path(tmp) / "hub"
        hub_home.mkdir()
        choose_node_kind(hub_home, "hub")
        hub = Gate.open(hub_home)
        hub.register(parse_spec((ROOT / "examples" / "deployments" / "office-entry.yaml").read_text()))
        hub_server, hub_url = serve(hub_home, 5)
        try:
            device_home = Path(tmp) / "device"
            device_home.mkdir()
            choose_node_kind(device_home, "device")
            device = Gate.open(device_home)
            token = Hub(hub, hub_home).mint_token([DEPLOYMENT], "operator:bench").token
            Device(device, device_home).join(hub_url, token, "bench")
            local = []
            for n in range(args.rounds):  # baseline: the withdrawal made on the device itself
                subject = f"local-{n}"
                device.add_subject(subject)
                device.notice_shown(DEPLOYMENT, subject)
                device.give_consent(DEPLOYMENT, subject)
                device.enroll(DEPLOYMENT, subject, PHOTO)
                start = time.perf_counter()
                device.withdraw(DEPLOYMENT, subject)
                local.append(time.perf_counter() - start)
            print(f"baseline, withdrawal on the device itself: median {statistics.median(local) * 1e3:.0f} ms")
            for poll in (float(p) for p in args.polls.split(",")):
                device_server, _ = serve(device_home, poll)
                try:
                    times = []
                    for n in range(args.rounds):
                        subject = f"p{poll:g}-{n}"
                        hub.add_subject(subject)
                        hub.notice_shown(DEPLOYMENT, subject)
                        hub.give_consent(DEPLOYMENT, subject)
                        wait(lambda s=subject: _consented(device, s))
                        device.enroll(DEPLOYMENT, subject, PHOTO)
                        hub.withdraw(DEPLOYMENT, subject)
                        times.append(wait(lambda s=subject: held(device, s) == 0))
                    print(f"--sync-every {poll:g} s: withdrawal at the hub to shred on the device: median "
                          f"{statistics.median(times):.2f} s, max {max(times):.2f} s (goal 10 s)")  # fmt: skip
                finally:
                    device_server.terminate()
                    device_server.wait(timeout=30)
        finally:
            hub_server.terminate()
            hub_server.wait(timeout=30)


def _consented(gate: Gate, subject: str) -> bool:
    with gate.db.session(readonly=True) as session:
        return gate.vault.standing(session, DEPLOYMENT, subject).current("facial_processing") is not None


if __name__ == "__main__":
    main()
