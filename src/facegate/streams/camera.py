"""A running door camera: frames from the source, faces tracked, one decision per track through the gate.

Before each frame the camera asks its door whether the deployment still allows the stream; when it does not
(suspended, sent to reassessment, retired, its spec changed) the stream stops at once, open tracks are dropped
undecided, and the refusal is recorded; the camera asks again every few seconds. A decision goes to the relay
(an HTTP door-open call on a match), to webhooks as `door.decision`, and to the `publish` callback. A card
reader's event names a subject: the next track is then verified 1:1 against that subject instead of searched 1:N.
"""

import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from facegate.errors import FacegateError, RefusedError
from facegate.streams.relay import Relay
from facegate.streams.source import StreamSource
from facegate.streams.tracks import Seen, Track, Tracker

RECHECK_S = 2.0  # while refused, ask again this often
REPORT_S = 1.0  # write the status this often
CARD_S = 10.0  # a card reader's event waits this long for a face


@dataclass
class Counts:
    """What a camera has done since it started (kept in memory, reported to the camera's row)."""

    frames: int = 0
    decisions: int = 0
    identified: int = 0
    strangers: int = 0
    refused: int = 0
    unclaimed: int = 0  # tracks of a 1:1 deployment with no card event: not decided
    latencies_ms: list[float] = field(default_factory=list)  # decision time after the best look's frame arrived


class CameraRunner:
    """Runs one camera until stopped, removed or (a file) ended."""

    def __init__(
        self,
        cameras: Any,
        name: str,
        publish: Callable[[dict[str, Any]], None] | None = None,
        loop: bool = False,
        tracker: Tracker[Seen] | None = None,
    ) -> None:
        self.cameras, self.name = cameras, name
        config = cameras.get(name)
        self.door = cameras.door(name)
        self.source = StreamSource(config["stream_url"], config["sample_fps"], loop=loop)
        self.relay = Relay(config["relay_url"]) if config["relay_url"] else None
        self.publish = publish
        self.tracker = tracker or Tracker()
        self._tracker_given = tracker is not None
        self.counts = Counts()
        self.state = "stopped"
        self._card: tuple[str, float] | None = None
        self._why = ""
        self._stopping = threading.Event()
        self.decided: list[dict[str, Any]] = []  # the latest decisions (outcome, subject, event ID), at most 100

    def card(self, subject_id: str) -> None:
        """A card reader named `subject_id`: the next face at this camera is verified 1:1 against it."""
        self._card = (subject_id, time.monotonic() + CARD_S)

    def stop(self) -> None:
        """Ask the loop to stop (it finishes the frame at hand)."""
        self._stopping.set()

    def run(self, max_seconds: float | None = None) -> Counts:
        """Run until stopped, removed, ended (a file) or `max_seconds` passed; the counts."""
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        refused: RefusedError | None = None
        last_report = 0.0
        try:
            while not self._stopping.is_set() and (deadline is None or time.monotonic() < deadline):
                problem = self.door.problem()
                if problem is not None:
                    if refused is None or str(refused) != str(problem):
                        self._halt(problem)
                    refused = problem
                    if not self._report(force=True):
                        break
                    self._stopping.wait(RECHECK_S)
                    continue
                if refused is not None or self.state == "stopped":
                    refused = None
                    if not self._tracker_given and self.door.min_face_px:  # half the smallest face, seen frontally
                        self.tracker.min_quality = self.door.min_face_px / 2
                    self.door.record(running=True)
                    self.door.warm()  # load the face models before the first frame arrives, not while it waits
                    self.source.start()
                    self.state = "running"
                frame = self.source.take(timeout=0.5)
                if frame is None:
                    if self.source.ended:
                        self._decide(self.tracker.close())
                        self.state = "ended"
                        break
                else:
                    self._search(frame)
                if time.monotonic() - last_report >= REPORT_S:
                    last_report = time.monotonic()
                    if not self._report():
                        break
        finally:
            self.source.stop()
            if self.state == "running":
                self.door.record(running=False)
                self.state = "stopped"
            self._report(force=True)
        return self.counts

    def _search(self, frame: Any) -> None:
        seen = self.door.sightings(frame.pixels)
        self.counts.frames += 1
        ready, _lost = self.tracker.update(frame.number, seen, frame.at)
        del frame, seen  # the frame goes now; only each open track's best chip stays, in memory
        self._decide(ready)

    def _decide(self, tracks: list[Track[Seen]]) -> None:
        for track in tracks:
            track.decided = True
            look = track.best
            track.drop_look()
            card, self._card = self._card, None
            if card is not None and card[1] < time.monotonic():
                card = None
            try:
                if card is not None:
                    decision = self.door.verify(look, card[0])
                elif self.door.spec is not None and self.door.spec.modality == "identification":
                    decision = self.door.identify(look)
                else:
                    self.counts.unclaimed += 1
                    continue
            except RefusedError as exc:  # audited by the gate; the door keeps its alternatives
                self.counts.refused += 1
                self._out({"outcome": "refused", "rule_ids": exc.rule_ids, "alternatives": exc.alternatives})
                continue
            except FacegateError as exc:  # e.g. the subject a card named has no template here
                self.counts.refused += 1
                self._out({"outcome": "error", "detail": str(exc)})
                continue
            finally:
                del look
            self.counts.latencies_ms.append((time.monotonic() - track.best_at) * 1000)
            del self.counts.latencies_ms[:-1000]
            self.counts.decisions += 1
            matched = decision.outcome in ("identified", "match")
            if matched:
                self.counts.identified += 1
                if self.relay is not None:
                    self.relay.open(self.name, decision.event_id)
            else:
                self.counts.strangers += 1
            self._out(
                {
                    "outcome": decision.outcome,
                    "subject": decision.subject,
                    "event_id": decision.event_id,
                    "alternatives": [] if matched else list(self.door.spec.alternatives if self.door.spec else []),
                }
            )

    def _out(self, event: dict[str, Any]) -> None:
        event = {"camera": self.name, "deployment": self.door.deployment, **event}
        self.decided.append(event)
        del self.decided[:-100]
        with suppress(Exception):  # the outbox is in the database; a failure here never stops the door
            self.door.publish(event)
        if self.publish is not None:
            with suppress(Exception):  # nor does a failing local subscriber
                self.publish(event)

    def _halt(self, why: RefusedError) -> None:
        """The deployment no longer allows the stream: stop reading, drop open tracks undecided, record why."""
        self.source.stop()
        self.tracker.tracks.clear()
        self.door.record(running=False, why=why)
        self.state, self._why = "refused", str(why)

    def _report(self, force: bool = False) -> bool:
        source = self.source.status()
        state = self.state if self.state != "running" else source["state"]
        detail = source["detail"]
        if self.state == "refused":
            detail = self._why
        return bool(self.cameras.report(
            self.name, state=state, detail=detail, frames=self.counts.frames, skipped=source["skipped"],
            decisions=self.counts.decisions, identified=self.counts.identified, strangers=self.counts.strangers,
            reconnects=source["reconnects"],
        ))  # fmt: skip
