"""The contract every face engine backend fulfils, so that callers never depend on dlib (and never probe one)."""

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from facegate.engine.face import Embedding, Face


@runtime_checkable
class Engine(Protocol):
    """A face recognition backend: finds faces, their landmarks and aligned chips, and turns each into an embedding.

    Every step the gate uses is here, so nothing asks `hasattr`: the enrollment quality gates always run (they
    need `points` and `chips`), and `run` hands a whole step (photo bytes in, a vector out) to wherever the engine
    computes: the calling thread for one engine, a worker process for a pool.
    """

    model_id: str
    threshold: float  # distances below this mean "same person" for this model's embeddings

    def detect(self, image: np.ndarray, min_face_px: int | None = None) -> list[Face]:
        """Faces in an RGB uint8 image (H, W, 3), best first; with `min_face_px`, only faces at least that large."""
        ...

    def points(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The 5 landmarks of a face (5, 2) in image pixels."""
        ...

    def chips(self, image: np.ndarray, faces: list[Face]) -> np.ndarray:
        """Aligned RGB chips (N, 150, 150, 3), one per face."""
        ...

    def embed(self, image: np.ndarray, faces: list[Face]) -> list[Embedding]:
        """One embedding per face, in the order given."""
        ...

    def embed_chips(self, chips: np.ndarray, one_pass: bool = False) -> list[Embedding]:
        """One embedding per aligned chip (from `chips`), in the order given; with `one_pass`, where the model
        describes a face more than once (test-time augmentation), once: a 1:1 verification's probe."""
        ...

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(engine, *args)` where this engine computes; `fn` must be a module-level function (a pool sends it
        by name)."""
        ...
