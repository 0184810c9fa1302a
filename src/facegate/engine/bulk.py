"""Embedding many image files at once, over several processes (one engine per process)."""

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from facegate.engine import quality
from facegate.engine.dlib_backend import DlibEngine
from facegate.engine.face import Face
from facegate.engine.images import load_image
from facegate.engine.pool import follow_parent
from facegate.errors import EngineUnavailable, InputError

_engine: DlibEngine | None = None
_cnn: DlibEngine | None = None
_options: dict[str, Any] = {}


@dataclass(frozen=True)
class FileEmbedding:
    """The embedding of one file's chosen face, or why there is none."""

    path: Path
    vector: np.ndarray | None
    model_id: str = ""
    error: str | None = None


def _start_worker(options: dict[str, Any], parent: int | None = None) -> None:
    global _engine, _options
    if parent is not None:
        follow_parent(parent)  # the one worker policy, as the engine pool's
    _engine, _options = DlibEngine(**options), options


def _cnn_faces(image: np.ndarray) -> list[Face]:
    """Second opinion of dlib's CNN detector, built on first need (benchmark photos always show a face)."""
    global _cnn
    if _cnn is None:
        _cnn = DlibEngine(**{**_options, "detector": "cnn"})
    return _cnn.detect(image)


def _embed_file(job: tuple[Path, str]) -> FileEmbedding:
    path, pick = job
    assert _engine is not None
    try:
        image = load_image(path)
        faces = _engine.detect(image)
        if not faces and pick == "centre":
            faces = _cnn_faces(image)
        if pick == "centre" and faces:  # benchmark photos: the subject is the face nearest the centre
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

    `pick` chooses the face: 'largest', or 'centre' (nearest the image centre, asking the CNN detector where HOG
    finds none: for benchmark sets such as LFW, where every photo is centred on a face). Enrollment does not come
    here: the gate embeds its photos through engine/photo.py, with the enrollment quality checks.
    """
    workers = workers or os.cpu_count() or 1
    jobs = [(Path(p), pick) for p in paths]
    if workers == 1:
        _start_worker(engine_options)
        yield from map(_embed_file, jobs)
        return
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_start_worker, initargs=(engine_options, os.getpid())
    ) as pool:
        try:
            yield from pool.map(_embed_file, jobs, chunksize=8)
        except BrokenProcessPool:
            raise EngineUnavailable("a face engine worker stopped (killed or out of memory): run again") from None
