"""What one camera frame shows: each face's box, how good a look it gives, and its aligned chip (in memory only).

A stream is tracked on every searched frame but embedded once per track, on its best look: a sighting keeps the
150x150 chip that the embedding would be computed from, so the frame itself can be dropped at once.
"""

from dataclasses import dataclass, field

import numpy as np

from facegate.engine.face import Embedding, Face
from facegate.engine.pose import estimate
from facegate.engine.protocol import Engine

FRONTAL_YAW = 60.0  # a face turned this far (or more) gives no usable look


@dataclass(frozen=True, eq=False)
class Sighting:
    """A face seen in one frame: its box, the quality of the look (pixels of frontal face) and its chip.

    The repr shows neither the chip nor any vector, so a sighting that reaches a log leaks nothing.
    """

    face: Face
    quality: float
    yaw: float
    chip: np.ndarray = field(repr=False)


def look_quality(face: Face, yaw: float, roll: float, shape: tuple[int, ...] | None = None) -> float:
    """How good a look a face gives: its size, discounted as the head turns or tilts (0 when unusable), and
    by three quarters when the box touches the frame's edge (the face is likely cut off)."""
    turned = max(0.0, 1.0 - abs(yaw) / FRONTAL_YAW)
    tilted = max(0.0, 1.0 - abs(roll) / 90.0)
    cut = shape is not None and (face.left <= 0 or face.top <= 0 or face.right >= shape[1] or face.bottom >= shape[0])
    return float(face.size * turned * tilted * (0.25 if cut else 1.0))


def sightings(engine: Engine, pixels: np.ndarray, min_face_px: int | None = None) -> list[Sighting]:
    """The faces of one RGB frame as sightings (box, quality, chip), largest first; needs a dlib-based engine."""
    faces = engine.detect(pixels, min_face_px=min_face_px) if min_face_px else engine.detect(pixels)
    if not faces:
        return []
    faces = sorted(faces, key=lambda f: f.size, reverse=True)
    chips = engine.chips(pixels, faces)
    found = []
    for face, chip in zip(faces, chips, strict=True):
        pose = estimate(engine.points(pixels, face))
        found.append(Sighting(face, look_quality(face, pose.yaw, pose.roll, pixels.shape), pose.yaw, chip))
    return found


def embed_sighting(engine: Engine, sighting: Sighting, one_pass: bool = False) -> Embedding:
    """The embedding of a sighting's chip (the same vector `engine.embed` gives for that face of its frame; with
    `one_pass`, a 1:1 verification's probe, from one descriptor pass)."""
    return engine.embed_chips(sighting.chip[None], one_pass=one_pass)[0]
