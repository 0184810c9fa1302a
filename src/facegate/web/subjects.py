"""The console's subjects page: the subjects of one deployment (or of every deployment the key may see), searched
by ID prefix, a page at a time, each with where it stands; and the actions the API allows the key on them
(delete one template, erase the subject), checked by the API's own rules."""

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from facegate.api.auth import SUBJECT_ID, ServiceDep, in_scope, operator_for
from facegate.api.keys import ApiKey
from facegate.api.paging import make_cursor, read_cursor
from facegate.api.service import Service
from facegate.errors import FacegateError, InputError, RefusedError, WebError

from . import session
from .console import Who, caller, deployment_or_404, page, posted, visible

router = APIRouter(prefix="/console", include_in_schema=False)
PAGE = 50


def reach(svc: Service, key: ApiKey, deployment: str) -> list[str] | None:
    """The deployments listed: the one asked for, else every one the key sees (None: all, for admin and auditor)."""
    if deployment:
        deployment_or_404(svc, key, deployment)
        return [deployment]
    if key.role == "operator":
        return [d["id"] for d in svc.gate.deployments() if visible(key, d["id"])]
    return None


def may(check: Any, *args: Any) -> bool:
    """Whether the API's rule `check` lets the call through."""
    try:
        check(*args)
    except FacegateError:
        return False
    return True


@router.get("/subjects", response_class=HTMLResponse)
def subjects(request: Request, svc: ServiceDep, key: Who) -> Response:
    """Subjects by ID with their standing per deployment: notice, consent, decline, templates; no biometric data."""
    query = request.query_params
    deployment, prefix = query.get("deployment", "").strip(), query.get("q", "").strip()[:64]
    if prefix and not re.match(SUBJECT_ID, prefix):
        raise WebError(422, "A subject ID has letters, digits and . _ @ + - only.")
    try:
        after = read_cursor(query.get("cursor") or None)
    except InputError:
        raise WebError(422, "That page link is not one this console gave.") from None
    rows = svc.gate.roster(reach(svc, key, deployment), prefix, PAGE, after)
    for row in rows:
        operator = key.role == "operator"
        row["erase"] = operator and may(in_scope, svc, key, row["subject"])
        for standing in row["deployments"]:
            standing["delete"] = operator and may(operator_for, standing["deployment"], row["subject"], svc, key)
    kept = {k: v for k, v in (("deployment", deployment), ("q", prefix)) if v}
    more = len(rows) == PAGE
    later = f"/console/subjects?{urlencode({**kept, 'cursor': make_cursor(rows[-1]['subject'])})}" if more else None
    first = f"/console/subjects?{urlencode(kept)}" if after is not None else None
    choices = [d["id"] for d in svc.gate.deployments() if visible(key, d["id"])]
    return page(request, svc, "subjects.html", key, rows=rows, deployment=deployment, q=prefix, later=later,
                first=first, choices=choices, message=session.flashed(request, svc))  # fmt: skip


def back(request: Request, svc: Service, to: str, message: str) -> RedirectResponse:
    """Back to the subjects page the form was on (`to`, its path and query), with what happened (signed)."""
    to = to if re.fullmatch(r"/console/subjects(\?[\w%=&.@+-]*)?", to) else "/console/subjects"
    while (dropped := re.sub(r"([?&])(message|sig)=[^&]*", r"\1", to).replace("?&", "?").replace("&&", "&")) != to:
        to = dropped
    to = to.rstrip("?&")
    return RedirectResponse(f"{to}{'&' if '?' in to else '?'}{session.flash(request, svc, message)}", status_code=303)


def acted(request: Request, svc: Service, key: ApiKey, to: str, done: str, act: Any, *args: Any) -> RedirectResponse:
    """Run a gate decision as the signed-in key and go back saying what happened."""
    try:
        act(*args, caller(request, key))
        return back(request, svc, to, done)
    except RefusedError as exc:
        return back(request, svc, to, f"refused: {exc}")
    except FacegateError as exc:
        return back(request, svc, to, str(exc))


@router.post("/subjects/{subject_id}/templates/{template_id}/delete")
def delete_template(
    request: Request, subject_id: str, template_id: str, svc: ServiceDep, key: Who,
    csrf: Annotated[str, Form()] = "", deployment: Annotated[str, Form()] = "", to: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Delete one template (an operator granted the deployment, as the API's DELETE .../templates/{id})."""
    posted(request, svc, csrf)
    if not re.match(SUBJECT_ID, subject_id) or not may(operator_for, deployment, subject_id, svc, key):
        raise WebError(403, "Only an operator key granted the deployment deletes a subject's template there.")
    done = "The template was deleted; the subject's other templates stay."
    return acted(request, svc, key, to, done, svc.gate.delete_template, deployment, subject_id, template_id)


@router.post("/subjects/{subject_id}/erase")
def erase(
    request: Request, subject_id: str, svc: ServiceDep, key: Who, csrf: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "", to: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Erase the subject everywhere (an operator granted every deployment holding it, as the API's DELETE)."""
    posted(request, svc, csrf)
    if not re.match(SUBJECT_ID, subject_id) or key.role != "operator" or not may(in_scope, svc, key, subject_id):
        raise WebError(403, "Only an operator key granted every deployment that holds the subject erases it.")
    if confirm != "yes":
        return back(request, svc, to, "Nothing was erased: tick the box to confirm.")
    done = "The subject was erased: every record and template deleted, a receipt in the audit log."
    return acted(request, svc, key, to, done, svc.gate.delete_subject, subject_id)
