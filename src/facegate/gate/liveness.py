"""Liveness at the gate: challenges handed out for a device's camera, their answers checked, and the limits on
failed checks per operator key and deployment and per subject (`challenge_book`: kept in the database)."""

import random
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from facegate.context import Context
from facegate.engine import liveness as frames_check
from facegate.errors import LivenessError
from facegate.events import Op
from facegate.gate.admission import Admission, Loaded
from facegate.gate.challenge_book import KEY_LIMIT, SUBJECT_LIMIT, ChallengeBook, Limit, key_scope, subject_scope
from facegate.gate.decisions import Caller, Recorder
from facegate.gate.engines import Embedder, EngineHost

CHALLENGE_GRACE = timedelta(seconds=30)  # to start the capture and upload the frames, on top of its duration
MAX_FRAMES = 64


class Liveness:
    """The challenges handed out (by nonce), the failures counted against each scope, and the checks of the frames."""

    def __init__(self, context: Context, recorder: Recorder, admission: Admission, engines: EngineHost) -> None:
        self.context, self.recorder, self.admission, self.engines = context, recorder, admission, engines
        self.book = ChallengeBook(context.db)
        self.random: random.Random = random.SystemRandom()  # tests may seed one
        self.checks: list[Any] | None = None  # None: the engine's challenge-response checks

    @staticmethod
    def scopes(caller: Caller, deployment_id: str, subject_id: str | None) -> list[tuple[str, Limit]]:
        """What a failure counts against: the caller's key on the deployment, and the subject if there is one."""
        scopes = [(key_scope(caller.actor, deployment_id), KEY_LIMIT)]
        if subject_id is not None:
            scopes.append((subject_scope(deployment_id, subject_id), SUBJECT_LIMIT))
        return scopes

    def failed(self, loaded: Loaded, caller: Caller, subject_id: str | None, now: datetime) -> None:
        """Count a failed check; audit each lock-out it starts."""
        for limit in self.book.failed(self.scopes(caller, loaded.row.id, subject_id), now):
            wait = int(limit.window.total_seconds())
            error = LivenessError(
                f"{limit.failures} failed liveness checks for this {limit.kind}: locked for up to {wait} s",
                ["rate_limited"],
                list(loaded.spec.alternatives),
                wait,
            )
            fields = {"deployment": loaded.row.id, "subject": subject_id, "purpose": loaded.spec.purpose.category}
            self.recorder.record_refusal(caller, Op.LIVENESS_LOCKOUT, error, f"locked:{limit.kind}", **fields)

    def challenge(self, deployment_id: str, device: str, purpose: str | None, caller: Caller) -> dict[str, Any]:
        """A new random challenge for `device`: head turns and screen colours on one timeline, a nonce, a deadline.

        Refused (and audited) while the device has had LIVENESS_FAILURES failed checks in LIVENESS_WINDOW.
        """
        now = self.context.clock()
        with self.recorder.guarded(caller, Op.LIVENESS_CHALLENGE), self.context.db.session(readonly=True) as session:
            loaded = self.admission.load(session, deployment_id)
            operation = Op.VERIFY if loaded.spec.modality == "verification" else Op.IDENTIFY
            self.admission.check_deployment(loaded, operation, purpose)
        wait, held = self.book.wait(self.scopes(caller, deployment_id, None), now)
        if wait:
            raise self.refusal(loaded, caller, ["rate_limited"], wait, held=held)
        challenge = frames_check.new_challenge(self.random)
        nonce = secrets.token_urlsafe(18)
        deadline = now + timedelta(milliseconds=challenge.duration_ms) + CHALLENGE_GRACE
        self.book.purge(now)
        asked: dict[str, Any] = {"turns": list(challenge.turns), "colours": list(challenge.colours)}
        asked |= {"segment_ms": challenge.segment_ms, "colour_ms": challenge.colour_ms}
        self.book.issue(nonce, deployment_id, device, caller.actor, asked, deadline)
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
            mine = (nonce, loaded.row.id, device, caller.actor)
            issued = self.book.take(*mine) if len(nonce) <= 32 else None
            signals: list[frames_check.FrameSignal] = []
            scopes = self.scopes(caller, loaded.row.id, subject_id)
            wait, held = self.book.wait(scopes, now)
            if wait:
                raise self.refusal(loaded, caller, ["rate_limited"], wait, operation, subject_id, held)
            if issued is None:
                reasons = ["unknown_challenge"]
            elif now > issued.deadline:
                reasons = ["expired"]
            elif not 0 < len(frames) <= MAX_FRAMES:
                reasons = ["too_few_frames"] if not frames else ["too_many_frames"]
            else:
                camera = loaded.spec.camera
                one_pass = operation == Op.VERIFY  # a 1:1 probe, as a photo's (docs/engine.md#one-pass-probes)
                signals = self.engines.measure(frames, camera.min_face_px if camera else None, one_pass)
                checks = self.checks or frames_check.default_checks(self.engines.engine.threshold)
                asked = issued.challenge
                challenge = frames_check.Challenge(
                    tuple(asked["turns"]), tuple(asked["colours"]), asked["segment_ms"], asked["colour_ms"]
                )
                reasons = frames_check.assess(challenge, signals, checks)
            best = frames_check.frontal(signals)
            if reasons or best is None or best.embedding is None:
                self.failed(loaded, caller, subject_id, now)
                wait, held = self.book.wait(scopes, now)
                raise self.refusal(loaded, caller, reasons or ["no_face"], wait, operation, subject_id, held)
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
        held: str | None = None,
    ) -> LivenessError:
        """Audit a failed (or rate-limited) liveness check and return its refusal, which names the alternatives."""
        whose = {"key": "with this operator key here", "subject": "for this person"}.get(held or "", "")
        message = (
            f"too many failed liveness checks {whose}: wait {wait} s, or use an alternative"
            if reasons == ["rate_limited"]
            else f"the liveness check failed ({', '.join(reasons)}): try again or use an alternative"
        )
        error = LivenessError(message, reasons, list(loaded.spec.alternatives), wait)
        fields: dict[str, Any] = {
            "deployment": loaded.row.id, "subject": subject_id, "purpose": loaded.spec.purpose.category
        }
        self.recorder.record_refusal(caller, operation, error, "liveness_failed:" + ".".join(reasons), **fields)
        return error
