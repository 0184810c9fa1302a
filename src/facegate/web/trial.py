"""The console's "try a photo" page: an operator uploads a photo and sees the gate's decision (verify or identify)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from facegate.api.auth import ServiceDep
from facegate.errors import FacegateError, RefusedError

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
