"""Embedding many image files at once, over several processes (one engine per process)."""

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from facegate.engine import quality
from facegate.engine.dlib_backend import DlibEngine
from facegate.engine.images import load_image
from facegate.errors import InputError

_engine: DlibEngine | None = None


@dataclass(frozen=True)
class FileEmbedding:
    """The embedding of one file's chosen face, or why there is none."""

    path: Path
    vector: np.ndarray | None
    model_id: str = ""
    error: str | None = None


def _start_worker(options: dict) -> None:
    global _engine
    _engine = DlibEngine(**options)


def _embed_file(job: tuple[Path, str]) -> FileEmbedding:
    path, pick = job
    assert _engine is not None
    try:
        image = load_image(path)
        faces = _engine.detect(image)
        if pick == "single":
            face = quality.single_face(faces)
        elif pick == "centre" and faces:  # benchmark photos: the subject is the face nearest the centre
            face = min(faces, key=lambda f: f.centre_distance(image.shape))
        else:
            face = quality.main_face(faces, min_face_size=0 if pick == "centre" else quality.MIN_FACE_SIZE)
        embedding = _engine.embed(image, [face])[0]
        return FileEmbedding(path, embedding.vector, embedding.model_id)
    except InputError as exc:
        return FileEmbedding(path, None, error=f"{type(exc).__name__}: {exc}")


def embed_files(
    paths: list[Path], workers: int | None = None, pick: str = "largest", **engine_options: object
) -> Iterator[FileEmbedding]:
    """Embed one face per file, in order, with `workers` processes (default: all cores).

    `pick` chooses the face: 'largest', 'centre' (nearest the image centre) or 'single' (refuse
    photos without exactly one face, as enrollment does).
    """
    workers = workers or os.cpu_count() or 1
    jobs = [(Path(p), pick) for p in paths]
    if workers == 1:
        _start_worker(engine_options)
        yield from map(_embed_file, jobs)
        return
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_start_worker, initargs=(engine_options,)
    ) as pool:
        yield from pool.map(_embed_file, jobs, chunksize=8)
