"""Frame sequences for liveness tests: one person's photos posed and tinted to follow (or defy) a challenge."""

from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from facegate.engine.dlib_backend import DlibEngine
from facegate.engine.images import load_image
from facegate.engine.liveness import PALETTE, Challenge

PHOTOS = Path(__file__).parent / "data"
WIDTH, HEIGHT = 640, 480
TINT = 0.3  # how much of the screen's colour the face reflects in these synthetic frames


@cache
def _engine() -> DlibEngine:
    return DlibEngine()


@cache
def posed(name: str) -> np.ndarray:
    """A 640x480 frame of the photo's face (about 200 px), centred on a grey scene."""
    image = load_image(PHOTOS / name)
    face = max(_engine().detect(image), key=lambda f: f.size)
    half = face.size
    cx, cy = (face.left + face.right) // 2, (face.top + face.bottom) // 2
    box = (cx - half, cy - half, cx + half, cy + half)
    crop = Image.fromarray(image).crop(box).resize((400, 400))
    frame = Image.new("RGB", (WIDTH, HEIGHT), (110, 110, 110))
    frame.paste(crop, ((WIDTH - 400) // 2, (HEIGHT - 400) // 2))
    return np.asarray(frame)


def pose_frames(person: str = "obama") -> dict[str, np.ndarray]:
    """The person front, turned to their left and to their right (a mirrored photo turns the other way)."""
    if person == "obama":
        turned = posed("obama2.jpg")  # yaw about -22: the person's right on an unmirrored camera
        return {"front": posed("obama.jpg"), "right": turned, "left": turned[:, ::-1].copy()}
    turned = posed("biden.jpg")  # yaw about +14: the person's left
    return {"front": posed("biden2.jpg"), "left": turned, "right": turned[:, ::-1].copy()}


def tinted(frame: np.ndarray, colour: str) -> np.ndarray:
    """The frame as the face would look lit by the screen showing `colour`."""
    light = np.array(PALETTE[colour], np.float64)
    return np.clip(frame * (1 - TINT) + light * TINT, 0, 255).astype(np.uint8)


def timeline(challenge: Challenge, fps: float = 8, colours_of: Challenge | None = None) -> list[tuple[float, str, str]]:
    """(t_ms, pose, colour) of each frame following the challenge's steps, lit by `colours_of` (default: the same
    challenge); the head moves in the first third of a step, so the previous pose shows there."""
    light = colours_of or challenge
    out = []
    t = 40.0
    while t < challenge.duration_ms - 20:
        step = challenge.step_at(t)
        if t % challenge.segment_ms < challenge.segment_ms / 3 and t >= challenge.segment_ms:
            step = challenge.step_at(t - challenge.segment_ms)
        out.append((t, step, light.colour_at(t)))
        t += 1000 / fps
    return out


def sequence(
    challenge: Challenge,
    fps: float = 8,
    colours_of: Challenge | None = None,
    poses: dict[str, np.ndarray] | None = None,
    switch_to: dict[str, np.ndarray] | None = None,
    offset_ms: float = 0,
) -> list[tuple[float, np.ndarray]]:
    """(t_ms, frame) of the challenge's timeline, tinted by `colours_of` (default: the same challenge).

    `switch_to` takes over from the second half of the sequence (another person); `offset_ms` shifts every
    timestamp (frames outside the timeline).
    """
    poses = poses or pose_frames()
    frames = []
    for t, step, colour in timeline(challenge, fps, colours_of):
        who = switch_to if switch_to is not None and t > challenge.duration_ms / 2 else poses
        frames.append((t + offset_ms, tinted(who[step], colour)))
    return frames


def jpeg(frame: np.ndarray, quality: int = 85) -> bytes:
    """The frame as JPEG bytes, as a browser's canvas would send it."""
    import io

    out = io.BytesIO()
    Image.fromarray(frame).save(out, "JPEG", quality=quality)
    return out.getvalue()
