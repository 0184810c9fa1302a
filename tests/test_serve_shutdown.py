"""`facegate serve` stopped as a service manager stops it (SIGTERM) stops its face engine's worker processes first:
nothing is left for the interpreter's exit to clean up, and nothing but log lines is printed."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from edge_nodes import SRC, free_port, wait_for

pytestmark = pytest.mark.slow


def ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_terminated_server_stops_its_engine_workers_and_leaks_nothing(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "facegate", "serve", "--home", str(tmp_path / "home"), "--port", str(port),
         "--engine-workers", "2"],
        env={**os.environ, "PYTHONPATH": str(SRC)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: ready(f"http://127.0.0.1:{port}/readyz"), "the engine workers loaded", rounds=900)
        workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        assert len(workers) >= 2  # the engine's processes (and the resource tracker)
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=60)
    finally:
        server.kill()
    assert "Application shutdown complete" in errors  # uvicorn then exits by the signal it was sent (-15)
    assert "leaked" not in errors and "Traceback" not in errors and "Warning" not in errors, errors[-2000:]
    wait_for(lambda: all(gone(pid) for pid in workers), "the engine workers gone")


def gone(pid: str) -> bool:
    """Whether a process has exited (a zombie left to a parent that does not reap counts as exited)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
