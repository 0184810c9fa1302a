"""The subject portal, reached only through a signed link: the notice, consent or the alternative, my data."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from facegate import policy
from facegate.api.auth import ServiceDep, subject_caller
from facegate.api.links import SubjectLink
from facegate.api.service import Service
from facegate.api.standing import standing
from facegate.errors import FacegateError, NotFoundError, RefusedError, WebError
from facegate.gate import Caller, Decision, verification_point
from facegate.policy.language import in_chinese

from . import i18n
from .pages import render

router = APIRouter(prefix="/portal", include_in_schema=False)
DONE = {
    "consent": "Thank you: your consent is recorded. You can withdraw it at any time below.",
    "decline": "Done: face recognition will not be used for you. Use the alternative named below.",
    "withdraw": "Your consent is withdrawn and your facial data for this service has been deleted.",
}


def link_or_404(svc: Service, token: str) -> SubjectLink:
    """The valid link a token carries, or a page saying it is not valid."""
    link = svc.open_link(token)
    if link is None:
        raise WebError(404, "This link is not valid or has expired. Ask the service for a new one.", "Link not valid")
    return link


def portal_page(request: Request, svc: Service, token: str, link: SubjectLink, status_code: int = 200,
                error: str | None = None, message: str | None = None) -> Response:  # fmt: skip
    """The portal's one page: summary, the two choices, the notice, and the subject's rights."""
    try:
        state = standing(svc, link.subject, link.deployment)
        spec, profiles = svc.gate.registered(link.deployment)
    except NotFoundError:
        raise WebError(
            404, "There is no data about you here any more, or this service has ended.", "Nothing here"
        ) from None
    doc = policy.notice_document(spec, profiles, verification=verification_point())
    if i18n.choose(request, spec.handler.region) == i18n.ZH_CN:
        doc = in_chinese(doc)  # the Chinese of each bilingual text; the spec's own words stay as written
    return render(
        request, "portal.html", status_code=status_code, token=token, state=state, spec=spec, doc=doc,
        error=error, message=message, region=spec.handler.region,
    )  # fmt: skip


@router.get("/{token}", response_class=HTMLResponse)
def portal(request: Request, token: str, svc: ServiceDep) -> Response:
    """The subject's page: the notice, the two choices and their rights."""
    link = link_or_404(svc, token)
    return portal_page(request, svc, token, link, message=DONE.get(request.query_params.get("done", "")))


def act(request: Request, svc: Service, token: str, link: SubjectLink, done: str, call: Any) -> Response:
    """Run a gate call for the subject; show the refusal (with its rule IDs) on the page, or the outcome."""
    try:
        call()
    except RefusedError as exc:
        return portal_page(request, svc, token, link, 403, error=f"{exc.args[0]} (rules: {', '.join(exc.rule_ids)})")
    except FacegateError as exc:
        return portal_page(request, svc, token, link, exc.status, error=str(exc))
    return RedirectResponse(f"/portal/{token}?done={done}#status", status_code=303)


@router.post("/{token}/consent", response_class=HTMLResponse)
def consent(request: Request, token: str, svc: ServiceDep, agree: Annotated[str, Form()] = "") -> Response:
    """Consent under the notice (the box must be ticked)."""
    link = link_or_404(svc, token)
    if agree != "yes":
        return portal_page(request, svc, token, link, 422, error="Tick the box to consent; nothing was recorded.")
    who = subject_caller(request, link)
    return act(
        request,
        svc,
        token,
        link,
        "consent",
        lambda: consent_after_reading(svc, link, who),
    )


def consent_after_reading(svc: Service, link: SubjectLink, who: Caller) -> Decision:
    """The consent form sits under the notice: submitting it records that the notice was shown (CN25-5b).

    Opening the page records nothing, so a mail scanner that fetches the link satisfies no precondition.
    """
    svc.gate.notice_shown(link.deployment, link.subject, None, who)
    return svc.gate.give_consent(link.deployment, link.subject, subject_initiated=True, caller=who)


@router.post("/{token}/decline", response_class=HTMLResponse)
def decline(request: Request, token: str, svc: ServiceDep) -> Response:
    """Choose the non-biometric way instead."""
    link = link_or_404(svc, token)
    who = subject_caller(request, link)
    return act(request, svc, token, link, "decline", lambda: svc.gate.decline(link.deployment, link.subject, who))


@router.post("/{token}/withdraw", response_class=HTMLResponse)
def withdraw(request: Request, token: str, svc: ServiceDep) -> Response:
    """Withdraw consent: the facial data is deleted at once."""
    link = link_or_404(svc, token)
    who = subject_caller(request, link)
    return act(request, svc, token, link, "withdraw", lambda: svc.gate.withdraw(link.deployment, link.subject, who))


@router.get("/{token}/export")
def export(request: Request, token: str, svc: ServiceDep) -> Response:
    """Download my data."""
    link = link_or_404(svc, token)
    try:
        record = svc.gate.export(link.subject, subject_caller(request, link))
    except NotFoundError:
        raise WebError(404, "There is no data about you here any more.", "Nothing here") from None
    body = json.dumps(record, indent=2, ensure_ascii=False)
    headers = {"content-disposition": 'attachment; filename="my-facegate-data.json"'}
    return Response(body, media_type="application/json", headers=headers)


@router.post("/{token}/delete", response_class=HTMLResponse)
def delete(request: Request, token: str, svc: ServiceDep, confirm: Annotated[str, Form()] = "") -> Response:
    """Delete my data."""
    link = link_or_404(svc, token)
    if confirm != "yes":
        return portal_page(request, svc, token, link, 422, error="Tick the box to confirm the deletion.")
    try:
        decision = svc.gate.delete_subject(link.subject, subject_caller(request, link))
    except NotFoundError:
        raise WebError(404, "There is no data about you here any more.", "Nothing here") from None
    return render(request, "portal_deleted.html", receipt=decision.event_id)
