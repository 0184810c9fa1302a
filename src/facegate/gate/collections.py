"""A deployment's subjects and their enrollments, a page at a time, and the deletion of one template.

Reading lists no biometric data (template IDs, models and dates only); deleting a template is a gate decision,
audited in the transaction of its effect, and the gallery forgets it at once.
"""

from typing import Any

from sqlalchemy import delete, select, union

from facegate.context import Context
from facegate.errors import NotFoundError
from facegate.events import Op
from facegate.gate.decisions import Caller, Decision, Recorder
from facegate.store import rowcount
from facegate.vault.models import ConsentRow, DeclineRow, NoticeShownRow, RawImageRow, TemplateRow


class Collections:
    """The subjects a deployment knows (notice shown, consent, decline or template) and their templates."""

    def __init__(self, context: Context, recorder: Recorder) -> None:
        self.context, self.recorder = context, recorder
        self.db, self.vault = context.db, context.vault

    def subjects(self, deployment_id: str, limit: int = 100, after: str | None = None) -> list[dict[str, Any]]:
        """The deployment's subjects by ID, `limit` of them after `after`: consent state and templates."""
        with self.db.session(readonly=True) as session:
            self.vault.deployment(session, deployment_id)
            known = union(
                *(select(t.subject_id.label("id")).where(t.deployment_id == deployment_id)
                  for t in (NoticeShownRow, ConsentRow, DeclineRow, TemplateRow))
            ).subquery()  # fmt: skip
            query = select(known.c.id).order_by(known.c.id).limit(limit)
            if after is not None:
                query = query.where(known.c.id > after)
            ids = list(session.scalars(query))
            if not ids:
                return []
            templates: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
            rows = session.execute(
                select(TemplateRow.id, TemplateRow.subject_id, TemplateRow.model_id, TemplateRow.created_at,
                       TemplateRow.expires_at)
                .where(TemplateRow.deployment_id == deployment_id, TemplateRow.subject_id.in_(ids))
                .order_by(TemplateRow.created_at, TemplateRow.id)
            )  # fmt: skip
            for row in rows:
                templates[row.subject_id].append(
                    {"id": row.id, "model": row.model_id, "created_at": row.created_at.isoformat(),
                     "expires_at": row.expires_at.isoformat()}
                )  # fmt: skip
            consents: dict[str, str] = {}
            for consent in session.execute(
                select(ConsentRow.subject_id, ConsentRow.withdrawn_at, ConsentRow.stale_at)
                .where(ConsentRow.deployment_id == deployment_id, ConsentRow.kind == "facial_processing")
                .where(ConsentRow.subject_id.in_(ids))
                .order_by(ConsentRow.given_at)
            ):
                consents[consent.subject_id] = (
                    "withdrawn" if consent.withdrawn_at else "stale" if consent.stale_at else "given"
                )  # the latest consent says where the subject stands
            return [{"subject": i, "consent": consents.get(i, "none"), "templates": templates[i]} for i in ids]

    def delete_template(
        self, deployment_id: str, subject_id: str, template_id: str, caller: Caller | None = None
    ) -> Decision:
        """Delete one of the subject's templates in the deployment (the others stay); audited."""
        caller = caller or Caller()
        with self.db.session() as session:
            self.vault.deployment(session, deployment_id)
            removed = rowcount(session.execute(
                delete(TemplateRow).filter_by(id=template_id, deployment_id=deployment_id, subject_id=subject_id)
            ))
            if not removed:
                raise NotFoundError(f"no template {template_id!r} of {subject_id!r} in {deployment_id!r}")
            where = {"deployment_id": deployment_id, "subject_id": subject_id}
            photos = 0
            if session.scalar(select(TemplateRow.id).filter_by(**where).limit(1)) is None:
                # the last template: the photos kept to enroll again have nothing left to serve (CN25-8c)
                photos = rowcount(session.execute(delete(RawImageRow).filter_by(**where)))
            self.vault.bump_gallery(session, deployment_id)
            self.vault.touch(session, subject_id)  # no process keeps verifying against the deleted template
            self.vault.scrub_after_commit(session)
            return self.recorder.record(
                session, caller, Op.TEMPLATE_DELETE, "deleted", deployment=deployment_id, subject=subject_id,
                details={"template_id": template_id, "templates_deleted": 1, "raw_images_deleted": photos},
            )  # fmt: skip
