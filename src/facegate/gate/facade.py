"""The Gate: a thin facade over the gate's parts and its five groups of operations.

The parts: the recorder (decisions), admission (loading and checks, the passed-checks cache), galleries (the
templates in memory), erasure, the engine host and liveness. Each group of operations (deployments, subjects,
biometrics, alternatives, rights) is handed the parts it uses; the Gate builds them and forwards its public methods.
"""

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session

from facegate import placement, policy
from facegate.audit.records import AuditRecords
from facegate.context import Context, EdgeParts
from facegate.gate.admission import Admission
from facegate.gate.alternatives import Alternatives
from facegate.gate.biometrics import Biometrics
from facegate.gate.collections import Collections
from facegate.gate.decisions import Caller, Decision, Recorder
from facegate.gate.deployments import Deployments
from facegate.gate.engines import Engine, EngineHost
from facegate.gate.erasure import Erasure
from facegate.gate.galleries import Galleries
from facegate.gate.liveness import Liveness
from facegate.gate.rights import Rights
from facegate.gate.roster import Roster
from facegate.gate.streams import Cameras
from facegate.gate.subjects import Onboarding, Subjects
from facegate.vault.credentials import RelyingParty


class Gate:
    """Composes policy, vault, engine and audit; the only door through which a biometric operation runs."""

    def __init__(
        self, context: Context, engine_factory: Callable[[], Any] | None = None, engine_workers: int = 1
    ) -> None:
        self.context = context
        self.db, self.vault, self.audit = context.db, context.vault, context.audit
        self.recorder = Recorder(context.writer)
        self.admission = Admission(context)
        self.galleries = Galleries(context)
        self.erasure = Erasure(context, self.recorder, self.galleries)
        self.engines = EngineHost(engine_factory, engine_workers)
        self.liveness = Liveness(context, self.recorder, self.admission, self.engines)
        self._deployments = Deployments(context, self.recorder, self.admission, self.erasure, self.engines)
        self._subjects = Subjects(context, self.recorder, self.admission, self.erasure)
        self._biometrics = Biometrics(
            context, self.recorder, self.admission, self.galleries, self.engines, self.liveness
        )
        self._alternatives = Alternatives(context, self.recorder, self.admission)
        self._rights = Rights(context, self.recorder, self.erasure)
        self._collections = Collections(context, self.recorder)
        self._roster = Roster(context)
        self.cameras = Cameras(context, self.recorder, self.admission, self.engines, self._biometrics)

    @classmethod
    def open(
        cls,
        home: Path | None = None,
        database_url: str | None = None,
        engine_factory: Callable[[], Any] | None = None,
        engine_workers: int = 1,
        **context: Any,
    ) -> "Gate":
        """The gate of a data directory: its database, key store and audit log (`context`: clock, settings);
        `engine_workers` > 1 runs the face engine in that many worker processes."""
        return cls(Context.open(home, database_url, **context), engine_factory, engine_workers)

    @property
    def clock(self) -> Callable[[], datetime]:
        """The context's clock: every "now" of the gate."""
        return self.context.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.context.clock = clock

    def edge_parts(self) -> EdgeParts:
        """What the edge (hub, device) uses of this gate's context: its tables, audit log and writer, key store."""
        return EdgeParts(self.context)

    @property
    def settings(self) -> policy.Settings:
        """The context's settings (the practitioner readings of the rules)."""
        return self.context.settings

    @settings.setter
    def settings(self, settings: policy.Settings) -> None:
        self.context.settings = settings

    @property
    def kind(self) -> str:
        """This node's kind: hub or device."""
        return self.context.kind

    @property
    def engine(self) -> Engine:
        """The face engine, loaded on first use (loading the models takes a moment)."""
        return self.engines.engine

    def stop_engine(self) -> None:
        """Stop the face engine's worker processes, if it runs in any (the next use loads it again)."""
        self.engines.close()

    def operating_points(self) -> Any:
        """The calibrated error rates of the gate's face model, from which 1:N thresholds are set (ACC-1)."""
        return self.engines.operating_points()

    def node(self) -> placement.Node:
        """This node as the placement checks see it: its kind, and a paired device's hub and last sync."""
        return self.admission.node()

    @property
    def audit_records(self) -> AuditRecords:
        """The audit log's reads for the faces (verify, list, prove, export, checkpoints); never an append."""
        return AuditRecords(self.db, self.audit, lambda: self.context.clock())

    # ---- deployments ----
    def register(
        self,
        spec: policy.Deployment,
        caller: Caller | None = None,
        profiles: tuple[str, ...] = (policy.DEFAULT_PROFILE,),
        activate: bool = True,
    ) -> Decision:
        """Register a deployment whose spec `facegate check` allows; activate it unless `activate` is False."""
        return self._deployments.register(spec, caller, profiles, activate)

    def update(self, spec: policy.Deployment, caller: Caller | None = None) -> Decision:
        """Replace a deployment's spec; a §5.6 change suspends it and makes the affected consents stale."""
        return self._deployments.update(spec, caller)

    def activate(self, deployment_id: str, caller: Caller | None = None) -> Decision:
        """Activate a draft or suspended deployment: no BLOCK finding and an approved impact assessment."""
        return self._deployments.activate(deployment_id, caller)

    def retire(self, deployment_id: str, caller: Caller | None = None) -> Decision:
        """Retire a deployment: it stops, and every template it holds is deleted (CN25-15d/e)."""
        return self._deployments.retire(deployment_id, caller)

    def record_incident(
        self,
        deployment_id: str,
        level: str,
        description: str,
        *,
        off_device_movement: bool = False,
        caller: Caller | None = None,
    ) -> Decision:
        """Record a security incident; a major one (§8 Q14) suspends the deployment until a new assessment (CN25-9d)."""
        return self._deployments.record_incident(
            deployment_id, level, description, off_device_movement=off_device_movement, caller=caller
        )

    def attest(
        self, deployment_id: str, claim: str, reviewer: str, document: str, caller: Caller | None = None
    ) -> Decision:
        """A reviewer (DPO or counsel) attests a claim of the deployment's spec (regulation.md §4.8), audited."""
        return self._deployments.attest(deployment_id, claim, reviewer, document, caller)

    def wipe(self, deployment_ids: list[str] | None, reason: str, actor: str) -> dict[str, Any]:
        """A device's wipe: shred every key of these deployments (all when None), delete their templates and kept
        photos, mark the link wiped and record it; what was removed (the edge orders it; docs/edge.md)."""
        touched = deployment_ids if deployment_ids is not None else [d["id"] for d in self.deployments()]
        return self.erasure.wipe(deployment_ids, touched, reason, actor)

    def deployments(self) -> list[dict[str, Any]]:
        """Every registered deployment with its status (no personal data)."""
        return self._deployments.deployments()

    def deployment_spec(self, deployment_id: str) -> policy.Deployment:
        """The registered spec of a deployment."""
        return self._deployments.deployment_spec(deployment_id)

    def registered(self, deployment_id: str) -> tuple[policy.Deployment, tuple[str, ...]]:
        """The registered spec of a deployment and the profiles it was registered under; NotFoundError if none."""
        return self._deployments.registered(deployment_id)

    # ---- subjects ----
    def add_subject(
        self,
        subject_id: str | None = None,
        birth_date: date | None = None,
        age_band: str | None = None,
        guardian_ref: str | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """Create a subject under a pseudonymous ID."""
        return self._subjects.add_subject(subject_id, birth_date, age_band, guardian_ref, caller)

    def notice_shown(
        self, deployment_id: str, subject_id: str, version: int | None = None, caller: Caller | None = None
    ) -> Decision:
        """Record that the subject was shown the deployment's current notice (CN25-5b)."""
        return self._subjects.notice_shown(deployment_id, subject_id, version, caller)

    def give_consent(
        self,
        deployment_id: str,
        subject_id: str,
        kind: str = "facial_processing",
        form: str = "separate",
        given_by: str = "subject",
        guardian_ref: str | None = None,
        evidence_ref: str | None = None,
        subject_initiated: bool = False,
        caller: Caller | None = None,
    ) -> Decision:
        """Record a separate (or written) consent, bound to the current notice version."""
        return self._subjects.give_consent(
            deployment_id, subject_id, kind, form, given_by, guardian_ref, evidence_ref, subject_initiated, caller
        )

    def decline(self, deployment_id: str, subject_id: str, caller: Caller | None = None) -> Decision:
        """The subject chooses a non-biometric method: no face prompt follows, the alternatives are named."""
        return self._subjects.decline(deployment_id, subject_id, caller)

    def withdraw(self, deployment_id: str, subject_id: str, caller: Caller | None = None) -> Decision:
        """Withdraw the subject's consents for the deployment and delete their facial data at once (CN25-6d)."""
        return self._subjects.withdraw(deployment_id, subject_id, caller)

    def link_nonce(self, subject_id: str) -> str:
        """The nonce a portal link for this subject record carries (NotFoundError for an unknown subject)."""
        return self._subjects.link_nonce(subject_id)

    def portal_link(self, subject_id: str, deployment_id: str, caller: Caller) -> str:
        """The nonce for a portal link `caller` makes, audited; only for a subject recorded in `deployment_id`."""
        return self._subjects.portal_link(subject_id, deployment_id, caller)

    def link_valid(self, subject_id: str, nonce: str) -> bool:
        """Whether a link carrying `nonce` still opens the subject: same record, links not revoked since."""
        return self._subjects.link_valid(subject_id, nonce)

    def revoke_links(self, subject_id: str, caller: Caller | None = None) -> Decision:
        """Revoke every portal link made for the subject so far (a new one can be made afterwards)."""
        return self._subjects.revoke_links(subject_id, caller)

    def subject_deployments(self, subject_id: str) -> set[str]:
        """The deployments in which a subject has any record (for access control in the faces)."""
        return self._subjects.subject_deployments(subject_id)

    def delete_subject(self, subject_id: str, caller: Caller | None = None) -> Decision:
        """Delete a subject everywhere: data keys shredded, rows removed, a deletion receipt in the audit log."""
        return self._subjects.delete_subject(subject_id, caller)

    # ---- biometrics ----
    def enroll(
        self,
        deployment_id: str,
        subject_id: str,
        image: bytes | Sequence[bytes],
        purpose: str | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """Enroll the one face of each photo (1 to MAX_PHOTOS: one photo, or a list) as the subject's templates,
        each quality-checked, all or none; the photos themselves are not kept."""
        return self._biometrics.enroll(deployment_id, subject_id, image, purpose, caller)

    def onboard(
        self,
        deployment_id: str,
        subject_id: str,
        photos: Sequence[bytes],
        consent: Onboarding,
        purpose: str | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """Bulk onboarding of one subject: added when new, the notice shown and the separate consent recorded (with
        the checks `notice_shown` and `give_consent` make) and the photos enrolled, all in one transaction."""
        caller = caller or Caller()

        def standing(session: Session) -> None:
            self._subjects.record_onboarding(session, deployment_id, subject_id, consent, caller)

        return self._biometrics.onboard(deployment_id, subject_id, photos, standing, purpose, caller)

    def verify(
        self,
        deployment_id: str,
        subject_id: str,
        image: bytes,
        purpose: str | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """1:1: is the face in `image` the enrolled subject? Only match or no_match comes back, never a distance."""
        return self._biometrics.verify(deployment_id, subject_id, image, purpose, caller)

    def verify_live(
        self,
        deployment_id: str,
        subject_id: str,
        nonce: str,
        frames: Sequence[tuple[float, bytes]],
        device: str,
        purpose: str | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """1:1 on camera frames that answer the liveness challenge `nonce`; the match runs on a frontal frame."""
        return self._biometrics.verify_live(deployment_id, subject_id, nonce, frames, device, purpose, caller)

    def identify(
        self,
        deployment_id: str,
        image: bytes,
        purpose: str | None = None,
        caller: Caller | None = None,
        faces: Literal["all", "largest"] = "all",
    ) -> Decision:
        """1:N: which enrolled subject of the deployment is each face in `image` (or the largest only), if any."""
        return self._biometrics.identify(deployment_id, image, purpose, caller, faces)

    def identify_live(
        self,
        deployment_id: str,
        nonce: str,
        frames: Sequence[tuple[float, bytes]],
        device: str,
        purpose: str | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """1:N on camera frames that answer the liveness challenge `nonce`; the search runs on a frontal frame."""
        return self._biometrics.identify_live(deployment_id, nonce, frames, device, purpose, caller)

    def liveness_challenge(
        self, deployment_id: str, device: str, purpose: str | None = None, caller: Caller | None = None
    ) -> dict[str, Any]:
        """A new random challenge for `device`: head turns and screen colours on one timeline, a nonce, a deadline."""
        return self._biometrics.liveness_challenge(deployment_id, device, purpose, caller)

    # ---- alternatives ----
    def set_alternative(
        self,
        deployment_id: str,
        subject_id: str,
        method: str,
        secret: str | None = None,
        caller: Caller | None = None,
        rp: RelyingParty | None = None,
    ) -> Decision:
        """Set up a non-biometric method: a PIN (`secret`), a TOTP secret (shown once), a one-time check-in code,"""
        return self._alternatives.set_alternative(deployment_id, subject_id, method, secret, caller, rp)

    def passkey_options(
        self, deployment_id: str, subject_id: str, ceremony: str, rp: RelyingParty, caller: Caller | None = None
    ) -> dict[str, Any]:
        """Begin a passkey ceremony, 'register' or 'authenticate': the options a browser passes to WebAuthn."""
        return self._alternatives.passkey_options(deployment_id, subject_id, ceremony, rp, caller)

    def verify_alternative(
        self,
        deployment_id: str,
        subject_id: str,
        method: str,
        secret: str | None = None,
        caller: Caller | None = None,
        rp: RelyingParty | None = None,
    ) -> Decision:
        """Verify the subject without any face: PIN, TOTP, check-in code, passkey (`secret` is the browser's"""
        return self._alternatives.verify_alternative(deployment_id, subject_id, method, secret, caller, rp)

    # ---- collections ----
    def enrollments(self, deployment_id: str, limit: int = 100, after: str | None = None) -> list[dict[str, Any]]:
        """The deployment's subjects by ID, a page at a time: consent state and templates (no vectors)."""
        return self._collections.subjects(deployment_id, limit, after)

    def roster(
        self, deployments: Sequence[str] | None, prefix: str = "", limit: int = 50, after: str | None = None
    ) -> list[dict[str, Any]]:
        """Subjects by ID (searched by prefix), each with its standing per deployment; no biometric data."""
        return self._roster.page(deployments, prefix, limit, after)

    def delete_template(
        self, deployment_id: str, subject_id: str, template_id: str, caller: Caller | None = None
    ) -> Decision:
        """Delete one template of a subject in a deployment (the subject's other templates stay)."""
        return self._collections.delete_template(deployment_id, subject_id, template_id, caller)

    # ---- rights ----
    def rotate_master_key(self, caller: Caller | None = None) -> Decision:
        """Rotate the master key (deployment keys rewrapped, no template re-encrypted) and record it."""
        return self._rights.rotate_master_key(caller)

    def access(self, subject_id: str) -> dict[str, Any]:
        """What is held on a subject, for which deployment, since when and until when (no biometric data)."""
        return self._rights.access(subject_id)

    def export(self, subject_id: str, caller: Caller | None = None) -> dict[str, Any]:
        """The subject's data for the subject; templates only when the subject asks (`subject:<id>`)."""
        return self._rights.export(subject_id, caller)

    def purge(self, caller: Caller | None = None) -> dict[str, int]:
        """Delete what has passed its retention: templates, kept photos and expired one-time codes (CN25-8c)."""
        return self._rights.purge(caller)
