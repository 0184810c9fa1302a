"""The console's "try a photo" page: an operator enrolls a subject from an uploaded photo (after the notice and
consent steps) and tries a photo against the gallery, seeing the gate's decision each time. Who may do what is
the API's rule: an operator key granted the deployment (and, for a subject, allowed to act on that subject)."""

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from facegate.api.auth import SUBJECT_ID, ServiceDep, operator_for, operator_on
from facegate.api.keys import ApiKey
from facegate.api.service import Service
from facegate.errors import FacegateError, InputError, NotFoundError, RefusedError
from facegate.gate import Decision

from .console import Who, caller, deployment_or_404, page, posted

router = APIRouter(prefix="/console", include_in_schema=False)


def allowed(svc: Service, key: ApiKey, deployment_id: str, subject: str | None) -> None:
    """The API's rule for the operation: an operator granted the deployment (and the subject, when one is named)."""
    operator_on(deployment_id, key)
    if subject is not None:
        if not re.match(SUBJECT_ID, subject):
            raise InputError("A subject ID has letters, digits and . _ @ + - only (at most 64).")
        operator_for(deployment_id, subject, svc, key)


def box_text(box: object) -> str:
    """A face's box as `left, top, right, bottom` (in the photo's pixels, as the gate answers it)."""
    if isinstance(box, list | tuple):
        return ", ".join(str(v) for v in box)
    return "" if box is None else str(box)


def shown(decision: Decision) -> dict[str, Any]:
    """What the page shows of a decision: outcome, subject, rules and, for 1:N, each face with its box."""
    answer = decision.to_dict()
    faces = [
        {"box": box_text(f.get("box")), "outcome": f.get("outcome"), "subject": f.get("subject")}
        for f in answer.get("faces") or [] if isinstance(f, dict)
    ]  # fmt: skip
    return {"outcome": decision.outcome, "subject": decision.subject, "rule_ids": list(decision.rule_ids),
            "faces": faces}  # fmt: skip


def failed(exc: FacegateError) -> dict[str, Any]:
    """A refusal (with its rules and alternatives) or bad input, as the page shows it: the detail in English, and in
    Chinese the code's sentence, the rules' Chinese titles and the alternatives' names (trial.html)."""
    rules, alternatives = (exc.rule_ids, exc.alternatives) if isinstance(exc, RefusedError) else ([], [])
    return {"outcome": "refused" if isinstance(exc, RefusedError) else "invalid", "error": str(exc),
            "detail": str(exc.args[0]) if exc.args else "", "code": exc.code, "rule_ids": list(rules),
            "alternatives": list(alternatives)}  # fmt: skip


async def upload(request: Request, svc: Service) -> tuple[Any, bytes, str]:
    """The posted form (its CSRF token checked), the photo's bytes and the subject named."""
    data = await request.form()
    posted(request, svc, str(data.get("csrf", "")))
    image = data.get("image")
    content = await image.read() if image is not None and not isinstance(image, str) else b""
    return data, content, str(data.get("subject", "")).strip()


@router.get("/try/{deployment_id}", response_class=HTMLResponse)
def try_form(request: Request, deployment_id: str, svc: ServiceDep, key: Who) -> Response:
    """The form: a photo, and for a 1:1 deployment the subject it should be."""
    row = deployment_or_404(svc, key, deployment_id)
    return page(request, svc, "trial.html", key, d=row, result=None, may=may_try(key, deployment_id))


def may_try(key: ApiKey, deployment_id: str) -> bool:
    """Whether the key may run photos here (the form says whose key to sign in with otherwise)."""
    return key.role == "operator" and key.grants(deployment_id)


@router.post("/try/{deployment_id}", response_class=HTMLResponse)
async def try_photo(request: Request, deployment_id: str, svc: ServiceDep, key: Who) -> Response:
    """Run the photo through the gate as the signed-in key (audited like any decision) and show the outcome."""
    row = deployment_or_404(svc, key, deployment_id)
    _, image, subject = await upload(request, svc)
    try:
        if row["spec"]["modality"] == "identification":
            allowed(svc, key, deployment_id, None)
            decision = svc.gate.identify(deployment_id, image, caller=caller(request, key))
        else:
            allowed(svc, key, deployment_id, subject)
            decision = svc.gate.verify(deployment_id, subject, image, caller=caller(request, key))
        result = shown(decision)
    except FacegateError as exc:
        result = failed(exc)
    return page(request, svc, "trial.html", key, d=row, result=result, may=may_try(key, deployment_id))


@router.post("/enroll/{deployment_id}", response_class=HTMLResponse)
async def enroll_photo(request: Request, deployment_id: str, svc: ServiceDep, key: Who) -> Response:
    """Add the subject if new, record the notice shown and the separate consent when ticked, then enroll the photo."""
    row = deployment_or_404(svc, key, deployment_id)
    data, image, subject = await upload(request, svc)
    who = caller(request, key)
    try:
        allowed(svc, key, deployment_id, None)
        if re.match(SUBJECT_ID, subject):
            try:
                svc.gate.subject_deployments(subject)  # reads only: a subject already known is enrolled as is
            except NotFoundError:
                svc.gate.add_subject(subject, caller=who)
        allowed(svc, key, deployment_id, subject)
        if data.get("notice") == "shown":
            svc.gate.notice_shown(deployment_id, subject, caller=who)
        if data.get("consent") == "given":
            svc.gate.give_consent(deployment_id, subject, caller=who)
        result = shown(svc.gate.enroll(deployment_id, subject, image, caller=who))
        result["subject"] = subject
    except FacegateError as exc:
        result = failed(exc)
    return page(request, svc, "trial.html", key, d=row, result=result, may=may_try(key, deployment_id))
