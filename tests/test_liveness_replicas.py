"""Two `facegate serve` replicas on one PostgreSQL database: a challenge handed out by one is answered through the
other, once; the second answer, through either, finds no challenge."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gate_fixtures import example
from liveness_frames import jpeg, sequence
from test_api_fixtures import DATA

from facegate.engine.liveness import Challenge
from facegate.gate import Gate
from facegate.server import create_app

pytestmark = pytest.mark.slow
KIOSK = "replica-kiosk"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise AssertionError(f"the replica stopped: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the replica did not answer within 120 s")


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    """Two served replicas of one data directory on one PostgreSQL database, a kiosk with obama enrolled."""
    base_url = os.environ.get("FACEGATE_TEST_POSTGRES_URL")
    if not base_url:
        pytest.skip("needs FACEGATE_TEST_POSTGRES_URL (scripts/test-postgres prints one)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"facegate_replicas_{os.getpid()}_{time.monotonic_ns() % 10**9}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    home = tmp_path / "home"
    env = {**os.environ, "FACEGATE_HOME": str(home), "FACEGATE_DATABASE_URL": url}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        from fastapi.testclient import TestClient

        gate = Gate.open(home, database_url=url)
        gate.register(example("office-entry", id=KIOSK, camera={"min_face_px": 120}))
        app = create_app(home, gate=gate, purge_every=None)
        key = app.state.service.keys.create("operator", gate.clock(), "kiosk", [KIOSK])[1]
        headers = {"Authorization": f"Bearer {key}"}
        with TestClient(app) as client:
            assert client.post("/api/v1/subjects", json={"id": "obama"}, headers=headers).status_code == 201
            standing = f"/api/v1/deployments/{KIOSK}/subjects/obama"
            assert client.post(standing + "/notice", headers=headers).status_code == 200
            assert client.post(standing + "/consents", json={}, headers=headers).status_code == 201
            image = {"image": ("obama.jpg", (DATA / "obama.jpg").read_bytes(), "image/jpeg")}
            assert client.post(standing + "/enroll", files=image, headers=headers).status_code == 201
        gate.context.db.dispose()
        bases = []
        for _ in range(2):
            port = _free_port()
            command = [sys.executable, "-m", "facegate", "serve", "--port", str(port), "--engine-workers", "1"]
            processes.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, processes, strict=True):
            _wait_ready(base, process)
        yield bases, key
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_challenge_from_one_replica_is_answered_through_the_other_once(replicas: tuple[list[str], str]) -> None:
    (first, second), key = replicas
    headers = {"Authorization": f"Bearer {key}"}
    asked = httpx.post(
        f"{first}/api/v1/deployments/{KIOSK}/liveness/challenge", json={"device": "k1"}, headers=headers, timeout=30
    )
    assert asked.status_code == 200, asked.text
    body = asked.json()
    challenge = Challenge(
        tuple(body["turns"]), tuple(c["name"] for c in body["colours"]), body["segment_ms"], body["colour_ms"]
    )
    frames = sequence(challenge)
    files = [("frames", (f"{i}.jpg", jpeg(frame), "image/jpeg")) for i, (_, frame) in enumerate(frames)]
    data = {"nonce": body["nonce"], "device": "k1", "timestamps": str([round(t, 1) for t, _ in frames])}
    verify = f"/api/v1/deployments/{KIOSK}/subjects/obama/verify/live"
    answer = httpx.post(second + verify, files=files, data=data, headers=headers, timeout=120)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "match"
    for replica in (first, second):
        again = httpx.post(replica + verify, files=files, data=data, headers=headers, timeout=120)
        assert again.status_code == 403 and again.json()["reasons"] == ["unknown_challenge"]
