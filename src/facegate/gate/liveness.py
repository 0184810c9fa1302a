"""Liveness at the gate: challenges handed out for a device's camera, their answers checked, and the limit on a
device's failed checks (LIVENESS_FAILURES within LIVENESS_WINDOW, then it must wait)."""

import random
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from facegate.context import Context
from facegate.engine import liveness as frames_check
from facegate.errors import LivenessError
from facegate.events import Op
from facegate.gate.admission import Admission, Loaded, bounded
from facegate.gate.decisions import Caller, Recorder
from facegate.gate.engines import Embedder, EngineHost

LIVENESS_FAILURES = 5  # failed liveness checks a device may have within LIVENESS_WINDOW before it must wait
LIVENESS_WINDOW = timedelta(minutes=3)
CHALLENGE_GRACE = timedelta(seconds=30)  # to start the capture and upload the frames, on top of its duration
MAX_FRAMES = 64


@dataclass(frozen=True)
class Issued:
    """A challenge handed out, waiting for its frames: single use, for one deployment and device, until a deadline."""

    challenge: frames_check.Challenge
    deployment: str
    device: str
    deadline: datetime


class Liveness:
    """The challenges handed out (by nonce), each device's recent failures, and the checks of the frames."""

    def __init__(self, context: Context, recorder: Recorder, admission: Admission, engines: EngineHost) -> None:
        self.context, self.recorder, self.admission, self.engines = context, recorder, admission, engines
        self._challenges: dict[str, Issued] = {}
        self._failures: dict[str, list[datetime]] = {}
        self.random: random.Random = random.SystemRandom()  # tests may seed one
        self.checks: list[Any] | None = None  # None: the engine's challenge-response checks
        self._lock = threading.Lock()

    def wait(self, device: str, now: datetime) -> int:
        """Seconds the device must wait before its next liveness challenge (0: none)."""
        with self._lock:
            failures = [t for t in self._failures.get(device, []) if t > now - LIVENESS_WINDOW]
            self._failures[device] = failures
        if len(failures) < LIVENESS_FAILURES:
            return 0
        return max(1, int((failures[-LIVENESS_FAILURES] + LIVENESS_WINDOW - now).total_seconds()) + 1)

    def failed(self, device: str, now: datetime) -> None:
        """Count a failed check of the device."""
        with self._lock:
            bounded(self._failures).setdefault(device, []).append(now)

    def challenge(self, deployment_id: str, device: str, purpose: str | None, caller: Caller) -> dict[str, Any]:
        """A new random challenge for `device`: head turns and screen colours on one timeline, a nonce, a deadline.

        Refused (and audited) while the device has had LIVENESS_FAILURES failed checks in LIVENESS_WINDOW.
        """
        now = self.context.clock()
        with self.context.db.session(readonly=True) as session, self.recorder.guarded(caller, Op.LIVENESS_CHALLENGE):
            loaded = self.admission.load(session, deployment_id)
            operation = Op.VERIFY if loaded.spec.modality == "verification" else Op.IDENTIFY
            self.admission.check_deployment(loaded, operation, purpose)
        wait = self.wait(device, now)
        if wait:
            raise self.refusal(loaded, caller, ["rate_limited"], wait)
        challenge = frames_check.new_challenge(self.random)
        nonce = secrets.token_urlsafe(18)
        deadline = now + timedelta(milliseconds=challenge.duration_ms) + CHALLENGE_GRACE
        with self._lock:
            challenges = bounded(self._challenges)
            for key in [k for k, v in challenges.items() if v.deadline < now]:
                del challenges[key]
            challenges[nonce] = Issued(challenge, deployment_id, device, deadline)
        camera = loaded.spec.camera
        return {
            "nonce": nonce,
            "deadline": deadline.isoformat(),
            "turns": list(challenge.turns),
            "steps": list(challenge.steps),
            "colours": [{"name": c, "rgb": list(frames_check.PALETTE[c])} for c in challenge.colours],
            "segment_ms": challenge.segment_ms,
            "colour_ms": challenge.colour_ms,
            "duration_ms": challenge.duration_ms,
            "min_face_px": camera.min_face_px if camera else None,
        }

    def embedder(
        self,
        nonce: str,
        frames: Sequence[tuple[float, bytes]],
        device: str,
        caller: Caller,
        operation: Op,
        subject_id: str | None = None,
    ) -> Embedder:
        """The embedder of a challenge's frames: the liveness checks, then the most frontal frame's embedding."""

        def embed(loaded: Loaded) -> tuple[np.ndarray, str]:
            now = self.context.clock()
            with self._lock:
                issued = self._challenges.pop(nonce, None)
            signals: list[frames_check.FrameSignal] = []
            if issued is None or issued.deployment != loaded.row.id or issued.device != device:
                reasons = ["unknown_challenge"]
            elif now > issued.deadline:
                reasons = ["expired"]
            elif not 0 < len(frames) <= MAX_FRAMES:
                reasons = ["too_few_frames"] if not frames else ["too_many_frames"]
            else:
                camera = loaded.spec.camera
                signals = self.engines.measure(frames, camera.min_face_px if camera else None)
                checks = self.checks or frames_check.default_checks(self.engines.engine.threshold)
                reasons = frames_check.assess(issued.challenge, signals, checks)
            best = frames_check.frontal(signals)
            if reasons or best is None or best.embedding is None:
                self.failed(device, now)
                raise self.refusal(
                    loaded, caller, reasons or ["no_face"], self.wait(device, now), operation, subject_id
                )
            return best.embedding.vector, best.embedding.model_id

        return embed

    def refusal(
        self,
        loaded: Loaded,
        caller: Caller,
        reasons: list[str],
        wait: int,
        operation: Op = Op.LIVENESS_CHALLENGE,
        subject_id: str | None = None,
    ) -> LivenessError:
        """Audit a failed (or rate-limited) liveness check and return its refusal, which names the alternatives."""
        message = (
            f"too many failed liveness checks from this device: wait {wait} s, or use an alternative"
            if reasons == ["rate_limited"]
            else f"the liveness check failed ({', '.join(reasons)}): try again or use an alternative"
        )
        error = LivenessError(message, reasons, list(loaded.spec.alternatives), wait)
        fields = {"deployment": loaded.row.id, "subject": subject_id, "purpose": loaded.spec.purpose.category}
        self.recorder.record_refusal(caller, operation, error, "liveness_failed:" + ".".join(reasons), **fields)
        return error
