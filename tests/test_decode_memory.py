"""Decoding memory is bounded: a limit on decoded bytes, 16-bit images narrowed band by band, a shared budget."""

import gc
import io
import threading
import tracemalloc

import numpy as np
import pytest
from PIL import Image, ImageOps

from facegate.engine.images import DecodeBudget, decode_cost, decode_image
from facegate.errors import DecoderBusyError, TooMuchMemoryError


def png16(width: int, height: int) -> bytes:
    """A flat 16-bit grayscale PNG: tiny on disk, large once decoded."""
    buffer = io.BytesIO()
    Image.fromarray(np.full((height, width), 40000, np.uint16)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_limit_on_decoded_bytes_refuses_what_the_pixel_limit_lets_through() -> None:
    data = png16(2000, 1500)  # 3 MP, far under the pixel limit
    with pytest.raises(TooMuchMemoryError, match="would take 14 MB, over the limit of 10 MB"):
        decode_image(data, max_decoded_bytes=10 * 2**20)
    assert decode_image(data, max_decoded_bytes=20 * 2**20).shape == (1500, 2000, 3)


def test_a_sixteen_bit_image_is_never_widened_whole() -> None:
    width, height = 2000, 2000
    data = png16(width, height)
    tracemalloc.start()  # numpy's buffers are traced; the old conversion made three 4-byte copies of every pixel
    try:
        pixels = decode_image(data, budget=DecodeBudget(2**30))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert pixels[0, 0].tolist() == [40000 * 255 // 65535] * 3
    assert peak < 4 * width * height  # the RGB result (3 bytes a pixel) and one band of temporaries


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientations_match_pillow(orientation: int) -> None:
    picture = Image.fromarray(np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3))
    exif = picture.getexif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", exif=exif.tobytes())
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(buffer.getvalue()))).convert("RGB"))
    assert np.array_equal(decode_image(buffer.getvalue()), expected)


def test_a_decode_waits_while_decoded_pictures_fill_the_budget() -> None:
    data = png16(1000, 1000)
    budget = DecodeBudget(decode_cost(1000, 1000, "I;16") + 1000)
    held = decode_image(data, budget=budget)  # its decoding cost stays charged while the array lives
    assert budget.used == decode_cost(1000, 1000, "I;16")
    done: list[np.ndarray] = []
    second = threading.Thread(target=lambda: done.append(decode_image(data, budget=budget)))
    second.start()
    second.join(0.5)
    assert second.is_alive() and not done  # no room: it waits
    del held
    gc.collect()
    second.join(60)
    assert len(done) == 1
    del done[:]
    gc.collect()
    assert budget.used == 0


def test_a_full_budget_refuses_after_its_wait() -> None:
    budget = DecodeBudget(100)
    budget.charge(80)
    with pytest.raises(DecoderBusyError):
        budget.take(50, wait_s=0)
    budget.give(80)
    assert budget.take(500, wait_s=0) == 100  # more than the whole budget: runs alone
