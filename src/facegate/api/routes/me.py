"""Subject self-service through a signed link: the notice, consent, decline, withdraw, export, delete."""

import json
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from facegate import policy
from facegate.errors import InputError
from facegate.gate import verification_point

from ..auth import Link, ServiceDep, subject_caller
from ..responses import DECISION, PasskeyOptions, Standing, SubjectExport
from ..schemas import PasskeyRequest, SubjectConsentRequest
from ..standing import standing
from .documents import DOCUMENT, render

router = APIRouter(prefix="/api/v1/me", tags=["subject self-service"])


@router.get("", response_model=Standing)
def me(svc: ServiceDep, link: Link) -> dict[str, Any]:
    """Who the link is for, and where the subject stands in the deployment."""
    return {**standing(svc, link.subject, link.deployment), "link_expires_at": link.expires_at.isoformat()}


@router.get("/notice", response_class=Response, responses=DOCUMENT)
def notice(svc: ServiceDep, link: Link, format: Literal["html", "md"] = Query("html")) -> Response:
    """The deployment's notice to individuals."""
    spec, profiles = svc.gate.registered(link.deployment)
    return render(policy.notice_document(spec, profiles, issued=svc.today(), verification=verification_point()), format)


@router.post("/notice", **DECISION)
def notice_shown(request: Request, svc: ServiceDep, link: Link) -> dict[str, Any]:
    """Record that the subject has read the current notice."""
    return svc.gate.notice_shown(link.deployment, link.subject, None, subject_caller(request, link)).to_dict()


@router.post("/consent", status_code=201, **DECISION)
def consent(request: Request, body: SubjectConsentRequest, svc: ServiceDep, link: Link) -> dict[str, Any]:
    """Give separate consent to face recognition (`agree` must be true: nothing is assumed)."""
    if not body.agree:
        raise InputError("consent needs agree: true; nothing was recorded")
    decision = svc.gate.give_consent(
        link.deployment, link.subject, subject_initiated=True, caller=subject_caller(request, link)
    )
    return decision.to_dict()


@router.post("/decline", **DECISION)
def decline(request: Request, svc: ServiceDep, link: Link) -> dict[str, Any]:
    """Use a non-biometric method instead of face recognition."""
    return svc.gate.decline(link.deployment, link.subject, subject_caller(request, link)).to_dict()


@router.post("/withdraw", **DECISION)
def withdraw(request: Request, svc: ServiceDep, link: Link) -> dict[str, Any]:
    """Withdraw consent: facial data for this deployment is deleted at once."""
    return svc.gate.withdraw(link.deployment, link.subject, subject_caller(request, link)).to_dict()


@router.post("/passkey/options", response_model=PasskeyOptions)
def passkey_options(request: Request, svc: ServiceDep, link: Link) -> dict[str, Any]:
    """Begin setting up a passkey: the options for `navigator.credentials.create`, to answer within three minutes."""
    rp = svc.relying_party(request)
    return svc.gate.passkey_options(link.deployment, link.subject, "register", rp, subject_caller(request, link))


@router.put("/passkey", **DECISION)
def set_passkey(request: Request, body: PasskeyRequest, svc: ServiceDep, link: Link) -> dict[str, Any]:
    """Set up my passkey from the browser's answer (it replaces an earlier one)."""
    who, rp = subject_caller(request, link), svc.relying_party(request)
    secret = json.dumps(body.credential)
    return svc.gate.set_alternative(link.deployment, link.subject, "passkey", secret, who, rp=rp).to_dict()


@router.get("/export", response_model=SubjectExport)
def export(request: Request, svc: ServiceDep, link: Link) -> dict[str, Any]:
    """Download my data: everything held on me, my templates included."""
    return svc.gate.export(link.subject, subject_caller(request, link))


@router.delete("", **DECISION)
def delete(request: Request, svc: ServiceDep, link: Link) -> dict[str, Any]:
    """Delete my data everywhere (the link stops working)."""
    return svc.gate.delete_subject(link.subject, subject_caller(request, link)).to_dict()
