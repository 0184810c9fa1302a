"""The kiosk: camera capture with the liveness challenge, and the non-biometric alternatives on the same screen.

The page is public (a notice must be readable before anyone signs anything); the operator who sets the kiosk up
types an operator key, which the page keeps for the tab's life and sends to the API. No frame is stored: the
browser holds the captured frames in memory until it sends them, and the server only measures them.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from facegate import policy
from facegate.api.auth import DeploymentId, ServiceDep
from facegate.errors import NotFoundError, WebError
from facegate.gate import offers

from .pages import render

router = APIRouter(prefix="/kiosk", include_in_schema=False)
SUMMARY = ("handler_name", "purposes", "methods", "retention_period")  # the notice fields on the first screen
# Methods the kiosk can check on its own screen, in the order offered (passkeys are set up on the person's device).
KIOSK_METHODS = ("pin", "checkin_code", "totp")


@router.get("/{deployment_id}", response_class=HTMLResponse)
def kiosk(request: Request, deployment_id: DeploymentId, svc: ServiceDep) -> HTMLResponse:
    """The kiosk page of a deployment: notice summary, camera and liveness challenge, and the alternatives."""
    try:
        spec = svc.gate.deployment_spec(deployment_id)
    except NotFoundError:
        raise WebError(404, "No such deployment.") from None
    fields = [f for f in policy.notice_fields(spec) if f.name in SUMMARY and f.value is not None]
    methods = [m for m in KIOSK_METHODS if offers(spec, m)]
    return render(
        request,
        "kiosk.html",
        region=spec.handler.region,
        spec=spec,
        fields=fields,
        methods=methods,
        camera=spec.camera,
    )
