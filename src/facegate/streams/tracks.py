"""Tracks, not frames: faces followed across frames by box overlap, so one person walking by makes one decision.

Each frame's faces are matched to the open tracks by overlap with the track's last box or with where its
movement so far puts it (a face crossing the frame quickly overlaps its prediction, not its last box).
A track is decided once, on its best look: when the look has not improved for `patience` frames, when it is
good enough at once, or when the track is lost. Pure: boxes, qualities and frame numbers in, tracks out.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar


class Box(Protocol):
    """A face box in frame pixels (right and bottom exclusive)."""

    @property
    def left(self) -> int: ...

    @property
    def top(self) -> int: ...

    @property
    def right(self) -> int: ...

    @property
    def bottom(self) -> int: ...


class Seen(Protocol):
    """What the tracker needs of a sighting: its box and the quality of the look."""

    @property
    def face(self) -> Box: ...

    @property
    def quality(self) -> float: ...


S = TypeVar("S", bound=Seen)


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when apart, 1 when identical)."""
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a.right - a.left) * (a.bottom - a.top) + (b.right - b.left) * (b.bottom - b.top) - inter
    return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class Moved:
    """A box moved to where a track predicts it."""

    left: int
    top: int
    right: int
    bottom: int


@dataclass(eq=False)
class Track(Generic[S]):
    """One face followed across frames: its last box, its best look so far and whether it has been decided."""

    id: int
    last: S
    last_frame: int
    best: S
    best_frame: int
    best_at: float  # the monotonic time the best look's frame arrived
    seen: int = 1
    decided: bool = False
    velocity: tuple[float, float] = (0.0, 0.0)  # box movement per frame, from the last two sightings
    extra: dict[str, Any] = field(default_factory=dict)

    def predicted(self, frame: int) -> "Moved":
        """Where the face should be at `frame` if it keeps moving as it did."""
        steps = frame - self.last_frame
        box = self.last.face
        return Moved(
            round(box.left + self.velocity[0] * steps),
            round(box.top + self.velocity[1] * steps),
            round(box.right + self.velocity[0] * steps),
            round(box.bottom + self.velocity[1] * steps),
        )

    def drop_look(self) -> None:
        """Forget the best look's pixels once decided (the box stays for matching the next frames)."""
        self.best = self.last


@dataclass
class Tracker(Generic[S]):
    """Matches each frame's sightings to open tracks by IoU and says which tracks are ready to decide."""

    min_iou: float = 0.3
    max_missed: int = 5  # frames a track may go unseen before it is lost
    patience: int = 2  # frames without a better look before the best one is decided
    good_quality: float = float("inf")  # a look at least this good is decided at once
    min_seen: int = 2  # a face seen in fewer frames is not a person walking by (a detector's stray box)
    min_quality: float = 0.0  # a track whose best look is worse (a face cut by the frame's edge, turned away) is
    # not decided: the person uses the door's alternative, and no stranger decision is made on a useless look
    max_jump: float = 2.0  # face widths a face may move between two searched frames (frames skipped under load)
    tracks: list[Track[S]] = field(default_factory=list)
    _next_id: int = 1

    def update(self, frame: int, sightings: Iterable[S], at: float) -> tuple[list[Track[S]], list[Track[S]]]:
        """Feed one frame's sightings; return (tracks ready to decide now, tracks lost and closed)."""
        sightings_list = list(sightings)
        pairs = sorted(
            (
                (self._affinity(t, s, frame), i, j)
                for i, t in enumerate(self.tracks)
                for j, s in enumerate(sightings_list)
            ),
            reverse=True,
        )
        used_tracks: set[int] = set()
        used_sightings: set[int] = set()
        for affinity, i, j in pairs:
            if affinity <= 0 or i in used_tracks or j in used_sightings:
                continue
            used_tracks.add(i)
            used_sightings.add(j)
            self._extend(self.tracks[i], sightings_list[j], frame, at)
        for j, sighting in enumerate(sightings_list):
            if j not in used_sightings:
                self.tracks.append(Track(self._next_id, sighting, frame, sighting, frame, at))
                self._next_id += 1
        lost = [t for t in self.tracks if frame - t.last_frame > self.max_missed]
        self.tracks = [t for t in self.tracks if frame - t.last_frame <= self.max_missed]
        ready = [t for t in self.tracks if self._ready(t, frame)]
        ready += [t for t in lost if self._decidable(t)]
        return ready, lost

    def _affinity(self, track: Track[S], sighting: S, frame: int) -> float:
        """How well a sighting continues a track: its overlap with the last or the predicted box when at least
        `min_iou`, else (frames were skipped under load) a small score while its centre is within `max_jump` face
        widths of the predicted one; 0 when it cannot be the same face."""
        overlap = max(iou(track.last.face, sighting.face), iou(track.predicted(frame), sighting.face))
        if overlap >= self.min_iou:
            return overlap
        guess, box = track.predicted(frame), sighting.face
        width = max(1, guess.right - guess.left, box.right - box.left)
        dx = (guess.left + guess.right - box.left - box.right) / 2
        dy = (guess.top + guess.bottom - box.top - box.bottom) / 2
        jump = math.hypot(dx, dy) / width
        return max(0.0, self.min_iou * (1 - jump / self.max_jump)) * 0.5

    def _decidable(self, track: Track[S]) -> bool:
        return not track.decided and track.seen >= self.min_seen and track.best.quality > max(0.0, self.min_quality)

    def _extend(self, track: Track[S], sighting: S, frame: int, at: float) -> None:
        old, new, steps = track.last.face, sighting.face, max(1, frame - track.last_frame)
        track.velocity = ((new.left + new.right - old.left - old.right) / 2 / steps,
                          (new.top + new.bottom - old.top - old.bottom) / 2 / steps)  # fmt: skip
        track.last, track.last_frame, track.seen = sighting, frame, track.seen + 1
        if not track.decided and sighting.quality > track.best.quality:
            track.best, track.best_frame, track.best_at = sighting, frame, at

    def _ready(self, track: Track[S], frame: int) -> bool:
        if not self._decidable(track):
            return False
        return track.best.quality >= self.good_quality or frame - track.best_frame >= self.patience

    def close(self) -> list[Track[S]]:
        """End every open track (the stream stopped): those never decided and seen enough, to decide now."""
        ready = [t for t in self.tracks if self._decidable(t)]
        self.tracks = []
        return ready
