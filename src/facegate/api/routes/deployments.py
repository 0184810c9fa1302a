"""Deployments: check a spec, register it, read it with its findings, update, activate, retire."""

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from pydantic import Field

from facegate.errors import ConflictError, InputError, RefusedError

from ..auth import Admin, DeploymentId, Key, Reviewer, ServiceDep, ViewerOf, caller
from ..paging import Cursor, Limit, page_of
from ..problems import problem
from ..responses import DECISION, Answer, CheckReport, DeploymentSummary, DeploymentView
from ..schemas import AttestationRequest, CheckRequest, IncidentRequest, RegisterRequest, UpdateRequest
from ..service import Service

router = APIRouter(prefix="/api/v1", tags=["deployments"])


@router.post("/checks", response_model=CheckReport, response_model_exclude_unset=True)
def check_spec(body: CheckRequest, svc: ServiceDep, key: Key) -> dict[str, Any]:
    """Check a deployment spec against the rules without registering it: the findings and the verdict."""
    return svc.report(body.spec, tuple(body.profiles)).to_dict()


class DeploymentPage(Answer):
    """A page of deployments, by ID."""

    items: list[DeploymentSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


@router.get("/deployments", response_model=DeploymentPage)
def list_deployments(svc: ServiceDep, key: Key, limit: Limit = 100, cursor: Cursor = None) -> dict[str, Any]:
    """Registered deployments and blocked submissions with status, verdict and finding counts, by ID."""
    rows = svc.deployments()
    if key.role == "operator":
        rows = [r for r in rows if key.grants(r["id"])]
    return page_of(rows, "id", limit, cursor)


def _blocked(request: Request, svc: Service, exc: RefusedError, body: Any, actor: str) -> JSONResponse:
    """Keep the blocked spec so the console shows it, and answer with its findings."""
    report = svc.report(body.spec, tuple(body.profiles))
    svc.submissions.save(body.spec, tuple(body.profiles), actor, svc.clock())
    findings = [f.to_dict() for f in report.blocking]
    return problem(
        request, 403, "refused", str(exc.args[0]), code="blocking_findings", rule_ids=exc.rule_ids, findings=findings
    )


@router.post("/deployments", status_code=status.HTTP_201_CREATED, **DECISION)
def register_deployment(request: Request, body: RegisterRequest, svc: ServiceDep, key: Admin) -> Any:
    """Register a spec and activate it; a spec with a BLOCK finding is refused with its findings and kept."""
    if svc.is_registered(body.spec.id):
        raise ConflictError(f"deployment {body.spec.id!r} is already registered; use PUT to update it")
    try:
        decision = svc.gate.register(body.spec, caller(request, key), tuple(body.profiles), body.activate)
    except RefusedError as exc:
        return _blocked(request, svc, exc, body, key.actor)
    svc.submissions.remove(body.spec.id)
    return decision.to_dict()


@router.get("/deployments/{deployment_id}", response_model=DeploymentView, response_model_exclude_unset=True)
def get_deployment(deployment_id: DeploymentId, svc: ServiceDep, key: ViewerOf) -> dict[str, Any]:
    """A deployment: status, profiles, spec and its findings now."""
    return svc.deployment(deployment_id)


@router.put("/deployments/{deployment_id}", **DECISION)
def update_deployment(
    request: Request, deployment_id: DeploymentId, body: UpdateRequest, svc: ServiceDep, key: Admin
) -> Any:
    """Replace a deployment's spec (a purpose or method change suspends it); resubmit a blocked one."""
    if body.spec.id != deployment_id:
        raise InputError(f"spec.id {body.spec.id!r} is not the deployment {deployment_id!r}")
    if not svc.is_registered(deployment_id):
        blocked = svc.submissions.get(deployment_id)
        if blocked is None:
            raise InputError(f"no deployment {deployment_id!r}: register it with POST /api/v1/deployments")
        resubmit = RegisterRequest(spec=body.spec, profiles=list(blocked.profiles))
        return register_deployment(request, resubmit, svc, key)
    try:
        return svc.gate.update(body.spec, caller(request, key)).to_dict()
    except RefusedError as exc:
        report = svc.report(body.spec, tuple(svc.deployment(deployment_id)["profiles"]))
        findings = [f.to_dict() for f in report.blocking]
        return problem(
        request, 403, "refused", str(exc.args[0]), code="blocking_findings", rule_ids=exc.rule_ids, findings=findings
    )


@router.post("/deployments/{deployment_id}/activate", **DECISION)
def activate_deployment(request: Request, deployment_id: DeploymentId, svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """Activate a draft or suspended deployment (no BLOCK finding, an approved impact assessment)."""
    return svc.gate.activate(deployment_id, caller(request, key)).to_dict()


@router.post("/deployments/{deployment_id}/retire", **DECISION)
def retire_deployment(request: Request, deployment_id: DeploymentId, svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """Retire a deployment: it stops and every template it holds is deleted."""
    return svc.gate.retire(deployment_id, caller(request, key)).to_dict()


@router.post("/deployments/{deployment_id}/incidents", status_code=status.HTTP_201_CREATED, **DECISION)
def record_incident(
    request: Request, deployment_id: DeploymentId, body: IncidentRequest, svc: ServiceDep, key: Admin
) -> dict[str, Any]:
    """Record a security incident; a major one suspends the deployment until a new impact assessment (CN25-9d)."""
    decision = svc.gate.record_incident(
        deployment_id, body.level, body.description, off_device_movement=body.off_device_movement,
        caller=caller(request, key),
    )  # fmt: skip
    return decision.to_dict()


@router.post("/deployments/{deployment_id}/attestations", status_code=status.HTTP_201_CREATED, **DECISION)
def attest_claim(
    request: Request, deployment_id: DeploymentId, body: AttestationRequest, svc: ServiceDep, key: Reviewer
) -> dict[str, Any]:
    """A reviewer attests a claim of the spec (regulation.md §4.8); recorded in the audit log."""
    decision = svc.gate.attest(deployment_id, body.claim, body.reviewer, body.document, caller(request, key))
    return decision.to_dict()
