"""Presentation attacks synthesised from one photo: the photo as a flat card (tilted, sheared), a bent print
(a cylinder) or a print folded along a vertical crease, seen by a pinhole camera, and the photo on a bright
"screen". Used by the tests and bench/liveness.py.
"""

import itertools
import math
from functools import cache

import cv2
import numpy as np
from liveness_frames import _engine, posed

from facegate.engine import liveness

BACKGROUND = (110, 110, 110)
CENTRE = (320.0, 240.0)  # posed() centres the face in the 640x480 frame
FOCAL = 0.5  # focal length in frame widths: a wide-angle kiosk camera (90 degrees) and a card held close to it


def _project(
    u: np.ndarray, v: np.ndarray, tilt: float, radius: float | None, shear: float, focal: float, fold: float
) -> np.ndarray:
    """Card points (u, v), pixels from the turning axis, to image offsets: bent or folded, turned about the vertical
    axis. A fold of `fold` degrees bends each half back by half of it along the axis (the crease towards the camera)."""
    if radius:
        x, z = radius * np.sin(u / radius), radius * (1 - np.cos(u / radius))
    elif fold:
        half = math.radians(fold / 2)
        x, z = u * math.cos(half), np.abs(u) * math.sin(half)
    else:
        x, z = u, np.zeros_like(u)
    c, s = math.cos(math.radians(tilt)), math.sin(math.radians(tilt))
    xr, zr = x * c + z * s, -x * s + z * c
    scale = focal / (focal + zr)
    return np.stack([xr * scale + shear * v, v * scale], axis=-1)


def card(
    frame: np.ndarray,
    centre: tuple[float, float],
    tilt: float = 0.0,
    radius: float | None = None,
    shear: float = 0.0,
    strips: int = 32,
    fold: float = 0.0,
) -> np.ndarray:
    """The frame printed on a card turned `tilt` degrees about the vertical line through `centre`, bent on a
    cylinder of `radius` pixels (None: flat) or folded `fold` degrees along that line, and sheared by `shear` (x
    moves by shear * y); rendered in strips (a strip edge on the crease: `centre` is the frame's centre)."""
    height, width = frame.shape[:2]
    focal = FOCAL * width
    cx, cy = centre
    out = np.empty_like(frame)
    out[:] = BACKGROUND
    edges = np.linspace(0, width, (strips if radius or fold else 1) + 1)
    for left, right in itertools.pairwise(edges):
        u = np.array([left, right, right, left]) - cx
        v = np.array([0, 0, height, height], np.float64) - cy
        src = np.stack([u + cx, v + cy], axis=1).astype(np.float32)
        dst = (_project(u, v, tilt, radius, shear, focal, fold) + np.array([cx, cy])).astype(np.float32)
        matrix = cv2.getPerspectiveTransform(src, dst)
        mask = np.zeros((height, width), np.uint8)
        mask[:, int(left) : math.ceil(right) + 1] = 255
        warped = cv2.warpPerspective(frame, matrix, (width, height), flags=cv2.INTER_LINEAR)
        seen = cv2.warpPerspective(mask, matrix, (width, height), flags=cv2.INTER_NEAREST) > 0
        out[seen] = warped[seen]
    return out


def screen(frame: np.ndarray, centre: tuple[float, float], cast: tuple[int, int, int] = (200, 215, 255)) -> np.ndarray:
    """The frame shown on a bright phone screen: a glowing rectangle around the face with its own colour cast."""
    height, width = frame.shape[:2]
    out = np.empty_like(frame)
    out[:] = BACKGROUND
    cx, cy = int(centre[0]), int(centre[1])
    half_w, half_h = int(width * 0.3), int(height * 0.48)
    top, bottom = max(0, cy - half_h), min(height, cy + half_h)
    left, right = max(0, cx - half_w), min(width, cx + half_w)
    lit = frame[top:bottom, left:right].astype(np.float64) * 0.75 + np.array(cast, np.float64) * 0.25 + 20
    out[top:bottom, left:right] = np.clip(lit, 0, 255).astype(np.uint8)
    return out


def _yaw(frame: np.ndarray) -> float | None:
    signal = liveness.measure(_engine(), frame, 0.0)
    return signal.pose.yaw if signal.pose is not None else None


@cache
def attack_poses(kind: str) -> dict[str, np.ndarray]:
    """The still photo for "front" and, for each turn, the warp of it (of either sign) that reads as that turn."""
    still = posed("obama.jpg")
    warps = {
        "tilt": lambda sign: card(still, CENTRE, tilt=40 * sign),
        "shear": lambda sign: card(still, CENTRE, shear=0.3 * sign),
        "bend": lambda sign: card(still, CENTRE, tilt=35 * sign, radius=260.0),
        "fold": lambda sign: card(still, CENTRE, tilt=28 * sign, fold=35.0),
        "deep_fold": lambda sign: card(still, CENTRE, tilt=28 * sign, fold=60.0),
        "screen": lambda sign: screen(card(still, CENTRE, tilt=40 * sign), CENTRE),
    }
    poses = {"front": screen(still, CENTRE) if kind == "screen" else still}
    for turn, wanted in (("left", 1), ("right", -1)):
        candidates = [warps[kind](sign) for sign in (1, -1)]
        poses[turn] = max(candidates, key=lambda f: wanted * (_yaw(f) or 0.0))
    return poses
