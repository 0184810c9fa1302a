"""Door cameras through the gate: which deployments may run a stream, the camera registry, and each camera's door.

A camera sees everyone who walks by, enrolled or not: passive capture. A stream runs only for a deployment whose
spec says `capture: passive`, whose signs tell passers-by before their faces are taken (CN25-5b), and, in a public
place, only for public security in a delimited collection area (CN25-13b); the deployment must be active and on
this node (the same checks as every 1:N). The check runs before every frame is searched, so a suspension,
reassessment or retirement stops the stream at the next frame. Each track's best look is embedded in memory and
decided by the gate's own identify (or verify, for a card-reader event): only that decision is recorded. Frames,
chips and the vectors of strangers are never written anywhere.
"""

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
from sqlalchemy import select

from facegate import policy
from facegate.context import Context
from facegate.engine.pool import EnginePool
from facegate.engine.protocol import Engine
from facegate.engine.sightings import Sighting, embed_sighting, sightings
from facegate.errors import ConflictError, InputError, NotFoundError, RefusedError
from facegate.events import Op
from facegate.gate.checks import refusal
from facegate.gate.decisions import Caller, Decision, Recorder
from facegate.gate.models import CameraRow
from facegate.policy import facts
from facegate.policy.answers import stated

if TYPE_CHECKING:
    from facegate.gate.admission import Admission
    from facegate.gate.biometrics import Biometrics
    from facegate.gate.engines import EngineHost

NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
SCHEMES = ("rtsp", "rtsps", "http", "https", "file")
STATUS_FIELDS = ("state", "detail", "frames", "skipped", "decisions", "identified", "strangers", "reconnects",
                 "last_frame_at")  # fmt: skip


def passive_problem(spec: policy.Deployment) -> tuple[str, list[str]] | None:
    """Why a camera stream may not run for this spec (message, rule IDs), or None when passive capture is allowed."""
    if spec.capture != "passive":
        return (
            "a camera stream captures everyone who walks by (passive capture), and this deployment is registered for "
            "active capture: register a spec with capture: passive, its notice and impact assessment saying so",
            ["CN25-4b", "CN25-6e"],
        )
    if not spec.location.signage:
        return (
            "passers-by must be told before a camera takes their faces: post signs at the collection area and set "
            "location.signage: true",
            ["CN25-5b", "CN25-13b"],
        )
    if policy.public_place(spec):
        if not facts.public_security_duty(spec):  # the handler decides, not only the purpose token
            return (
                f"face recognition in a public place is only for public security, not {spec.purpose.category}",
                ["CN25-13b", "PIPL-26"],
            )
        if not stated(spec.location.collection_area):
            return ("a public-place camera needs its collection area delimited: set location.collection_area",
                    ["CN25-13b"])  # fmt: skip
    camera = spec.camera
    if camera is None or camera.liveness_required:
        return (
            "a stream cannot run the liveness challenge, which this deployment requires when capture is unattended: "
            "set camera.attended: true (staff watch the door) or camera.liveness: off with the reason in the impact "
            "assessment",
            ["CN25-10b"],
        )
    return None


# A query parameter whose name holds one of these carries a credential (token=, password=, api_key=, sig=, ...).
SECRET_PARAMETER = re.compile(r"(?i)token|pass|pwd|secret|key|auth|sig|cred|session|ticket")


def _redact_query(query: str) -> str:
    """The query string with the value of each credential-like parameter shown as `***`."""
    pairs = [pair.partition("=") for pair in query.split("&")]
    return "&".join(f"{name}={'***' if SECRET_PARAMETER.search(name) else value}" if equals else name
                     for name, equals, value in pairs)  # fmt: skip


def redact(url: str) -> str:
    """The URL without its user name and password, and with the values of credential-like query parameters
    (`token=`, `password=`, `key=`, ...) masked (for lists, the console and messages)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password or parts.username:
        netloc = f"***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    query = _redact_query(parts.query) if parts.query else parts.query
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def check_url(url: str) -> str:
    """A stream URL facegate can read: rtsp(s)://, http(s):// (MJPEG), or a video file's path."""
    scheme = urlsplit(url).scheme.lower()
    if "://" in url and scheme not in SCHEMES:
        raise InputError(f"unsupported stream URL scheme {scheme!r}: use rtsp://, rtsps://, http(s):// or a file path")
    if "://" in url and scheme != "file" and not urlsplit(url).hostname:
        raise InputError(f"the stream URL {redact(url)} names no host")
    return url


def _camera_dict(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "deployment": row.deployment_id,
        "url": redact(row.url),
        "sample_fps": row.sample_fps,
        "relay": redact(row.relay_url) if row.relay_url else None,
        **{key: getattr(row, key) for key in STATUS_FIELDS},
        "status_at": row.status_at,
    }


class Cameras:
    """The gate's camera registry (add, remove, list, status) and the door each running camera passes through."""

    def __init__(
        self,
        context: Context,
        recorder: Recorder,
        admission: "Admission",
        engines: "EngineHost",
        biometrics: "Biometrics",
    ) -> None:
        self.context, self.recorder, self.admission = context, recorder, admission
        self.engines, self.biometrics = engines, biometrics
        self._own_engine: Engine | None = None

    def add(
        self,
        deployment_id: str,
        name: str,
        url: str,
        sample_fps: float = 10.0,
        relay_url: str | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """Register a camera for a deployment; refused (and audited) unless the deployment allows passive capture."""
        caller = caller or Caller()
        if not NAME.match(name):
            raise InputError(f"camera name {name!r}: use lower-case letters, digits and hyphens (start with a letter)")
        if not 0.2 <= sample_fps <= 60:
            raise InputError(f"sample rate {sample_fps} frames per second: use 0.2 to 60")
        check_url(url)
        if relay_url is not None and urlsplit(relay_url).scheme not in ("http", "https"):
            raise InputError("the relay is an http(s):// URL that opens the door when called")
        fields: dict[str, Any] = {"deployment": deployment_id}
        with self.recorder.guarded(caller, Op.CAMERA_ADD, **fields), self.context.db.session() as session:
            loaded = self.admission.load(session, deployment_id)
            problem = passive_problem(loaded.spec)
            if problem is not None:
                raise refusal(loaded.spec, *problem)
            if session.get(CameraRow, name) is not None:
                raise ConflictError(f"camera {name!r} exists: remove it first or choose another name")
            session.add(CameraRow(
                name=name, deployment_id=deployment_id, url=url, sample_fps=float(sample_fps), relay_url=relay_url,
                created_by=caller.actor, created_at=self.context.clock(), state="stopped", frames=0, skipped=0,
                decisions=0, identified=0, strangers=0, reconnects=0,
            ))  # fmt: skip
            return self.recorder.record(session, caller, Op.CAMERA_ADD, "added", **fields, details={"camera": name})

    def remove(self, name: str, caller: Caller | None = None) -> Decision:
        """Remove a camera (a running one stops at its next status report)."""
        caller = caller or Caller()
        with self.context.db.session() as session:
            row = session.get(CameraRow, name)
            if row is None:
                raise NotFoundError(f"unknown camera {name!r}")
            deployment = row.deployment_id
            session.delete(row)
            return self.recorder.record(session, caller, Op.CAMERA_REMOVE, "removed", deployment=deployment,
                                details={"camera": name})  # fmt: skip

    def list(self) -> list[dict[str, Any]]:
        """Every camera with its deployment, redacted URL and live status (nothing biometric)."""
        with self.context.db.session(readonly=True) as session:
            return [_camera_dict(r) for r in session.scalars(select(CameraRow).order_by(CameraRow.name))]

    def get(self, name: str) -> dict[str, Any]:
        """One camera's settings and status."""
        with self.context.db.session(readonly=True) as session:
            row = session.get(CameraRow, name)
            if row is None:
                raise NotFoundError(f"unknown camera {name!r}")
            return {**_camera_dict(row), "stream_url": row.url, "relay_url": row.relay_url}

    def report(self, name: str, **status: Any) -> bool:
        """Write a running camera's status; False when the camera has been removed (the runner then stops)."""
        with self.context.db.session() as session:
            row = session.get(CameraRow, name)
            if row is None:
                return False
            for key, value in status.items():
                if key in STATUS_FIELDS:
                    setattr(row, key, value)
            row.status_at = self.context.clock()
            return True

    def door(self, name: str) -> "CameraDoor":
        """The door of a registered camera, through which its stream's faces are decided."""
        camera = self.get(name)
        return CameraDoor(self, name, camera["deployment"])

    def frame_engine(self) -> Engine:
        """The engine a stream runs its steps on: the gate's own, or (behind an engine pool) one of its own."""
        engine = self.engines.engine
        if not isinstance(engine, EnginePool):
            return engine
        if self._own_engine is None:  # a pool runs whole photos in workers; a stream needs the steps here
            from facegate.engine.dlib_backend import DlibEngine

            self._own_engine = DlibEngine()
        return self._own_engine


class CameraDoor:
    """One camera's way through the gate: the passive-capture check, sightings of a frame, decisions on a look."""

    def __init__(self, cameras: Cameras, name: str, deployment_id: str) -> None:
        self.cameras, self.name, self.deployment = cameras, name, deployment_id
        self.caller = Caller(f"camera:{name}")
        self.spec: policy.Deployment | None = None

    def problem(self) -> RefusedError | None:
        """Why the stream may not run now (a refusal to record once), or None: read before every frame."""
        admission = self.cameras.admission
        try:
            with self.cameras.context.db.session(readonly=True) as session:
                loaded = admission.load(session, self.deployment)
            operation = "identify" if loaded.spec.modality == "identification" else "verify"
            admission.check_deployment(loaded, operation, None)
            problem = passive_problem(loaded.spec)
            if problem is not None:
                raise refusal(loaded.spec, *problem)
        except RefusedError as exc:
            return exc
        except NotFoundError as exc:
            return RefusedError(str(exc), ["CN25-4b"])
        self.spec = loaded.spec
        return None

    def record(self, running: bool, why: RefusedError | None = None) -> None:
        """Audit the stream starting, or stopping (with the refusal that stopped it)."""
        recorder, fields = self.cameras.recorder, dict[str, Any](deployment=self.deployment)
        if why is not None:
            recorder.record_refusal(self.caller, Op.CAMERA_STOP if not running else Op.CAMERA_START, why, **fields)
            return
        with self.cameras.context.db.session() as session:
            recorder.record(session, self.caller, Op.CAMERA_START if running else Op.CAMERA_STOP,
                            "running" if running else "stopped", **fields)  # fmt: skip

    @property
    def min_face_px(self) -> int | None:
        """The smallest face the deployment's camera is placed to see (faces below it are not looked for)."""
        return self.spec.camera.min_face_px if self.spec and self.spec.camera else None

    def warm(self) -> None:
        """Load the face engine now (it loads on first use, which takes seconds)."""
        self.cameras.frame_engine()

    def sightings(self, pixels: np.ndarray) -> list[Sighting]:
        """The faces of one frame (boxes, looks, chips in memory); the frame is not kept."""
        return sightings(self.cameras.frame_engine(), pixels, self.min_face_px)

    def identify(self, look: Sighting) -> Decision:
        """1:N on a track's best look, at the gallery's threshold; a stranger is a `no_match`, nothing kept."""
        return self.cameras.biometrics.identify_by(self.deployment, self._embedder(look), None, self.caller)

    def verify(self, look: Sighting, subject_id: str) -> Decision:
        """1:1 on a track's best look against the subject a card reader named."""
        embed = self._embedder(look, one_pass=True)  # a 1:1 probe, as a photo's
        return self.cameras.biometrics.verify_by(self.deployment, subject_id, embed, None, self.caller)

    def publish(self, data: dict[str, Any]) -> int:
        """Queue a `door.decision` webhook event (subject ID, outcome, event ID: nothing biometric)."""
        from facegate import webhooks

        with self.cameras.context.db.session() as session:
            return webhooks.publish(session, "door.decision", data, self.cameras.context.clock())

    def _embedder(self, look: Sighting, one_pass: bool = False) -> Callable[[Any], tuple[np.ndarray, str]]:
        def embed(loaded: Any) -> tuple[np.ndarray, str]:
            embedding = embed_sighting(self.cameras.frame_engine(), look, one_pass)
            return embedding.vector, embedding.model_id

        return embed
