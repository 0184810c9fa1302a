"""The subjects a console lists, a page at a time, searched by ID prefix: where each stands in each deployment
(notice shown, consent, decline, templates). Reads only; lists no biometric data (template IDs and dates only)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, union

from facegate.context import Context
from facegate.vault.models import ConsentRow, DeclineRow, NoticeShownRow, SubjectRow, TemplateRow

RECORDS = (NoticeShownRow, ConsentRow, DeclineRow, TemplateRow)


class Roster:
    """Subjects by ID with their standing per deployment."""

    def __init__(self, context: Context) -> None:
        self.db = context.db

    def page(
        self, deployments: Sequence[str] | None, prefix: str = "", limit: int = 50, after: str | None = None
    ) -> list[dict[str, Any]]:
        """`limit` subjects after `after` whose ID starts with `prefix`, each with its standing in `deployments`.

        `deployments=None`: every subject (one added but not yet in any deployment too), standing everywhere;
        a list: the subjects those deployments hold a record of, standing in those only.
        """
        with self.db.session(readonly=True) as session:
            column: Any
            if deployments is None:
                column = SubjectRow.id
                ids_query = select(column)
            else:
                known = union(*(select(t.subject_id.label("id")).where(t.deployment_id.in_(deployments))
                                for t in RECORDS)).subquery()  # fmt: skip
                column = known.c.id
                ids_query = select(column)
            if prefix:
                ids_query = ids_query.where(column.startswith(prefix, autoescape=True))
            if after is not None:
                ids_query = ids_query.where(column > after)
            ids = list(session.scalars(ids_query.order_by(column).limit(limit)))
            if not ids:
                return []
            standing: dict[str, dict[str, dict[str, Any]]] = {i: {} for i in ids}

            def at(subject: str, deployment: str) -> dict[str, Any]:
                return standing[subject].setdefault(deployment, {
                    "deployment": deployment, "notice": None, "consent": "none", "declined": False, "templates": [],
                })  # fmt: skip

            def scoped(query: Any, table: Any) -> Any:
                query = query.where(table.subject_id.in_(ids))
                return query if deployments is None else query.where(table.deployment_id.in_(deployments))

            notices = select(NoticeShownRow.subject_id, NoticeShownRow.deployment_id,
                             func.max(NoticeShownRow.notice_version)).group_by(
                                 NoticeShownRow.subject_id, NoticeShownRow.deployment_id)  # fmt: skip
            for subject, deployment, version in session.execute(scoped(notices, NoticeShownRow)):
                at(subject, deployment)["notice"] = version
            consents = select(ConsentRow.subject_id, ConsentRow.deployment_id, ConsentRow.withdrawn_at,
                              ConsentRow.stale_at).where(ConsentRow.kind == "facial_processing")  # fmt: skip
            for row in session.execute(scoped(consents, ConsentRow).order_by(ConsentRow.given_at)):
                at(row.subject_id, row.deployment_id)["consent"] = (
                    "withdrawn" if row.withdrawn_at else "stale" if row.stale_at else "given"
                )  # the latest consent says where the subject stands
            for subject, deployment in session.execute(
                scoped(select(DeclineRow.subject_id, DeclineRow.deployment_id), DeclineRow)
            ):
                at(subject, deployment)["declined"] = True
            templates = select(TemplateRow.id, TemplateRow.subject_id, TemplateRow.deployment_id,
                               TemplateRow.created_at).order_by(TemplateRow.created_at, TemplateRow.id)  # fmt: skip
            for row in session.execute(scoped(templates, TemplateRow)):
                at(row.subject_id, row.deployment_id)["templates"].append(
                    {"id": row.id, "created_at": row.created_at.isoformat()}
                )
        return [{"subject": i, "deployments": [standing[i][d] for d in sorted(standing[i])]} for i in ids]
