"""Quality gates on detected faces: no face, several faces, a face too small, turned or blurred to trust."""

import numpy as np

from facegate.engine.face import Face
from facegate.errors import (
    FaceBlurredError,
    FaceTooSmallError,
    FaceTurnedError,
    MultipleFacesError,
    NoFaceError,
)

MIN_FACE_SIZE = 40  # pixels on the shorter side of the box; below this descriptors lose accuracy


def verdict(face: Face, min_face_size: int = MIN_FACE_SIZE) -> str:
    """'ok', or 'too_small' when the face is under the minimum size."""
    return "ok" if face.size >= min_face_size else "too_small"


def single_face(faces: list[Face], min_face_size: int = MIN_FACE_SIZE) -> Face:
    """The one face of an enrollment photo; refuse none, several, or one that is too small."""
    if not faces:
        raise NoFaceError("no face found in the photo")
    if len(faces) > 1:
        raise MultipleFacesError(f"{len(faces)} faces found; an enrollment photo must show exactly one")
    if verdict(faces[0], min_face_size) != "ok":
        raise FaceTooSmallError(
            f"the face is {faces[0].size} px, under the minimum of {min_face_size} px; use a closer photo"
        )
    return faces[0]


def main_face(faces: list[Face], min_face_size: int = MIN_FACE_SIZE) -> Face:
    """The largest face of a verification photo (the person in front of the camera)."""
    if not faces:
        raise NoFaceError("no face found in the photo")
    face = max(faces, key=lambda f: f.width * f.height)
    if verdict(face, min_face_size) != "ok":
        raise FaceTooSmallError(f"the face is {face.size} px, under the minimum of {min_face_size} px")
    return face


# Enrollment limits. Measured on LFW they reject 1.7% of photos (profiles, heavy blur) and leave 1:N error rates
# unchanged there (docs/engine.md); they stop an unusable photo from becoming someone's template for years.
MAX_YAW = 45.0
MAX_PITCH_UP = 45.0  # chin down is not checked: from 5 landmarks it cannot be told apart beyond about 24 degrees
MAX_ROLL = 30.0
MIN_SHARPNESS = 8.0  # variance of the Laplacian over the aligned 150x150 grey chip; LFW's 1st percentile is 8.6


def sharpness(chip: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian over an aligned face chip in grey: low means blurred."""
    grey = np.asarray(chip, dtype=np.float32).mean(axis=2)
    laplacian = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * grey[1:-1, 1:-1]
    return float(laplacian.var())


def check_enrollment(points: np.ndarray, chip: np.ndarray) -> None:
    """Refuse an enrollment photo whose face is turned, tipped, tilted or blurred, saying which and how to fix it."""
    from facegate.engine.pose import estimate

    pose = estimate(points)
    if abs(pose.yaw) > MAX_YAW:
        side = "right" if pose.yaw > 0 else "left"
        raise FaceTurnedError(
            f"the face is turned about {abs(pose.yaw):.0f} degrees to the {side} (at most {MAX_YAW:.0f}): "
            "look straight at the camera"
        )
    if pose.pitch > MAX_PITCH_UP:
        raise FaceTurnedError(
            f"the head is tipped back about {pose.pitch:.0f} degrees (at most {MAX_PITCH_UP:.0f}): lower the chin"
        )
    if abs(pose.roll) > MAX_ROLL:
        raise FaceTurnedError(
            f"the head is tilted about {abs(pose.roll):.0f} degrees (at most {MAX_ROLL:.0f}): hold it upright"
        )
    if sharpness(chip) < MIN_SHARPNESS:
        raise FaceBlurredError("the face is too blurred for a template: hold still, focus, or use more light")
