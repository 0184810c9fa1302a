"""A camera's live status where people look: the console's Cameras page and `/metrics` (as the running process
last reported it), and nothing about a person in either."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_api_fixtures import Env, make_env

from facegate.gate.streams import passive_problem
from facegate.policy import spec_from_data

DOOR = "door-status"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


def with_camera(env: Env) -> None:
    gate = env.svc.gate
    from gate_fixtures import example

    spec = example("office-entry", id=DOOR, capture="passive", modality="identification", camera={"attended": True})
    assert passive_problem(spec_from_data(spec.model_dump(mode="json"))) is None
    gate.register(spec)
    gate.cameras.add(DOOR, "door-1", "rtsp://admin:secret@10.0.0.20/stream", 10)
    gate.cameras.report("door-1", state="running", frames=120, skipped=7, identified=3, strangers=2, reconnects=1)


def test_the_console_shows_each_cameras_live_status_without_its_password(env: Env) -> None:
    with_camera(env)
    env.client.post("/console/login", data={"api_key": env.keys["auditor"]})
    page = env.client.get("/console/cameras").text
    row = page[page.index('id="camera-door-1"') :]
    row = row[: row.index("</tr>")]
    assert "running" in row and ">120<" in row and ">2<" in row and "rtsp://***@10.0.0.20/stream" in row
    assert "secret" not in page and 'http-equiv="refresh"' in page


def test_metrics_carry_each_cameras_figures_and_forget_a_removed_camera(env: Env) -> None:
    with_camera(env)
    text = env.client.get("/metrics", headers=env.auth("metrics")).text
    assert 'facegate_camera{camera="door-1",figure="frames_searched"} 120.0' in text
    assert 'facegate_camera{camera="door-1",figure="running"} 1.0' in text
    assert 'facegate_camera{camera="door-1",figure="strangers"} 2.0' in text
    env.svc.gate.cameras.remove("door-1")
    assert 'camera="door-1"' not in env.client.get("/metrics", headers=env.auth("metrics")).text
