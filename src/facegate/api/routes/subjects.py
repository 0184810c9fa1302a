"""Subjects and their standing in a deployment: add, notice shown, consent, decline, withdraw, access, delete."""

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, status

from facegate.errors import ForbiddenError

from ..auth import DeploymentId, Operator, OperatorOn, ServiceDep, SubjectId, caller
from ..keys import ApiKey
from ..responses import DECISION, SubjectExport, SubjectLinkView, SubjectRecord
from ..schemas import ConsentRequest, LinkRequest, NoticeRequest, SubjectRequest
from ..service import Service

router = APIRouter(prefix="/api/v1", tags=["subjects"])
STANDING = "/deployments/{deployment_id}/subjects/{subject_id}"


def in_scope(svc: Service, key: ApiKey, subject_id: str) -> None:
    """Refuse an operator a subject who has any record in a deployment it is not granted."""
    outside = sorted(d for d in svc.gate.subject_deployments(subject_id) if not key.grants(d))
    if outside:
        granted = ", ".join(outside)
        raise ForbiddenError(f"subject {subject_id} has data in deployments this key is not granted: {granted}")


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


@router.get("/subjects/{subject_id}/export", response_model=SubjectExport)
def subject_export(request: Request, subject_id: SubjectId, svc: ServiceDep, key: Operator) -> dict[str, Any]:
    """The subject's own data, templates included, to hand to the subject (audited)."""
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
    key: OperatorOn,
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
    key: OperatorOn,
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
    request: Request, deployment_id: DeploymentId, subject_id: SubjectId, svc: ServiceDep, key: OperatorOn
) -> dict[str, Any]:
    """Withdraw the subject's consent: processing stops and their facial data is deleted at once."""
    return svc.gate.withdraw(deployment_id, subject_id, caller(request, key)).to_dict()


@router.post(STANDING + "/decline", **DECISION)
def decline(
    request: Request, deployment_id: DeploymentId, subject_id: SubjectId, svc: ServiceDep, key: OperatorOn
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
    in_scope(svc, key, subject_id)  # the link opens the subject's whole record: export and deletion included
    now = svc.clock()
    ttl = timedelta(minutes=body.ttl_minutes if body else 60)
    token = svc.signer.subject_link(subject_id, deployment_id, now, ttl)
    base = str(request.base_url).rstrip("/")
    return {"token": token, "url": f"{base}/portal/{token}", "expires_at": (now + ttl).isoformat()}
