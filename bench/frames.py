"""Camera frames: detect + align + embed on 1280x720 frames, facegate against face_recognition, same frames, same run.

    .venv/bin/pip install --no-deps face_recognition   # benchmark only; --no-deps keeps dlib-bin
    .venv/bin/python bench/frames.py [--frames 200] [--min-face-px 150] [--baseline-frames 40]

Each frame is a 1280x720 scene (a blurred, noisy photo as background) with one face of at least --min-face-px
pixels pasted at a random place: the sample photos (tests/data, ../shared/data/samples) and LFW photos, scaled.
The face's true box is the source photo's own detection, mapped into the frame. Timed on one process (one core):

- facegate, sized: `detect(frame, min_face_px)` (a downscaled search, refined at full resolution) + embed;
- facegate, full: `detect(frame)` (the path a photo takes: HOG over the whole frame) + embed;
- dlib CNN (MMOD) at the sized scale, dlib's own implementation: detection only;
- face_recognition: `face_locations(frame)` + `face_encodings(frame, boxes)`, on the first --baseline-frames frames.

Recall is the share of frames where a detected box lies on the true face. The ratio compares ms per frame.
"""

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from facegate.engine.dlib_backend import DlibEngine
from facegate.engine.face import Face
from facegate.engine.images import load_image

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
WIDTH, HEIGHT = 1280, 720


def sources(lfw_count: int, rng: random.Random) -> list[Path]:
    """Single-face sample photos, then a random draw of LFW photos (one per person)."""
    samples = [p for p in sorted((ROOT / "tests" / "data").glob("*.*")) if "two_people" not in p.name]
    extra = SHARED / "samples" / "examples" / "knn_examples" / "train"
    samples += sorted(extra.rglob("*.jpg")) if extra.exists() else []
    people = sorted((SHARED / "lfw" / "images").glob("*")) if (SHARED / "lfw").exists() else []
    lfw = [sorted(p.glob("*.jpg"))[0] for p in rng.sample(people, min(lfw_count, len(people)))]
    return [p for p in samples if p.suffix.lower() in (".jpg", ".jpeg", ".png")] + lfw


def true_box(engine: DlibEngine, cnn: DlibEngine, image: np.ndarray) -> Face | None:
    """The source photo's face: the largest HOG box (upsampled search included), else the CNN's."""
    faces = engine.detect(image) or cnn.detect(image)
    return max(faces, key=lambda f: f.width * f.height) if faces else None


def make_frame(image: np.ndarray, box: Face, face_px: int, background: np.ndarray, rng: random.Random):
    """The source scaled so its face box is `face_px` wide, pasted on the background; returns frame and true box."""
    factor = face_px / box.width
    height, width = image.shape[:2]
    size = (round(width * factor), round(height * factor))
    pasted = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))
    # Keep the face inside the frame; the rest of the photo may fall outside it.
    fl, ft, fr, fb = (round(v * factor) for v in (box.left, box.top, box.right, box.bottom))
    x = rng.randint(-fl, WIDTH - fr) if WIDTH - fr >= -fl else -fl
    y = rng.randint(-ft, HEIGHT - fb) if HEIGHT - fb >= -ft else -ft
    frame = background.copy()
    sx, sy = max(0, -x), max(0, -y)
    dx, dy = max(0, x), max(0, y)
    w, h = min(size[0] - sx, WIDTH - dx), min(size[1] - sy, HEIGHT - dy)
    frame[dy : dy + h, dx : dx + w] = pasted[sy : sy + h, sx : sx + w]
    return frame, Face(fl + x, ft + y, fr + x, fb + y, 1.0)


def background(image: np.ndarray, seed: int) -> np.ndarray:
    """A face-free scene: a photo stretched and blurred past recognition, with sensor noise."""
    blurred = Image.fromarray(image).resize((WIDTH, HEIGHT)).filter(ImageFilter.GaussianBlur(24))
    noise = np.random.default_rng(seed).normal(0, 6, (HEIGHT, WIDTH, 3))
    return np.clip(np.asarray(blurred, np.float64) + noise, 0, 255).astype(np.uint8)


def hit(found: list[Face], truth: Face) -> bool:
    """Whether a detected box sits on the true face: its centre inside the true box, its size within 2x."""
    for f in found:
        cx, cy = (f.left + f.right) / 2, (f.top + f.bottom) / 2
        if truth.left <= cx <= truth.right and truth.top <= cy <= truth.bottom and 0.5 < f.width / truth.width < 2:
            return True
    return False


def timed(run: Callable[[np.ndarray], list[Face]], frames: list) -> tuple[float, float]:
    """CPU milliseconds per frame and recall of `run` over (frame, truth) pairs (after one untimed warm-up)."""
    run(frames[0][0])
    # CPU time of this process (onnxruntime runs on one thread here): the cost per core, which other work on a
    # shared machine does not inflate as it does wall time.
    hits, started = 0, time.process_time()
    for frame, truth in frames:
        hits += hit(run(frame), truth)
    return 1000 * (time.process_time() - started) / len(frames), hits / len(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--min-face-px", type=int, default=150)
    parser.add_argument("--max-face-px", type=int, default=320)
    parser.add_argument("--baseline-frames", type=int, default=40, help="frames timed for face_recognition")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    try:
        import face_recognition
    except ImportError:
        sys.exit("install the baseline first: .venv/bin/pip install --no-deps face_recognition")
    rng = random.Random(args.seed)
    engine, cnn = DlibEngine(threads=1), DlibEngine(detector="cnn", threads=1)
    photos = []
    for path in sources(args.frames, rng):
        image = load_image(path)
        box = true_box(engine, cnn, image)
        if box is not None:
            photos.append((image, box))
    scenes = [background(photos[(i * 7 + 3) % len(photos)][0], i) for i in range(8)]
    frames = []
    for i in range(args.frames):
        image, box = photos[i % len(photos)]
        face_px = rng.randint(args.min_face_px, args.max_face_px)
        frames.append(make_frame(image, box, face_px, scenes[i % len(scenes)], rng))
    print(f"{len(frames)} frames {WIDTH}x{HEIGHT}, one face of {args.min_face_px}-{args.max_face_px} px each, "
          f"from {len(photos)} photos; one process")  # fmt: skip

    def embedded(detect: Callable[[np.ndarray], list[Face]]) -> Callable[[np.ndarray], list[Face]]:
        def run(frame: np.ndarray) -> list[Face]:
            faces = detect(frame)
            if faces:
                engine.embed(frame, [max(faces, key=lambda f: f.width * f.height)])
            return faces

        return run

    def cnn_sized(frame: np.ndarray) -> list[Face]:
        return cnn._detect_scaled(frame, 80 / args.min_face_px, upsample=0)

    def baseline(frame: np.ndarray) -> list[Face]:
        boxes = face_recognition.face_locations(frame)
        face_recognition.face_encodings(frame, boxes)
        return [Face(left, top, right, bottom, 1.0) for top, right, bottom, left in boxes]

    rows = [
        ("facegate, sized (min_face_px)", embedded(lambda f: engine.detect(f, min_face_px=args.min_face_px)), frames),
        ("facegate, full frame (photo path)", embedded(engine.detect), frames),
        ("dlib CNN (MMOD) at the sized scale, detection only", cnn_sized, frames[: args.baseline_frames]),
        ("face_recognition 1.3 (baseline)", baseline, frames[: args.baseline_frames]),
    ]
    results = {}
    for name, run, subset in rows:
        results[name] = timed(run, subset)
        ms, recall = results[name]
        per_core = f"{ms:8.1f} CPU ms/frame {1000 / ms:6.1f} frames/s per core"
        print(f"{name:<52} {per_core}  recall {recall:.1%} ({len(subset)} frames)")
    base = results["face_recognition 1.3 (baseline)"][0]
    for name, _, _ in rows[:2]:
        print(f"ratio {name}: {base / results[name][0]:.1f}x face_recognition per core")


if __name__ == "__main__":
    main()
