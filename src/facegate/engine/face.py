"""What the engine finds and computes: a detected face and an embedding tagged with its model."""

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Face:
    """A detected face: its box in image pixels (right and bottom exclusive) and the detector's score."""

    left: int
    top: int
    right: int
    bottom: int
    score: float

    @property
    def width(self) -> int:
        """Box width in pixels."""
        return self.right - self.left

    @property
    def height(self) -> int:
        """Box height in pixels."""
        return self.bottom - self.top

    @property
    def size(self) -> int:
        """The shorter side of the box, the figure quality checks use."""
        return min(self.width, self.height)

    def centre_distance(self, shape: tuple[int, ...]) -> float:
        """Distance in pixels from the box centre to the centre of an image of `shape` (H, W, ...)."""
        cx, cy = (self.left + self.right) / 2, (self.top + self.bottom) / 2
        return float(np.hypot(cx - shape[1] / 2, cy - shape[0] / 2))


@dataclass(frozen=True, eq=False)
class Embedding:
    """A face template: a vector and the identifier of the model that made it.

    Its repr never shows the vector, so an embedding that reaches a log or an error message leaks nothing.
    """

    vector: np.ndarray = field(repr=False)
    model_id: str

    def __repr__(self) -> str:
        return f"Embedding(model_id={self.model_id!r}, dims={self.vector.shape[-1]})"
