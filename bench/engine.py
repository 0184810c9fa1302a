"""Embedding throughput and accuracy: facegate against the face_recognition package, same LFW images, same run.

    .venv/bin/pip install --no-deps face_recognition   # benchmark only; --no-deps keeps dlib-bin
    .venv/bin/python bench/engine.py [--folds 2] [--per-core-images 150]

Both pipelines read the same files, pick the face nearest the image centre and describe it with dlib's
ResNet; facegate runs the descriptor with onnxruntime, face_recognition with dlib. Images per second are
measured on one process (per core) and on one process per core (all cores); accuracy is the k-fold
accuracy over the first --folds folds of LFW View 2 (pairs.txt).
"""

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from facegate.engine.bulk import embed_files
from facegate.engine.evaluation import evaluate, image_path, parse_pairs

LFW = Path(__file__).resolve().parents[2] / "shared" / "data" / "lfw"


def face_recognition_embed(path: Path) -> np.ndarray | None:
    """The face_recognition package's documented pipeline: load, face_locations, face_encodings."""
    import face_recognition

    image = face_recognition.load_image_file(path)
    boxes = face_recognition.face_locations(image)
    if not boxes:
        return None
    height, width = image.shape[:2]
    box = min(boxes, key=lambda b: np.hypot((b[1] + b[3]) / 2 - width / 2, (b[0] + b[2]) / 2 - height / 2))
    return face_recognition.face_encodings(image, [box])[0]


def run_face_recognition(paths: list[Path], workers: int) -> tuple[list[np.ndarray | None], float]:
    started = time.perf_counter()
    if workers == 1:
        vectors = [face_recognition_embed(p) for p in paths]
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            vectors = list(pool.map(face_recognition_embed, paths, chunksize=8))
    return vectors, len(paths) / (time.perf_counter() - started)


def run_facegate(paths: list[Path], workers: int) -> tuple[list[np.ndarray | None], float]:
    started = time.perf_counter()
    vectors = [r.vector for r in embed_files(paths, workers, pick="centre")]
    return vectors, len(paths) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, default=LFW)
    parser.add_argument("--folds", type=int, default=2, help="folds of pairs.txt to score (1-10)")
    parser.add_argument("--per-core-images", type=int, default=150, help="images timed on one process")
    args = parser.parse_args()
    try:
        import face_recognition  # noqa: F401
    except ImportError:
        sys.exit("install the baseline first: .venv/bin/pip install --no-deps face_recognition")
    folds = parse_pairs((args.lfw / "pairs.txt").read_text())[: args.folds]
    keys = sorted({k for fold in folds for p in fold for k in (p.first, p.second)})
    paths = [image_path(args.lfw / "images", *k) for k in keys]
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores; {len(paths)} LFW images, {sum(map(len, folds))} pairs in {len(folds)} folds")

    rows = {}
    for name, run in (("face_recognition", run_face_recognition), ("facegate", run_facegate)):
        run(paths[:4], 1)  # load models once before timing
        _, per_core = run(paths[: args.per_core_images], 1)
        vectors, all_cores = run(paths, cores)
        of = dict(zip(keys, vectors, strict=True))
        distances = {
            p: float("inf")
            if of[p.first] is None or of[p.second] is None
            else float(np.linalg.norm(of[p.first] - of[p.second]))
            for fold in folds
            for p in fold
        }
        report = evaluate(folds, distances, None)
        failures = sum(v is None for v in vectors)
        rows[name] = (per_core, all_cores, report.accuracy, report.accuracy_std, failures)
        print(
            f"{name:<17} per core {per_core:6.1f} img/s   all {cores} cores {all_cores:6.1f} img/s   "
            f"accuracy {report.accuracy:.2%} ± {report.accuracy_std or 0:.2%}   failures to enroll {failures}"
        )
    base, ours = rows["face_recognition"], rows["facegate"]
    print(
        f"ratio facegate / face_recognition: per core {ours[0] / base[0]:.1f}x, all cores {ours[1] / base[1]:.1f}x, "
        f"accuracy {ours[2] - base[2]:+.2%}"
    )


if __name__ == "__main__":
    main()
