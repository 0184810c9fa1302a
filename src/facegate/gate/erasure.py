"""Erasure: a subject's facial data deleted with its key shredded, dropped from memory, and a receipt left."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate.context import Context
from facegate.events import Op
from facegate.gate.decisions import Caller, Decision, Recorder
from facegate.gate.galleries import Galleries
from facegate.vault.models import DeploymentRow


class Erasure:
    """Shreds data keys, deletes templates and forgets the vectors this process holds."""

    def __init__(self, context: Context, recorder: Recorder, galleries: Galleries) -> None:
        self.context, self.recorder, self.galleries = context, recorder, galleries

    def erase(
        self,
        session: Session,
        deployment_id: str,
        subject_id: str,
        caller: Caller,
        operation: Op,
        rules: tuple[str, ...],
    ) -> Decision:
        """Shred the subject's data key for the deployment, delete their facial data, and leave a receipt."""
        removed = self.remove(session, deployment_id, subject_id)
        return self.recorder.record(
            session,
            caller,
            operation,
            "deleted",
            deployment=deployment_id,
            subject=subject_id,
            rule_ids=rules,
            details={"templates_deleted": removed},
        )

    def remove(self, session: Session, deployment_id: str, subject_id: str) -> int:
        """Shred the subject's key for the deployment and delete their facial data there; how many templates."""
        removed = self.context.vault.erase(session, deployment_id, subject_id)
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
