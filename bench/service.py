"""Where one verification's time goes through `facegate serve`, stage by stage, for camera frames (and a photo).

    .venv/bin/python bench/service.py [--requests 40] [--engine-workers 1] [--baseline-runs 5] [--photo]

A real `facegate serve` on loopback answers `POST .../verify` for a 640x480 kiosk frame with a ~160 px face and a
1280x720 camera frame with a ~200 px face (deployment with `camera.min_face_px: 150`, attended, liveness optional,
so that a single frame may be verified), and with `--photo` for `obama2.jpg` (a deployment without camera
settings). Each input gets --requests verifications over one keep-alive connection: p50 and p95 wall time, and
the CPU time the server (and its engine workers) spent per request, read from /proc, which a loaded machine
inflates far less than wall time. `face_recognition`'s face_locations + face_encodings runs on the same decoded
frames in this process, interleaved with the requests so that both see the same load (benchmark only:
`.venv/bin/pip install --no-deps face_recognition`); the ratios compare the two in the same run.

Then each stage alone, in this process, on one core, in CPU time, in a worker thread as the server runs them (a
thread's heap behaves unlike the main one): decode (`decode_for_faces`), detect, align (the landmarks and the
aligned chip), embed (the probe's one descriptor pass; a template's flip TTA, which enrollment pays, is shown
apart), the API key check, the gate (`Gate.verify` with a precomputed embedding: checks, template decryption,
comparison, audit append and commit). What the request adds (socket, HTTP and multipart parsing, the dependencies,
the hops to a worker thread, the answer) is the server's CPU per request minus the stages. Last comes one summary
line.
"""

import argparse
import contextlib
import io
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).parent))
from load import family, serve

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
EXAMPLE = ROOT / "examples" / "deployments" / "office-entry.yaml"
PHOTO_DEPLOYMENT, CAMERA_DEPLOYMENT = "hq-lobby", "hq-kiosk"
KIOSK, HD, PHOTO = "640x480 kiosk frame", "1280x720 frame", "photo obama2.jpg"


def frame(width: int, height: int, face_px: int, rng: random.Random) -> bytes:
    """A camera frame (JPEG, quality 90): a blurred scene with obama2.jpg's face scaled to about `face_px`."""
    source = Image.open(DATA / "obama2.jpg").convert("RGB")
    scene = source.resize((width, height)).filter(ImageFilter.GaussianBlur(12))
    scale = face_px / 260  # obama2.jpg's face box is about 260 px wide
    face = source.resize((round(source.width * scale), round(source.height * scale)))
    face = face.crop((0, 0, min(face.width, width), min(face.height, height)))
    scene.paste(face, (rng.randrange(0, width - face.width + 1), rng.randrange(0, height - face.height + 1)))
    buffer = io.BytesIO()
    scene.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def prepare(home: Path) -> str:
    """The office deployment and a kiosk copy with camera.min_face_px 150, obama enrolled in both; a key."""
    from facegate import policy
    from facegate.api.service import Service
    from facegate.gate import Gate

    gate = Gate.open(home)
    office = policy.parse_spec(EXAMPLE.read_text())
    camera = {"min_face_px": 150, "attended": True, "liveness": "optional"}
    kiosk = policy.spec_from_data({**office.model_dump(mode="json"), "id": CAMERA_DEPLOYMENT, "camera": camera})
    gate.add_subject("obama")
    for spec in (office, kiosk):
        gate.register(spec)
        gate.notice_shown(spec.id, "obama")
        gate.give_consent(spec.id, "obama")
        gate.enroll(spec.id, "obama", (DATA / "obama.jpg").read_bytes())
    service = Service.open(home, gate)
    secret = service.keys.create("operator", service.clock(), "bench", [PHOTO_DEPLOYMENT, CAMERA_DEPLOYMENT])[1]
    gate.db.dispose()
    return secret


def cpu_ms(fn: Callable[[], Any], runs: int) -> float:
    """Median CPU time of `fn` in this process, in ms, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return statistics.median(times) * 1000


def family_cpu_s(pid: int) -> float:
    """CPU seconds spent so far by every thread of a process and its children (the engine workers), to the
    nanosecond (schedstat; /proc/PID/stat counts whole clock ticks)."""
    total = 0
    for member in family(pid):
        for task in Path(f"/proc/{member}/task").glob("*"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def face_recognition_run(image: bytes) -> Callable[[], Any] | None:
    """face_recognition's detect + encode of the decoded image (None when the package is absent)."""
    try:
        import face_recognition
    except ImportError:
        return None
    pixels = np.asarray(Image.open(io.BytesIO(image)).convert("RGB"))
    return lambda: face_recognition.face_encodings(pixels, face_recognition.face_locations(pixels))


def through_api(
    url: str, secret: str, pid: int, deployment: str, image: bytes, requests: int, baseline_runs: int
) -> dict[str, float]:
    """`requests` verifications of this image (after warm-up), with face_recognition interleaved: p50, p95, the
    server's CPU per request, and face_recognition's median wall and CPU time."""
    path = f"{url}/api/v1/deployments/{deployment}/subjects/obama/verify"
    baseline = face_recognition_run(image)
    every = max(1, requests // baseline_runs) if baseline else 0
    with httpx.Client(headers={"Authorization": f"Bearer {secret}"}, timeout=120) as client:

        def once() -> float:
            started = time.perf_counter()
            answer = client.post(path, files={"image": ("probe.jpg", image, "image/jpeg")})
            if answer.status_code != 200 or answer.json()["outcome"] != "match":
                raise SystemExit(f"verification failed: {answer.status_code} {answer.text[:200]}")
            return time.perf_counter() - started

        for _ in range(3):
            once()
        if baseline:
            baseline()
        walls, server_cpu, base_wall, base_cpu = [], 0.0, [], []
        for n in range(requests):
            before = family_cpu_s(pid)
            walls.append(once())
            server_cpu += family_cpu_s(pid) - before
            if baseline and n % every == every - 1 and len(base_wall) < baseline_runs:
                wall, cpu = time.perf_counter(), time.process_time()
                baseline()
                base_wall.append(time.perf_counter() - wall)
                base_cpu.append(time.process_time() - cpu)
    walls.sort()
    out = {
        "p50": statistics.median(walls) * 1000,
        "p95": walls[round(0.95 * (len(walls) - 1))] * 1000,
        "server cpu": server_cpu / requests * 1000,
    }
    if base_wall:
        out["fr wall"], out["fr cpu"] = statistics.median(base_wall) * 1000, statistics.median(base_cpu) * 1000
    return out


def stages(home: Path, secret: str, deployment: str, image: bytes, min_face: int | None, runs: int) -> dict[str, float]:
    """Each stage of a verification alone, in this process, in CPU ms."""
    from facegate.api.keys import ApiKeys
    from facegate.engine.dlib_backend import DlibEngine
    from facegate.engine.images import decode_for_faces
    from facegate.gate import Gate

    engine = DlibEngine()
    pixels, scale = decode_for_faces(image, min_face)
    sized = round(min_face * scale) if min_face else None
    faces = engine.detect(pixels, min_face_px=sized)
    face = max(faces, key=lambda f: f.width * f.height)
    chips = engine.chips(pixels, [face])
    out = {
        "decode": cpu_ms(lambda: decode_for_faces(image, min_face), runs),
        "detect": cpu_ms(lambda: engine.detect(pixels, min_face_px=sized), runs),
        "align": cpu_ms(lambda: engine.chips(pixels, [face]), runs),
        "embed (probe, one pass)": cpu_ms(lambda: engine.embed_chips(chips, one_pass=True), runs),
    }
    template = cpu_ms(lambda: engine.embed_chips(chips), runs)
    vector = engine.embed_one_pass(pixels, [face])[0].vector
    gate = Gate.open(home, engine_factory=lambda: engine)
    gate.engines.embed = lambda *args, **kwargs: (vector, engine.model_id)  # type: ignore[method-assign]  # gate alone
    keys = ApiKeys(gate.db)
    out["API key check"] = cpu_ms(lambda: keys.authenticate(secret), runs)
    out["gate + audit"] = cpu_ms(lambda: gate.verify(deployment, "obama", image), runs)
    gate.db.dispose()
    out["(a template: flip TTA)"] = template
    return out


def main() -> None:
    """Serve, time the inputs through HTTP with face_recognition interleaved, then stage by stage; print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--engine-workers", type=int, default=1, help="1: the engine in the server process")
    parser.add_argument("--baseline-runs", type=int, default=5, help="face_recognition runs per input")
    parser.add_argument("--photo", action="store_true", help="also obama2.jpg (626x1200) on a photo deployment")
    args = parser.parse_args()
    rng = random.Random(7)
    inputs: dict[str, tuple[str, bytes, int | None]] = {
        KIOSK: (CAMERA_DEPLOYMENT, frame(640, 480, 160, rng), 150),
        HD: (CAMERA_DEPLOYMENT, frame(1280, 720, 200, rng), 150),
    }
    if args.photo:
        inputs[PHOTO] = (PHOTO_DEPLOYMENT, (DATA / "obama2.jpg").read_bytes(), None)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        secret = prepare(home)
        env = {**os.environ, "FACEGATE_HOME": str(home), "OMP_NUM_THREADS": "1"}
        server, url = serve(home, env, args.engine_workers)
        try:
            api = {
                name: through_api(url, secret, server.pid, d, image, args.requests, args.baseline_runs)
                for name, (d, image, _) in inputs.items()
            }
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        with ThreadPoolExecutor(1) as thread:  # a worker thread, as the server's endpoints run: its own heap
            parts = {
                name: thread.submit(stages, home, secret, d, image, m, min(args.requests, 30)).result()
                for name, (d, image, m) in inputs.items()
            }
    names = list(inputs)

    def row(label: str, values: dict[str, float], unit: str = "") -> None:
        print(f"{label:<40}" + "".join(f"{values[n]:>{21 - len(unit)}.1f}{unit}" for n in names))

    print(f"{'(ms)':<40}" + "".join(f"{n:>21}" for n in names))
    for stage in parts[names[0]]:
        row(f"{stage}, CPU", {n: parts[n][stage] for n in names})
    engine = [s for s in parts[names[0]] if not s.startswith("(")]
    row("stages together, CPU", {n: sum(parts[n][s] for s in engine) for n in names})
    row("server CPU per request", {n: api[n]["server cpu"] for n in names})
    together = {n: sum(parts[n][s] for s in engine) for n in names}
    row("  of which socket, parse, key, answer", {n: api[n]["server cpu"] - together[n] for n in names})
    row("through the API, p50 wall", {n: api[n]["p50"] for n in names})
    row("through the API, p95 wall", {n: api[n]["p95"] for n in names})
    baseline = all("fr wall" in api[n] for n in names)
    if baseline:
        row("face_recognition, median wall", {n: api[n]["fr wall"] for n in names})
        row("face_recognition, median CPU", {n: api[n]["fr cpu"] for n in names})
        row("ratio, wall (face_recognition / p50)", {n: api[n]["fr wall"] / api[n]["p50"] for n in names}, "x")
        row("ratio, CPU (face_recognition / server)", {n: api[n]["fr cpu"] / api[n]["server cpu"] for n in names}, "x")
    where = "in the server" if args.engine_workers == 1 else f"in {args.engine_workers} worker processes"
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"({args.requests} requests per input, engine {where}, {os.cpu_count()} cores, load average {load}, "
          f"{time.perf_counter() - started:.0f} s)")  # fmt: skip
    kiosk, hd = api[KIOSK], api[HD]
    ratio = "face_recognition absent"
    if baseline:
        ratio = f"{hd['fr wall'] / hd['p50']:.1f}x face_recognition (CPU {hd['fr cpu'] / hd['server cpu']:.1f}x)"
    print(f"SUMMARY kiosk 640x480: p50 {kiosk['p50']:.1f} ms, p95 {kiosk['p95']:.1f} ms, server CPU "
          f"{kiosk['server cpu']:.1f} ms (goal <= 25 ms) | 1280x720: p50 {hd['p50']:.1f} ms, {ratio} (goal >= 12x) | "
          f"load average {load}")  # fmt: skip


if __name__ == "__main__":
    main()
