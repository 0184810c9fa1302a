"""The consent standing that travels between hub and device, read from the vault's tables (never a template).

For each subject: their age facts and, per deployment, the notice versions shown, every consent with its
times, and the last decline. Times are ISO 8601 UTC text on the wire.
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate.vault.models import ConsentRow, DeclineRow, NoticeShownRow, SubjectRow, TemplateRow

CONSENT_FIELDS = ("kind", "form", "given_by", "guardian_ref", "evidence_ref", "notice_version")


def iso(moment: date | datetime | None) -> str | None:
    """A time as ISO text, or None."""
    return None if moment is None else moment.isoformat()


def standings(
    session: Session, deployment_ids: Iterable[str], subject_ids: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """The standing of the given subjects (every subject with a record there when None) in the deployments."""
    deployments = sorted(set(deployment_ids))
    if not deployments:
        return []
    wanted = None if subject_ids is None else sorted(set(subject_ids))
    if wanted is not None and not wanted:
        return []

    def scoped(query: Any, model: Any) -> Any:
        query = query.where(model.deployment_id.in_(deployments))
        return query if wanted is None else query.where(model.subject_id.in_(wanted))

    out: dict[str, dict[str, Any]] = {}

    def entry(subject_id: str, deployment_id: str) -> dict[str, Any]:
        per: dict[str, dict[str, Any]] = out.setdefault(subject_id, {})
        return per.setdefault(deployment_id, {"notices": [], "consents": [], "declined_at": None})

    for row in session.scalars(scoped(select(NoticeShownRow), NoticeShownRow)):
        notices = entry(row.subject_id, row.deployment_id)["notices"]
        if row.notice_version not in notices:
            notices.append(row.notice_version)
    for row in session.scalars(scoped(select(ConsentRow).order_by(ConsentRow.given_at), ConsentRow)):
        consent = {name: getattr(row, name) for name in CONSENT_FIELDS}
        consent |= {"given_at": iso(row.given_at), "withdrawn_at": iso(row.withdrawn_at), "stale_at": iso(row.stale_at)}
        entry(row.subject_id, row.deployment_id)["consents"].append(consent)
    for row in session.scalars(scoped(select(DeclineRow).order_by(DeclineRow.declined_at), DeclineRow)):
        entry(row.subject_id, row.deployment_id)["declined_at"] = iso(row.declined_at)
    ids = sorted(out) if wanted is None else wanted
    subjects = {r.id: r for r in session.scalars(select(SubjectRow).where(SubjectRow.id.in_(ids)))} if ids else {}
    return [
        {
            "id": subject_id,
            "birth_date": iso(subjects[subject_id].birth_date),
            "age_band": subjects[subject_id].age_band,
            "guardian_ref": subjects[subject_id].guardian_ref,
            "deployments": out.get(subject_id, {}),
        }
        for subject_id in ids
        if subject_id in subjects
    ]


def holdings(session: Session, deployment_ids: Iterable[str]) -> list[tuple[str, str]]:
    """(deployment, subject) pairs with at least one template here: what this node stores, for counting."""
    deployments = sorted(set(deployment_ids))
    if not deployments:
        return []
    query = (
        select(TemplateRow.deployment_id, TemplateRow.subject_id)
        .where(TemplateRow.deployment_id.in_(deployments))
        .distinct()
        .order_by(TemplateRow.deployment_id, TemplateRow.subject_id)
    )
    return [(d, s) for d, s in session.execute(query).all()]
