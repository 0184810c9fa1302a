"""Subjects, notices, consents and declines through the gate; withdrawal and deletion with their receipts."""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from facegate import policy
from facegate.context import Context
from facegate.errors import InputError, NotFoundError
from facegate.events import Op
from facegate.gate.admission import Admission, Loaded
from facegate.gate.checks import refusal
from facegate.gate.decisions import Caller, Decision, Recorder
from facegate.gate.erasure import Erasure
from facegate.vault.models import SubjectRow


@dataclass(frozen=True)
class Onboarding:
    """A consent given outside facegate (a signed form, a kiosk), recorded at a bulk import: the notice version the
    subject was shown, the consent's form, who gave it, and the evidence (channel and time)."""

    notice_version: int
    evidence_ref: str
    form: str = "separate"
    given_by: str = "subject"
    guardian_ref: str | None = None


class Subjects:
    """The people a deployment may recognise, what they were told, what they agreed to, and their erasure."""

    def __init__(self, context: Context, recorder: Recorder, admission: Admission, erasure: Erasure) -> None:
        self.context, self.recorder, self.admission, self.erasure = context, recorder, admission, erasure
        self.db, self.vault = context.db, context.vault

    def add_subject(
        self,
        subject_id: str | None = None,
        birth_date: date | None = None,
        age_band: str | None = None,
        guardian_ref: str | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """Create a subject under a pseudonymous ID."""
        caller = caller or Caller()
        with self.db.session() as session:
            row = self.vault.add_subject(session, self.context.clock(), subject_id, birth_date, age_band, guardian_ref)
            return self.recorder.record(session, caller, Op.SUBJECT_ADD, "added", subject=row.id)

    def notice_shown(
        self, deployment_id: str, subject_id: str, version: int | None = None, caller: Caller | None = None
    ) -> Decision:
        """Record that the subject was shown the deployment's current notice (CN25-5b)."""
        caller = caller or Caller()
        with self.db.session() as session:
            return self._record_notice(session, deployment_id, subject_id, version, caller)

    def _record_notice(
        self, session: Session, deployment_id: str, subject_id: str, version: int | None, caller: Caller
    ) -> Decision:
        current = self.admission.load(session, deployment_id).spec.notice.version
        self.admission.subject(session, subject_id)
        if version is not None and version != current:
            raise InputError(f"the current notice of {deployment_id} is version {current}, not {version}")
        self.vault.record_notice_shown(session, deployment_id, subject_id, current, self.context.clock())
        return self.recorder.record(
            session, caller, Op.NOTICE_SHOWN, f"v{current}", deployment=deployment_id, subject=subject_id
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
        caller: Caller | None = None,
    ) -> Decision:
        """Record a separate (or written) consent, bound to the current notice version."""
        caller = caller or Caller()
        if form not in ("separate", "written") or given_by not in ("subject", "guardian"):
            raise InputError("consent form must be separate or written, given by subject or guardian")
        with self.db.session(readonly=True) as session:
            loaded = self.admission.load(session, deployment_id)
            subject = self.admission.subject(session, subject_id)
            standing = self.vault.standing(session, deployment_id, subject_id)
        spec = loaded.spec
        guardian_ref = guardian_ref or (subject.guardian_ref if given_by == "guardian" else None)
        with self.recorder.guarded(caller, Op.CONSENT_GIVE, deployment=deployment_id, subject=subject_id):
            self._check_consent(
                loaded, subject_id, standing, form, given_by, guardian_ref, evidence_ref, subject_initiated
            )
        if kind == "raw_image_retention" and spec.storage.raw_images != "retain_with_consent":
            raise InputError(f"deployment {deployment_id} discards raw images; there is nothing to consent to")
        if kind == "cross_border" and not any(r.abroad for r in spec.recipients):
            raise InputError(f"deployment {deployment_id} sends no facial data abroad; nothing to consent to")
        with self.db.session() as session:
            return self._record_consent(session, loaded, subject_id, kind, form, given_by, guardian_ref, evidence_ref,
                                        caller)  # fmt: skip

    def _check_consent(
        self,
        loaded: Loaded,
        subject_id: str,
        standing: Any,
        form: str,
        given_by: str,
        guardian_ref: str | None,
        evidence_ref: str | None,
        subject_initiated: bool,
    ) -> None:
        """Refuse a consent the rules do not let facegate record (its notice not shown, asked again too soon, ...)."""
        spec, deployment_id = loaded.spec, loaded.row.id
        if loaded.row.status == policy.Status.RETIRED:
            raise refusal(spec, f"deployment {deployment_id} is retired", ["CN25-15d/e"])
        if spec.notice.version not in standing.notice_versions:
            raise refusal(spec, "consent needs the current notice shown first", ["CN25-5b", "PIPL-17"])
        window = timedelta(hours=int(self.context.settings.get("reprompt_block_hours")))
        declined = standing.last_decline
        if declined is not None and self.context.clock() - declined < window and not subject_initiated:
            raise refusal(
                spec,
                f"subject {subject_id} declined face recognition less than {window / timedelta(hours=1):.0f} h ago; "
                "do not ask again unless they ask",
                ["CN25-12b", "NDSR-22", "FG-3"],
            )
        if form == "written" and not evidence_ref:
            raise refusal(spec, "a written consent needs the signed artefact (evidence_ref)", ["CN25-6a/b"])
        if given_by == "guardian" and not guardian_ref:
            raise refusal(spec, "a guardian's consent needs the guardian's identity", ["CN25-7a/b"])

    def _record_consent(
        self,
        session: Session,
        loaded: Loaded,
        subject_id: str,
        kind: str,
        form: str,
        given_by: str,
        guardian_ref: str | None,
        evidence_ref: str | None,
        caller: Caller,
    ) -> Decision:
        row = self.vault.add_consent(
            session,
            subject_id=subject_id,
            deployment_id=loaded.row.id,
            kind=kind,
            form=form,
            given_by=given_by,
            guardian_ref=guardian_ref,
            evidence_ref=evidence_ref,
            notice_version=loaded.spec.notice.version,
            given_at=self.context.clock(),
        )
        return self.recorder.record(
            session,
            caller,
            Op.CONSENT_GIVE,
            "given",
            deployment=loaded.row.id,
            subject=subject_id,
            details={"consent_id": row.id, "kind": kind},
        )

    def record_onboarding(self, session: Session, deployment_id: str, subject_id: str, consent: Onboarding,
                          caller: Caller) -> None:  # fmt: skip
        """In `session` (an enrollment's transaction): add the subject when new, record the notice shown and the
        separate consent to facial processing, with the checks `notice_shown` and `give_consent` make."""
        if session.get(SubjectRow, subject_id) is None:
            row = self.vault.add_subject(session, self.context.clock(), subject_id)
            self.recorder.record(session, caller, Op.SUBJECT_ADD, "added", subject=row.id)
        self._record_notice(session, deployment_id, subject_id, consent.notice_version, caller)
        session.flush()
        loaded = self.admission.load(session, deployment_id)
        subject = self.admission.subject(session, subject_id)
        guardian_ref = consent.guardian_ref or (subject.guardian_ref if consent.given_by == "guardian" else None)
        standing = self.vault.standing(session, deployment_id, subject_id)
        self._check_consent(loaded, subject_id, standing, consent.form, consent.given_by, guardian_ref,
                            consent.evidence_ref, False)  # fmt: skip
        self._record_consent(session, loaded, subject_id, "facial_processing", consent.form, consent.given_by,
                             guardian_ref, consent.evidence_ref, caller)  # fmt: skip

    def decline(self, deployment_id: str, subject_id: str, caller: Caller | None = None) -> Decision:
        """The subject chooses a non-biometric method: no face prompt follows, the alternatives are named."""
        caller = caller or Caller()
        with self.db.session() as session:
            loaded = self.admission.load(session, deployment_id)
            self.admission.subject(session, subject_id)
            self.vault.record_decline(session, deployment_id, subject_id, self.context.clock())
            return self.recorder.record(
                session,
                caller,
                Op.DECLINE,
                "declined",
                deployment=deployment_id,
                subject=subject_id,
                rule_ids=("CN25-10b", "CN25-12b"),
                details={"alternatives": list(loaded.spec.alternatives)},
            )

    def withdraw(self, deployment_id: str, subject_id: str, caller: Caller | None = None) -> Decision:
        """Withdraw the subject's consents for the deployment and delete their facial data at once (CN25-6d)."""
        caller = caller or Caller()
        with self.db.session(readonly=True) as session:
            self.admission.load(session, deployment_id)
            self.admission.subject(session, subject_id)
        return self.erasure.erase(deployment_id, subject_id, caller, Op.CONSENT_WITHDRAW, ("CN25-6d", "PIPL-47"))

    def link_nonce(self, subject_id: str) -> str:
        """The nonce a portal link for this subject record carries (NotFoundError for an unknown subject)."""
        with self.db.session() as session:
            return self.vault.link_nonce(session, subject_id)

    def portal_link(self, subject_id: str, deployment_id: str, caller: Caller) -> str:
        """The nonce for a portal link made by `caller`, recorded in the audit log (never the link); only for a
        subject with a record in `deployment_id` (else NotFoundError, as for an unknown subject)."""
        with self.db.session() as session:
            self.admission.subject(session, subject_id)
            if deployment_id not in self.vault.deployments_of(session, subject_id):
                raise NotFoundError(f"unknown subject {subject_id!r}")
            nonce = self.vault.link_nonce(session, subject_id)
            self.recorder.record(session, caller, Op.SUBJECT_LINK, "made", deployment=deployment_id, subject=subject_id)
            return nonce

    def link_valid(self, subject_id: str, nonce: str) -> bool:
        """Whether a link carrying `nonce` still opens the subject: same record, links not revoked since."""
        with self.db.session(readonly=True) as session:
            row = session.get(SubjectRow, subject_id)
            return row is not None and bool(row.link_nonce) and secrets.compare_digest(row.link_nonce or "", nonce)

    def revoke_links(self, subject_id: str, caller: Caller | None = None) -> Decision:
        """Revoke every portal link made for the subject so far (a new one can be made afterwards)."""
        caller = caller or Caller()
        with self.db.session() as session:
            self.vault.link_nonce(session, subject_id, renew=True)
            return self.recorder.record(session, caller, Op.SUBJECT_LINKS_REVOKED, "revoked", subject=subject_id)

    def subject_deployments(self, subject_id: str) -> set[str]:
        """The deployments in which a subject has any record (for access control in the faces)."""
        with self.db.session(readonly=True) as session:
            self.admission.subject(session, subject_id)
            return self.vault.deployments_of(session, subject_id)

    def delete_subject(self, subject_id: str, caller: Caller | None = None) -> Decision:
        """Delete a subject everywhere: data keys shredded, rows removed, a deletion receipt in the audit log."""
        caller = caller or Caller()
        with self.db.session(readonly=True) as session:
            self.admission.subject(session, subject_id)
        return self.erasure.erase(None, subject_id, caller, Op.SUBJECT_DELETE, ("PIPL-47",))
