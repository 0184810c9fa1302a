"""Documents generated from a deployment's spec: the notice to individuals and the impact assessment."""

from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from facegate import policy
from facegate.gate import verification_point

from ..auth import DeploymentId, Reader, ServiceDep, ViewerOf

router = APIRouter(prefix="/api/v1", tags=["documents"])
Format = Query("html", description="html (a standalone page) or md (Markdown).")
DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
DOCUMENT: dict[int | str, dict[str, Any]] = {200: {"content": {"text/html": {}, "text/markdown": {}}}}


def render(doc: policy.Document, fmt: str) -> Response:
    """A document as an HTML page or Markdown text."""
    if fmt == "md":
        return PlainTextResponse(doc.render("md"), media_type="text/markdown; charset=utf-8")
    # The standalone page carries its own inline style; nothing else may load or run.
    return HTMLResponse(doc.render("html"), headers={"content-security-policy": DOCUMENT_CSP})


@router.get("/deployments/{deployment_id}/notice", response_class=Response, responses=DOCUMENT)
def notice(
    deployment_id: DeploymentId, svc: ServiceDep, key: ViewerOf, format: Literal["html", "md"] = Format
) -> Response:
    """The notice to individuals (Chinese and English); what the spec does not say is marked as a gap."""
    spec, profiles = svc.spec_of(deployment_id)
    return render(policy.notice_document(spec, profiles, issued=svc.today(), verification=verification_point()), format)


@router.get("/deployments/{deployment_id}/impact-assessment", response_class=Response, responses=DOCUMENT)
def impact_assessment(
    deployment_id: DeploymentId, svc: ServiceDep, key: Reader, format: Literal["html", "md"] = Format
) -> Response:
    """The personal information protection impact assessment report: four sections and a risk register."""
    spec, profiles = svc.spec_of(deployment_id)
    doc = policy.pia_document(
        spec, today=svc.today(), profiles=profiles, settings=svc.gate.settings, verification=verification_point()
    )
    return render(doc, format)
