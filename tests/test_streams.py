"""Door cameras: the passive-capture checks, the tracker, the camera registry and a stream decided through the gate.

The stream here is a video file the test writes (people walking through a corridor); tests/test_streams_rtsp.py
runs the same over a real RTSP server.
"""

import http.server
import io
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from gate_fixtures import example
from PIL import Image
from sqlalchemy import text
from stream_scene import Walker, corridor, frames, head, write_clip

from facegate import webhooks
from facegate.errors import InputError, RefusedError
from facegate.gate import Gate
from facegate.gate.streams import passive_problem, redact
from facegate.streams.camera import CameraRunner
from facegate.streams.source import LatestFrame, StreamSource
from facegate.streams.tracks import Tracker, iou

DOOR = "door-gallery"
PASSIVE = {"capture": "passive", "modality": "identification", "camera": {"attended": True, "min_face_px": 60}}


def door_spec(**changes: object):
    return example("office-entry", id=DOOR, **{**PASSIVE, **changes})


@pytest.mark.parametrize(
    ("changes", "rules"),
    [
        ({}, None),
        ({"capture": "active"}, "CN25-4b"),
        ({"location": {"signage": False}}, "CN25-5b"),
        ({"camera": {"attended": False}}, "CN25-10b"),
        ({"camera": {"attended": False, "liveness": "off"}}, None),
        ({"location": {"setting": "public_place"}}, "CN25-13b"),  # access control is not public security
        ({"location": {"setting": "public_place", "collection_area": None}, "purpose": {"category": "public_security"}},
         "CN25-13b"),
    ],
)  # fmt: skip
def test_a_stream_runs_only_where_the_spec_allows_passive_capture(changes: dict, rules: str | None) -> None:
    problem = passive_problem(door_spec(**changes))
    assert (problem is None) if rules is None else (problem is not None and rules in problem[1])


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int


@dataclass(frozen=True)
class Seen:
    face: Box
    quality: float


def walk(x0: int, steps: int, dx: int = 20, quality: tuple[float, ...] = ()) -> list[Seen]:
    return [Seen(Box(x0 + i * dx, 100, x0 + i * dx + 100, 200), quality[i] if quality else 50.0) for i in range(steps)]


def test_one_person_walking_through_is_one_track_decided_on_its_best_look() -> None:
    tracker: Tracker[Seen] = Tracker(patience=2)
    looks = walk(0, 8, quality=(10, 20, 40, 80, 60, 50, 40, 30))
    decided = []
    for frame, look in enumerate(looks):
        ready, _ = tracker.update(frame, [look], at=float(frame))
        for track in ready:
            track.decided = True
            decided.append((frame, track.best.quality))
    assert decided == [(5, 80)]  # two frames without a better look after the best (frame 3)


def test_two_people_apart_are_two_tracks_and_a_stray_box_is_none() -> None:
    tracker: Tracker[Seen] = Tracker(patience=2, max_missed=1)
    a, b = walk(0, 6), walk(600, 6)
    stray = Seen(Box(300, 400, 340, 440), 99.0)
    ready_all = []
    for frame in range(6):
        ready, _ = tracker.update(frame, [a[frame], b[frame]] + ([stray] if frame == 2 else []), at=0.0)
        for track in ready:
            track.decided = True
        ready_all += ready
    for frame in range(6, 9):  # everyone has left
        ready_all += tracker.update(frame, [], at=0.0)[0]
    assert len(ready_all) == 2 and iou(a[0].face, a[0].face) == 1.0 and iou(a[0].face, b[0].face) == 0.0


def test_the_frame_slot_holds_only_the_newest_frame() -> None:
    slot = LatestFrame()
    for i in range(5):
        slot.put(i)  # type: ignore[arg-type]
    assert slot.take(0.01) == 4 and slot.skipped == 4 and slot.take(0.01) is None


def test_a_camera_is_added_only_to_a_passive_deployment_and_listed_without_its_password(gate: Gate) -> None:
    gate.register(example("office-entry"))
    with pytest.raises(RefusedError) as refused:
        gate.cameras.add("hq-lobby", "door-1", "rtsp://cam.local/stream")
    assert "CN25-4b" in refused.value.rule_ids and gate.cameras.list() == []
    gate.register(door_spec())
    with pytest.raises(InputError, match="scheme"):
        gate.cameras.add(DOOR, "door-1", "ftp://cam.local/x")
    gate.cameras.add(DOOR, "door-1", "rtsp://admin:secret@cam.local:554/stream", 5)
    [camera] = gate.cameras.list()
    assert camera["url"] == "rtsp://***@cam.local:554/stream" and camera["state"] == "stopped"
    assert redact("rtsp://cam.local/s") == "rtsp://cam.local/s"
    operations = [(e["operation"], e["decision"]) for e in entries(gate) if e["operation"].startswith("camera")]
    assert operations == [("camera.add", "refuse"), ("camera.add", "allow")]


def entries(gate: Gate) -> list[dict]:
    with gate.db.session(readonly=True) as session:
        return [json.loads(p) for (p,) in session.execute(text("SELECT payload FROM audit_entry ORDER BY idx"))]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, photos: Path) -> Path:
    """Obama walks through, then a stranger (Biden), then Obama again: 10 s at 10 fps, 640x360."""
    from gate_fixtures import shared_engine

    from facegate.engine.images import load_image

    def cut(name: str) -> object:
        face = shared_engine().detect(load_image(photos / name))[0]
        return head(photos / name, (face.left, face.top, face.right, face.bottom), 90)

    walkers = [Walker(cut("obama2.jpg"), 80, 0.5), Walker(cut("biden.jpg"), 80, 3.5), Walker(cut("obama.jpg"), 80, 6.5)]
    path = tmp_path_factory.mktemp("clip") / "door.mkv"
    return write_clip(path, frames(walkers, 640, 360, 10, 10), 640, 360, 10)


def door_with_obama(gate: Gate, photos: Path, url: str) -> None:
    gate.register(door_spec())
    for subject, photo in (("obama", "obama.jpg"), ("kit", "kit_harington.jpeg")):
        gate.add_subject(subject)
        gate.notice_shown(DOOR, subject)
        gate.give_consent(DOOR, subject)
        gate.enroll(DOOR, subject, (photos / photo).read_bytes())
    gate.cameras.add(DOOR, "door-1", url, 10)


def test_each_pass_is_one_decision_the_stranger_is_counted_and_nothing_is_kept(
    gate: Gate, photos: Path, clip: Path, tmp_path: Path
) -> None:
    door_with_obama(gate, photos, str(clip))
    hooks = webhooks.Webhooks(gate.db, gate.clock, gate.context.keystore)
    hooks.register("https://hooks.example.com/door", ["door.decision"], "", "admin:t")
    before = {p: p.stat().st_size for p in tmp_path.rglob("*") if p.is_file()}
    runner = CameraRunner(gate.cameras, "door-1")
    counts = runner.run(max_seconds=60)
    outcomes = [(e["outcome"], e.get("subject")) for e in runner.decided]
    assert outcomes == [("identified", "obama"), ("no_match", None), ("identified", "obama")]
    # A file plays at its own rate: a loaded machine may skip frames, but never reads one twice (100 in the clip).
    assert counts.strangers == 1 and counts.identified == 2 and 0 < counts.frames <= 100
    identified = [e for e in entries(gate) if e["operation"] == "identify"]
    assert [e.get("subject") for e in identified] == ["obama", None, "obama"]
    assert all(e["actor"] == "camera:door-1" for e in identified)
    [camera] = gate.cameras.list()
    assert camera["state"] == "ended" and camera["strangers"] == 1 and camera["frames"] == counts.frames
    with gate.db.session(readonly=True) as session:
        sent = [json.loads(p)["data"] for (p,) in session.execute(text("SELECT payload FROM webhook_delivery"))]
    assert [(d["outcome"], d["subject"]) for d in sent] == outcomes and all(d["event_id"] for d in sent)
    after = [p for p in tmp_path.rglob("*") if p.is_file() and p not in before]
    assert not [p for p in after if p.suffix.lower() in (".jpg", ".png", ".mkv", ".npy", ".raw")], after


def test_retiring_the_deployment_stops_the_running_stream_at_once(gate: Gate, photos: Path, clip: Path) -> None:
    door_with_obama(gate, photos, str(clip))
    runner = CameraRunner(gate.cameras, "door-1", loop=True)
    thread = threading.Thread(target=runner.run, args=(60,))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not runner.decided and time.monotonic() < deadline:
            time.sleep(0.1)
        assert runner.decided, "no decision within 30 s"
        gate.retire(DOOR)
        frames_then = runner.counts.frames
        time.sleep(1.5)
        assert runner.state == "refused" and runner.counts.frames <= frames_then + 1
        [camera] = gate.cameras.list()
        assert camera["state"] == "refused" and "CN25" in (camera["detail"] or "")
    finally:
        runner.stop()
        thread.join(20)
    stops = [e for e in entries(gate) if e["operation"] == "camera.stop"]
    assert stops and stops[0]["decision"] == "refuse" and stops[0]["rule_ids"]


def test_a_card_reader_event_makes_the_next_track_a_1_to_1_verification(gate: Gate, photos: Path, clip: Path) -> None:
    gate.register(example("office-entry", id="door-cards", **{**PASSIVE, "modality": "verification"}))
    gate.add_subject("obama")
    gate.notice_shown("door-cards", "obama")
    gate.give_consent("door-cards", "obama")
    gate.enroll("door-cards", "obama", (photos / "obama.jpg").read_bytes())
    gate.cameras.add("door-cards", "door-2", str(clip), 10)
    runner = CameraRunner(gate.cameras, "door-2")
    runner.card("obama")  # the card is shown as the first person walks up; the others show none
    counts = runner.run(max_seconds=60)
    assert [(e["outcome"], e.get("subject")) for e in runner.decided] == [("match", "obama")]
    assert counts.unclaimed == 2  # a 1:1 deployment decides nobody without a card
    verified = [e for e in entries(gate) if e["operation"] == "verify"]
    assert len(verified) == 1 and verified[0]["actor"] == "camera:door-2"


class Mjpeg(http.server.BaseHTTPRequestHandler):
    """An HTTP camera: 20 JPEG frames of a corridor at 10 fps as multipart/x-mixed-replace, then the answer ends."""

    frames: ClassVar[list[bytes]] = []

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        for jpeg in self.frames:
            self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg))
            self.wfile.write(jpeg + b"\r\n")
            time.sleep(0.1)

    def log_message(self, *args: object) -> None:
        pass


def test_an_http_mjpeg_camera_is_read_sampled_and_reconnected_when_its_answer_ends() -> None:
    picture = io.BytesIO()
    Image.fromarray(corridor(320, 240)).save(picture, "JPEG")
    Mjpeg.frames = [picture.getvalue()] * 20
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Mjpeg)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    source = StreamSource(f"http://127.0.0.1:{server.server_port}/video", sample_fps=5)
    source.start()
    taken = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        frame = source.take(0.5)
        if frame is not None:
            taken.append(frame.pixels.shape)
    source.stop()
    server.shutdown()
    assert taken and set(taken) == {(240, 320, 3)}
    assert source.decoded >= 25 and len(taken) < source.decoded / 2  # 10 fps in, about 5 taken a second
    assert source.reconnects >= 1  # the answer ended after 2 s: opened again
