"""The contract every face engine backend fulfils, so that callers never depend on dlib."""

from typing import Protocol, runtime_checkable

import numpy as np

from facegate.engine.face import Embedding, Face


@runtime_checkable
class Engine(Protocol):
    """A face recognition backend: finds faces in an RGB image and turns each into an embedding."""

    model_id: str
    threshold: float  # distances below this mean "same person" for this model's embeddings

    def detect(self, image: np.ndarray, min_face_px: int | None = None) -> list[Face]:
        """Faces in an RGB uint8 image (H, W, 3), best first; with `min_face_px`, only faces at least that large."""
        ...

    def embed(self, image: np.ndarray, faces: list[Face]) -> list[Embedding]:
        """One embedding per face, in the order given."""
        ...
