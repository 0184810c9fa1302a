"""Safe image decoding: JPEG, PNG and WebP only, size and pixel limits checked before any pixel is decoded."""

import io
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from facegate.errors import InputError, TooLargeError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
FORMATS = ("JPEG", "PNG", "WEBP")

# We check the pixel count ourselves before decoding; Pillow's own guard would only warn below twice its limit.
Image.MAX_IMAGE_PIXELS = None


class ImageError(InputError):
    """The bytes given as an image cannot be used."""


class EmptyImageError(ImageError):
    """The file or upload has no bytes."""


class FileTooLargeError(ImageError, TooLargeError):
    """The file is larger than the configured maximum."""


class NotAnImageError(ImageError):
    """The bytes are not a JPEG, PNG or WebP image (text, HTML, SVG, an archive, another format)."""


class TooManyPixelsError(ImageError):
    """The header announces more pixels than allowed: a decompression bomb or an oversized photo."""


class TruncatedImageError(ImageError):
    """The image stops before its end."""


class CorruptImageError(ImageError):
    """The image's data cannot be decoded."""


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


def decode_image(data: bytes, max_bytes: int = MAX_FILE_BYTES, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode JPEG, PNG or WebP bytes into an upright RGB uint8 array (H, W, 3); raise an ImageError if not."""
    if not data:
        raise EmptyImageError("the image is empty (0 bytes)")
    if len(data) > max_bytes:
        raise FileTooLargeError(f"the image is {len(data):,} bytes, over the limit of {max_bytes:,} bytes")
    fmt = sniff_format(data[:16])
    if fmt is None:
        raise NotAnImageError(f"not a JPEG, PNG or WebP image: this looks like {describe(data)}")
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
            image.load()
            image = ImageOps.exif_transpose(image)
            return to_rgb(image)
    except ImageError:
        raise
    except (OSError, SyntaxError, ValueError, zlib.error, EOFError) as exc:
        if "truncated" in str(exc).lower() or isinstance(exc, EOFError):
            raise TruncatedImageError(f"the {fmt} image is truncated: it ends before its last pixel") from None
        raise CorruptImageError(f"the {fmt} image is corrupt and cannot be decoded") from None
    except Exception:  # Pillow's plugins raise a variety of types on hostile input; none may leak
        raise CorruptImageError(f"the {fmt} image is corrupt and cannot be decoded") from None


def to_rgb(image: Image.Image) -> np.ndarray:
    """Convert any Pillow mode (RGBA, palette, grayscale, 16-bit, CMYK) to an RGB uint8 array."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(image, dtype=np.uint32)
        peak = 65535 if image.mode.startswith("I;16") or values.max() > 255 else 255
        gray = (values * 255 // max(peak, 1)).astype(np.uint8)
        return np.ascontiguousarray(np.stack([gray] * 3, axis=-1))
    if image.mode == "F":
        gray = np.clip(np.asarray(image), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.stack([gray] * 3, axis=-1))
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8))


def load_image(path: Path, max_bytes: int = MAX_FILE_BYTES, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read and decode an image file safely; see `decode_image`."""
    try:
        return decode_image(read_image_bytes(path, max_bytes), max_bytes, max_pixels)
    except ImageError as exc:
        if str(exc).startswith(path.name):
            raise
        raise type(exc)(f"{path.name}: {exc}") from None
