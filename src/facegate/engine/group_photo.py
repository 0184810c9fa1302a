"""Every face of a photo for 1:N: each with its box in the photo's own pixels and, when large enough to trust,
its template. Like `photo.embed_photo` it runs whole in an engine pool's worker (bytes in, faces out)."""

from dataclasses import dataclass, field

import numpy as np

from facegate.engine import quality
from facegate.engine.images import decode_for_faces
from facegate.engine.protocol import Engine
from facegate.errors import FaceTooSmallError, NoFaceError, TooManyFacesError

MAX_FACES = 20  # faces searched in one photo: each costs an embedding and an audit entry

Box = tuple[int, int, int, int]  # left, top, right (exclusive), bottom (exclusive), in the photo's pixels


@dataclass(frozen=True, eq=False)
class FoundFace:
    """A face of the photo: its box, and its template unless the face is under the minimum size (None)."""

    box: Box | None
    vector: np.ndarray | None = field(repr=False)

    @property
    def searchable(self) -> bool:
        """Whether the face is large enough to be searched."""
        return self.vector is not None


def embed_faces(
    engine: Engine, data: bytes, min_face_px: int | None = None, largest: bool = False
) -> tuple[list[FoundFace], str]:
    """Every face the detector finds in `data`, largest first, with the model ID; only the largest with `largest`.

    A face under `min_face_px` (or quality.MIN_FACE_SIZE) keeps its box and gets no template. With `largest` the
    search is the camera's (`min_face_px` bounds it, as for a verification); every face is looked for otherwise.
    Raises NoFaceError when no face is found, FaceTooSmallError when none is large enough, TooManyFacesError past
    MAX_FACES."""
    bound = min_face_px if largest else None
    pixels, scale = decode_for_faces(data, bound)
    faces = engine.detect(pixels, min_face_px=max(1, round(bound * scale))) if bound else engine.detect(pixels)
    if not faces:
        raise NoFaceError("no face found in the photo")
    faces = sorted(faces, key=lambda f: (f.size, f.width * f.height), reverse=True)[: 1 if largest else None]
    if len(faces) > MAX_FACES:
        raise TooManyFacesError(f"{len(faces)} faces found; a photo to identify may show at most {MAX_FACES}")
    minimum = max(quality.MIN_FACE_SIZE, min_face_px or 0)  # in the photo's own pixels
    usable = [f for f in faces if f.size >= minimum * scale]
    searched = {id(f) for f in usable}
    if not usable:
        raise FaceTooSmallError(
            f"the largest face is {round(faces[0].size / scale)} px, under the minimum of {minimum} px"
        )
    embeddings = iter(engine.embed(pixels, usable))
    height, width = round(pixels.shape[0] / scale), round(pixels.shape[1] / scale)
    found, model_id = [], ""
    for face in faces:
        box = (
            max(0, round(face.left / scale)),
            max(0, round(face.top / scale)),
            min(width, round(face.right / scale)),
            min(height, round(face.bottom / scale)),
        )
        if id(face) in searched:
            embedding = next(embeddings)
            found.append(FoundFace(box, embedding.vector))
            model_id = embedding.model_id
        else:
            found.append(FoundFace(box, None))
    return found, model_id
