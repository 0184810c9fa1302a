"""A door scene for the stream tests and bench/stream.py: people (photos of faces) walking across a corridor.

Each pass is one person entering from the left and leaving on the right, with a gap of empty corridor between
passes; `write_clip` encodes the scene as a video file with PyAV (H.264 or MJPEG).
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Walker:
    """One person crossing the frame: a cut-out of their head, the row of its top and when they enter (seconds)."""

    head: Image.Image
    top: int
    enter_s: float
    cross_s: float = 2.0


def head(photo: Path, box: tuple[int, int, int, int], face_px: int) -> Image.Image:
    """The head around a face box (left, top, right, bottom) of a photo, scaled so the face is `face_px` wide."""
    image = Image.open(photo).convert("RGB")
    left, top, right, bottom = box
    width = right - left
    margin = width // 2
    crop = image.crop((max(0, left - margin), max(0, top - margin), right + margin, bottom + margin))
    scale = face_px / width
    return crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), Image.LANCZOS)


def corridor(width: int, height: int) -> np.ndarray:
    """An empty corridor: a soft vertical gradient with a floor line."""
    rows = np.linspace(90, 170, height, dtype=np.float32)[:, None, None]
    frame = np.broadcast_to(rows, (height, width, 3)).astype(np.uint8).copy()
    frame[int(height * 0.85) :, :, :] = (70, 60, 50)
    return frame


def frames(walkers: Sequence[Walker], width: int, height: int, fps: float, seconds: float) -> Iterator[np.ndarray]:
    """The scene's frames: each walker moves from just outside the left edge to just outside the right edge."""
    background = corridor(width, height)
    for i in range(round(seconds * fps)):
        t = i / fps
        picture = Image.fromarray(background)
        for w in walkers:
            progress = (t - w.enter_s) / w.cross_s
            if 0 <= progress <= 1:
                x = round(-w.head.width + progress * (width + w.head.width))
                picture.paste(w.head, (x, w.top))
        yield np.asarray(picture)


def write_clip(
    path: Path, scene: Iterator[np.ndarray], width: int, height: int, fps: int, codec: str = "mjpeg"
) -> Path:
    """Encode frames as a video file (MJPEG in Matroska by default, or H.264)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        if codec == "mjpeg":
            stream.options = {"q:v": "3"}
        for pixels in scene:
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
