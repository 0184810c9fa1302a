"""The engine host: the gate's one way to the face engine (built by a factory, a pool of workers, or dlib), its
calibration, and the embedding of photos and files for the biometric operations."""

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from facegate.engine import calibration, group_photo, liveness, matching, photo
from facegate.engine.face import Embedding
from facegate.engine.group_photo import FoundFace as FoundFace  # the gate's other parts take it from here
from facegate.engine.images import MAX_FILE_BYTES, read_image_bytes
from facegate.engine.pool import EnginePool
from facegate.engine.protocol import Engine as Engine  # the gate's other parts take it from here
from facegate.errors import DifferentPeopleError
from facegate.gate.admission import Loaded
from facegate.gate.checks import refusal
from facegate.policy.accuracy import VerificationPoint

MAX_IMAGE_BYTES = MAX_FILE_BYTES  # the largest photo the engine takes: the faces refuse a bigger upload early
MAX_PHOTOS = calibration.FUSED_PHOTOS  # templates per subject and deployment: fused, as calibrated (engine/gallery.py)

Embedder = Callable[[Loaded], tuple[np.ndarray, str]]
FaceFinder = Callable[[Loaded], tuple[list[FoundFace], str]]  # every face of a photo, largest first


def read_photo(path: Path) -> bytes:
    """A photo file's bytes, refused when missing, empty or over MAX_IMAGE_BYTES (decoded later, in memory)."""
    return read_image_bytes(path)


def calibration_points(path: Path | None = None) -> calibration.Calibration | None:
    """A face model's calibrated error rates: read from `path`, else the shipped ones of the default model."""
    if path is not None:
        return calibration.load(path)
    from facegate.engine.dlib_backend import default_model_id

    return calibration.shipped(default_model_id())


def verification_point(path: Path | None = None) -> VerificationPoint | None:
    """The 1:1 operating point (ACC-2): the default engine's threshold with its calibrated FMR and FNMR."""
    from facegate.engine.dlib_backend import DEFAULT_THRESHOLD as T

    points = calibration_points(path)
    return None if points is None else VerificationPoint(points.model_id, T, *points.verification_rates(T))


class EngineHost:
    """Holds the face engine, loaded on first use: the factory's, a pool of `workers` processes, or dlib's."""

    def __init__(self, factory: Callable[[], Engine] | None = None, workers: int = 1) -> None:
        self.factory = factory
        self.workers = workers  # more than 1: the engine runs in that many worker processes
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The face engine, loaded on first use (loading the models takes a moment)."""
        with self._lock:
            if self._engine is None:
                if self.factory is None and self.workers > 1:
                    self._engine = EnginePool(self.workers)
                elif self.factory is None:
                    from facegate.engine.dlib_backend import DlibEngine

                    self._engine = DlibEngine()
                else:
                    self._engine = self.factory()
            engine: Engine = self._engine
            return engine

    def close(self) -> None:
        """Stop the engine's worker processes, if it runs in any (a later use loads it again)."""
        with self._lock:
            engine, self._engine = self._engine, None
        if isinstance(engine, EnginePool):
            engine.close()

    def operating_points(self) -> calibration.Calibration | None:
        """The calibrated error rates of the gate's face model, from which 1:N thresholds are set (ACC-1)."""
        if self._engine is None and self.factory is None:
            from facegate.engine.dlib_backend import default_model_id

            return calibration.shipped(default_model_id())
        return calibration.shipped(self.engine.model_id)

    def calibration_for(self, loaded: Loaded) -> calibration.Calibration:
        """The model's calibration for a 1:N operation; refuse the operation when there is none."""
        points = self.operating_points()
        if points is None:
            raise refusal(
                loaded.spec,
                f"no calibration for model {self.engine.model_id}: 1:N identification needs the model's measured "
                "error rates to set its threshold (`facegate calibrate --images DIR`); use 1:1 verification meanwhile",
                ["ACC-1", "PIPL-8"],
            )
        return points

    def embed(
        self, image: bytes, enrollment: bool, min_face_px: int | None = None, one_pass: bool = False
    ) -> tuple[np.ndarray, str]:
        """The embedding of the photo's face (enrollment: its one face, which must pass the quality checks; with
        `one_pass`, a 1:1 verification's probe, from one descriptor pass)."""
        # A pool runs the whole photo in one worker: bytes in, a vector out.
        vector, model_id = self.engine.run(photo.embed_photo, image, enrollment, min_face_px, one_pass)
        return vector, model_id

    def embed_faces(self, image: bytes, min_face_px: int | None, largest: bool) -> tuple[list[FoundFace], str]:
        """Every face of the photo with its box, largest first (only the largest with `largest`); a face under the
        minimum size keeps its box and gets no template."""
        found, model_id = self.engine.run(group_photo.embed_faces, image, min_face_px, largest)
        return found, model_id

    def embed_each(self, photos: Sequence[bytes]) -> tuple[list[np.ndarray], str]:
        """Each enrollment photo's template, in order; a failure names the photo when there are several."""
        return photo.embed_each(lambda data: self.embed(data, enrollment=True), photos)

    def measure(
        self, frames: Sequence[tuple[float, bytes]], min_face: int | None, one_pass: bool = False
    ) -> list[liveness.FrameSignal]:
        """The liveness signals of camera frames (a pool decodes and measures each frame in its worker); with
        `one_pass`, their embeddings are a 1:1 verification's probes."""
        return [self.engine.run(photo.measure_frame, data, t_ms, min_face, one_pass) for t_ms, data in frames]

    def check_one_person(self, vectors: Sequence[np.ndarray], model_id: str, enrolled: Sequence[Any]) -> None:
        """Refuse new templates that are not all of one person: each matches, at the 1:1 threshold, one of the
        subject's `enrolled` templates of this model, or at a first enrollment another of the new ones."""
        earlier = [t for t in enrolled if t.model_id == model_id]
        for i, vector in enumerate(vectors):
            others = earlier or [Embedding(v, model_id) for j, v in enumerate(vectors) if j != i]
            if others and self.nearest(vector, model_id, others) >= self.engine.threshold:
                which = f"photo {i + 1}" if len(vectors) > 1 else "the photo"
                whom = "the subject's enrolled face" if earlier else "the other photos"
                said = f"{which} does not show the same person as {whom}"
                if len(vectors) == 2 and not earlier:
                    said = "the two photos do not show the same person"
                raise DifferentPeopleError(f"{said}: enroll photos of one person only")

    def nearest(self, vector: np.ndarray, model_id: str, templates: Sequence[Any]) -> float:
        """The distance from a probe to the nearest of `templates` (matching.distance: refused across models)."""
        probe = Embedding(vector, model_id)
        return min(matching.distance(probe, Embedding(t.vector, t.model_id)) for t in templates)
