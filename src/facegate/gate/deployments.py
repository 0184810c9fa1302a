"""Deployments through the gate: register, update, activate, retire, and what is registered."""

from contextlib import suppress
from typing import Any

from sqlalchemy import func, select, union

from facegate import events, policy
from facegate.audit import listing
from facegate.audit.log import connection
from facegate.clock import beijing_date
from facegate.context import Context
from facegate.errors import InputError, RefusedError
from facegate.events import Op
from facegate.gate.admission import Admission
from facegate.gate.decisions import Caller, Decision, Recorder
from facegate.gate.engines import EngineHost
from facegate.gate.erasure import Erasure
from facegate.policy import claims
from facegate.vault.models import DeploymentRow, RawImageRow, TemplateRow


class Deployments:
    """A deployment's lifecycle: every change is checked against the rules and audited."""

    def __init__(
        self, context: Context, recorder: Recorder, admission: Admission, erasure: Erasure, engines: EngineHost
    ) -> None:
        self.context, self.recorder, self.admission, self.erasure, self.engines = (
            context,
            recorder,
            admission,
            erasure,
            engines,
        )
        self.db, self.vault = context.db, context.vault

    def _accuracy(self, spec: policy.Deployment) -> Any:
        """The model's operating points for ACC-1, for a 1:N spec (the biometric part of the gate knows the model)."""
        return self.engines.operating_points() if spec.modality == "identification" else None

    def register(
        self,
        spec: policy.Deployment,
        caller: Caller | None = None,
        profiles: tuple[str, ...] = (policy.DEFAULT_PROFILE,),
        activate: bool = True,
    ) -> Decision:
        """Register a deployment whose spec `facegate check` allows; activate it unless `activate` is False."""
        caller = caller or Caller()
        now = self.context.clock()
        accuracy = self._accuracy(spec)
        report = policy.evaluate(
            spec, profiles, today=beijing_date(now), settings=self.context.settings, accuracy=accuracy
        )
        status = policy.Status.DRAFT
        with self.recorder.guarded(caller, Op.DEPLOYMENT_REGISTER, deployment=spec.id):
            if report.blocking:
                fields = ", ".join(dict.fromkeys(str(f.field) for f in report.blocking))
                raise RefusedError(f"deployment {spec.id} has blocking findings ({fields})", report.blocking_rule_ids)
            self.admission.check_kind(spec)
            if activate and not self._unrecorded(spec):
                today = beijing_date(now)
                status = policy.activate(status, spec, today=today, profiles=profiles, settings=self.context.settings)
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
            return self.recorder.record(
                session,
                caller,
                Op.DEPLOYMENT_REGISTER,
                str(status),
                deployment=spec.id,
                details={"verdict": report.verdict, "findings": findings},
            )

    def update(self, spec: policy.Deployment, caller: Caller | None = None) -> Decision:
        """Replace a deployment's spec; a §5.6 change suspends it and makes the affected consents stale."""
        caller = caller or Caller()
        now = self.context.clock()
        with self.db.session(readonly=True) as session:
            loaded = self.admission.load(session, spec.id)
        old, status, profiles = loaded.spec, policy.Status(loaded.row.status), loaded.profiles
        accuracy = self._accuracy(spec)
        report = policy.evaluate(
            spec, profiles, today=beijing_date(now), settings=self.context.settings, accuracy=accuracy
        )
        with self.recorder.guarded(caller, Op.DEPLOYMENT_UPDATE, deployment=spec.id):
            if report.blocking:
                raise RefusedError(f"the new spec of {spec.id} has blocking findings", report.blocking_rule_ids)
            new_status = policy.after_change(status, old, spec)
        since = beijing_date(now) if new_status == policy.Status.NEEDS_REASSESSMENT else loaded.row.reassessment_since
        if new_status in (policy.Status.DRAFT, policy.Status.NEEDS_REASSESSMENT):
            with suppress(RefusedError):  # a spec with a newly approved impact assessment comes back at once
                new_status = policy.activate(
                    new_status,
                    spec,
                    today=beijing_date(now),
                    profiles=profiles,
                    settings=self.context.settings,
                    reassessment_since=since,
                )
        staleness = policy.stale_consents(old, spec)
        with self.db.session() as session:
            row = self.vault.deployment(session, spec.id)
            row.spec, row.status, row.updated_at = spec.model_dump_json(), new_status, now
            row.revision += 1
            row.reassessment_since = since if new_status != policy.Status.ACTIVE else None
            stale = self.vault.mark_consents_stale(session, spec.id, staleness.consents, now) if staleness.stale else 0
            rules: tuple[str, ...] = ("CN25-9d",) if new_status == policy.Status.NEEDS_REASSESSMENT else ()
            rules += ("CN25-6e",) if stale else ()
            triggers = [c.trigger for c in policy.reassessment_triggers(old, spec)]
            return self.recorder.record(
                session,
                caller,
                Op.DEPLOYMENT_UPDATE,
                str(new_status),
                deployment=spec.id,
                rule_ids=rules,
                details={"triggers": triggers, "stale_consents": stale},
            )

    def activate(self, deployment_id: str, caller: Caller | None = None) -> Decision:
        """Activate a draft or suspended deployment: no BLOCK finding and an approved impact assessment."""
        caller = caller or Caller()
        now = self.context.clock()
        with self.db.session(readonly=True) as session:
            loaded = self.admission.load(session, deployment_id)
        with self.recorder.guarded(caller, Op.DEPLOYMENT_ACTIVATE, deployment=deployment_id):
            missing = self._unrecorded(loaded.spec)
            if missing:
                raise RefusedError(
                    f"deployment {deployment_id} rests on attestations no reviewer has recorded "
                    f"({', '.join(missing)}): a reviewer key records each (facegate deployment attest, POST "
                    ".../attestations) before activation",
                    [policy.CLAIM_RULES[c] for c in missing],
                )
            status = policy.activate(
                policy.Status(loaded.row.status),
                loaded.spec,
                today=beijing_date(now),
                profiles=loaded.profiles,
                settings=self.context.settings,
                reassessment_since=loaded.row.reassessment_since,
            )
        return self._set_status(deployment_id, status, Op.DEPLOYMENT_ACTIVATE, caller)

    def retire(self, deployment_id: str, caller: Caller | None = None) -> Decision:
        """Retire a deployment: it stops, and every template it holds is deleted (CN25-15d/e)."""
        caller = caller or Caller()
        with self.db.session(readonly=True) as session:
            loaded = self.admission.load(session, deployment_id)
        decision = self._set_status(
            deployment_id, policy.retire(policy.Status(loaded.row.status)), Op.DEPLOYMENT_RETIRE, caller
        )
        with self.db.session(readonly=True) as session:
            held = (select(t.subject_id).filter_by(deployment_id=deployment_id) for t in (TemplateRow, RawImageRow))
            subjects = sorted(set(session.scalars(union(*held))))  # a kept photo without a template goes too
        for subject_id in subjects:
            self.erasure.erase(deployment_id, subject_id, caller, Op.RETIRE, ("CN25-15d/e", "PIPL-47"))
        return decision

    def record_incident(
        self,
        deployment_id: str,
        level: str,
        description: str,
        *,
        off_device_movement: bool = False,
        caller: Caller | None = None,
    ) -> Decision:
        """Record a security incident; a major one (§8 Q14) suspends the deployment until a new assessment (CN25-9d).

        The description is the operator's account of what happened; it must hold no biometric data.
        """
        caller = caller or Caller()
        now = self.context.clock()
        if not description or not description.strip():
            raise InputError("an incident needs a description of what happened")
        if len(description) > 2000:
            raise InputError("the incident description is longer than 2,000 characters")
        with self.db.session(readonly=True) as session:
            loaded = self.admission.load(session, deployment_id)
        status = policy.Status(loaded.row.status)
        new_status = policy.after_incident(
            status, level, off_device_movement=off_device_movement, settings=self.context.settings
        )
        reopened = new_status == policy.Status.NEEDS_REASSESSMENT and status != new_status
        with self.db.session() as session:
            row = self.vault.deployment(session, deployment_id)
            if reopened:
                row.status, row.updated_at, row.reassessment_since = new_status, now, beijing_date(now)
                row.revision += 1
            return self.recorder.record(
                session,
                caller,
                Op.INCIDENT_RECORD,
                str(new_status),
                deployment=deployment_id,
                rule_ids=("CN25-9d", "PIPL-51") if reopened else ("PIPL-51",),
                details={
                    "level": level,
                    "off_device_movement": off_device_movement,
                    "description": description.strip(),
                    "reassessment_opened": reopened,
                },
            )

    def attest(
        self,
        deployment_id: str,
        claim: str,
        reviewer: str,
        document: str,
        caller: Caller | None = None,
    ) -> Decision:
        """A reviewer (DPO or counsel) attests a claim of the deployment's spec (regulation.md §4.8), audited.

        The reviewer must be someone other than the actor who registered the deployment.
        """
        caller = caller or Caller()
        now = self.context.clock()
        if claim not in policy.ATTESTABLE_CLAIMS:
            raise InputError(f"unknown claim {claim!r}: use one of {', '.join(policy.ATTESTABLE_CLAIMS)}")
        if not reviewer.strip() or not document.strip():
            raise InputError("an attestation names the reviewer and the document relied on")
        with self.db.session(readonly=True) as session:
            self.admission.load(session, deployment_id)
            authors = self._authors(session, deployment_id)
        with self.recorder.guarded(caller, Op.DEPLOYMENT_ATTEST, deployment=deployment_id):
            if caller.actor in authors:
                raise RefusedError(
                    f"{caller.actor} registered or changed {deployment_id}; an attestation needs a distinct reviewer",
                    [policy.CLAIM_RULES[claim]],
                )
            if claim != "text_reading" and claims.denies(document):
                raise RefusedError(
                    f"the attestation's own text denies the evidence it attests ({document.strip()!r}); attest only "
                    "a document that exists and is in force",
                    [policy.CLAIM_RULES[claim]],
                )
        with self.db.session() as session:
            return self.recorder.record(
                session,
                caller,
                Op.DEPLOYMENT_ATTEST,
                "attested",
                deployment=deployment_id,
                rule_ids=(policy.CLAIM_RULES[claim],),
                details={"claim": claim, "reviewer": reviewer.strip(), "document": document.strip(),
                         "attested_on": beijing_date(now).isoformat()},
                audit_fields={"attestation": {"claim": claim, "reviewer": reviewer.strip(),
                                              "document": document.strip()}},
            )  # fmt: skip

    def _unrecorded(self, spec: policy.Deployment) -> list[str]:
        """The claims the spec rests on an attestation for that no reviewer has recorded in the audit log (§4.8)."""
        relied = [
            name for name in claims.made(spec)
            if (found := claims.claim(spec, name)).attestation is not None and found.provision is None
        ]  # fmt: skip
        if not relied:
            return []
        with self.db.session(readonly=True) as session:
            authors = self._authors(session, spec.id)
            entries = listing.page(
                connection(session), listing.Filters(operation=Op.DEPLOYMENT_ATTEST, deployment=spec.id), size=500
            ).entries
        attested = [events.read(e) for e in entries]
        recorded = {r.attestation.get("claim") for r in attested if r.attestation and r.actor not in authors}
        return [name for name in relied if not recorded & set(claims.ATTESTABLE[name])]

    def _authors(self, session: Any, deployment_id: str) -> set[str]:
        """The actors who registered or changed the deployment's spec: none of them may attest its claims."""
        actors: set[str] = set()
        for operation in (Op.DEPLOYMENT_REGISTER, Op.DEPLOYMENT_UPDATE):
            found = listing.page(
                connection(session), listing.Filters(operation=operation, deployment=deployment_id), size=500
            )
            actors |= {events.read(e).actor for e in found.entries}
        return actors

    def _set_status(self, deployment_id: str, status: policy.Status, operation: Op, caller: Caller) -> Decision:
        with self.db.session() as session:
            row = self.vault.deployment(session, deployment_id)
            row.status, row.updated_at = status, self.context.clock()
            row.revision += 1
            return self.recorder.record(session, caller, operation, str(status), deployment=deployment_id)

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
            loaded = self.admission.load(session, deployment_id)
        return loaded.spec, loaded.profiles
