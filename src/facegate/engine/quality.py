"""Quality gates on detected faces: no face, several faces, a face too small to trust."""

from facegate.engine.face import Face
from facegate.errors import InputError

MIN_FACE_SIZE = 40  # pixels on the shorter side of the box; below this descriptors lose accuracy


class FaceQualityError(InputError):
    """The photo has no usable face for the operation asked."""


class NoFaceError(FaceQualityError):
    """No face was found in the photo."""


class MultipleFacesError(FaceQualityError):
    """More than one face was found where exactly one is needed (enrollment)."""


class FaceTooSmallError(FaceQualityError):
    """The face is smaller than the minimum size."""


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
