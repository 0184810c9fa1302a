"""The gate: the one door for biometric operations. Every call is checked against the rules, then audited.

Order of checks (each refusal cites its rule IDs and names the alternatives): deployment known and active;
purpose registered; operation allowed by the modality; legal basis; current notice shown; consent separate,
current and not withdrawn; guardian consent below 14; the subject has not declined face recognition;
transmission rules; then the engine; then the audit event, committed in the same transaction as the effect.
"""

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facegate import oversight, policy
from facegate.audit import AuditLog, Event
from facegate.engine import quality
from facegate.engine.bulk import embed_files
from facegate.engine.images import decode_image
from facegate.engine.index import FaceIndex
from facegate.engine.protocol import Engine
from facegate.errors import InputError, NotFoundError, RefusedError
from facegate.home import data_home
from facegate.store import Database, Statements
from facegate.vault import credentials
from facegate.vault.credentials import RelyingParty
from facegate.vault.keystore import Keystore
from facegate.vault.models import ConsentRow, CredentialRow, DeploymentRow, RawImageRow, SubjectRow, TemplateRow
from facegate.vault.vault import StoredTemplate, Vault

DEFAULT_RETENTION_DAYS = 365
RAW_IMAGE_DAYS = 30
CHECKIN_CODE_HOURS = 24
# Credential rows that hold a pending passkey ceremony's challenge, one per ceremony.
PASSKEY_CHALLENGES = {"register": "passkey_register", "authenticate": "passkey_sign_in"}
PASSKEY_CHALLENGE_SECONDS = 180
NO_CEREMONY = "no passkey ceremony is pending, or it took too long: ask for new options"
BIPA_YEARS = 3
# Which non-biometric methods facegate verifies itself, and the names a spec may list them under.
ALTERNATIVE_NAMES = {
    "pin": {"pin", "password", "pin_code"},
    "totp": {"totp", "authenticator_app", "one_time_password"},
    "checkin_code": {"checkin_code", "qr_code", "one_time_code"},
    "passkey": {"passkey", "webauthn", "security_key", "fido2"},
    "staff": {"staff", "staff_assisted", "staff_desk", "front_desk", "manual_check", "id_document", "reception"},
}


def offers(spec: policy.Deployment, method: str) -> bool:
    """Whether the deployment's spec offers a method facegate verifies (under any of the method's names)."""
    return bool({m.lower() for m in spec.alternatives} & ALTERNATIVE_NAMES.get(method, set()))


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Caller:
    """Who asks: an actor such as `operator:alice` or `api_key:k1`, and the request's ID."""

    actor: str = "operator:cli"
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class Decision:
    """The outcome of a gate call: what happened, the rule IDs behind it and the audit event that records it."""

    operation: str
    outcome: str
    deployment: str | None
    subject: str | None = None
    rule_ids: tuple[str, ...] = ()
    event_id: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (never contains biometric data)."""
        return {
            "operation": self.operation,
            "outcome": self.outcome,
            "deployment": self.deployment,
            "subject": self.subject,
            "rule_ids": list(self.rule_ids),
            "event_id": self.event_id,
            **self.details,
        }


@dataclass
class _Loaded:
    row: Any  # the deployment's row, read-only
    spec: policy.Deployment
    profiles: tuple[str, ...]


class Gate:
    """Composes policy, vault, engine and audit; the only module that runs a biometric operation."""

    def __init__(
        self,
        db: Database,
        vault: Vault,
        audit: AuditLog,
        engine_factory: Callable[[], Engine] | None = None,
        clock: Callable[[], datetime] = utc_now,
        settings: policy.Settings | None = None,
    ) -> None:
        self.db, self.vault, self.audit = db, vault, audit
        self.clock = clock
        self.settings = settings or policy.Settings()
        self._engine_factory = engine_factory
        self._engine: Engine | None = None
        self._specs: dict[str, policy.Deployment] = {}  # by spec text
        # Subject checks passed, by the revisions they were made at (see _pass_key), and each subject's decrypted
        # templates by the subject's revision: a verification whose revisions are unchanged reads nothing else.
        self._passed: dict[tuple, tuple[_Loaded, Any]] = {}
        self._templates: dict[tuple[str, str], tuple[int, list[StoredTemplate]]] = {}
        self._galleries: dict[str, _Gallery] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(cls, home: Path | None = None, database_url: str | None = None, **options: Any) -> "Gate":
        """The gate of a data directory: its database, key store and audit log."""
        home = data_home(home)
        return cls(
            Database.open(database_url, home=home), Vault(Keystore.open(home)), AuditLog.for_home(home), **options
        )

    @property
    def engine(self) -> Engine:
        """The face engine, loaded on first use (loading the models takes a moment)."""
        with self._lock:
            if self._engine is None:
                if self._engine_factory is None:
                    from facegate.engine.dlib_backend import DlibEngine

                    self._engine = DlibEngine()
                else:
                    self._engine = self._engine_factory()
            return self._engine

    # ---- plumbing ----

    def _event(self, caller: Caller, operation: str, decision: str, outcome: str, **fields: Any) -> Event:
        return Event(
            actor=caller.actor,
            operation=operation,
            decision=decision,
            outcome=outcome,
            request_id=caller.request_id,
            **fields,
        )

    def _record(
        self,
        session: Statements,
        caller: Caller,
        operation: str,
        outcome: str,
        *,
        deployment: str | None = None,
        subject: str | None = None,
        rule_ids: tuple[str, ...] = (),
        purpose: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> Decision:
        """Append an allowed operation's audit event in `session`, the transaction of its effect; its Decision."""
        event = self._event(
            caller,
            operation,
            "allow",
            outcome,
            deployment=deployment,
            subject=subject,
            rule_ids=list(rule_ids),
            purpose=purpose,
        )
        receipt = self.audit.append(session, event)
        return Decision(operation, outcome, deployment, subject, rule_ids, receipt.event_id, details or {})

    def _refuse(self, caller: Caller, operation: str, refusal: RefusedError, **fields: Any) -> None:
        """Record a refusal in its own transaction (it changes nothing else), then raise it."""
        rule_ids = [r for r in refusal.rule_ids if r]
        with self.db.session() as session:
            self.audit.append(session, self._event(caller, operation, "refuse", "refused", rule_ids=rule_ids, **fields))
        raise refusal

    @contextmanager
    def _guarded(self, caller: Caller, operation: str, **fields: Any) -> Iterator[None]:
        """Turn a RefusedError raised inside the block into an audited refusal."""
        try:
            yield
        except RefusedError as refusal:
            self._refuse(caller, operation, refusal, **fields)

    def _load(self, session: Session, deployment_id: str) -> _Loaded:
        row = session.execute(select(DeploymentRow.__table__).filter_by(id=deployment_id)).first()
        if row is None:
            raise NotFoundError(f"unknown deployment {deployment_id!r}")
        spec = self._specs.get(row.spec)
        if spec is None:  # parsing a spec costs more than the rest of the checks together
            if len(self._specs) > 256:
                self._specs.clear()
            spec = self._specs[row.spec] = policy.spec_from_data(json.loads(row.spec))
        return _Loaded(row, spec, tuple(row.profiles.split(",")))

    def _subject(self, session: Session, subject_id: str, lock: bool = False) -> Any:
        """The subject's row (plain, read-only), or NotFoundError; `lock` holds it until the transaction ends.

        Enrollment, withdrawal and deletion lock it so that, on PostgreSQL, an enrollment cannot slip in
        between a withdrawal's key shredding and its commit (SQLite serialises writers already).
        """
        query = select(SubjectRow.__table__).filter_by(id=subject_id)
        row = session.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise NotFoundError(f"unknown subject {subject_id!r}")
        return row

    def _refusal(self, spec: policy.Deployment, message: str, rule_ids: list[str]) -> RefusedError:
        """A refusal that names the deployment's non-biometric alternatives (CN25-10b)."""
        return RefusedError(message, rule_ids, list(spec.alternatives))

    # ---- the checks, in the order of the module docstring ----

    def _check_deployment(self, loaded: _Loaded, operation: str, purpose: str | None) -> None:
        spec = loaded.spec
        try:
            policy.check_operation(policy.Status(loaded.row.status), spec, operation)  # type: ignore[arg-type]
        except RefusedError as exc:
            raise self._refusal(spec, str(exc.args[0]), exc.rule_ids) from None
        if purpose is not None and purpose != spec.purpose.category:
            raise self._refusal(
                spec, f"purpose {purpose!r} is not the registered purpose {spec.purpose.category!r}", ["CN25-4b"]
            )
        if spec.legal_basis in ("statutory", "contract") and not spec.legal_basis_ref:
            raise self._refusal(spec, "the legal basis has no reference to the law or contract", ["PIPL-13"])

    def _is_minor(self, subject: Any, spec: policy.Deployment, today: date) -> bool:
        if subject.birth_date is None and subject.age_band is not None:
            return subject.age_band == "under_14"
        return policy.needs_guardian_consent(
            subject.birth_date, today, children_likely=policy.children_likely(spec), settings=self.settings
        )

    def _check_subject(self, session: Session, loaded: _Loaded, subject: Any, now: datetime) -> None:
        spec, who = loaded.spec, f"subject {subject.id}"
        standing = self.vault.standing(session, loaded.row.id, subject.id)
        minor = self._is_minor(subject, spec, now.date())
        if minor and not spec.minors.expected:
            raise self._refusal(spec, f"{who} is under 14 and this deployment has no rules for minors", ["CN25-7c"])
        written = spec.legal_basis == "written_consent" or "bipa" in loaded.profiles
        consent = standing.current(
            "facial_processing",
            prefer=lambda c: (c.form == "written" or not written) and (c.given_by == "guardian" or not minor),
        )
        if spec.consent_based or "bipa" in loaded.profiles:
            shown = standing.notice_versions
            if spec.notice.version not in shown:
                rules = ["CN25-5c", "PIPL-17"] if shown else ["CN25-5b", "PIPL-17"]
                what = f"version {spec.notice.version} of the notice" if shown else "the notice"
                raise self._refusal(spec, f"{who} has not been shown {what}", rules)
            if consent is None:
                latest = standing.latest("facial_processing")
                if latest is not None and latest.withdrawn_at is not None:
                    raise self._refusal(spec, f"{who} withdrew consent", ["CN25-6d", "PIPL-15"])
                if latest is not None and latest.stale_at is not None:
                    raise self._refusal(
                        spec,
                        f"the consent of {who} is stale after a change of the deployment; ask again",
                        ["CN25-6e", "PIPL-14"],
                    )
                raise self._refusal(spec, f"{who} has given no separate consent", ["CN25-6a/b", "PIPL-29"])
            if consent.notice_version != spec.notice.version:
                raise self._refusal(
                    spec, f"the consent of {who} was given on an earlier notice", ["CN25-5c", "CN25-6e"]
                )
            if written and consent.form != "written":
                rules = ["BIPA-15b3"] if "bipa" in loaded.profiles else ["CN25-6a/b", "PIPL-29"]
                raise self._refusal(spec, f"{who} has given no written consent", rules)
            if minor and consent.given_by != "guardian":
                raise self._refusal(spec, f"{who} is under 14 and needs a guardian's consent", ["CN25-7a/b", "PIPL-31"])
        declined = standing.last_decline
        if declined is not None and (consent is None or consent.given_at <= declined):
            raise self._refusal(
                spec, f"{who} declined face recognition; use the alternative", ["CN25-12b", "CN25-10b", "NDSR-22"]
            )
        if spec.off_device and not spec.legal_basis_ref and standing.current("external_transmission") is None:
            raise self._refusal(
                spec,
                f"facial data leaves the device ({spec.storage.location}) without {who}'s separate consent to the "
                "transmission",
                ["CN25-8a/b", "PIPL-29"],
            )

    def _checked(
        self,
        session: Session,
        deployment_id: str,
        operation: str,
        purpose: str | None,
        subject_id: str | None,
        lock: bool = False,
    ) -> tuple[_Loaded, Any]:
        loaded = self._load(session, deployment_id)
        self._check_deployment(loaded, operation, purpose)
        subject = self._subject(session, subject_id, lock) if subject_id is not None else None
        if subject is not None:
            now = self.clock()
            # A subject's checks depend only on the deployment, the subject's records and the date; both rows
            # carry a revision that every change bumps, so a pass stays valid until one of them moves.
            key = _pass_key(loaded, subject, now)
            if key not in self._passed:
                self._check_subject(session, loaded, subject, now)
                _bounded(self._passed)[key] = (loaded, subject)
        return loaded, subject

    def _unchanged(self, db: Statements, loaded: _Loaded, subject: Any, now: datetime) -> bool:
        """Whether the deployment and the subject are as they were when checked (one query), on the same day.

        Called in the write transaction after the engine; the rows stay locked until it commits.
        """
        revisions = self.vault.revisions(db, loaded.row.id, subject.id, lock=True)
        return revisions == (loaded.row.revision, subject.revision) and _pass_key(loaded, subject, now) in self._passed

    # ---- deployments ----

    def register(
        self,
        spec: policy.Deployment,
        caller: Caller = Caller(),
        profiles: tuple[str, ...] = (policy.DEFAULT_PROFILE,),
        activate: bool = True,
    ) -> Decision:
        """Register a deployment whose spec `facegate check` allows; activate it unless `activate` is False."""
        now = self.clock()
        report = policy.evaluate(spec, profiles, today=now.date(), settings=self.settings)
        status = policy.Status.DRAFT
        with self._guarded(caller, "deployment.register", deployment=spec.id):
            if report.blocking:
                fields = ", ".join(dict.fromkeys(str(f.field) for f in report.blocking))
                raise RefusedError(f"deployment {spec.id} has blocking findings ({fields})", report.blocking_rule_ids)
            if activate:
                status = policy.activate(status, spec, today=now.date(), profiles=profiles, settings=self.settings)
        with self.db.session() as session:
            if session.get(DeploymentRow, spec.id) is not None:
                raise InputError(f"deployment {spec.id!r} is already registered; use update")
            session.add(
                DeploymentRow(
                    id=spec.id,
                    spec=spec.model_dump_json(),
                    profiles=",".join(profiles),
                    status=status,
                    registered_at=now,
                    updated_at=now,
                )
            )
            findings = [f.to_dict() for f in report.findings]
            return self._record(
                session,
                caller,
                "deployment.register",
                str(status),
                deployment=spec.id,
                details={"verdict": report.verdict, "findings": findings},
            )

    def update(self, spec: policy.Deployment, caller: Caller = Caller()) -> Decision:
        """Replace a deployment's spec; a §5.6 change suspends it and makes the affected consents stale."""
        now = self.clock()
        with self.db.session(readonly=True) as session:
            loaded = self._load(session, spec.id)
        old, status, profiles = loaded.spec, policy.Status(loaded.row.status), loaded.profiles
        report = policy.evaluate(spec, profiles, today=now.date(), settings=self.settings)
        with self._guarded(caller, "deployment.update", deployment=spec.id):
            if report.blocking:
                raise RefusedError(f"the new spec of {spec.id} has blocking findings", report.blocking_rule_ids)
            new_status = policy.after_change(status, old, spec)
        since = now.date() if new_status == policy.Status.NEEDS_REASSESSMENT else loaded.row.reassessment_since
        if new_status in (policy.Status.DRAFT, policy.Status.NEEDS_REASSESSMENT):
            with suppress(RefusedError):  # a spec with a newly approved impact assessment comes back at once
                new_status = policy.activate(
                    new_status,
                    spec,
                    today=now.date(),
                    profiles=profiles,
                    settings=self.settings,
                    reassessment_since=since,
                )
        staleness = policy.stale_consents(old, spec)
        with self.db.session() as session:
            row = self.vault.deployment(session, spec.id)
            row.spec, row.status, row.updated_at = spec.model_dump_json(), new_status, now
            row.revision += 1
            row.reassessment_since = since if new_status != policy.Status.ACTIVE else None
            stale = self.vault.mark_consents_stale(session, spec.id, staleness.consents, now) if staleness.stale else 0
            rules = ("CN25-9d",) if new_status == policy.Status.NEEDS_REASSESSMENT else ()
            rules += ("CN25-6e",) if stale else ()
            triggers = [c.trigger for c in policy.reassessment_triggers(old, spec)]
            return self._record(
                session,
                caller,
                "deployment.update",
                str(new_status),
                deployment=spec.id,
                rule_ids=rules,
                details={"triggers": triggers, "stale_consents": stale},
            )

    def activate(self, deployment_id: str, caller: Caller = Caller()) -> Decision:
        """Activate a draft or suspended deployment: no BLOCK finding and an approved impact assessment."""
        now = self.clock()
        with self.db.session(readonly=True) as session:
            loaded = self._load(session, deployment_id)
        with self._guarded(caller, "deployment.activate", deployment=deployment_id):
            status = policy.activate(
                policy.Status(loaded.row.status),
                loaded.spec,
                today=now.date(),
                profiles=loaded.profiles,
                settings=self.settings,
                reassessment_since=loaded.row.reassessment_since,
            )
        return self._set_status(deployment_id, status, "deployment.activate", caller)

    def retire(self, deployment_id: str, caller: Caller = Caller()) -> Decision:
        """Retire a deployment: it stops, and every template it holds is deleted (CN25-15d/e)."""
        with self.db.session(readonly=True) as session:
            loaded = self._load(session, deployment_id)
        decision = self._set_status(
            deployment_id, policy.retire(policy.Status(loaded.row.status)), "deployment.retire", caller
        )
        with self.db.session(readonly=True) as session:
            subjects = session.scalars(select(TemplateRow.subject_id).filter_by(deployment_id=deployment_id).distinct())
            subjects = list(subjects)
        for subject_id in subjects:
            with self.db.session() as session:
                self._erase(session, deployment_id, subject_id, caller, "retire", ("CN25-15d/e", "PIPL-47"))
        return decision

    def _set_status(self, deployment_id: str, status: policy.Status, operation: str, caller: Caller) -> Decision:
        with self.db.session() as session:
            row = self.vault.deployment(session, deployment_id)
            row.status, row.updated_at = status, self.clock()
            row.revision += 1
            return self._record(session, caller, operation, str(status), deployment=deployment_id)

    def deployments(self) -> list[dict[str, Any]]:
        """Every registered deployment with its status (no personal data)."""
        with self.db.session(readonly=True) as session:
            rows = session.scalars(select(DeploymentRow).order_by(DeploymentRow.id)).all()
            enrolled = func.count(func.distinct(TemplateRow.subject_id))
            counts = dict(
                session.execute(select(TemplateRow.deployment_id, enrolled).group_by(TemplateRow.deployment_id)).all()
            )
        return [
            {
                "id": r.id,
                "status": r.status,
                "profiles": r.profiles.split(","),
                "enrolled_subjects": counts.get(r.id, 0),
                "updated_at": r.updated_at.isoformat(),
            }
            for r in rows
        ]

    def deployment_spec(self, deployment_id: str) -> policy.Deployment:
        """The registered spec of a deployment."""
        return self.registered(deployment_id)[0]

    def registered(self, deployment_id: str) -> tuple[policy.Deployment, tuple[str, ...]]:
        """The registered spec of a deployment and the profiles it was registered under; NotFoundError if none."""
        with self.db.session(readonly=True) as session:
            loaded = self._load(session, deployment_id)
        return loaded.spec, loaded.profiles

    # ---- subjects, notices, consents, declines ----

    def add_subject(
        self,
        subject_id: str | None = None,
        birth_date: date | None = None,
        age_band: str | None = None,
        guardian_ref: str | None = None,
        caller: Caller = Caller(),
    ) -> Decision:
        """Create a subject under a pseudonymous ID."""
        with self.db.session() as session:
            row = self.vault.add_subject(session, self.clock(), subject_id, birth_date, age_band, guardian_ref)
            return self._record(session, caller, "subject.add", "added", subject=row.id)

    def notice_shown(
        self, deployment_id: str, subject_id: str, version: int | None = None, caller: Caller = Caller()
    ) -> Decision:
        """Record that the subject was shown the deployment's current notice (CN25-5b)."""
        with self.db.session() as session:
            current = self._load(session, deployment_id).spec.notice.version
            self._subject(session, subject_id)
            if version is not None and version != current:
                raise InputError(f"the current notice of {deployment_id} is version {current}, not {version}")
            self.vault.record_notice_shown(session, deployment_id, subject_id, current, self.clock())
            return self._record(
                session, caller, "notice.shown", f"v{current}", deployment=deployment_id, subject=subject_id
            )

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
        caller: Caller = Caller(),
    ) -> Decision:
        """Record a separate (or written) consent, bound to the current notice version."""
        now = self.clock()
        if form not in ("separate", "written") or given_by not in ("subject", "guardian"):
            raise InputError("consent form must be separate or written, given by subject or guardian")
        with self.db.session(readonly=True) as session:
            loaded = self._load(session, deployment_id)
            subject = self._subject(session, subject_id)
            standing = self.vault.standing(session, deployment_id, subject_id)
        spec, who = loaded.spec, f"subject {subject_id}"
        guardian_ref = guardian_ref or (subject.guardian_ref if given_by == "guardian" else None)
        with self._guarded(caller, "consent.give", deployment=deployment_id, subject=subject_id):
            if loaded.row.status == policy.Status.RETIRED:
                raise self._refusal(spec, f"deployment {deployment_id} is retired", ["CN25-15d/e"])
            if spec.notice.version not in standing.notice_versions:
                raise self._refusal(spec, "consent needs the current notice shown first", ["CN25-5b", "PIPL-17"])
            window = timedelta(hours=int(self.settings.get("reprompt_block_hours")))
            declined = standing.last_decline
            if declined is not None and now - declined < window and not subject_initiated:
                raise self._refusal(
                    spec,
                    f"{who} declined face recognition less than {window / timedelta(hours=1):.0f} h ago; do not "
                    "ask again unless they ask",
                    ["CN25-12b", "NDSR-22"],
                )
            if form == "written" and not evidence_ref:
                raise self._refusal(spec, "a written consent needs the signed artefact (evidence_ref)", ["CN25-6a/b"])
            if given_by == "guardian" and not guardian_ref:
                raise self._refusal(spec, "a guardian's consent needs the guardian's identity", ["CN25-7a/b"])
        if kind == "raw_image_retention" and spec.storage.raw_images != "retain_with_consent":
            raise InputError(f"deployment {deployment_id} discards raw images; there is nothing to consent to")
        with self.db.session() as session:
            row = self.vault.add_consent(
                session,
                subject_id=subject_id,
                deployment_id=deployment_id,
                kind=kind,
                form=form,
                given_by=given_by,
                guardian_ref=guardian_ref,
                evidence_ref=evidence_ref,
                notice_version=spec.notice.version,
                given_at=now,
            )
            return self._record(
                session,
                caller,
                "consent.give",
                "given",
                deployment=deployment_id,
                subject=subject_id,
                details={"consent_id": row.id, "kind": kind},
            )

    def decline(self, deployment_id: str, subject_id: str, caller: Caller = Caller()) -> Decision:
        """The subject chooses a non-biometric method: no face prompt follows, the alternatives are named."""
        with self.db.session() as session:
            loaded = self._load(session, deployment_id)
            self._subject(session, subject_id)
            self.vault.record_decline(session, deployment_id, subject_id, self.clock())
            return self._record(
                session,
                caller,
                "decline",
                "declined",
                deployment=deployment_id,
                subject=subject_id,
                rule_ids=("CN25-10b", "CN25-12b"),
                details={"alternatives": list(loaded.spec.alternatives)},
            )

    def withdraw(self, deployment_id: str, subject_id: str, caller: Caller = Caller()) -> Decision:
        """Withdraw the subject's consents for the deployment and delete their facial data at once (CN25-6d)."""
        with self.db.session() as session:
            self._load(session, deployment_id)
            self._subject(session, subject_id, lock=True)
            self.vault.withdraw_consents(session, deployment_id, subject_id, self.clock())
            return self._erase(session, deployment_id, subject_id, caller, "consent.withdraw", ("CN25-6d", "PIPL-47"))

    def _erase(
        self,
        session: Session,
        deployment_id: str,
        subject_id: str,
        caller: Caller,
        operation: str,
        rules: tuple[str, ...],
    ) -> Decision:
        """Shred the subject's data key for the deployment, delete their facial data, and leave a receipt."""
        removed = self.vault.erase(session, deployment_id, subject_id)
        self._forget(deployment_id, subject_id)
        return self._record(
            session,
            caller,
            operation,
            "deleted",
            deployment=deployment_id,
            subject=subject_id,
            rule_ids=rules,
            details={"templates_deleted": removed},
        )

    def subject_deployments(self, subject_id: str) -> set[str]:
        """The deployments in which a subject has any record (for access control in the faces)."""
        with self.db.session(readonly=True) as session:
            self._subject(session, subject_id)
            return self.vault.deployments_of(session, subject_id)

    def delete_subject(self, subject_id: str, caller: Caller = Caller()) -> Decision:
        """Delete a subject everywhere: data keys shredded, rows removed, a deletion receipt in the audit log."""
        with self.db.session(readonly=True) as session:
            self._subject(session, subject_id)
        for name in self.vault.keystore.subject_keys(subject_id):  # the keys go first: what is left cannot be read
            self.vault.keystore.shred(name.split("/")[1], subject_id)
        with self.db.session() as session:
            self._subject(session, subject_id, lock=True)
            deployments = set(session.scalars(select(TemplateRow.deployment_id).filter_by(subject_id=subject_id)))
            for deployment_id in deployments:
                self.vault.erase(session, deployment_id, subject_id)
                self._forget(deployment_id, subject_id)
            session.delete(self.vault.subject(session, subject_id))
            return self._record(session, caller, "subject.delete", "deleted", subject=subject_id, rule_ids=("PIPL-47",))

    # ---- biometric operations ----

    def _embed(self, image: bytes, enrollment: bool) -> tuple[np.ndarray, str]:
        pixels = decode_image(image)
        faces = self.engine.detect(pixels)
        face = quality.single_face(faces) if enrollment else quality.main_face(faces)
        embedding = self.engine.embed(pixels, [face])[0]
        return embedding.vector, embedding.model_id

    def _expiry(self, loaded: _Loaded, created: datetime, now: datetime) -> datetime:
        days = loaded.spec.storage.retention_days
        expires = created + timedelta(days=DEFAULT_RETENTION_DAYS if days is None else days)
        if "bipa" in loaded.profiles:  # the earlier of purpose end and 3 years after the last interaction
            expires = min(expires, now + timedelta(days=365 * BIPA_YEARS))
        return expires

    def enroll(
        self, deployment_id: str, subject_id: str, image: bytes, purpose: str | None = None, caller: Caller = Caller()
    ) -> Decision:
        """Enroll the one face of `image` as the subject's template; the image itself is not kept."""
        self._precheck(deployment_id, "enroll", purpose, subject_id, caller)
        vector, model_id = self._embed(image, enrollment=True)
        return self._store_enrollment(deployment_id, subject_id, vector, model_id, lambda: image, purpose, caller)

    def enroll_batch(
        self,
        deployment_id: str,
        items: list[tuple[str, Path]],
        workers: int | None = None,
        purpose: str | None = None,
        caller: Caller = Caller(),
    ) -> Iterator[tuple[Path, str]]:
        """Enroll many (subject, photo file) pairs: checks first, faces embedded over several processes, then one
        transaction per subject. Yields each file with its outcome ('enrolled', or why not)."""
        allowed = []
        for subject_id, path in items:
            try:
                self._precheck(deployment_id, "enroll", purpose, subject_id, caller)
                allowed.append((subject_id, path))
            except (RefusedError, NotFoundError) as exc:
                yield path, f"refused: {exc}" if isinstance(exc, RefusedError) else str(exc)
        results = embed_files([p for _, p in allowed], workers, pick="single")
        for (subject_id, path), result in zip(allowed, results, strict=True):
            if result.vector is None:
                yield path, str(result.error)
                continue
            try:
                self._store_enrollment(
                    deployment_id, subject_id, result.vector, result.model_id, path.read_bytes, purpose, caller
                )
                yield path, "enrolled"
            except (RefusedError, NotFoundError) as exc:
                yield path, f"refused: {exc}" if isinstance(exc, RefusedError) else str(exc)

    def _precheck(
        self, deployment_id: str, operation: str, purpose: str | None, subject_id: str | None, caller: Caller
    ) -> None:
        """The checks before the engine runs: a refusal is audited and raised, nothing else happens."""
        fields = {"deployment": deployment_id, "subject": subject_id}
        with self.db.session(readonly=True) as session, self._guarded(caller, operation, **fields):
            loaded, _ = self._checked(session, deployment_id, operation, purpose, subject_id)
            if operation == "enroll":
                self._check_filing(session, loaded)

    def _check_filing(self, session: Session, loaded: _Loaded) -> None:
        """Refuse a new enrollment while the handler's filing is overdue (CN25-15c, §8 Q7); verification goes on."""
        refusal = oversight.enrollment_block(session, loaded.spec.handler.name, self.clock(), self.settings)
        if refusal is not None:
            raise self._refusal(loaded.spec, str(refusal.args[0]), refusal.rule_ids)

    def _store_enrollment(
        self,
        deployment_id: str,
        subject_id: str,
        vector: np.ndarray,
        model_id: str,
        image: Callable[[], bytes],
        purpose: str | None,
        caller: Caller,
    ) -> Decision:
        """Check again, then seal the template and audit the enrollment in one transaction."""
        fields = {"deployment": deployment_id, "subject": subject_id}
        now = self.clock()
        with self._guarded(caller, "enroll", **fields), self.db.session() as session:
            loaded, _ = self._checked(session, deployment_id, "enroll", purpose, subject_id, lock=True)
            self._check_filing(session, loaded)
            template_id = self.vault.save_template(
                session, deployment_id, subject_id, model_id, vector, now, self._expiry(loaded, now, now)
            )
            oversight.record_stored(
                session, self.vault.keystore, loaded.spec.handler.name, subject_id, now, loaded.profiles, self.settings
            )
            kept = self._keep_raw_image(session, loaded, subject_id, image, now)
            generation = self.vault.bump_gallery(session, deployment_id)
            if "bipa" in loaded.profiles:
                self._touch_bipa(session, loaded, subject_id, now)
            decision = self._record(
                session,
                caller,
                "enroll",
                "enrolled",
                purpose=loaded.spec.purpose.category,
                **fields,
                details={"template_id": template_id, "raw_image_kept": kept},
            )
        self._gallery_add(deployment_id, generation, template_id, subject_id, vector)
        return decision

    def _keep_raw_image(
        self, session: Session, loaded: _Loaded, subject_id: str, image: Callable[[], bytes], now: datetime
    ) -> bool:
        storage = loaded.spec.storage
        if storage.raw_images != "retain_with_consent":
            return False
        if self.vault.standing(session, loaded.row.id, subject_id).current("raw_image_retention") is None:
            return False
        days = storage.raw_image_retention_days if storage.raw_image_retention_days is not None else RAW_IMAGE_DAYS
        self.vault.save_raw_image(session, loaded.row.id, subject_id, image(), now, now + timedelta(days=days))
        return True

    def verify(
        self, deployment_id: str, subject_id: str, image: bytes, purpose: str | None = None, caller: Caller = Caller()
    ) -> Decision:
        """1:1: is the face in `image` the enrolled subject? Only match or no_match comes back, never a distance."""
        fields = {"deployment": deployment_id, "subject": subject_id}
        with self._guarded(caller, "verify", **fields):
            loaded, subject, templates = self._admit(deployment_id, subject_id, purpose)
        vector, model_id = self._embed(image, enrollment=False)
        now = self.clock()
        templates = [t for t in templates if t.model_id == model_id and t.expires_at > now]
        if not templates:
            raise NotFoundError(f"subject {subject_id} has no template for deployment {deployment_id}; enroll first")
        nearest = min(float(np.linalg.norm(t.vector - vector)) for t in templates)
        outcome = "match" if nearest < self.engine.threshold else "no_match"
        details = {"match": outcome == "match"}
        with self._guarded(caller, "verify", **fields):
            # Check again: consent may have been withdrawn (and the template shredded) while the engine ran.
            # When nothing moved, the audit event is the whole transaction.
            if "bipa" not in loaded.profiles:
                with self.db.quick(write=True) as db:
                    if self._unchanged(db, loaded, subject, now):
                        category = loaded.spec.purpose.category
                        return self._record(db, caller, "verify", outcome, purpose=category, **fields, details=details)
            with self.db.session() as session:
                if not self._unchanged(session, loaded, subject, now):
                    loaded, _ = self._checked(session, deployment_id, "verify", purpose, subject_id)
                if "bipa" in loaded.profiles:
                    self._touch_bipa(session, loaded, subject_id, now)
                category = loaded.spec.purpose.category
                return self._record(session, caller, "verify", outcome, purpose=category, **fields, details=details)

    def _admit(
        self, deployment_id: str, subject_id: str, purpose: str | None
    ) -> tuple[_Loaded, Any, list[StoredTemplate]]:
        """The checks before a verification, and the subject's templates: one query when nothing has changed."""
        now = self.clock()
        with self.db.quick() as db:
            revisions = self.vault.revisions(db, deployment_id, subject_id)
        passed = self._passed.get((deployment_id, revisions[0], subject_id, revisions[1], now.date()))  # _pass_key
        cached = self._templates.get((deployment_id, subject_id))
        if passed and cached and cached[0] == revisions[1] and all(t.expires_at > now for t in cached[1]):
            self._check_deployment(passed[0], "verify", purpose)
            return *passed, cached[1]
        if cached and cached[0] != revisions[1]:  # changed elsewhere, perhaps deleted: keep no stale copy in memory
            self._templates.pop((deployment_id, subject_id), None)
        with self.db.session(readonly=True) as session:
            loaded, subject = self._checked(session, deployment_id, "verify", purpose, subject_id)
            templates = self.vault.templates(session, deployment_id, subject_id, now)
        _bounded(self._templates)[(deployment_id, subject_id)] = (subject.revision, templates)
        return loaded, subject, templates

    def _touch_bipa(self, session: Session, loaded: _Loaded, subject_id: str, now: datetime) -> None:
        """BIPA: a new interaction moves the destruction date to 3 years from now (within the retention)."""
        self.vault.subject(session, subject_id).last_interaction_at = now
        for row in session.scalars(select(TemplateRow).filter_by(deployment_id=loaded.row.id, subject_id=subject_id)):
            row.expires_at = self._expiry(loaded, row.created_at, now)

    def identify(
        self, deployment_id: str, image: bytes, purpose: str | None = None, caller: Caller = Caller()
    ) -> Decision:
        """1:N: which enrolled subject of the deployment is the face in `image`, if any."""
        self._precheck(deployment_id, "identify", purpose, None, caller)
        vector, model_id = self._embed(image, enrollment=False)
        now = self.clock()
        with self._guarded(caller, "identify", deployment=deployment_id), self.db.session() as session:
            loaded, _ = self._checked(session, deployment_id, "identify", purpose, None)
            gallery = self._gallery(session, loaded, model_id, now)
            found = gallery.index.search(vector, k=1)
            subject_id, rules = None, ()
            if found and found[0][1] < self.engine.threshold:
                subject_id = gallery.subjects[found[0][0]]
                try:  # the person found must still be someone the rules let us recognise
                    self._check_subject(session, loaded, self._subject(session, subject_id), now)
                except (RefusedError, NotFoundError) as exc:
                    subject_id, rules = None, tuple(getattr(exc, "rule_ids", ()))
            if subject_id and "bipa" in loaded.profiles:
                self._touch_bipa(session, loaded, subject_id, now)
            return self._record(
                session,
                caller,
                "identify",
                "identified" if subject_id else "no_match",
                deployment=deployment_id,
                subject=subject_id,
                rule_ids=rules,
                purpose=loaded.spec.purpose.category,
                details={"match": subject_id is not None},
            )

    def _gallery(self, session: Session, loaded: _Loaded, model_id: str, now: datetime) -> "_Gallery":
        """The deployment's in-memory index, rebuilt from the sealed templates when another process changed it."""
        with self._lock:
            gallery = self._galleries.get(loaded.row.id)
            if gallery is not None and gallery.generation == loaded.row.gallery_generation:
                return gallery
            gallery = _Gallery(loaded.row.gallery_generation, FaceIndex(model_id), {})
            templates = [t for t in self.vault.templates(session, loaded.row.id, now=now) if t.model_id == model_id]
            if templates:
                gallery.index.add_many([t.id for t in templates], np.stack([t.vector for t in templates]))
                gallery.subjects.update({t.id: t.subject_id for t in templates})
            self._galleries[loaded.row.id] = gallery
            return gallery

    def _gallery_add(
        self, deployment_id: str, generation: int, template_id: str, subject_id: str, vector: np.ndarray
    ) -> None:
        """Keep this process's index fresh after its own enrollment (a gap in generations means rebuild)."""
        with self._lock:
            gallery = self._galleries.get(deployment_id)
            if gallery is None or gallery.generation != generation - 1:
                self._galleries.pop(deployment_id, None)
                return
            gallery.index.add(template_id, vector)
            gallery.subjects[template_id] = subject_id
            gallery.generation = generation

    def _forget(self, deployment_id: str, subject_id: str) -> None:
        """Drop a deleted subject's vectors from memory now."""
        self._templates.pop((deployment_id, subject_id), None)
        with self._lock:
            gallery = self._galleries.get(deployment_id)
            if gallery is None:
                return
            for template_id in [t for t, s in gallery.subjects.items() if s == subject_id]:
                gallery.index.remove(template_id)
                del gallery.subjects[template_id]
            gallery.generation = -1  # the stored generation moved on too: rebuild from the store on next use

    # ---- non-biometric alternatives ----

    def _method(self, spec: policy.Deployment, method: str) -> str:
        if method not in ALTERNATIVE_NAMES:
            raise InputError(f"unknown method {method!r}: use one of {', '.join(ALTERNATIVE_NAMES)}")
        if not offers(spec, method):
            raise self._refusal(
                spec,
                f"deployment {spec.id} does not offer {method} (it offers {', '.join(spec.alternatives)})",
                ["CN25-10a"],
            )
        return method

    def set_alternative(
        self,
        deployment_id: str,
        subject_id: str,
        method: str,
        secret: str | None = None,
        caller: Caller = Caller(),
        rp: RelyingParty | None = None,
    ) -> Decision:
        """Set up a non-biometric method: a PIN (`secret`), a TOTP secret (shown once), a one-time check-in code,
        or a passkey (`secret` is the browser's answer to `passkey_options`, made for the relying party `rp`)."""
        now = self.clock()
        details: dict[str, Any] = {"method": method}
        with self.db.session(readonly=True) as session:
            loaded = self._load(session, deployment_id)
            self._subject(session, subject_id)
        with self._guarded(caller, "alternative.set", deployment=deployment_id, subject=subject_id):
            self._method(loaded.spec, method)
        if method == "staff":
            raise InputError("staff-assisted verification needs no set-up; record it with verify_alternative")
        expires = None
        if method == "pin":
            if not secret:
                raise InputError("a PIN is required")
            stored = credentials.hash_pin(secret)
        elif method == "totp":
            totp = credentials.new_totp_secret()
            stored = self.vault.seal_secret(deployment_id, subject_id, totp)
            uri = credentials.totp_uri(totp, subject_id, loaded.spec.handler.name)
            details |= {"totp_uri": uri, "qr_svg": credentials.qr_svg(uri)}
        elif method == "passkey":
            site, answer = _passkey_site(rp), _passkey_answer(secret)
            with self.db.session() as session:  # used up even when the answer is refused
                challenge = self.vault.take_credential(
                    session, deployment_id, subject_id, PASSKEY_CHALLENGES["register"], now
                )
            if challenge is None:
                raise InputError(NO_CEREMONY)
            stored = credentials.check_passkey_registration(site, answer, challenge)
        else:
            code = credentials.new_checkin_code()
            stored, expires = credentials.hash_checkin_code(code), now + timedelta(hours=CHECKIN_CODE_HOURS)
            details |= {"code": code, "qr_svg": credentials.qr_svg(code), "expires_at": expires.isoformat()}
        with self.db.session() as session:
            self.vault.set_credential(session, deployment_id, subject_id, method, stored, now, expires)
            return self._record(
                session, caller, "alternative.set", "set", deployment=deployment_id, subject=subject_id, details=details
            )

    def passkey_options(
        self,
        deployment_id: str,
        subject_id: str,
        ceremony: str,
        rp: RelyingParty,
        caller: Caller = Caller(),
    ) -> dict[str, Any]:
        """Begin a passkey ceremony, 'register' or 'authenticate': the options a browser passes to WebAuthn.

        The challenge is kept for a few minutes, for the one answer `set_alternative` or `verify_alternative`
        checks; asking again replaces it.
        """
        if ceremony not in PASSKEY_CHALLENGES:
            raise InputError(f"unknown passkey ceremony {ceremony!r}: use register or authenticate")
        now = self.clock()
        with self.db.session(readonly=True) as session:
            loaded = self._load(session, deployment_id)
            self._subject(session, subject_id)
            passkey = self.vault.credential(session, deployment_id, subject_id, "passkey")
        fields = {"deployment": deployment_id, "subject": subject_id}
        with self._guarded(caller, "alternative.verify" if ceremony == "authenticate" else "alternative.set", **fields):
            self._method(loaded.spec, "passkey")
            if ceremony == "authenticate":
                policy.check_operation(policy.Status(loaded.row.status), loaded.spec, "verify")
        existing = passkey.secret if passkey is not None else None
        if ceremony == "register":
            user = f"{deployment_id}/{subject_id}"
            options, challenge = credentials.passkey_registration(rp, loaded.spec.handler.name, user, existing)
        elif existing is None:
            raise NotFoundError(f"subject {subject_id} has no passkey set up for {deployment_id}")
        else:
            options, challenge = credentials.passkey_authentication(rp, existing)
        slot, until = PASSKEY_CHALLENGES[ceremony], now + timedelta(seconds=PASSKEY_CHALLENGE_SECONDS)
        with self.db.session() as session:
            self.vault.set_credential(session, deployment_id, subject_id, slot, challenge, now, until)
        return options

    def verify_alternative(
        self,
        deployment_id: str,
        subject_id: str,
        method: str,
        secret: str | None = None,
        caller: Caller = Caller(),
        rp: RelyingParty | None = None,
    ) -> Decision:
        """Verify the subject without any face: PIN, TOTP, check-in code, passkey (`secret` is the browser's
        answer to `passkey_options`, for the relying party `rp`), or a staff member's check."""
        now = self.clock()
        with self.db.session(readonly=True) as session:
            loaded = self._load(session, deployment_id)
            self._subject(session, subject_id)
        with self._guarded(caller, "alternative.verify", deployment=deployment_id, subject=subject_id):
            self._method(loaded.spec, method)
            policy.check_operation(policy.Status(loaded.row.status), loaded.spec, "verify")
        details: dict[str, Any] = {"method": method}
        with self.db.session() as session:
            ok = method == "staff"  # the staff member's own check; the caller is recorded as the verifier
            row = None if ok else self.vault.credential(session, deployment_id, subject_id, method)
            if method != "staff" and row is None:
                raise NotFoundError(f"subject {subject_id} has no {method} set up for {deployment_id}")
            if row is not None and (row.used_at is not None or (row.expires_at is not None and row.expires_at < now)):
                ok = False
            elif row is not None and method == "pin":
                ok = credentials.check_pin(row.secret, secret or "")
            elif row is not None and method == "totp":
                ok = credentials.check_totp(
                    self.vault.open_secret(deployment_id, subject_id, row.secret), secret or "", now
                )
            elif row is not None and method == "passkey":
                site, answer = _passkey_site(rp), _passkey_answer(secret)
                slot = PASSKEY_CHALLENGES["authenticate"]
                challenge = self.vault.take_credential(session, deployment_id, subject_id, slot, now)
                updated = credentials.check_passkey(site, answer, challenge, row.secret) if challenge else None
                ok = updated is not None
                if updated is not None:
                    row.secret = updated  # the new signature counter: a cloned authenticator shows up
                elif challenge is None:
                    details["reason"] = NO_CEREMONY
            elif row is not None:
                ok = credentials.check_checkin_code(row.secret, secret or "")
                if ok:
                    row.used_at = now
            return self._record(
                session,
                caller,
                "alternative.verify",
                "verified" if ok else "not_verified",
                deployment=deployment_id,
                subject=subject_id,
                rule_ids=("CN25-10b",),
                purpose=loaded.spec.purpose.category,
                details={**details, "verified": ok},
            )

    # ---- keys ----

    def rotate_master_key(self, caller: Caller = Caller()) -> Decision:
        """Rotate the master key (deployment keys rewrapped, no template re-encrypted) and record it."""
        count = self.vault.rotate_master_key()
        with self.db.session() as session:
            return self._record(session, caller, "keys.rotate", "rotated", details={"keys_rewrapped": count})

    # ---- data-subject rights and retention ----

    def access(self, subject_id: str) -> dict[str, Any]:
        """What is held on a subject, for which deployment, since when and until when (no biometric data)."""
        with self.db.session(readonly=True) as session:
            subject = self.vault.subject(session, subject_id)
            held: dict[str, dict[str, Any]] = {}
            for row in session.scalars(select(TemplateRow).filter_by(subject_id=subject_id)):
                entry = held.setdefault(
                    row.deployment_id, {"templates": 0, "since": row.created_at, "until": row.expires_at}
                )
                entry["templates"] += 1
                entry["since"], entry["until"] = (
                    min(entry["since"], row.created_at),
                    max(entry["until"], row.expires_at),
                )
            images = dict(
                session.execute(
                    select(RawImageRow.deployment_id, func.count())
                    .filter_by(subject_id=subject_id)
                    .group_by(RawImageRow.deployment_id)
                ).all()
            )
            consents = [
                {
                    "deployment": c.deployment_id,
                    "kind": c.kind,
                    "form": c.form,
                    "given_by": c.given_by,
                    "notice_version": c.notice_version,
                    "given_at": c.given_at.isoformat(),
                    "withdrawn_at": c.withdrawn_at and c.withdrawn_at.isoformat(),
                    "stale_at": c.stale_at and c.stale_at.isoformat(),
                }
                for c in session.scalars(
                    select(ConsentRow).filter_by(subject_id=subject_id).order_by(ConsentRow.given_at)
                )
            ]
            methods = [
                {"deployment": c.deployment_id, "method": c.method, "since": c.created_at.isoformat()}
                for c in session.scalars(
                    select(CredentialRow).filter_by(subject_id=subject_id).order_by(CredentialRow.created_at)
                )
                if c.method not in PASSKEY_CHALLENGES.values()
            ]
        return {
            "subject": subject.id,
            "birth_date": subject.birth_date and subject.birth_date.isoformat(),
            "age_band": subject.age_band,
            "created_at": subject.created_at.isoformat(),
            "facial_data": [
                {
                    "deployment": d,
                    "templates": e["templates"],
                    "raw_images": images.get(d, 0),
                    "since": e["since"].isoformat(),
                    "until": e["until"].isoformat(),
                }
                for d, e in sorted(held.items())
            ],
            "consents": consents,
            "alternatives_set_up": methods,  # no secret: only which method, where, since when
        }

    def export(self, subject_id: str, caller: Caller = Caller()) -> dict[str, Any]:
        """The subject's own data, templates included: the one way a template leaves facegate."""
        record = self.access(subject_id)
        with self.db.session() as session:
            deployments = {d["deployment"] for d in record["facial_data"]}
            record["templates"] = [
                {"deployment": d, "id": t.id, "model": t.model_id, "vector": [round(float(x), 6) for x in t.vector]}
                for d in sorted(deployments)
                for t in self.vault.templates(session, d, subject_id)
            ]
            self._record(session, caller, "subject.export", "exported", subject=subject_id)
        return record

    def purge(self, caller: Caller = Caller(actor="system:purge")) -> dict[str, int]:
        """Delete what has passed its retention: templates, kept photos and expired one-time codes (CN25-8c)."""
        now = self.clock()
        with self.db.session(readonly=True) as session:
            expired = session.execute(
                select(TemplateRow.deployment_id, TemplateRow.subject_id)
                .where(TemplateRow.expires_at <= now)
                .distinct()
            ).all()
        removed = 0
        for deployment_id, subject_id in expired:
            with self.db.session() as session:
                if self.vault.has_templates(session, deployment_id, subject_id, after=now):
                    count = self.vault.delete_templates(session, deployment_id, subject_id, expired_at=now)
                    self._forget(deployment_id, subject_id)
                    self._record(
                        session,
                        caller,
                        "purge",
                        "deleted",
                        deployment=deployment_id,
                        subject=subject_id,
                        rule_ids=("CN25-8c",),
                    )
                else:  # nothing of the subject is left in this deployment: shred the key too
                    count = self._erase(session, deployment_id, subject_id, caller, "purge", ("CN25-8c", "PIPL-47"))
                    count = count.details["templates_deleted"]
                removed += count
        with self.db.session() as session:
            images, codes = self.vault.delete_expired(session, now)
            if images:
                self._record(session, caller, "purge", "raw_images_deleted", rule_ids=("CN25-8c",))
        return {"templates": removed, "raw_images": images, "checkin_codes": codes, "subjects": len(expired)}


def _passkey_site(rp: RelyingParty | None) -> RelyingParty:
    if rp is None:
        raise InputError("passkeys are used in a browser: set them up and check them through the portal or the API")
    return rp


def _passkey_answer(answer: str | None) -> str:
    if not answer:
        raise InputError("the browser's passkey answer (a WebAuthn credential, as JSON) is required")
    return answer


def _bounded(cache: dict) -> dict:
    """`cache`, emptied when it has grown past 10,000 entries."""
    if len(cache) > 10_000:
        cache.clear()
    return cache


def _pass_key(loaded: _Loaded, subject: Any, now: datetime) -> tuple:
    """What a subject's passed checks depend on: both rows' revisions and the date."""
    return (loaded.row.id, loaded.row.revision, subject.id, subject.revision, now.date())


@dataclass
class _Gallery:
    """One deployment's decrypted templates in memory: the index and each template's subject."""

    generation: int
    index: FaceIndex
    subjects: dict[str, str]
