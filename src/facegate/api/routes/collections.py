"""Collections, a page at a time: every subject the key may see with where it stands, a deployment's subjects with
their enrollments, one template's deletion, and the audit log's entries with filters."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import Field

from facegate.audit.listing import Filters
from facegate.errors import ForbiddenError, InputError, NotFoundError

from ..auth import (
    SUBJECT_ID,
    DeploymentId,
    Key,
    OperatorFor,
    Reader,
    ServiceDep,
    SubjectId,
    ViewerOf,
    caller,
    viewer_of,
)
from ..paging import Cursor, Limit, next_cursor, read_cursor, read_int_cursor
from ..responses import DECISION, Answer, Timestamp

router = APIRouter(prefix="/api/v1", tags=["collections"])
TemplateId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$", description="A template's ID (from the enrollments).")]
Slug = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_.:-]{0,63}$")]
DeploymentFilter = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9-]{0,62}$")]


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


class TemplateStub(Answer):
    """A template as the subjects list shows it: its ID and when it was made (never its vector)."""

    id: str
    created_at: Timestamp


class DeploymentStanding(Answer):
    """Where a subject stands in one deployment: the notice version shown, consent, a decline, templates."""

    deployment: str
    notice: int | None = Field(description="The latest notice version shown to the subject, if any.")
    consent: Literal["given", "withdrawn", "stale", "none"]
    declined: bool = Field(description="The subject declined face recognition (uses an alternative).")
    templates: list[TemplateStub]


class SubjectSummary(Answer):
    """A subject by ID with its standing in each deployment the key may see (no biometric data)."""

    subject: str
    deployments: list[DeploymentStanding]


class SubjectPage(Answer):
    """A page of subjects, by ID."""

    items: list[SubjectSummary]
    next_cursor: str | None


class AuditEntryPage(Answer):
    """A page of audit entries, newest first."""

    items: list[dict[str, Any]] = Field(description="Logged entries as recorded (no biometric data).")
    next_cursor: str | None


@router.get("/subjects", response_model=SubjectPage, tags=["subjects"], operation_id="list_subjects")
def list_subjects(
    svc: ServiceDep,
    key: Key,
    limit: Limit = 100,
    cursor: Cursor = None,
    q: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.@+-]{1,64}$", description="An ID prefix.")] = None,
    deployment: DeploymentFilter = None,
) -> dict[str, Any]:
    """Subjects by ID (searched by ID prefix), each with where it stands per deployment: an admin or auditor sees
    every subject, an operator those of the deployments it is granted (standing there only)."""
    if key.role not in ("admin", "auditor", "operator"):
        raise ForbiddenError(f"listing subjects needs an admin, auditor or operator key; this key is {key.role}")
    if deployment is not None:
        viewer_of(deployment, key)
        if deployment not in {d["id"] for d in svc.gate.deployments()}:
            raise NotFoundError(f"no deployment {deployment!r}")
        reach: list[str] | None = [deployment]
    elif key.role == "operator":
        reach = [d["id"] for d in svc.gate.deployments() if key.grants(d["id"])]
    else:
        reach = None
    items = svc.gate.roster(reach, q or "", limit, read_cursor(cursor)) if reach != [] else []
    return {"items": items, "next_cursor": next_cursor([i["subject"] for i in items], limit)}


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
    deployment: DeploymentFilter = None,
    subject: Annotated[str | None, Query(pattern=SUBJECT_ID)] = None,
    decision: Literal["allow", "refuse"] | None = None,
    since: Annotated[date | None, Query(description="First day (UTC), included.")] = None,
    until: Annotated[date | None, Query(description="Last day (UTC), included.")] = None,
) -> dict[str, Any]:
    """Audit entries, newest first, filtered by operation, deployment, subject, decision and days (UTC)."""
    if since and until and until < since:  # an empty range is a mistake, as in the export: never an empty page
        raise InputError(f"until ({until}) comes before since ({since}): no day is in that range")
    start = datetime.combine(since, time(), tzinfo=UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC) if until and until < date.max else None
    filters = Filters(operation, deployment, subject, decision, start, end)
    page = svc.gate.audit_records.page(filters, read_int_cursor(cursor), limit)
    return {"items": page.entries, "next_cursor": None if page.older is None else next_cursor([page.older], 1)}
