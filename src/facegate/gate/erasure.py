"""Erasure: a subject's facial data deleted with its key shredded, dropped from memory, and a receipt left, journaled
so that a killed process's erasure is finished later; a device's whole wipe (every key of some deployments
shredded) the same way."""

import contextlib
import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from facegate.context import Context
from facegate.errors import KeyUnavailableError
from facegate.events import Op
from facegate.gate.decisions import Caller, Decision, Recorder
from facegate.gate.galleries import Galleries
from facegate.gate.models import ErasureRow
from facegate.placement import HubLinkRow
from facegate.store import rowcount
from facegate.vault.models import CredentialRow, DeploymentRow, RawImageRow, SubjectRow, TemplateRow

WIPE_RULES = ("CN25-6d", "PIPL-47")


class Erasure:
    """Shreds data keys, deletes templates and forgets the vectors this process holds."""

    def __init__(self, context: Context, recorder: Recorder, galleries: Galleries) -> None:
        self.context, self.recorder, self.galleries = context, recorder, galleries

    def erase(
        self, deployment_id: str | None, subject_id: str, caller: Caller, operation: Op, rules: tuple[str, ...]
    ) -> Decision:
        """Erase the subject's facial data in one deployment (every one when None) and leave a receipt.

        The erasure is journaled first; then, in one transaction, the subject's keys are shredded (the key store
        commits at once: what is left can no longer be read), the rows deleted, the journal entry removed and the
        receipt appended. A process killed in between leaves the journal entry, and `resume` finishes it.
        A consent withdrawal withdraws the consents in that transaction too; a subject deletion deletes the subject.
        """
        row = ErasureRow(
            id=str(uuid.uuid4()),
            operation=operation.value,
            actor=caller.actor,
            request_id=caller.request_id,
            deployment_id=deployment_id,
            subject_id=subject_id,
            rule_ids=",".join(rules),
            requested_at=self.context.clock(),
        )
        with self.context.db.session() as session:
            session.add(row)
        with self.context.db.session() as session:
            decision = self._finish(session, row, resuming=False)
        assert decision is not None  # only a resumption can find its entry taken
        return decision

    def resume(self) -> int:
        """Finish the erasures a killed process left under way (at start and at each purge); how many."""
        with self.context.db.session(readonly=True) as session:
            rows = list(session.scalars(select(ErasureRow).order_by(ErasureRow.requested_at)))
        finished = 0
        for row in rows:
            with self.context.db.session() as session:
                finished += self._finish(session, row, resuming=True) is not None
        return finished

    def _finish(self, session: Session, row: ErasureRow, resuming: bool) -> Decision | None:
        claimed = rowcount(session.execute(delete(ErasureRow).where(ErasureRow.id == row.id)))
        if resuming and not claimed:
            return None  # another process finished it
        operation, subject_id, vault = Op(row.operation), row.subject_id, self.context.vault
        subject = session.get(SubjectRow, subject_id, with_for_update=True)  # no enrollment slips in
        if operation == Op.SUBJECT_DELETE:
            self.shred(subject_id)
        if row.deployment_id is not None:
            deployments = [row.deployment_id]
        else:
            query = select(TemplateRow.deployment_id).filter_by(subject_id=subject_id).distinct()
            deployments = sorted(session.scalars(query))
        removed = 0
        withdrawal = operation == Op.CONSENT_WITHDRAW
        for deployment_id in deployments:
            if withdrawal:
                vault.withdraw_consents(session, deployment_id, subject_id, self.context.clock())
            removed += self.remove(session, deployment_id, subject_id, keep_credentials=withdrawal)
        if operation == Op.SUBJECT_DELETE and subject is not None:
            session.delete(subject)
            vault.scrub_after_commit(session, keys=True)  # photos, codes and sealed secrets go with the subject
        return self.recorder.record(
            session,
            Caller(row.actor, row.request_id),
            operation,
            "deleted",
            deployment=row.deployment_id,
            subject=subject_id,
            rule_ids=tuple(row.rule_ids.split(",")),
            details={"templates_deleted": removed},
        )

    def remove(self, session: Session, deployment_id: str, subject_id: str, keep_credentials: bool = False) -> int:
        """Shred the subject's key for the deployment and delete their facial data there; how many templates.

        The non-biometric credentials go too, unless kept (a withdrawal of consent to the face, after which they are
        the subject's way in, CN25-10b): then a TOTP secret is sealed again under a new key (lost, and its row
        deleted, only if this process had already shredded the key before a crash).
        """
        vault, where = self.context.vault, {"deployment_id": deployment_id, "subject_id": subject_id}
        totp, totps = select(CredentialRow).filter_by(**where, method="totp"), {}
        for credential in session.scalars(totp) if keep_credentials else ():
            with contextlib.suppress(KeyUnavailableError):
                totps[credential.id] = vault.open_secret(deployment_id, subject_id, credential.secret)
        removed = vault.erase(session, deployment_id, subject_id)
        if keep_credentials:
            for credential in session.scalars(totp):
                if credential.id in totps:
                    credential.secret = vault.seal_secret(deployment_id, subject_id, totps[credential.id])
                else:
                    session.delete(credential)
        else:
            session.execute(delete(CredentialRow).filter_by(**where))
        column = DeploymentRow.gallery_generation
        generation = session.scalar(select(column).where(DeploymentRow.id == deployment_id)) if removed else None
        self.galleries.forget(deployment_id, subject_id, generation)
        return removed

    def forget(self, deployment_id: str, subject_id: str) -> None:
        """Drop a deleted subject's vectors from memory now."""
        self.galleries.forget(deployment_id, subject_id)

    def shred(self, subject_id: str) -> None:
        """Shred every data key of the subject (what is left of their data can no longer be read)."""
        keystore = self.context.vault.keystore
        for name in keystore.subject_keys(subject_id):
            keystore.shred(name.split("/")[1], subject_id)

    def wipe(self, deployment_ids: list[str] | None, touched: list[str], reason: str, actor: str) -> dict[str, Any]:
        """Shred every key of these deployments (all when None), delete their templates and kept photos, mark the
        device's link wiped, and record one `device.wipe` per deployment; what was removed."""
        now = self.context.clock()
        vault = self.context.vault
        keys = vault.keystore.shred_deployments(deployment_ids)
        caller = Caller(actor)
        with self.context.db.session() as session:
            doomed_templates, doomed_images = delete(TemplateRow), delete(RawImageRow)
            if deployment_ids is not None:
                doomed_templates = doomed_templates.where(TemplateRow.deployment_id.in_(deployment_ids))
                doomed_images = doomed_images.where(RawImageRow.deployment_id.in_(deployment_ids))
            templates = rowcount(session.execute(doomed_templates))
            session.execute(doomed_images)
            for deployment_id in touched:
                vault.bump_gallery(session, deployment_id)  # every 1:N index in memory is rebuilt, empty
            link = session.get(HubLinkRow, 1)
            if link is not None:
                link.wiped_at, link.wipe_reason, link.wipe_acked_at = now, reason, None
            wiped: list[str | None] = [*touched] or [None]  # a device with no deployment still records its wipe
            for which in wiped:
                outcome = f"keys_shredded_{reason}"
                self.recorder.record(session, caller, Op.DEVICE_WIPE, outcome, deployment=which,
                                     rule_ids=WIPE_RULES)  # fmt: skip
            vault.scrub_after_commit(session)
        return {"reason": reason, "deployments": touched, "keys_shredded": keys, "templates_deleted": templates,
                "at": now.isoformat()}  # fmt: skip
