"""Safe image decoding: JPEG, PNG and WebP only; size, pixel and memory limits checked before any pixel is decoded.

Decoding memory is bounded three ways: a file-size limit, a limit on the bytes a decode needs (the decoder's
own buffer plus the RGB result, from the header), and a process-wide memory budget (`DecodeBudget`, from
$FACEGATE_DECODE_MEMORY_MB) that every decode and every decoded picture still in use draws from: a decode
that does not fit waits until earlier pictures are released (`DecoderBusyError` after WAIT_S).
"""

import contextlib
import ctypes
import io
import threading
import time
import warnings
import weakref
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from facegate import config
from facegate.errors import (
    CorruptImageError,
    DecoderBusyError,
    EmptyImageError,
    FileTooLargeError,
    ImageError,
    InputError,
    NotAnImageError,
    TooManyPixelsError,
    TooMuchMemoryError,
    TruncatedImageError,
)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
RGB_BYTES = 3  # per pixel of the result
# Every 8-bit photo MAX_PIXELS allows (decoder buffer 4 bytes a pixel, then the RGB result) fits this limit.
MAX_DECODED_BYTES = MAX_PIXELS * (4 + RGB_BYTES)
BUDGET_ENV = "FACEGATE_DECODE_MEMORY_MB"
DEFAULT_BUDGET_MB = 512
WAIT_S = 120.0  # how long a decode waits for room in the budget before it is refused
BAND_PIXELS = 1 << 18  # pixels converted at a time: conversion temporaries stay a few MB
FORMATS = ("JPEG", "PNG", "WEBP")
# How Pillow stores a pixel of each mode while decoding (bytes); modes not listed take 4.
_STORED = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}

# We check the pixel count ourselves before decoding; Pillow's own guard would only warn below twice its limit.
Image.MAX_IMAGE_PIXELS = None


class DecodeBudget:
    """A memory budget shared by every decode in the process: a weighted semaphore of bytes.

    A decode takes its estimated peak from the budget before the first pixel is decoded and keeps it until
    the RGB array it returns is garbage collected. A request larger than the
    whole budget runs alone. This caps concurrent decodes by the memory they need, not by a count.
    """

    def __init__(self, limit_bytes: int) -> None:
        self.limit = limit_bytes
        self.used = 0
        self._changed = threading.Condition()

    def take(self, amount: int, wait_s: float | None = None) -> int:
        """Take `amount` bytes (at most the whole budget), waiting up to `wait_s` (default WAIT_S); what was taken."""
        amount = min(amount, self.limit)
        deadline = time.monotonic() + (WAIT_S if wait_s is None else wait_s)
        with self._changed:
            while self.used and self.used + amount > self.limit:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DecoderBusyError("too many large images are being decoded at once: try again shortly")
                self._changed.wait(left)
            self.used += amount
        return amount

    def charge(self, amount: int) -> int:
        """Count `amount` bytes already in use without waiting (a decoded picture); what was counted."""
        with self._changed:
            self.used += amount
        return amount

    def give(self, amount: int) -> None:
        """Return `amount` bytes taken before."""
        with self._changed:
            self.used -= amount
            self._changed.notify_all()


def _budget_from_env() -> DecodeBudget:
    text = config.current().decode_memory_mb or ""
    try:
        megabytes = int(text) if text else DEFAULT_BUDGET_MB
    except ValueError:
        raise InputError(f"${BUDGET_ENV} must be a whole number of megabytes, not {text!r}") from None
    if megabytes < 64:
        raise InputError(f"${BUDGET_ENV} must be at least 64 (MB)")
    return DecodeBudget(megabytes * 1024 * 1024)


BUDGET = _budget_from_env()
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_FROM_BYTES = 4 << 20
TRIM_FROM_BYTES = 4 * MMAP_FROM_BYTES  # a heap keeps this much free: a 1280x720 frame frees about 9 MB


def _unmap_large_buffers() -> None:
    """With glibc, allocate buffers from 4 MB with mmap, always: freed, they go back to the system at once.

    glibc otherwise raises its threshold after the first large free, and the decoder's 16 MB blocks then
    come from per-thread heaps that keep them after they are freed: 16 concurrent uploads of a large image
    left twice the memory the decodes needed. A fixed mmap threshold also fixes the trim threshold at 128 KB:
    every heap then gave its free top back after each frame and faulted it in again for the next, 2,000 page
    faults and 8 ms of CPU per 1280x720 frame through `facegate serve` (a third of the engine's time). A heap
    now keeps up to 16 MB free; buffers from 4 MB (a 1920x1080 frame's) still come and go with mmap.
    Elsewhere (no `mallopt`) nothing changes.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_FROM_BYTES)
        libc.mallopt(M_TRIM_THRESHOLD, TRIM_FROM_BYTES)


_unmap_large_buffers()


def decode_cost(width: int, height: int, mode: str) -> int:
    """The peak bytes decoding an image of this size and Pillow mode takes: decoder buffer plus RGB result."""
    return width * height * (_STORED.get(mode, 4) + RGB_BYTES)


def sniff_format(head: bytes) -> str | None:
    """Return JPEG, PNG or WEBP from the first bytes, or None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def describe(head: bytes) -> str:
    """Name what the bytes look like, for an error message that helps ('a ZIP archive', 'an SVG file')."""
    text = head[:512].lstrip().lower()
    known = [
        (head.startswith(b"PK\x03\x04"), "a ZIP archive"),
        (head.startswith(b"%PDF"), "a PDF document"),
        (head[:6] in (b"GIF87a", b"GIF89a"), "a GIF image (not supported)"),
        (head.startswith(b"BM"), "a BMP image (not supported)"),
        (head[:4] in (b"II*\x00", b"MM\x00*"), "a TIFF image (not supported)"),
        (b"ftypheic" in head[:16] or b"ftypavif" in head[:16], "a HEIF/AVIF image (not supported)"),
        (b"<svg" in text, "an SVG file"),
        (text.startswith((b"<!doctype html", b"<html")), "an HTML page"),
        (text.startswith(b"<?xml"), "an XML file"),
    ]
    for matched, name in known:
        if matched:
            return name
    try:
        head[:512].decode("utf-8")
    except UnicodeDecodeError:
        return "unrecognised binary data"
    return "a text file"


def read_image_bytes(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """Read a file's bytes, refusing a missing, empty or oversized file before reading it whole."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if not path.is_file():
        raise InputError(f"not a file: {path}")
    if size > max_bytes:
        raise FileTooLargeError(f"{path.name}: {size:,} bytes is over the limit of {max_bytes:,} bytes")
    return path.read_bytes()


def decode_image(
    data: bytes,
    max_bytes: int = MAX_FILE_BYTES,
    max_pixels: int = MAX_PIXELS,
    max_decoded_bytes: int = MAX_DECODED_BYTES,
    budget: DecodeBudget | None = None,
) -> np.ndarray:
    """Decode JPEG, PNG or WebP bytes into an upright RGB uint8 array (H, W, 3); raise an ImageError if not.

    The array draws on the decoding budget (default: the process's) until it is garbage collected.
    """
    return _decode(data, max_bytes, max_pixels, max_decoded_bytes, budget, None)[0]


def decode_for_faces(data: bytes, min_face_px: int | None = None) -> tuple[np.ndarray, float]:
    """Decode as `decode_image`, a JPEG at the coarsest DCT scale (1/2, 1/4, 1/8) that changes nothing for the
    faces: each face the caller expects (`min_face_px`) keeps KEEP_FACE_PX, and a photo with no such bound keeps
    KEEP_PIXELS for the detector. Returns the pixels and their scale against the full-size image (1.0 if none)."""
    return _decode(data, MAX_FILE_BYTES, MAX_PIXELS, MAX_DECODED_BYTES, None, min_face_px or 0)


KEEP_FACE_PX = 100  # the face's side in the aligned 150 px chip (padding 0.25): below it the chip is upsampled
KEEP_PIXELS = 4_000_000  # the finest scale the detector searches a photo at without upsampling (2x of 1 MP)


def dct_reduction(width: int, height: int, min_face_px: int) -> int:
    """The largest JPEG DCT reduction (1, 2, 4 or 8) that keeps faces of `min_face_px` at KEEP_FACE_PX, or a photo
    with no expected face size (0) at KEEP_PIXELS."""
    reduction = 1
    for candidate in (2, 4, 8):
        if min_face_px and min_face_px / candidate < KEEP_FACE_PX:
            break
        if not min_face_px and (width // candidate) * (height // candidate) < KEEP_PIXELS:
            break
        reduction = candidate
    return reduction


def _decode(
    data: bytes,
    max_bytes: int,
    max_pixels: int,
    max_decoded_bytes: int,
    budget: DecodeBudget | None,
    min_face_px: int | None,
) -> tuple[np.ndarray, float]:
    if not data:
        raise EmptyImageError("the image is empty (0 bytes)")
    if len(data) > max_bytes:
        raise FileTooLargeError(f"the image is {len(data):,} bytes, over the limit of {max_bytes:,} bytes")
    fmt = sniff_format(data[:16])
    if fmt is None:
        raise NotAnImageError(f"not a JPEG, PNG or WebP image: this looks like {describe(data)}")
    budget = budget or BUDGET
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = image.size
            if width * height > max_pixels:
                raise TooManyPixelsError(
                    f"the image announces {width}x{height} = {width * height:,} pixels, "
                    f"over the limit of {max_pixels:,}"
                )
            if min_face_px is not None and fmt == "JPEG":
                reduction = dct_reduction(width, height, min_face_px)
                if reduction > 1:  # libjpeg decodes straight at the smaller size: less time, less memory
                    image.draft(image.mode, (width // reduction, height // reduction))
            cost = decode_cost(*image.size, image.mode)
            if cost > max_decoded_bytes:
                raise TooMuchMemoryError(
                    f"decoding this {width}x{height} {image.mode} image would take {cost // 2**20:,} MB, "
                    f"over the limit of {max_decoded_bytes // 2**20:,} MB"
                )
            taken = budget.take(cost)
            try:
                image.load()
                scale = image.size[0] / width
                orientation = image.getexif().get(ORIENTATION, 1)
                pixels = _upright(to_rgb(image), orientation)
            except BaseException:
                budget.give(taken)
                raise
    except (ImageError, DecoderBusyError):
        raise
    except (OSError, SyntaxError, ValueError, zlib.error, EOFError) as exc:
        if "truncated" in str(exc).lower() or isinstance(exc, EOFError):
            raise TruncatedImageError(f"the {fmt} image is truncated: it ends before its last pixel") from None
        raise CorruptImageError(f"the {fmt} image is corrupt and cannot be decoded") from None
    except Exception:  # Pillow's plugins raise a variety of types on hostile input; none may leak
        raise CorruptImageError(f"the {fmt} image is corrupt and cannot be decoded") from None
    # The decode's charge stays taken while the picture is in use: the engine's first steps (a downscaled copy
    # for detection) need about as much again as the picture itself.
    weakref.finalize(pixels, budget.give, taken)
    return pixels, scale


ORIENTATION = 0x0112
_UPRIGHT = {  # EXIF orientation -> the numpy view that stands the picture upright (as ImageOps.exif_transpose)
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, -1)[::-1],
    8: lambda a: np.rot90(a, 1),
}


def _upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    turn = _UPRIGHT.get(orientation)
    return pixels if turn is None else np.ascontiguousarray(turn(pixels))


def to_rgb(image: Image.Image) -> np.ndarray:
    """Convert any Pillow mode (RGBA, palette, grayscale, 16-bit, CMYK) to an RGB uint8 array.

    The result is filled a band of rows at a time, so the only full-size buffers are the decoded image and
    the result (a 16-bit picture is never widened to 32 bits whole).
    """
    width, height = image.size
    if image.mode == "RGB":
        return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))
    peak = None
    if image.mode in ("I;16", "I;16B", "I;16L"):
        peak = 65535
    elif image.mode == "I":
        extrema: Any = image.getextrema()
        peak = 65535 if extrema[1] > 255 else 255
    out = np.empty((height, width, 3), np.uint8)
    rows = max(1, BAND_PIXELS // max(width, 1))
    for top in range(0, height, rows):
        band = image.crop((0, top, width, min(height, top + rows)))
        out[top : top + band.size[1]] = _band_to_rgb(band, peak)
    return out


def _band_to_rgb(image: Image.Image, peak: int | None) -> np.ndarray:
    if peak is not None:
        values = np.asarray(image, dtype=np.uint32)
        scaled: np.ndarray = (values * 255 // peak).astype(np.uint8)[..., None]
        return scaled
    if image.mode == "F":
        clipped: np.ndarray = np.clip(np.asarray(image), 0, 255).astype(np.uint8)[..., None]
        return clipped
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    rgb: np.ndarray = np.asarray(image.convert("RGB"), dtype=np.uint8)
    return rgb


def load_image(path: Path, max_bytes: int = MAX_FILE_BYTES, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read and decode an image file safely; see `decode_image`."""
    try:
        return decode_image(read_image_bytes(path, max_bytes), max_bytes, max_pixels)
    except ImageError as exc:
        if str(exc).startswith(path.name):
            raise
        raise type(exc)(f"{path.name}: {exc}") from None
