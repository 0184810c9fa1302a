"""The console's "try a photo" page: an operator enrolls a subject from an uploaded photo (after the notice and
consent steps) and tries a photo against the gallery, seeing the gate's decision each time."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from facegate.api.auth import ServiceDep
from facegate.errors import FacegateError, NotFoundError, RefusedError

from .console import Who, caller, deployment_or_404, page, posted

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/try/{deployment_id}", response_class=HTMLResponse)
def try_form(request: Request, deployment_id: str, svc: ServiceDep, key: Who) -> Response:
    """The form: a photo, and for a 1:1 deployment the subject it should be."""
    row = deployment_or_404(svc, key, deployment_id)
    return page(request, svc, "trial.html", key, d=row, result=None)


@router.post("/try/{deployment_id}", response_class=HTMLResponse)
async def try_photo(request: Request, deployment_id: str, svc: ServiceDep, key: Who) -> Response:
    """Run the photo through the gate as the signed-in key (audited like any decision) and show the outcome."""
    row = deployment_or_404(svc, key, deployment_id)
    data = await request.form()
    posted(request, svc, str(data.get("csrf", "")))
    upload, subject = data.get("image"), str(data.get("subject", "")).strip()
    result: dict[str, object] = {}
    try:
        image = await upload.read() if upload is not None and not isinstance(upload, str) else b""
        if row["spec"]["modality"] == "identification":
            decision = svc.gate.identify(deployment_id, image, caller=caller(request, key))
        else:
            decision = svc.gate.verify(deployment_id, subject, image, caller=caller(request, key))
        result = {"outcome": decision.outcome, "subject": decision.subject, "rule_ids": list(decision.rule_ids)}
    except RefusedError as exc:
        result = {"outcome": "refused", "error": str(exc), "rule_ids": list(exc.rule_ids)}
    except FacegateError as exc:
        result = {"outcome": "invalid", "error": str(exc), "rule_ids": []}
    return page(request, svc, "trial.html", key, d=row, result=result)


@router.post("/enroll/{deployment_id}", response_class=HTMLResponse)
async def enroll_photo(request: Request, deployment_id: str, svc: ServiceDep, key: Who) -> Response:
    """Add the subject if new, record the notice shown and the separate consent when ticked, then enroll the photo."""
    row = deployment_or_404(svc, key, deployment_id)
    data = await request.form()
    posted(request, svc, str(data.get("csrf", "")))
    upload, subject, who = data.get("image"), str(data.get("subject", "")).strip(), caller(request, key)
    result: dict[str, object] = {}
    try:
        image = await upload.read() if upload is not None and not isinstance(upload, str) else b""
        try:
            svc.gate.subject_deployments(subject)  # reads only: a subject already known is enrolled as is
        except NotFoundError:
            svc.gate.add_subject(subject, caller=who)
        if data.get("notice") == "shown":
            svc.gate.notice_shown(deployment_id, subject, caller=who)
        if data.get("consent") == "given":
            svc.gate.give_consent(deployment_id, subject, caller=who)
        decision = svc.gate.enroll(deployment_id, subject, image, caller=who)
        result = {"outcome": decision.outcome, "subject": subject, "rule_ids": list(decision.rule_ids)}
    except RefusedError as exc:
        result = {"outcome": "refused", "error": str(exc), "rule_ids": list(exc.rule_ids)}
    except FacegateError as exc:
        result = {"outcome": "invalid", "error": str(exc), "rule_ids": []}
    return page(request, svc, "trial.html", key, d=row, result=result)
