"""Real nodes for the hub and device tests: data directories, `facegate serve` processes on loopback ports."""

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from gate_fixtures import wait_for

from facegate.gate import Gate
from facegate.home import choose_node_kind

SRC = Path(__file__).resolve().parents[1] / "src"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Node:
    """One data directory, its in-process gate and, once started, its server."""

    home: Path
    kind: str
    gate: Gate
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, sync_every: float = 0.5, *options: str, port: int = 0) -> None:
        """Run `facegate serve` for this data directory on a loopback port (`port`, else a free one) and wait until
        it answers."""
        self.port = port or free_port()
        env = {**os.environ, **self.env, "PYTHONPATH": str(SRC)}
        command = [sys.executable, "-m", "facegate", "serve", "--home", str(self.home), "--port", str(self.port),
                   "--sync-every", str(sync_every), *options]  # fmt: skip
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for(self._answers, f"{self.kind} server on port {self.port}")

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"server exited: {self.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            return httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Stop the server (terminate, then wait)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def make_node(home: Path, kind: str, engine_factory: Callable | None = None, **env: str) -> Node:
    """A fresh data directory of this kind, with a gate opened on it in this process."""
    home.mkdir(parents=True, exist_ok=True)
    choose_node_kind(home, kind)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        gate = Gate.open(home, engine_factory=engine_factory)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Node(home, kind, gate, dict(env))
