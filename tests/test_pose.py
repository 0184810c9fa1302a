"""Head pose from the 5 landmarks: frontal faces read near zero, and each angle moves the right way."""

import math
from pathlib import Path

import numpy as np
import pytest

from facegate.engine import quality
from facegate.engine.dlib_backend import DlibEngine
from facegate.engine.images import load_image
from facegate.engine.pose import NOSE_DEPTH, NOSE_DROP, estimate
from facegate.errors import InputError


def model_points(yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> np.ndarray:
    """dlib-ordered landmarks of the pose model's rigid face, rotated and projected orthographically."""
    # x to the image's right, y down, z towards the camera; eye centres 100 px apart
    face = np.array([[0.7, 0, 0], [0.3, 0, 0], [-0.7, 0, 0], [-0.3, 0, 0], [0, NOSE_DROP, NOSE_DEPTH]]) * 100
    a, b, c = (math.radians(v) for v in (yaw, pitch, roll))
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])  # chin up
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    return (face @ (rz @ ry @ rx).T)[:, :2] + 200


def test_the_frontal_model_reads_zero() -> None:
    pose = estimate(model_points())
    assert abs(pose.yaw) < 0.5 and abs(pose.pitch) < 0.5 and abs(pose.roll) < 0.5


@pytest.mark.parametrize("angle", [-40, -15, 15, 40])
def test_each_angle_is_recovered_alone(angle: float) -> None:
    assert estimate(model_points(yaw=angle)).yaw == pytest.approx(angle, abs=1)
    assert estimate(model_points(roll=angle)).roll == pytest.approx(angle, abs=1)


@pytest.mark.parametrize("angle", [-20, -10, 15, 40])
def test_pitch_is_recovered_within_its_range(angle: float) -> None:
    assert estimate(model_points(pitch=angle)).pitch == pytest.approx(angle, abs=1)


def test_the_order_of_the_eyes_does_not_matter() -> None:
    points = model_points(yaw=20, roll=10)
    swapped = points[[2, 3, 0, 1, 4]]
    assert estimate(swapped) == estimate(points)


def test_bad_landmarks_are_refused_with_a_clear_error() -> None:
    with pytest.raises(InputError, match="shape"):
        estimate(np.zeros((68, 2)))
    with pytest.raises(InputError, match="same point"):
        estimate(np.zeros((5, 2)))


def test_real_frontal_photos_read_as_nearly_frontal(photos: Path) -> None:
    engine = DlibEngine()
    for name in ("obama.jpg", "biden.jpg"):
        image = load_image(photos / name)
        pose = estimate(engine.points(image, quality.single_face(engine.detect(image))))
        assert pose.within(25, 25, 15), (name, pose)
