"""A camera's frames, decoded in memory with PyAV (FFmpeg's libraries): RTSP, HTTP MJPEG or a video file.

A reader thread decodes the stream as it comes and, at the configured rate, puts a frame into a slot that holds
one frame: the newest. When the searcher is slower than the rate, the frame waiting in the slot is replaced and
counted as skipped, so nothing queues up and the search always sees the present. A stream that fails or ends is
opened again after a back-off that doubles from 0.5 s to 30 s (reset by a frame); a file ends (or loops). A file
is played at its own frame rate, as a camera would deliver it. Frames are sampled by their timestamps in the
stream, so a burst of frames that arrives at once is sampled as it was filmed (and the slot keeps the newest).
"""

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

MIN_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
OPEN_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 10.0
# A network stream is opened after half a second of probing (FFmpeg's default, 5 s, would hold back the first
# seconds of a stream and then hand them over at once) and is not buffered beyond what decoding needs.
LIVE_OPTIONS = {"analyzeduration": "500000", "probesize": "500000", "fflags": "nobuffer"}


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded frame in memory: RGB pixels, its number in the stream and the monotonic time it arrived."""

    pixels: np.ndarray
    number: int
    at: float

    def __repr__(self) -> str:
        return f"Frame(number={self.number}, shape={self.pixels.shape})"


def is_live(url: str) -> bool:
    """Whether the URL is a network stream (reconnected when it ends), not a file."""
    return url.split("://", 1)[0].lower() in ("rtsp", "rtsps", "http", "https") and "://" in url


class LatestFrame:
    """A slot of one frame: putting replaces what is there (counted as skipped), taking empties it."""

    def __init__(self) -> None:
        self._frame: Frame | None = None
        self._ready = threading.Condition()
        self.skipped = 0

    def put(self, frame: Frame) -> None:
        """Offer the newest frame; an untaken older one is dropped."""
        with self._ready:
            if self._frame is not None:
                self.skipped += 1
            self._frame = frame
            self._ready.notify()

    def take(self, timeout: float) -> Frame | None:
        """The newest frame, waiting up to `timeout` seconds for one (None when none came)."""
        with self._ready:
            if self._frame is None:
                self._ready.wait(timeout)
            frame, self._frame = self._frame, None
            return frame


class StreamSource:
    """Reads one stream in a thread and keeps its newest sampled frame; reconnects with back-off."""

    def __init__(self, url: str, sample_fps: float, loop: bool = False, max_backoff: float = MAX_BACKOFF_S) -> None:
        self.url, self.interval, self.loop, self.max_backoff = url, 1.0 / sample_fps, loop, max_backoff
        self.slot = LatestFrame()
        self.state = "stopped"  # connecting | running | reconnecting | ended | stopped
        self.detail: str | None = None
        self.decoded = self.sampled = self.reconnects = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start reading in a background thread."""
        self._stop.clear()
        self.state = "connecting"
        self._thread = threading.Thread(target=self._run, name="facegate-stream", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and wait for the reader to close the stream."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=READ_TIMEOUT_S + 5)
        self.state = "stopped"

    def take(self, timeout: float = 0.5) -> Frame | None:
        """The newest sampled frame, or None when none arrived within `timeout` seconds."""
        return self.slot.take(timeout)

    @property
    def ended(self) -> bool:
        """Whether the source has finished (a file read to its end)."""
        return self.state == "ended"

    def _run(self) -> None:
        backoff = MIN_BACKOFF_S
        live = is_live(self.url)
        while not self._stop.is_set():
            try:
                if self._read():
                    backoff = MIN_BACKOFF_S
            except Exception as exc:  # any failure of the network or the decoder: reopen after the back-off
                self.detail = _describe(exc)
            if self._stop.is_set():
                break
            if not live and not self.loop:
                self.state = "ended"
                return
            self.state = "reconnecting"
            self.reconnects += 1
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self.max_backoff)

    def _read(self) -> bool:
        """Read the stream until it ends or fails; whether any frame arrived."""
        import av

        options = dict(LIVE_OPTIONS) if is_live(self.url) else {}
        if self.url.lower().startswith("rtsp"):
            options["rtsp_transport"] = "tcp"
        got = False
        with av.open(self.url, options=options, timeout=(OPEN_TIMEOUT_S, READ_TIMEOUT_S)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            live, started, first = is_live(self.url), time.monotonic(), None
            next_sample = None
            for frame in container.decode(stream):
                if self._stop.is_set():
                    break
                self.decoded += 1
                # The frame's own time (its timestamp from the stream's start), else when it arrived.
                t = float(frame.pts * frame.time_base) if frame.pts is not None and frame.time_base else None
                if t is None:
                    t = time.monotonic() - started
                first = t if first is None else first
                if not live:  # a file is played at its own rate, as a camera would deliver it
                    wait = started + (t - first) - time.monotonic()
                    if wait > 0 and self._stop.wait(wait):
                        break
                if not got:
                    got, self.state, self.detail = True, "running", None
                if next_sample is not None and t < next_sample:
                    continue
                next_sample = max((next_sample or t) + self.interval, t)
                self.sampled += 1
                self.slot.put(Frame(frame.to_ndarray(format="rgb24"), self.sampled, time.monotonic()))
        return got

    def status(self) -> dict[str, Any]:
        """What the reader has done: state, last error, frames decoded, sampled and skipped, reconnects."""
        return {"state": self.state, "detail": self.detail, "decoded": self.decoded, "sampled": self.sampled,
                "skipped": self.slot.skipped, "reconnects": self.reconnects}  # fmt: skip


def _describe(exc: Exception) -> str:
    """A failure as one line without the URL (which may carry a password)."""
    name = type(exc).__name__
    text = getattr(exc, "strerror", None) or str(exc).split(":")[0]
    return f"{name}: {text}"[:200]
