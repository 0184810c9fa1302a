"""Collections, a page at a time: a deployment's subjects with their enrollments, one template's deletion, and
the audit log's entries with filters."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import Field

from facegate.audit.listing import Filters

from ..auth import DeploymentId, OperatorFor, Reader, ServiceDep, SubjectId, ViewerOf, caller
from ..paging import Cursor, Limit, next_cursor, read_cursor, read_int_cursor
from ..responses import DECISION, Answer, Timestamp

router = APIRouter(prefix="/api/v1", tags=["collections"])
TemplateId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$", description="A template's ID (from the enrollments).")]
Slug = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_.:-]{0,63}$")]


class TemplateInfo(Answer):
    """A stored template as listed: never its vector."""

    id: str
    model: str = Field(description="The face model that made it.")
    created_at: Timestamp
    expires_at: Timestamp = Field(description="When retention deletes it.")


class Enrollment(Answer):
    """A subject the deployment knows (notice shown, consent, decline or template), where they stand, and their
    templates."""

    subject: str
    consent: Literal["given", "withdrawn", "stale", "none"]
    templates: list[TemplateInfo]


class EnrollmentPage(Answer):
    """A page of a deployment's subjects, by ID."""

    items: list[Enrollment]
    next_cursor: str | None


class AuditEntryPage(Answer):
    """A page of audit entries, newest first."""

    items: list[dict[str, Any]] = Field(description="Logged entries as recorded (no biometric data).")
    next_cursor: str | None


@router.get("/deployments/{deployment_id}/subjects", response_model=EnrollmentPage, operation_id="list_enrollments")
def list_enrollments(
    deployment_id: DeploymentId, svc: ServiceDep, key: ViewerOf, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    """The deployment's subjects by ID: consent state and templates (IDs, model, dates; never a vector)."""
    items = svc.gate.enrollments(deployment_id, limit, read_cursor(cursor))
    return {"items": items, "next_cursor": next_cursor([i["subject"] for i in items], limit)}


@router.delete(
    "/deployments/{deployment_id}/subjects/{subject_id}/templates/{template_id}",
    **DECISION,
    operation_id="delete_template",
)
def delete_template(
    request: Request,
    deployment_id: DeploymentId,
    subject_id: SubjectId,
    template_id: TemplateId,
    svc: ServiceDep,
    key: OperatorFor,
) -> dict[str, Any]:
    """Delete one of the subject's templates (the others stay; the gallery forgets it at once); audited."""
    return svc.gate.delete_template(deployment_id, subject_id, template_id, caller(request, key)).to_dict()


@router.get("/audit/entries", response_model=AuditEntryPage, tags=["audit"], operation_id="list_audit_entries")
def list_audit_entries(
    svc: ServiceDep,
    key: Reader,
    limit: Limit = 100,
    cursor: Cursor = None,
    operation: Slug = None,
    deployment: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9-]{0,62}$")] = None,
    subject: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$")] = None,
    decision: Literal["allow", "refuse"] | None = None,
    since: Annotated[date | None, Query(description="First day (UTC), included.")] = None,
    until: Annotated[date | None, Query(description="Last day (UTC), included.")] = None,
) -> dict[str, Any]:
    """Audit entries, newest first, filtered by operation, deployment, subject, decision and days (UTC)."""
    start = datetime.combine(since, time(), tzinfo=UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC) if until and until < date.max else None
    filters = Filters(operation, deployment, subject, decision, start, end)
    page = svc.gate.audit_records.page(filters, read_int_cursor(cursor), limit)
    return {"items": page.entries, "next_cursor": None if page.older is None else next_cursor([page.older], 1)}
