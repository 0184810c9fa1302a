"""Comparing embeddings: distances and same-or-different decisions."""

from dataclasses import dataclass

import numpy as np

from facegate.engine.face import Embedding
from facegate.errors import ModelMismatchError


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing two embeddings against a threshold."""

    distance: float
    threshold: float

    @property
    def same(self) -> bool:
        """True when the distance is under the threshold: the same person."""
        return self.distance < self.threshold


def distance(a: Embedding, b: Embedding) -> float:
    """Euclidean distance between two embeddings of the same model."""
    if a.model_id != b.model_id:
        raise ModelMismatchError(f"cannot compare embeddings of models {a.model_id} and {b.model_id}")
    return float(np.linalg.norm(a.vector - b.vector))


def compare(a: Embedding, b: Embedding, threshold: float) -> Comparison:
    """Compare two embeddings and decide same or different at `threshold`."""
    return Comparison(distance(a, b), threshold)
