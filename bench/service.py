"""Where one verification's time goes through `facegate serve`, stage by stage, for a photo and for camera frames.

    .venv/bin/python bench/service.py [--requests 30] [--engine-workers 1]

A real `facegate serve` on loopback answers `POST .../verify` for three inputs: `obama2.jpg` (a photo, deployment
without camera settings), a 1280x720 camera frame with a ~200 px face and a 640x480 kiosk frame with a ~160 px
face (deployment with `camera.min_face_px: 150`, attended, liveness optional, so that a single frame may be
verified). The same inputs then run each stage alone, in this process,
on one core: decode (`decode_for_faces`), detect, align (the landmarks and the aligned chip), embed (the
descriptor with flip TTA, alignment included, minus align), the gate (`Gate.verify` with a precomputed
embedding: checks, template decryption, comparison, audit append and commit) and the audit append alone. The
rest of the request (socket, multipart parsing, the key check, the queue to the engine worker when there is one,
the answer) is the HTTP total minus the stages. Medians of --requests runs each; face_recognition's
face_locations + face_encodings on the same frames when the package is installed (benchmark only:
`.venv/bin/pip install --no-deps face_recognition face_recognition_models`).
"""

import argparse
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
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).parent))
from load import serve

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
EXAMPLE = ROOT / "examples" / "deployments" / "office-entry.yaml"
PHOTO_DEPLOYMENT, CAMERA_DEPLOYMENT = "hq-lobby", "hq-kiosk"


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


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    """Median wall time of `fn` in ms, after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def http_ms(url: str, secret: str, deployment: str, image: bytes, runs: int) -> float:
    """Median latency of `POST .../verify` with this image through the running server."""
    path = f"{url}/api/v1/deployments/{deployment}/subjects/obama/verify"
    with httpx.Client(headers={"Authorization": f"Bearer {secret}"}, timeout=120) as client:

        def once() -> None:
            answer = client.post(path, files={"image": ("probe.jpg", image, "image/jpeg")})
            if answer.status_code != 200 or answer.json()["outcome"] != "match":
                raise SystemExit(f"verification failed: {answer.status_code} {answer.text[:200]}")

        return median_ms(once, runs)


def stages(home: Path, deployment: str, image: bytes, min_face: int | None, runs: int) -> dict[str, float]:
    """Each stage of a verification alone, in this process, in ms."""
    from facegate.engine import photo as photos
    from facegate.engine.dlib_backend import DlibEngine
    from facegate.engine.images import decode_for_faces
    from facegate.gate import Gate

    engine = DlibEngine()
    pixels, scale = decode_for_faces(image, min_face)
    sized = round(min_face * scale) if min_face else None
    faces = engine.detect(pixels, min_face_px=sized)
    face = max(faces, key=lambda f: f.width * f.height)
    out = {
        "decode": median_ms(lambda: decode_for_faces(image, min_face), runs),
        "detect": median_ms(lambda: engine.detect(pixels, min_face_px=sized), runs),
        "align": median_ms(lambda: engine.chips(pixels, [face]), runs),
    }
    out["embed"] = median_ms(lambda: engine.embed(pixels, [face]), runs) - out["align"]
    vector, _ = photos.embed_photo(engine, image, False, min_face)
    gate = Gate.open(home, engine_factory=lambda: engine)
    gate.engines.embed = lambda *args, **kwargs: (vector, engine.model_id)  # type: ignore[method-assign]  # gate alone
    out["gate + audit"] = median_ms(lambda: gate.verify(deployment, "obama", image), runs)
    gate.db.dispose()
    return out


def face_recognition_ms(image: bytes, runs: int) -> float | None:
    """face_recognition's detect + encode on the same image (None when the package is absent)."""
    try:
        import face_recognition
    except ImportError:
        return None
    pixels = np.asarray(Image.open(io.BytesIO(image)).convert("RGB"))
    return median_ms(lambda: face_recognition.face_encodings(pixels, face_recognition.face_locations(pixels)), runs)


def main() -> None:
    """Serve, time the three inputs through HTTP, then stage by stage; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--engine-workers", type=int, default=1, help="1: the engine in the server process")
    parser.add_argument("--baseline-runs", type=int, default=5, help="face_recognition runs per input")
    args = parser.parse_args()
    rng = random.Random(7)
    inputs = {
        "photo obama2.jpg": (PHOTO_DEPLOYMENT, (DATA / "obama2.jpg").read_bytes(), None),
        "1280x720 frame": (CAMERA_DEPLOYMENT, frame(1280, 720, 200, rng), 150),
        "640x480 kiosk frame": (CAMERA_DEPLOYMENT, frame(640, 480, 160, rng), 150),
    }
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        secret = prepare(home)
        env = {**os.environ, "FACEGATE_HOME": str(home), "OMP_NUM_THREADS": "1"}
        server, url = serve(home, env, args.engine_workers)
        try:
            totals = {name: http_ms(url, secret, d, image, args.requests) for name, (d, image, _) in inputs.items()}
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        parts = {name: stages(home, d, image, m, args.requests) for name, (d, image, m) in inputs.items()}
    baseline = {name: face_recognition_ms(image, args.baseline_runs) for name, (_, image, _) in inputs.items()}
    names = list(inputs)
    print(f"{'stage (ms, median)':<34}" + "".join(f"{n:>22}" for n in names))
    for stage in parts[names[0]]:
        print(f"{stage:<34}" + "".join(f"{parts[n][stage]:>22.1f}" for n in names))
    rest = {n: totals[n] - sum(parts[n].values()) for n in names}
    print(f"{'socket, parse, key, queue, answer':<34}" + "".join(f"{rest[n]:>22.1f}" for n in names))
    print(f"{'total through the API':<34}" + "".join(f"{totals[n]:>22.1f}" for n in names))
    if all(v is not None for v in baseline.values()):
        print(f"{'face_recognition (detect+encode)':<34}" + "".join(f"{baseline[n]:>22.1f}" for n in names))
        print(f"{'ratio':<34}" + "".join(f"{baseline[n] / totals[n]:>21.1f}x" for n in names))
    where = "in the server" if args.engine_workers == 1 else f"in {args.engine_workers} worker processes"
    print(f"({args.requests} requests per input, engine {where}; stages timed alone in this process)")


if __name__ == "__main__":
    main()
