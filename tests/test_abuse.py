"""Small defences: extreme audit dates answer 422; batch workers die with the command that started them."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_api_fixtures import Env, make_env

SRC = Path(__file__).resolve().parents[1] / "src"
DATA = Path(__file__).parent / "data"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


@pytest.mark.parametrize(
    "query",
    [
        "since=2026-01-01&until=9999-12-31",
        "since=0001-01-01&until=2026-01-01",
        "since=0001-01-01T00:00:00&until=2026-01-01",
    ],
)
def test_extreme_audit_dates_are_refused_not_crashed(env: Env, query: str) -> None:
    answer = env.client.get(f"/api/v1/audit/export?{query}", headers=env.auth("auditor"))
    assert answer.status_code == 422, answer.text
    assert "outside 1970-01-01 to 9998-12-31" in answer.json()["detail"]


def children(pid: int) -> set[int]:
    """The live processes whose parent is `pid` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_batch_workers_die_with_a_killed_calibrate_command(tmp_path: Path) -> None:
    home, photos = tmp_path / "home", tmp_path / "photos"
    for i in range(60):  # <identity>/<image>: calibrate embeds them over its worker processes
        (photos / f"s{i:02d}").mkdir(parents=True)
        shutil.copy(DATA / "obama.jpg", photos / f"s{i:02d}" / "one.jpg")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEGATE_")}
    env["PYTHONPATH"] = str(SRC)
    command = [sys.executable, "-m", "facegate", "calibrate", "--images", str(photos), "--workers", "2",
               "--out", str(tmp_path / "made.json")]  # fmt: skip
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    batch = subprocess.Popen([*command, "--home", str(home)], env=env, **quiet)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 and time.monotonic() < deadline and batch.poll() is None:
            workers = {p for p in children(batch.pid) if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()}
            time.sleep(0.2)
        assert len(workers) >= 2, "the batch should have started its workers"
        batch.send_signal(signal.SIGKILL)
        batch.wait()
        deadline = time.monotonic() + 60
        while any(alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(alive(p) for p in workers)
    finally:
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if batch.poll() is None:
            batch.kill()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL])
def test_engine_workers_go_with_their_server(tmp_path: Path, stop: signal.Signals) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEGATE_")}
    env["PYTHONPATH"] = str(SRC)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "facegate", "serve", "--home", str(tmp_path / "home"), "--port", str(port)]
    log = tmp_path / "serve.log"
    with log.open("wb") as err:
        server = subprocess.Popen([*command, "--engine-workers", "2"], env=env, stdout=subprocess.DEVNULL, stderr=err)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 180
        while len(workers) < 2 and time.monotonic() < deadline and server.poll() is None:
            workers = {p for p in children(server.pid) if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()}
            time.sleep(0.2)
        assert len(workers) >= 2, "the server should have started its engine workers"
        server.send_signal(stop)
        server.wait(60)
        deadline = time.monotonic() + 60
        while any(alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(alive(p) for p in workers)
    finally:
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if server.poll() is None:
            server.kill()
    if stop == signal.SIGTERM:  # stopped in order: the workers before the interpreter's exit, nothing else printed
        printed = log.read_text()
        assert "Application shutdown complete" in printed
        assert "leaked" not in printed and "Traceback" not in printed and "Warning" not in printed, printed[-2000:]
