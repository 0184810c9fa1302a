"""Who is calling: an API key (admin, operator, auditor, reviewer, metrics) or a subject's signed link, as FastAPI
dependencies."""

import re
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from facegate.errors import ForbiddenError, NotFoundError, UnauthorizedError
from facegate.gate import SUBJECT_ID_PATTERN, Caller

from .keys import ApiKey
from .links import SubjectLink
from .service import Service

DEPLOYMENT_ID = r"^[a-z][a-z0-9-]{0,62}$"
SUBJECT_ID = SUBJECT_ID_PATTERN
DeploymentId = Annotated[str, Path(pattern=DEPLOYMENT_ID, description="A deployment's ID (slug).")]
SubjectId = Annotated[str, Path(pattern=SUBJECT_ID, description="A subject's pseudonymous ID.")]

bearer = HTTPBearer(auto_error=False, description="An API key (fgk_...) or a subject link token (fgs....).")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def service(request: Request) -> Service:
    """The application's service."""
    found: Service = request.app.state.service
    return found


ServiceDep = Annotated[Service, Depends(service)]


def any_key(svc: ServiceDep, credentials: Credentials) -> ApiKey:
    """The authenticated API key of any role; 401 when missing, unknown or revoked."""
    if credentials is None:
        raise UnauthorizedError("an API key is required: send Authorization: Bearer fgk_...")
    key = svc.keys.authenticate(credentials.credentials, svc.clock())
    if key is None:
        raise UnauthorizedError("the API key is unknown or revoked")
    return key


async def api_key(key: Annotated[ApiKey, Depends(any_key)]) -> ApiKey:
    """The authenticated API key, a metrics key refused (403): it reads /metrics and nothing else (no I/O, so it
    runs on the event loop, not on a worker thread of its own)."""
    if key.role == "metrics":
        raise ForbiddenError("a metrics key reads /metrics only")
    return key


async def metrics_reader(key: Annotated[ApiKey, Depends(any_key)]) -> ApiKey:
    """A metrics, admin or auditor key (GET /metrics), else 403."""
    if key.role not in ("metrics", "admin", "auditor"):
        raise ForbiddenError(f"/metrics needs a metrics, admin or auditor key; this key is {key.role}")
    return key


Key = Annotated[ApiKey, Depends(api_key)]


def admin(key: Key) -> ApiKey:
    """An admin key, else 403."""
    if key.role != "admin":
        raise ForbiddenError(f"this needs an admin key; this key is {key.role}")
    return key


def reader(key: Key) -> ApiKey:
    """An admin or auditor key (findings, audit, reports), else 403."""
    if key.role not in ("admin", "auditor"):
        raise ForbiddenError(f"this needs an admin or auditor key; this key is {key.role}")
    return key


def reviewer(key: Key) -> ApiKey:
    """A reviewer key (a DPO or counsel who attests claims, regulation.md §4.8), else 403."""
    if key.role != "reviewer":
        raise ForbiddenError(f"attesting a claim needs a reviewer key; this key is {key.role}")
    return key


def operator(key: Key) -> ApiKey:
    """An operator key (biometric operations and subjects), else 403."""
    if key.role != "operator":
        raise ForbiddenError(f"biometric operations and subjects need an operator key; this key is {key.role}")
    return key


def operator_on(deployment_id: DeploymentId, key: Key) -> ApiKey:
    """An operator key granted `deployment_id`, else 403."""
    operator(key)
    if not key.grants(deployment_id):
        raise ForbiddenError(f"this operator key is not granted deployment {deployment_id}")
    return key


async def granted_operator(deployment_id: DeploymentId, key: Key) -> ApiKey:
    """`operator_on` as a dependency: no I/O, so it runs on the event loop, not on a worker thread of its own."""
    return operator_on(deployment_id, key)


def unknown_subject(subject_id: str) -> NotFoundError:
    """The one answer for a subject ID nobody uses and for a subject outside the key's reach (no enumeration)."""
    return NotFoundError(f"unknown subject {subject_id!r}")


def operator_for(deployment_id: DeploymentId, subject_id: SubjectId, svc: ServiceDep, key: Key) -> ApiKey:
    """An operator key granted `deployment_id`, for a subject it may add a record to there (else 404).

    A subject belongs to the deployments that recorded it: the key may act on one with no record yet, one this
    deployment recorded, or one whose every record is in deployments the key is granted, never attach itself to
    another deployment's subject.
    """
    operator_on(deployment_id, key)
    held = svc.gate.subject_deployments(subject_id)
    if held and deployment_id not in held and not all(key.grants(d) for d in held):
        raise unknown_subject(subject_id)
    return key


def in_scope(svc: Service, key: ApiKey, subject_id: str) -> None:
    """The subject's whole record is the key's to read or delete: it has records, all in granted deployments.

    Else 404, the answer for an unknown subject: no operator reads or deletes a subject nobody recorded yet.
    """
    held = svc.gate.subject_deployments(subject_id)
    if not held or not all(key.grants(d) for d in held):
        raise unknown_subject(subject_id)


def viewer_of(deployment_id: DeploymentId, key: Key) -> ApiKey:
    """Any key that may read a deployment: admin, auditor, or an operator granted it."""
    if key.role == "operator" and not key.grants(deployment_id):
        raise ForbiddenError(f"this operator key is not granted deployment {deployment_id}")
    return key


def subject_link(svc: ServiceDep, credentials: Credentials) -> SubjectLink:
    """The subject's signed link; 401 when missing, forged or expired."""
    if credentials is None:
        raise UnauthorizedError("a subject link token is required: send Authorization: Bearer fgs....")
    link = svc.open_link(credentials.credentials)
    if link is None:
        raise UnauthorizedError("the link is forged, malformed, expired or revoked; ask for a new one")
    return link


Admin = Annotated[ApiKey, Depends(admin)]
MetricsReader = Annotated[ApiKey, Depends(metrics_reader)]
Reader = Annotated[ApiKey, Depends(reader)]
Operator = Annotated[ApiKey, Depends(operator)]
Reviewer = Annotated[ApiKey, Depends(reviewer)]
OperatorOn = Annotated[ApiKey, Depends(granted_operator)]
OperatorFor = Annotated[ApiKey, Depends(operator_for)]
ViewerOf = Annotated[ApiKey, Depends(viewer_of)]
Link = Annotated[SubjectLink, Depends(subject_link)]


def caller(request: Request, key: ApiKey) -> Caller:
    """The gate's caller for a key: its ID (never its secret) and the request's ID."""
    return Caller(actor=key.actor, request_id=request.state.request_id)


def subject_caller(request: Request, link: SubjectLink) -> Caller:
    """The gate's caller for a subject acting through their link."""
    actor = f"subject:{link.subject}" if re.match(SUBJECT_ID, link.subject) else "subject:link"
    return Caller(actor=actor, request_id=request.state.request_id)
