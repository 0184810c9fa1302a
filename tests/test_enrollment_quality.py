"""The enrollment quality gate: a turned, tipped, tilted or blurred face is refused with its own message."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter
from test_pose import model_points

from facegate.engine import quality
from facegate.engine.dlib_backend import DlibEngine
from facegate.engine.images import decode_image, load_image
from facegate.errors import FaceBlurredError, FaceTurnedError

SHARP = np.random.default_rng(0).integers(0, 256, (150, 150, 3), dtype=np.uint8)  # plenty of edges


@pytest.mark.parametrize(
    ("pose", "words"),
    [({"yaw": 60}, "turned about 60 degrees to the right"), ({"yaw": -60}, "to the left"),
     ({"pitch": 55}, "tipped back"), ({"roll": 40}, "tilted about 40 degrees")],
)  # fmt: skip
def test_each_pose_failure_has_its_own_message(pose: dict, words: str) -> None:
    with pytest.raises(FaceTurnedError, match=words):
        quality.check_enrollment(model_points(**pose), SHARP)


def test_a_face_within_the_limits_passes() -> None:
    quality.check_enrollment(model_points(yaw=30, pitch=20, roll=15), SHARP)


def test_a_blurred_photo_is_refused_and_the_sharp_one_passes(photos: Path) -> None:
    engine = DlibEngine()
    image = load_image(photos / "obama.jpg")
    face = quality.single_face(engine.detect(image))
    quality.check_enrollment(engine.points(image, face), engine.chips(image, [face])[0])
    buffer = io.BytesIO()
    Image.fromarray(image).filter(ImageFilter.GaussianBlur(12)).save(buffer, "PNG")
    blurred = decode_image(buffer.getvalue())
    faces = engine.detect(blurred)
    if not faces:
        pytest.skip("the detector finds no face in the blurred photo, which enrollment refuses anyway")
    with pytest.raises(FaceBlurredError, match="too blurred"):
        quality.check_enrollment(engine.points(blurred, faces[0]), engine.chips(blurred, [faces[0]])[0])
