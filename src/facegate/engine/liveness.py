"""Liveness signals from a short sequence of camera frames, checked against a challenge (movement and light).

A challenge asks for head turns in a random order and shows a random sequence of colours on the screen in front
of the face while the frames are captured. Each frame is measured once (`measure`): the faces found, the head pose
from the 5 landmarks, the mean colour of the face region and the face's embedding. The checks are pure functions
of the challenge and the measurements; each returns the reasons it fails, so a trained presentation-attack model
can be added as one more `LivenessCheck`. Nothing here knows who the person is or keeps a frame (a small grey
patch of the face is kept in memory with the measurements, for the structure check, until they are assessed).
"""

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from facegate.engine import parallax
from facegate.engine.face import Embedding, Face
from facegate.engine.pose import Pose, estimate

TURNS = ("left", "right")
PALETTE = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0)}
SEGMENT_MS = 1200  # each movement step (front, a turn, front, a turn) lasts this long
COLOUR_MS = 600  # each colour is shown this long
TURNED_YAW = 12.0  # degrees: a turned head; the 5-point pose is rough, so the margin is wide
FRONTAL_YAW = 9.0  # degrees: a frontal head
MAX_LAG_MS = 400  # camera and display latency the light check allows between a colour and its reflection
SETTLE_MS = 120  # frames this soon after a colour change may show the previous colour
MIN_FRAMES = 8
FLAT = 0.012  # parallax.flatness below this (share of the patch) is a flat or bent sheet; see docs/liveness.md
STRUCTURE_PAIRS = 6  # turned frames compared with the frontal one (spread over the sequence)


@dataclass(frozen=True)
class Challenge:
    """What the person is asked to do: head turns in order and the colours the screen shows, on one timeline.

    The timeline starts at the first frame (t = 0 ms): movement steps of `segment_ms` (front, then each turn
    followed by front again) and colours of `colour_ms` each, both cycling until `duration_ms`.
    """

    turns: tuple[str, ...]
    colours: tuple[str, ...]
    segment_ms: int = SEGMENT_MS
    colour_ms: int = COLOUR_MS

    @property
    def steps(self) -> tuple[str, ...]:
        """The movement steps in order: front, then each turn and front again."""
        out = ["front"]
        for turn in self.turns:
            out += [turn, "front"]
        return tuple(out)

    @property
    def duration_ms(self) -> int:
        """How long the capture lasts."""
        return self.segment_ms * len(self.steps)

    def step_at(self, t_ms: float) -> str:
        """The movement step asked for at time `t_ms`."""
        return self.steps[min(len(self.steps) - 1, max(0, int(t_ms // self.segment_ms)))]

    def colour_at(self, t_ms: float) -> str:
        """The colour on the screen at time `t_ms`."""
        return self.colours[min(len(self.colours) - 1, max(0, int(t_ms // self.colour_ms)))]


def new_challenge(rng: random.Random, turns: int = 2) -> Challenge:
    """A random challenge: `turns` head turns, each left or right, and a colour sequence without repeats in a row
    and without four colours alternating (A B A B), which the same sequence one step late would imitate."""
    chosen = tuple(rng.choice(TURNS) for _ in range(turns))
    length = -(-SEGMENT_MS * (2 * turns + 1) // COLOUR_MS)
    colours = [rng.choice(list(PALETTE))]
    while len(colours) < length:
        alternating = colours[-2] if len(colours) >= 3 and colours[-1] == colours[-3] else None
        colours.append(rng.choice([c for c in PALETTE if c not in (colours[-1], alternating)]))
    return Challenge(chosen, tuple(colours))


@dataclass(frozen=True, eq=False)
class FrameSignal:
    """What one frame shows: when, how many faces, and for the main face its pose, colour and embedding."""

    t_ms: float
    faces: int
    face: Face | None = None
    pose: Pose | None = None
    colour: tuple[float, float, float] | None = field(default=None, repr=False)
    embedding: Embedding | None = None
    patch: np.ndarray | None = field(default=None, repr=False)


class FrameEngine(Protocol):
    """What `measure` needs from an engine: sized detection, landmarks and embeddings."""

    def detect(self, image: np.ndarray, min_face_px: int | None = None) -> list[Face]: ...
    def points(self, image: np.ndarray, face: Face) -> np.ndarray: ...
    def embed(self, image: np.ndarray, faces: list[Face]) -> list[Embedding]: ...
    def chips(self, image: np.ndarray, faces: list[Face]) -> np.ndarray: ...
    def embed_chips(self, chips: np.ndarray, one_pass: bool = False) -> list[Embedding]: ...


def measure(
    engine: FrameEngine, image: np.ndarray, t_ms: float, min_face_px: int | None = None, one_pass: bool = False
) -> FrameSignal:
    """Measure one frame: faces, and for a single face its pose, the mean colour of its centre, its embedding (with
    `one_pass`, a 1:1 verification's probe, from one descriptor pass) and its grey patch."""
    faces = engine.detect(image, min_face_px=min_face_px)
    if len(faces) != 1:
        return FrameSignal(t_ms, len(faces))
    (face,) = faces
    head = estimate(engine.points(image, face))
    # The centre of the box: cheeks, nose and forehead, which reflect the screen; no hair or background.
    inset_x, inset_y = face.width // 4, face.height // 4
    region = image[face.top + inset_y : face.bottom - inset_y, face.left + inset_x : face.right - inset_x]
    red, green, blue = (float(v) for v in region.reshape(-1, 3).mean(axis=0))
    if one_pass:
        embedding = engine.embed_chips(engine.chips(image, [face]), one_pass=True)[0]
    else:
        embedding = engine.embed(image, [face])[0]
    return FrameSignal(t_ms, 1, face, head, (red, green, blue), embedding, parallax.face_patch(image, face))


class LivenessCheck(Protocol):
    """One liveness test over a challenge and the measured frames: the reasons it fails (empty when it passes)."""

    @property
    def name(self) -> str:
        """The check's name in reports."""
        ...

    def failures(self, challenge: Challenge, frames: Sequence[FrameSignal]) -> list[str]:
        """Reason codes; an empty list passes."""
        ...


@dataclass(frozen=True)
class TimingCheck:
    """Enough frames, in time order, on the challenge's timeline, covering every movement step."""

    name: str = "timing"

    def failures(self, challenge: Challenge, frames: Sequence[FrameSignal]) -> list[str]:
        """'too_few_frames' or 'outside_timeline' (timestamps out of order or outside the capture)."""
        times = [f.t_ms for f in frames]
        if len(frames) < MIN_FRAMES:
            return ["too_few_frames"]
        if not all(map(math.isfinite, times)) or any(b <= a for a, b in itertools.pairwise(times)) or times[0] < 0:
            return ["outside_timeline"]
        if times[-1] > challenge.duration_ms + MAX_LAG_MS:
            return ["outside_timeline"]
        if {challenge.step_at(t) for t in times} != set(challenge.steps):
            return ["outside_timeline"]
        return []


@dataclass(frozen=True)
class OneFaceCheck:
    """Every frame shows exactly one face."""

    name: str = "one_face"

    def failures(self, challenge: Challenge, frames: Sequence[FrameSignal]) -> list[str]:
        """'no_face' or 'several_faces' when a frame has not exactly one."""
        counts = {f.faces for f in frames}
        return (["no_face"] if 0 in counts else []) + (["several_faces"] if any(c > 1 for c in counts) else [])


@dataclass(frozen=True)
class SamePersonCheck:
    """The same person throughout: every frame's embedding within `threshold` of the first frontal one's."""

    threshold: float
    name: str = "same_person"

    def failures(self, challenge: Challenge, frames: Sequence[FrameSignal]) -> list[str]:
        """'different_person' when any frame's face is another person's."""
        faces = [f for f in frames if f.embedding is not None]
        if not faces:
            return []
        anchor = frontal(faces) or faces[0]
        assert anchor.embedding is not None
        vectors = [f.embedding.vector for f in faces if f.embedding is not None]
        far = [v for v in vectors if np.linalg.norm(v - anchor.embedding.vector) >= self.threshold]
        return ["different_person"] if far else []


def _step_pose(step: str, head: Pose) -> bool:
    # pose.py: yaw > 0 is turned towards the image's right, which is the person's left on an unmirrored camera.
    if step == "left":
        return head.yaw >= TURNED_YAW
    if step == "right":
        return head.yaw <= -TURNED_YAW
    return abs(head.yaw) <= FRONTAL_YAW


@dataclass(frozen=True)
class MovementCheck:
    """The head follows the challenge's steps in order and in time: in the second half of each step, most frames
    show the pose asked for (the first half leaves time to turn)."""

    name: str = "movement"

    def failures(self, challenge: Challenge, frames: Sequence[FrameSignal]) -> list[str]:
        """'movement' when a step's frames do not show its pose."""
        for index, step in enumerate(challenge.steps):
            start = index * challenge.segment_ms + challenge.segment_ms / 2
            late = [f.pose for f in frames if start <= f.t_ms < start + challenge.segment_ms / 2 and f.pose is not None]
            if not late or sum(_step_pose(step, pose) for pose in late) * 2 <= len(late):
                return ["movement"]
        return []


@dataclass(frozen=True)
class StructureCheck:
    """The face has depth: between the most frontal frame and the turned ones, the face's image motion is not
    explained by a plane, a gently bent sheet or a folded one (`parallax.flatness`), as it is for a print or a
    screen."""

    flat: float = FLAT
    name: str = "structure"

    def failures(self, challenge: Challenge, frames: Sequence[FrameSignal]) -> list[str]:
        """'flat' when, on either side the head turned to, the median flatness of its frames against the frontal
        one is below `flat` (each side on its own: a print that reads as deep one way must not carry the other)."""
        anchor = frontal([f for f in frames if f.patch is not None])
        turned = [f for f in frames if f.patch is not None and f.pose and abs(f.pose.yaw) >= TURNED_YAW]
        if anchor is None or anchor.patch is None or not turned:
            return []  # nothing turned: the movement check already fails
        step = max(1, len(turned) // STRUCTURE_PAIRS)
        sides: dict[bool, list[float]] = {}
        for f in turned[::step][:STRUCTURE_PAIRS]:
            assert f.patch is not None and f.pose is not None
            sides.setdefault(f.pose.yaw > 0, []).append(parallax.flatness(anchor.patch, f.patch))
        return ["flat"] if min(float(np.median(scores)) for scores in sides.values()) < self.flat else []


def _chroma(rgb: npt.ArrayLike) -> np.ndarray:
    values = np.asarray(rgb, np.float64) + 1.0
    shares: np.ndarray = values / values.sum(axis=-1, keepdims=True)
    return shares


@dataclass(frozen=True)
class LightCheck:
    """The face reflects the screen's colours in time: the face colour's change from its mean follows the colours
    shown (allowing for up to MAX_LAG_MS of camera latency), in most colour steps and in correlation overall."""

    min_correlation: float = 0.5
    min_steps: float = 0.7
    name: str = "light"

    def failures(self, challenge: Challenge, frames: Sequence[FrameSignal]) -> list[str]:
        """'light' when the reflected colour does not follow the sequence."""
        lit = [f for f in frames if f.colour is not None]
        if len(lit) < MIN_FRAMES:
            return ["light"]
        best = max(self._score(challenge, lit, lag) for lag in range(0, MAX_LAG_MS + 1, 50))
        return [] if best[0] >= self.min_correlation and best[1] >= self.min_steps else ["light"]

    def _score(self, challenge: Challenge, frames: Sequence[FrameSignal], lag: int) -> tuple[float, float]:
        """(correlation, share of colour steps read right) with the reflection `lag` ms behind the screen."""
        kept = [f for f in frames if (f.t_ms - lag) % challenge.colour_ms >= SETTLE_MS and f.t_ms >= lag]
        if len(kept) < MIN_FRAMES:
            return (-1.0, 0.0)
        names = [challenge.colour_at(f.t_ms - lag) for f in kept]
        seen = _chroma([f.colour for f in kept if f.colour is not None])  # every kept frame is lit
        shown = _chroma([PALETTE[n] for n in names])
        # Both sides are centred on this sequence's own mean, so a sequence with more of one colour is read fairly.
        centre = shown.mean(axis=0)
        seen, shown = seen - seen.mean(axis=0), shown - centre
        if seen.std() < 1e-4 or shown.std() < 1e-6:
            return (-1.0, 0.0)
        correlation = float(np.corrcoef(seen.ravel(), shown.ravel())[0, 1])
        palette = {n: _chroma(c) - centre for n, c in PALETTE.items()}
        steps: dict[int, list[np.ndarray]] = {}
        for f, residual in zip(kept, seen, strict=True):
            steps.setdefault(int((f.t_ms - lag) // challenge.colour_ms), []).append(residual)
        right = 0
        for step, residuals in steps.items():
            mean = np.mean(residuals, axis=0)
            guess = max(palette, key=lambda n: float(mean @ palette[n]) / float(np.linalg.norm(palette[n])))
            right += guess == challenge.colours[min(step, len(challenge.colours) - 1)]
        return (correlation, right / len(steps))


def frontal(frames: Sequence[FrameSignal]) -> FrameSignal | None:
    """The most frontal single-face frame (smallest yaw and pitch), on which the biometric operation runs."""
    posed = [f for f in frames if f.pose is not None and f.embedding is not None]
    return min(posed, key=lambda f: abs(f.pose.yaw) + abs(f.pose.pitch), default=None)  # type: ignore[union-attr]


def default_checks(threshold: float) -> list[LivenessCheck]:
    """The challenge-response checks in the order their reasons are reported."""
    return [TimingCheck(), OneFaceCheck(), SamePersonCheck(threshold), MovementCheck(), LightCheck(), StructureCheck()]


def assess(challenge: Challenge, frames: Sequence[FrameSignal], checks: Sequence[LivenessCheck]) -> list[str]:
    """Every failure reason of every check, in order; empty when the sequence passes."""
    reasons: list[str] = []
    for check in checks:
        reasons += [r for r in check.failures(challenge, frames) if r not in reasons]
    return reasons
