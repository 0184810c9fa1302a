"""One photo to one embedding, in one call: decode, detect, quality gates, embed.

With an engine pool the call runs whole in a worker (`EnginePool.run(embed_photo, data, ...)`): the request sends
the photo's bytes, not its pixels, and gets a vector back, where running the steps one by one would ship the
decoded picture to a worker three or four times. A JPEG is decoded at the coarsest DCT scale that keeps the faces
the caller expects at full chip resolution (`images.decode_for_faces`).
"""

from collections.abc import Callable, Sequence

import numpy as np

from facegate.engine import liveness, quality
from facegate.engine.images import decode_for_faces, decode_image
from facegate.engine.protocol import Engine
from facegate.errors import InputError


def embed_photo(
    engine: Engine, data: bytes, enrollment: bool, min_face_px: int | None = None, one_pass: bool = False
) -> tuple[np.ndarray, str]:
    """The embedding of the face in `data` and the model that made it: the one face of an enrollment photo, which
    must pass the pose and blur gates, or the largest face of a photo to verify or identify; with `one_pass` (the
    probe of a 1:1 verification) from one descriptor pass."""
    pixels, scale = decode_for_faces(data, min_face_px)
    min_size = max(1, round(quality.MIN_FACE_SIZE * scale))
    if min_face_px:
        faces = engine.detect(pixels, min_face_px=max(1, round(min_face_px * scale)))
    else:
        faces = engine.detect(pixels)
    face = quality.single_face(faces, min_size) if enrollment else quality.main_face(faces, min_size)
    if enrollment:  # pose and blur, from the landmarks and the aligned chip every engine gives
        quality.check_enrollment(engine.points(pixels, face), engine.chips(pixels, [face])[0])
    if one_pass and not enrollment:
        embedding = engine.embed_chips(engine.chips(pixels, [face]), one_pass=True)[0]
    else:
        embedding = engine.embed(pixels, [face])[0]
    return embedding.vector, embedding.model_id


def measure_frame(
    engine: Engine, data: bytes, t_ms: float, min_face_px: int | None, one_pass: bool = False
) -> liveness.FrameSignal:
    """The liveness signals of one camera frame's bytes (decoded where this runs: in a pool, in the worker)."""
    return liveness.measure(engine, decode_image(data), t_ms, min_face_px, one_pass)


def embed_each(
    embed: Callable[[bytes], tuple[np.ndarray, str]], photos: Sequence[bytes]
) -> tuple[list[np.ndarray], str]:
    """Every photo's template (and the model), in order; a failure names the photo when there are several."""
    vectors, model_id = [], ""
    for number, data in enumerate(photos, start=1):
        try:
            vector, model_id = embed(data)
        except InputError as exc:
            if len(photos) > 1:
                exc.args = (f"photo {number} of {len(photos)}: {exc}",)
            raise
        vectors.append(vector)
    return vectors, model_id
