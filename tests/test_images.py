"""Safe image loading: every supported format and mode works, every bad input gets its own error."""

import contextlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from facegate.engine import images
from facegate.engine.images import decode_image, load_image
from facegate.errors import (
    CorruptImageError,
    EmptyImageError,
    FileTooLargeError,
    ImageError,
    NotAnImageError,
    TooManyPixelsError,
    TruncatedImageError,
)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header announces width x height but carries almost no data: a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def obama_bytes(photos: Path) -> bytes:
    return (photos / "obama.jpg").read_bytes()


def test_jpeg_png_webp_decode_to_rgb(obama_bytes: bytes) -> None:
    reference = decode_image(obama_bytes)
    assert reference.dtype == np.uint8 and reference.shape[2] == 3
    picture = Image.fromarray(reference)
    for fmt in ("PNG", "WEBP"):
        decoded = decode_image(encode(picture, fmt, **({"lossless": True} if fmt == "WEBP" else {})))
        assert decoded.shape == reference.shape
        assert np.array_equal(decoded, reference)


def test_rgba_png_is_composited_to_rgb(photos: Path) -> None:
    pixels = load_image(photos / "alex-lacamoire.png")
    assert Image.open(photos / "alex-lacamoire.png").mode == "RGBA"
    assert pixels.shape == (394, 424, 3)


@pytest.mark.parametrize("mode", ["L", "P", "LA", "CMYK", "1"])
def test_other_modes_convert_to_rgb(mode: str) -> None:
    picture = Image.new("RGB", (40, 30), (200, 100, 50)).convert(mode)
    assert decode_image(encode(picture, "PNG" if mode != "CMYK" else "JPEG")).shape == (30, 40, 3)


def test_sixteen_bit_grayscale_is_scaled_not_clipped() -> None:
    values = np.array([[0, 32768, 65535]], dtype=np.uint16)
    decoded = decode_image(encode(Image.fromarray(values), "PNG"))
    assert decoded.shape == (1, 3, 3)
    assert list(decoded[0, :, 0]) == [0, 127, 255]


def test_exif_orientation_is_applied(obama_bytes: bytes) -> None:
    upright = decode_image(obama_bytes)
    # Store the pixels rotated, with the EXIF tag that tells a viewer to rotate them back.
    stored = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    loaded = decode_image(encode(stored, "JPEG", exif=exif.tobytes(), quality=95))
    assert loaded.shape == upright.shape
    assert np.abs(loaded.astype(int) - upright.astype(int)).mean() < 4


def test_mislabelled_extension_is_decoded_by_content(tmp_path: Path, photos: Path) -> None:
    renamed = tmp_path / "photo.png"
    renamed.write_bytes((photos / "obama_small.jpg").read_bytes())
    assert load_image(renamed).shape == (240, 320, 3)


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        (b"", EmptyImageError, "empty"),
        (b"hello, I am a text file\n", NotAnImageError, "text file"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", NotAnImageError, "HTML page"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', NotAnImageError, "SVG"),
        (b"<svg width='10' height='10'></svg>", NotAnImageError, "SVG"),
        (b"%PDF-1.4\n", NotAnImageError, "PDF"),
        (b"GIF89a" + b"\0" * 20, NotAnImageError, "GIF"),
        (bytes(range(256)) * 4, NotAnImageError, "binary"),
    ],
)
def test_non_images_are_refused_by_name(data: bytes, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        decode_image(data)


def test_zip_archive_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("face.jpg", b"not really")
    with pytest.raises(NotAnImageError, match="ZIP archive"):
        decode_image(buffer.getvalue())


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_images_are_refused(obama_bytes: bytes, fmt: str) -> None:
    data = encode(Image.fromarray(decode_image(obama_bytes)), fmt)
    with pytest.raises((TruncatedImageError, CorruptImageError)):
        decode_image(data[: len(data) // 2])


def test_truncated_jpeg_says_truncated(obama_bytes: bytes) -> None:
    with pytest.raises(TruncatedImageError, match="truncated"):
        decode_image(obama_bytes[: len(obama_bytes) // 2])


def test_corrupt_image_is_refused() -> None:
    data = bytearray(encode(Image.new("RGB", (64, 64), (10, 20, 30)), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start : start + 8] = b"\xde\xad\xbe\xef" * 2  # scramble the compressed pixel stream
    with pytest.raises(CorruptImageError, match="corrupt"):
        decode_image(bytes(data))


def test_decompression_bomb_is_refused_from_the_header() -> None:
    with pytest.raises(TooManyPixelsError, match=r"900,000,000 pixels"):
        decode_image(png_header_only(30000, 30000))


def test_pixel_limit_is_configurable(obama_bytes: bytes) -> None:
    with pytest.raises(TooManyPixelsError):
        decode_image(obama_bytes, max_pixels=100_000)


def test_oversized_file_is_refused_before_reading(tmp_path: Path, obama_bytes: bytes) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(obama_bytes)
    with pytest.raises(FileTooLargeError, match=r"big\.jpg"):
        load_image(path, max_bytes=1000)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(images.InputError, match="no such file"):
        load_image(tmp_path / "absent.jpg")


@settings(max_examples=150, deadline=None)
@given(magic=st.sampled_from([b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WEBPVP8 "]), body=st.binary())
def test_hostile_bytes_only_raise_image_errors(magic: bytes, body: bytes) -> None:
    with contextlib.suppress(ImageError):
        decode_image(magic + body)
