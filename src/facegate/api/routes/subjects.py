"""Subjects and their standing in a deployment: add, notice shown, consent, decline, withdraw, access, delete."""

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, status

from facegate.errors import NotFoundError

from ..auth import (
    DeploymentId,
    Operator,
    OperatorFor,
    OperatorOn,
    ServiceDep,
    SubjectId,
    caller,
    in_scope,
    unknown_subject,
)
from ..responses import DECISION, SubjectLinkView, SubjectRecord
from ..schemas import ConsentRequest, LinkRequest, NoticeRequest, SubjectRequest

router = APIRouter(prefix="/api/v1", tags=["subjects"])
STANDING = "/deployments/{deployment_id}/subjects/{subject_id}"


@router.post("/subjects", status_code=status.HTTP_201_CREATED, **DECISION)
def add_subject(request: Request, body: SubjectRequest, svc: ServiceDep, key: Operator) -> dict[str, Any]:
    """Add a subject under a pseudonymous ID."""
    decision = svc.gate.add_subject(body.id, body.birth_date, body.age_band, body.guardian_ref, caller(request, key))
    return decision.to_dict()


@router.get("/subjects/{subject_id}", response_model=SubjectRecord)
def subject_access(subject_id: SubjectId, svc: ServiceDep, key: Operator) -> dict[str, Any]:
    """What is held on a subject, for which deployment, since and until when; consents (no biometric data)."""
    in_scope(svc, key, subject_id)
    return svc.gate.access(subject_id)


@router.get("/subjects/{subject_id}/export", response_model=SubjectRecord)
def subject_export(request: Request, subject_id: SubjectId, svc: ServiceDep, key: Operator) -> dict[str, Any]:
    """What is held on the subject, for a subject's request (audited); templates leave only through the
    subject's own portal link (GET /api/v1/me/export)."""
    in_scope(svc, key, subject_id)
    return svc.gate.export(subject_id, caller(request, key))


@router.delete("/subjects/{subject_id}", **DECISION)
def delete_subject(request: Request, subject_id: SubjectId, svc: ServiceDep, key: Operator) -> dict[str, Any]:
    """Delete a subject everywhere: data keys shredded, rows removed, a receipt in the audit log."""
    in_scope(svc, key, subject_id)
    return svc.gate.delete_subject(subject_id, caller(request, key)).to_dict()


@router.post(STANDING + "/notice", **DECISION)
def notice_shown(
    request: Request,
    deployment_id: DeploymentId,
    subject_id: SubjectId,
    svc: ServiceDep,
    key: OperatorFor,
    body: NoticeRequest | None = None,
) -> dict[str, Any]:
    """Record that the subject was shown the deployment's current notice."""
    version = body.version if body else None
    return svc.gate.notice_shown(deployment_id, subject_id, version, caller(request, key)).to_dict()


@router.post(
    STANDING + "/consents",
    status_code=status.HTTP_201_CREATED,
    **DECISION,
)
def give_consent(
    request: Request,
    deployment_id: DeploymentId,
    subject_id: SubjectId,
    body: ConsentRequest,
    svc: ServiceDep,
    key: OperatorFor,
) -> dict[str, Any]:
    """Record the subject's separate (or written) consent, bound to the current notice version."""
    decision = svc.gate.give_consent(
        deployment_id,
        subject_id,
        body.kind,
        body.form,
        body.given_by,
        body.guardian_ref,
        body.evidence_ref,
        False,  # only the subject can ask again after declining (the portal and /me); an operator never can
        caller(request, key),
    )
    return decision.to_dict()


@router.post(STANDING + "/withdraw", **DECISION)
def withdraw(
    request: Request, deployment_id: DeploymentId, subject_id: SubjectId, svc: ServiceDep, key: OperatorFor
) -> dict[str, Any]:
    """Withdraw the subject's consent: processing stops and their facial data is deleted at once."""
    return svc.gate.withdraw(deployment_id, subject_id, caller(request, key)).to_dict()


@router.post(STANDING + "/decline", **DECISION)
def decline(
    request: Request, deployment_id: DeploymentId, subject_id: SubjectId, svc: ServiceDep, key: OperatorFor
) -> dict[str, Any]:
    """The subject chooses a non-biometric method; the answer names the alternatives."""
    return svc.gate.decline(deployment_id, subject_id, caller(request, key)).to_dict()


@router.post(STANDING + "/links", status_code=status.HTTP_201_CREATED, response_model=SubjectLinkView)
def subject_link(
    request: Request,
    deployment_id: DeploymentId,
    subject_id: SubjectId,
    svc: ServiceDep,
    key: OperatorOn,
    body: LinkRequest | None = None,
) -> dict[str, Any]:
    """A short-lived signed link to the subject portal for this subject and deployment."""
    svc.gate.deployment_spec(deployment_id)
    # The link opens the subject's whole record, export and deletion included: the subject must have a record in
    # this deployment, and every record of it must be in deployments the key is granted (else the 404 of an unknown
    # subject). The gate checks the record again as it makes the link, and audits it under the key.
    held = svc.gate.subject_deployments(subject_id)
    if deployment_id not in held or not all(key.grants(d) for d in held):
        raise unknown_subject(subject_id)
    now = svc.clock()
    ttl = timedelta(minutes=body.ttl_minutes if body else 60)
    try:
        token = svc.make_link(subject_id, deployment_id, ttl, caller(request, key))
    except NotFoundError:
        raise unknown_subject(subject_id) from None
    base = str(request.base_url).rstrip("/")
    return {"token": token, "url": f"{base}/portal/{token}", "expires_at": (now + ttl).isoformat()}


@router.delete("/subjects/{subject_id}/links", **DECISION)
def revoke_links(request: Request, subject_id: SubjectId, svc: ServiceDep, key: Operator) -> dict[str, Any]:
    """Revoke every portal link made for the subject so far; a new link can be made afterwards."""
    in_scope(svc, key, subject_id)
    return svc.gate.revoke_links(subject_id, caller(request, key)).to_dict()
