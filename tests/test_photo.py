"""One photo to one template in one call: large JPEGs decoded at a DCT scale that keeps the face, the same template."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facegate.engine import photo
from facegate.engine.dlib_backend import DlibEngine
from facegate.engine.images import KEEP_FACE_PX, dct_reduction, decode_for_faces
from facegate.errors import MultipleFacesError


@pytest.fixture(scope="module")
def engine() -> DlibEngine:
    return DlibEngine()


def enlarged(path: Path, size: tuple[int, int], fmt: str = "JPEG") -> bytes:
    """The photo scaled up to `size`, as a camera with many megapixels would have taken it."""
    buffer = io.BytesIO()
    Image.open(path).convert("RGB").resize(size, Image.Resampling.BICUBIC).save(buffer, fmt, quality=92)
    return buffer.getvalue()


def test_reduction_keeps_the_expected_face_at_chip_size_and_a_photo_at_four_megapixels() -> None:
    assert dct_reduction(6000, 4000, 0) == 2  # 6 MP at 1/2; 1/4 would leave 1.5 MP for the detector
    assert dct_reduction(1920, 1080, 0) == 1
    assert dct_reduction(1280, 720, 150) == 1  # a kiosk's 150 px faces would fall under the chip's 100 px
    assert dct_reduction(1280, 720, 4 * KEEP_FACE_PX) == 4
    assert dct_reduction(8000, 6000, 10_000) == 8  # never past libjpeg's 1/8


def test_a_large_jpeg_is_decoded_smaller_and_gives_the_same_template(engine: DlibEngine, photos: Path) -> None:
    data = enlarged(photos / "obama.jpg", (4800, 6000))
    pixels, scale = decode_for_faces(data)
    assert scale == 0.5 and pixels.shape == (3000, 2400, 3)
    reduced, model_id = photo.embed_photo(engine, data, enrollment=True)
    original, original_model = photo.embed_photo(engine, (photos / "obama.jpg").read_bytes(), enrollment=True)
    assert model_id == original_model
    assert np.linalg.norm(reduced - original) < 0.1  # resampled twice, yet a quarter of the 0.42 threshold


def test_png_and_small_jpeg_are_decoded_at_full_size(photos: Path) -> None:
    flat = io.BytesIO()
    Image.new("RGB", (4000, 4000), (90, 120, 150)).save(flat, "PNG")
    for data in (flat.getvalue(), (photos / "obama.jpg").read_bytes()):
        pixels, scale = decode_for_faces(data)
        assert scale == 1.0 and pixels.shape[:2] == Image.open(io.BytesIO(data)).size[::-1]


def test_a_pool_worker_takes_the_bytes_and_returns_the_same_template(engine: DlibEngine, photos: Path) -> None:
    from facegate.engine.pool import EnginePool

    data = (photos / "biden.jpg").read_bytes()
    pool = EnginePool(1)
    try:
        vector, model_id = pool.run(photo.embed_photo, data, False, None)
        with pytest.raises(MultipleFacesError):  # the worker's refusal reaches the caller as itself
            pool.run(photo.embed_photo, (photos / "two_people.jpg").read_bytes(), True, None)
    finally:
        pool.close()
    expected, expected_model = photo.embed_photo(engine, data, False)
    assert model_id == expected_model and np.allclose(vector, expected, atol=1e-6)
