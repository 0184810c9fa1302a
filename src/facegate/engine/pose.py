"""Head pose (yaw, pitch, roll in degrees) estimated from dlib's 5 face landmarks.

The 5-point model gives two corners per eye and the base of the nose, so the estimate is geometric:
roll is the tilt of the line between the eye centres; yaw and pitch come from where the nose base sits
relative to the eyes, on a rigid face model (orthographic projection) whose nose base lies `NOSE_DEPTH`
inter-ocular distances in front of the eye line and `NOSE_DROP` below it. `NOSE_DROP` is the median
on LFW (deep-funneled, mostly frontal); `NOSE_DEPTH` is from facial anthropometry. The figures are
rough (a few degrees) but monotonic, which is what a quality gate or a liveness challenge needs. Pitch is
read from the nose's height alone, so it is unambiguous only from about -24 degrees (chin down until the nose
base is farthest below the eyes) upwards; a head bowed further reads as less bowed.
"""

import math
from dataclasses import dataclass

import numpy as np

from facegate.errors import InputError

NOSE_DROP = 0.77  # nose base below the eye line, in inter-ocular distances, on a frontal face
NOSE_DEPTH = 0.35  # nose base in front of the eye corners, in inter-ocular distances


@dataclass(frozen=True)
class Pose:
    """Head rotation in degrees: yaw > 0 turned towards the image's right, pitch > 0 chin up, roll > 0 clockwise."""

    yaw: float
    pitch: float
    roll: float

    def within(self, max_yaw: float, max_pitch: float, max_roll: float) -> bool:
        """True when every angle is inside its limit (in absolute value)."""
        return abs(self.yaw) <= max_yaw and abs(self.pitch) <= max_pitch and abs(self.roll) <= max_roll


def estimate(points: np.ndarray) -> Pose:
    """The pose from dlib's 5 landmarks (5, 2) in image pixels: right-eye corners, left-eye corners, nose base.

    dlib's order is points 0-1 the eye on the image's right, 2-3 the eye on the image's left, 4 the nose base;
    the eyes are told apart by position, so either order of the two eyes gives the same answer.
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.shape != (5, 2) or not np.isfinite(pts).all():
        raise InputError(f"expected 5 landmark points as an array of shape (5, 2), got shape {pts.shape}")
    first, second = pts[0:2].mean(axis=0), pts[2:4].mean(axis=0)
    left, right = (first, second) if first[0] <= second[0] else (second, first)
    eyes = right - left
    spacing = float(np.hypot(*eyes))
    if spacing < 1e-6:
        raise InputError("the landmarks put both eyes at the same point; no pose can be estimated")
    roll = math.atan2(eyes[1], eyes[0])
    # Undo the roll, then express the nose base relative to the eyes' midpoint in inter-ocular distances.
    c, s = math.cos(-roll), math.sin(-roll)
    offset = pts[4] - (left + right) / 2
    x = (offset[0] * c - offset[1] * s) / spacing
    y = (offset[0] * s + offset[1] * c) / spacing
    yaw = math.atan2(x, NOSE_DEPTH)
    # A turned head shows the eyes closer together (by cos yaw); the vertical offset shrinks with it.
    y *= math.cos(yaw)
    radius = math.hypot(NOSE_DROP, NOSE_DEPTH)
    pitch = math.acos(max(-1.0, min(1.0, y / radius))) - math.atan2(NOSE_DEPTH, NOSE_DROP)
    return Pose(math.degrees(yaw), math.degrees(pitch), math.degrees(roll))
