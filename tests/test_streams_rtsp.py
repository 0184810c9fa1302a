"""A door camera on a real RTSP stream: Debian's GStreamer RTSP server on loopback (scripts/rtsp-serve) serves a
clip of a corridor; facegate identifies the enrolled person once per pass, lets the stranger go as a count, calls
the door relay on each match, survives the server's restart, and leaves no frame in its data directory."""

import http.server
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from gate_fixtures import example, shared_engine
from stream_scene import Walker, frames, head, write_clip

from facegate.engine.images import load_image
from facegate.gate import Gate
from facegate.streams.camera import CameraRunner

ROOT = Path(__file__).resolve().parents[1]
SERVE = ROOT / "scripts" / "rtsp-serve"
DOOR = "door-gallery"
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gstreamer_ready() -> bool:
    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    found = subprocess.run(["/usr/bin/python3", "-c", probe], capture_output=True).returncode == 0
    return found and shutil.which("gst-inspect-1.0") is not None


class RtspServer:
    """scripts/rtsp-serve as a child process: started, stopped and started again on the same port."""

    def __init__(self, clip: Path) -> None:
        self.clip, self.port = clip, free_port()
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/door"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(SERVE), str(self.port), "door", str(self.clip)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        assert line == "ready", f"rtsp-serve did not start: {line} {self.process.stderr.read() if line == '' else ''}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory, photos: Path) -> Iterator[RtspServer]:
    if not gstreamer_ready():
        pytest.skip("needs Debian's GStreamer RTSP server: run scripts/test-rtsp (make test does)")

    def cut(name: str) -> object:
        face = shared_engine().detect(load_image(photos / name))[0]
        return head(photos / name, (face.left, face.top, face.right, face.bottom), 90)

    # Obama walks through, then a stranger; then 20 s of empty corridor, so one connection is one pass of each.
    walkers = [Walker(cut("obama2.jpg"), 80, 1.0), Walker(cut("biden.jpg"), 80, 4.0)]
    clip = tmp_path_factory.mktemp("rtsp") / "door.mkv"
    write_clip(clip, frames(walkers, 640, 360, 10, 26), 640, 360, 10)
    served = RtspServer(clip)
    served.start()
    yield served
    served.stop()


class Relay(http.server.BaseHTTPRequestHandler):
    calls: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        Relay.calls.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def wait_for(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_real_rtsp_stream_one_decision_per_pass_through_a_server_restart_nothing_kept(
    server: RtspServer, photos: Path, tmp_path: Path
) -> None:
    home = tmp_path / "device"
    gate = Gate.open(home, engine_factory=shared_engine)
    spec = {"capture": "passive", "modality": "identification", "camera": {"attended": True, "min_face_px": 60}}
    gate.register(example("office-entry", id=DOOR, **spec))
    for subject, photo in (("obama", "obama.jpg"), ("kit", "kit_harington.jpeg")):
        gate.add_subject(subject)
        gate.notice_shown(DOOR, subject)
        gate.give_consent(DOOR, subject)
        gate.enroll(DOOR, subject, (photos / photo).read_bytes())
    relay = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Relay)
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    Relay.calls = []
    gate.cameras.add(DOOR, "door-1", server.url, 10, f"http://127.0.0.1:{relay.server_port}/open")
    files_before = {p.relative_to(home) for p in home.rglob("*") if p.is_file()}

    runner = CameraRunner(gate.cameras, "door-1")
    thread = threading.Thread(target=runner.run, args=(120,))
    thread.start()
    try:
        assert wait_for(lambda: len(runner.decided) >= 2, 40), f"first pass: {runner.decided}"
        first = [(e["outcome"], e.get("subject")) for e in runner.decided]
        assert first == [("identified", "obama"), ("no_match", None)]
        assert gate.cameras.list()[0]["state"] == "running"
        server.stop()
        assert wait_for(lambda: gate.cameras.list()[0]["state"] == "reconnecting", 20)
        server.start()
        assert wait_for(lambda: len(runner.decided) >= 4, 60), f"after the restart: {runner.decided}"
    finally:
        runner.stop()
        thread.join(30)
        relay.shutdown()
    outcomes = [(e["outcome"], e.get("subject")) for e in runner.decided]
    assert outcomes == [("identified", "obama"), ("no_match", None)] * 2
    assert runner.source.reconnects >= 1 and runner.counts.strangers == 2
    assert wait_for(lambda: len(Relay.calls) == 2, 5) and {c["camera"] for c in Relay.calls} == {"door-1"}
    assert all(set(c) == {"camera", "event_id"} for c in Relay.calls)  # no subject goes to the door controller
    # Nothing but the database's own files is new in the data directory, and no file there is a picture or video.
    new = {p.relative_to(home) for p in home.rglob("*") if p.is_file()} - files_before
    assert all(p.name.startswith("facegate.db") for p in new), new
    signatures = (b"\xff\xd8\xff", b"\x89PNG", b"\x1a\x45\xdf\xa3", b"RIFF")
    assert not [p for p in home.rglob("*") if p.is_file() and p.read_bytes()[:4].startswith(signatures)]
