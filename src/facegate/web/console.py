"""The console for the DPO, the auditor and the operator: deployments and findings, the form, rules, audit, keys."""

import hmac
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from facegate import policy
from facegate.api.auth import DEPLOYMENT_ID, ServiceDep
from facegate.api.codes import CODES
from facegate.api.keys import ROLES, ApiKey
from facegate.api.service import Service
from facegate.audit import listing
from facegate.audit.export import EARLIEST, LATEST
from facegate.edge.hub import Hub
from facegate.errors import FacegateError, InputError, RefusedError, WebError
from facegate.gate import Caller, verification_point
from facegate.home import node_kind
from facegate.oversight import Oversight, status_report
from facegate.policy.language import in_chinese

from . import forms, i18n, session
from .labels import LABELS
from .pages import render

router = APIRouter(prefix="/console", include_in_schema=False)
# The audit page verifies the whole log on every view up to this size; above it, when asked (bench/audit.py:
# about 120,000 entries verified per second).
VERIFY_ON_VIEW = 200_000
VERIFIED_PER_SECOND = 120_000


def signed_in(request: Request, svc: ServiceDep) -> ApiKey:
    """The signed-in key; a visitor without one is sent to the sign-in page."""
    key = session.current(request, svc)
    if key is None:
        raise WebError(401, "Sign in with an API key.")
    request.state.console_key = key
    return key


Who = Annotated[ApiKey, Depends(signed_in)]


def posted(request: Request, svc: Service, csrf: str) -> None:
    """Refuse a form post without this session's CSRF token."""
    if not hmac.compare_digest(csrf.encode(), session.csrf_token(request, svc).encode()):
        raise WebError(403, "This form has expired; go back, reload the page and try again.")


def page(request: Request, svc: Service, name: str, key: ApiKey | None, status_code: int = 200, **ctx: Any) -> Response:
    """A console page with the navigation, the signed-in key and the CSRF token."""
    csrf = session.csrf_token(request, svc) if key else ""
    return render(request, name, status_code=status_code, key=key, csrf=csrf, **ctx)


def visible(key: ApiKey, deployment_id: str) -> bool:
    """Whether the key may see a deployment (operators: only those granted)."""
    return key.role != "operator" or key.grants(deployment_id)


def caller(request: Request, key: ApiKey) -> Caller:
    """The gate's caller for the signed-in key."""
    return Caller(actor=key.actor, request_id=request.state.request_id)


# ---- signing in ----


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, svc: ServiceDep) -> Response:
    """The sign-in page."""
    return page(request, svc, "login.html", None, error=None)


@router.post("/login")
def login(request: Request, svc: ServiceDep, api_key: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Sign in with an API key (from this site's own sign-in page only)."""
    session.same_site(request)
    key = svc.keys.authenticate(api_key.strip(), svc.clock())
    if key is None:
        return page(request, svc, "login.html", None, status_code=401, error="That key is unknown or revoked.")
    if key.role == "metrics":
        return page(request, svc, "login.html", None, status_code=403, error="A metrics key reads /metrics only.")
    response = RedirectResponse("/console", status_code=303)
    session.start(response, svc, key, svc.clock(), secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout(request: Request, svc: ServiceDep) -> Response:
    """Sign out (from this site's own pages only): the session ends on the server, not only in this browser."""
    session.same_site(request)
    response = RedirectResponse("/console/login", status_code=303)
    session.end(request, response, svc)
    return response


# ---- deployments ----


@router.get("", response_class=HTMLResponse)
def deployments(request: Request, svc: ServiceDep, key: Who) -> Response:
    """Deployments and blocked submissions with their verdicts."""
    rows = [r for r in svc.deployments() if visible(key, r["id"])]
    return page(request, svc, "deployments.html", key, rows=rows)


def check(svc: Service, form: dict[str, Any], chosen: list[str]) -> dict[str, Any]:
    """The findings for the spec a form describes, or what is still missing from it."""
    names = forms.profiles(form, chosen)
    try:
        spec = policy.spec_from_data(forms.spec_data(form))
    except InputError as exc:
        text = str(exc).removeprefix("invalid deployment spec: ")
        return {"spec": None, "report": None, "problems": text.split("; "), "profiles": names}
    return {"spec": spec, "report": svc.report(spec, names), "problems": [], "profiles": names}


async def form_fields(request: Request) -> tuple[dict[str, Any], list[str]]:
    """A posted deployment form's fields, and the profiles ticked."""
    data = await request.form()
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    return fields, [str(v) for v in data.getlist("profiles")]


@router.get("/deployments/new", response_class=HTMLResponse)
def new_deployment(request: Request, svc: ServiceDep, key: Who) -> Response:
    """The deployment form."""
    values: dict[str, Any] = {"notice.version": 1, "storage.retention_days": 365}
    chosen = [policy.DEFAULT_PROFILE]
    source = request.query_params.get("from")
    if source and visible(key, source):
        try:
            spec, profiles = svc.spec_of(source)
            values, chosen = forms.values_of(spec), list(profiles)
        except FacegateError:
            pass
    return page(request, svc, "deployment_form.html", key, values=values, chosen=chosen, result=None, **choices())


def choices() -> dict[str, Any]:
    """The options of the form's selects."""
    return {
        "purposes": forms.PURPOSES,
        "settings": forms.SETTINGS,
        "legal_bases": forms.LEGAL_BASES,
        "storages": forms.STORAGE,
        "raw_images": forms.RAW_IMAGES,
        "all_profiles": policy.profile_names(),
    }


@router.post("/deployments/check", response_class=HTMLResponse)
async def check_fragment(request: Request, svc: ServiceDep, key: Who) -> Response:
    """The findings panel for the form as filled in so far (the form's script asks for it as you type)."""
    fields, chosen = await form_fields(request)
    posted(request, svc, str(fields.get("csrf", "")))
    return render(request, "findings_panel.html", result=check(svc, fields, chosen))


@router.post("/deployments/new", response_class=HTMLResponse)
async def submit_deployment(request: Request, svc: ServiceDep, key: Who) -> Response:
    """Check the form's spec (findings as it is filled in) or register it."""
    fields, chosen = await form_fields(request)
    posted(request, svc, str(fields.get("csrf", "")))
    result = check(svc, fields, chosen)
    error, error_zh = None, ""
    if fields.get("action") == "register" and result["spec"] is not None:
        if key.role != "admin":
            error = "Only an admin key registers deployments; the findings below are for your information."
        else:
            spec, names = result["spec"], result["profiles"]
            try:
                svc.gate.register(spec, caller(request, key), names)
                svc.submissions.remove(spec.id)
                return RedirectResponse(f"/console/deployments/{spec.id}", status_code=303)
            except RefusedError:
                svc.submissions.save(spec, names, key.actor, svc.clock())
                return RedirectResponse(f"/console/deployments/{spec.id}", status_code=303)
            except FacegateError as exc:
                error, error_zh = str(exc), CODES.get(exc.code, ("", ""))[1]
    return page(
        request, svc, "deployment_form.html", key, values=fields, chosen=chosen, result=result, error=error,
        error_zh=error_zh, **choices(),
    )  # fmt: skip


def deployment_or_404(svc: Service, key: ApiKey, deployment_id: str) -> dict[str, Any]:
    """A deployment the key may see, or a not-found page."""
    if not re.match(DEPLOYMENT_ID, deployment_id) or not visible(key, deployment_id):
        raise WebError(404, f"No deployment {deployment_id!r} that you may see.")
    try:
        return svc.deployment(deployment_id)
    except FacegateError:
        raise WebError(404, f"No deployment {deployment_id!r}.") from None


@router.get("/deployments/{deployment_id}", response_class=HTMLResponse)
def deployment(request: Request, deployment_id: str, svc: ServiceDep, key: Who) -> Response:
    """One deployment: status, findings linked to their rules, documents."""
    row = deployment_or_404(svc, key, deployment_id)
    return page(request, svc, "deployment.html", key, d=row, message=session.flashed(request, svc))


@router.post("/deployments/{deployment_id}/{action}")
def deployment_action(
    request: Request, deployment_id: str, action: str, svc: ServiceDep, key: Who, csrf: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Activate or retire a deployment (retiring deletes every template, so it must be confirmed)."""
    posted(request, svc, csrf)
    deployment_or_404(svc, key, deployment_id)
    if key.role != "admin" or action not in ("activate", "retire"):
        raise WebError(403, "Only an admin key activates or retires a deployment.")
    if action == "retire" and confirm != "yes":
        message = "Nothing was retired: tick the box to confirm that every template is deleted."
        return RedirectResponse(f"/console/deployments/{deployment_id}?{session.flash(request, svc, message)}",
                                status_code=303)  # fmt: skip
    try:
        decision = getattr(svc.gate, action)(deployment_id, caller(request, key))
        message = f"{action}: {decision.outcome}"
    except RefusedError as exc:
        message = f"refused: {exc}"
    except FacegateError as exc:
        message = str(exc)
    return RedirectResponse(f"/console/deployments/{deployment_id}?{session.flash(request, svc, message)}",
                            status_code=303)  # fmt: skip


@router.get("/deployments/{deployment_id}/{document}", response_class=HTMLResponse)
def document(request: Request, deployment_id: str, document: str, svc: ServiceDep, key: Who) -> Response:
    """A deployment's notice or impact assessment."""
    deployment_or_404(svc, key, deployment_id)
    spec, profiles = svc.spec_of(deployment_id)
    if document == "notice":
        doc = policy.notice_document(spec, profiles, verification=verification_point())
    elif document == "impact-assessment" and key.role in ("admin", "auditor"):
        doc = policy.pia_document(
            spec, today=svc.today(), profiles=profiles, settings=svc.gate.settings, verification=verification_point(),
            chinese=True if i18n.choose(request) == i18n.ZH_CN else None,
        )
    else:
        raise WebError(404, "No such document for you here.")
    if i18n.choose(request) == i18n.ZH_CN:
        doc = in_chinese(doc)  # the Chinese of each bilingual text; the spec's own words stay as written
    return page(request, svc, "document.html", key, doc=doc, deployment_id=deployment_id)


# ---- rules, audit, oversight, keys ----


@router.get("/rules/{rule_id:path}", response_class=HTMLResponse)
def rule(request: Request, rule_id: str, svc: ServiceDep, key: Who) -> Response:
    """A rule's text from the catalogue."""
    try:
        found = policy.get_rule(rule_id)
    except InputError:
        raise WebError(404, f"No rule {rule_id!r} in the catalogue.") from None
    return page(request, svc, "rule.html", key, rule=found)


AUDIT_PAGE = 50
DECISIONS = ("allow", "refuse")


def audit_filters(request: Request) -> tuple[listing.Filters, int | None, dict[str, str]]:
    """The audit page's filters and page cursor from its query; the values as given, to fill the form again."""
    query = request.query_params
    given = {name: query.get(name, "").strip()[:128] for name in
             ("operation", "deployment", "subject", "decision", "since", "until")}  # fmt: skip
    if given["decision"] not in DECISIONS:
        given["decision"] = ""
    since, until = (audit_day(name, given[name]) for name in ("since", "until"))
    filters = listing.Filters(
        operation=given["operation"] or None, deployment=given["deployment"] or None,
        subject=given["subject"] or None, decision=given["decision"] or None,
        since=since, until=until + timedelta(days=1) if until else None,
    )  # fmt: skip
    before = query.get("before", "")
    return filters, int(before) if before.isdigit() and len(before) <= 20 else None, given


def audit_day(field: str, text: str) -> datetime | None:
    """The start (UTC) of the day a filter field gives, within the days an audit range may name (as the API's
    export: 1970-01-01 to 9998-12-31); else a 422 page naming the field."""
    if not text:
        return None
    try:
        day = datetime.combine(date.fromisoformat(text), time(), UTC)
    except ValueError:
        raise WebError(422, f"The field {field} is not a date: dates are written YYYY-MM-DD.") from None
    if not EARLIEST <= day < LATEST:
        raise WebError(422, f"The field {field} is outside 1970-01-01 to 9998-12-31.")
    return day


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, svc: ServiceDep, key: Who) -> Response:
    """The audit log a page at a time, newest first, filtered; and the verification of the whole log (on request
    when it is large)."""
    if key.role not in ("admin", "auditor"):
        raise WebError(403, "The audit log is for admin and auditor keys.")
    filters, before, given = audit_filters(request)
    records = svc.gate.audit_records
    size, found = records.size(), records.page(filters, before, AUDIT_PAGE)
    asked = request.query_params.get("verify") == "1"
    report = svc.gate.audit_records.verify().to_json() if asked or size <= VERIFY_ON_VIEW else None
    seconds = max(1, round(size / VERIFIED_PER_SECOND))
    kept = {k: v for k, v in given.items() if v}
    older = f"/console/audit?{urlencode({**kept, 'before': found.older})}" if found.older is not None else None
    newest = f"/console/audit?{urlencode(kept)}" if before is not None else None
    operations = sorted({*LABELS["operation"], *filter(None, [filters.operation])})
    return page(request, svc, "audit.html", key, report=report, recent=found.entries, size=size, seconds=seconds,
                given=given, filtered=filters.any(), older=older, newest=newest, decisions=DECISIONS,
                operations=operations, deployments=[d["id"] for d in svc.gate.deployments()],
                actor_names={k.actor: k.name for k in svc.keys.list()})  # fmt: skip


@router.get("/oversight", response_class=HTMLResponse)
def oversight(request: Request, svc: ServiceDep, key: Who) -> Response:
    """Stored-individual counts against the filing thresholds, due dates and open tasks."""
    if key.role not in ("admin", "auditor"):
        raise WebError(403, "Oversight figures are for admin and auditor keys.")
    # Reading only: the counts and tasks are refreshed on the server's schedule or by the POST below.
    return page(request, svc, "oversight.html", key, report=status_report(svc.gate.context, refresh=False))


@router.post("/oversight/refresh")
def refresh_oversight(request: Request, svc: ServiceDep, key: Who, csrf: Annotated[str, Form()] = "") -> Response:
    """Recount stored individuals and open or close filing tasks now (admin)."""
    posted(request, svc, csrf)
    if key.role != "admin":
        raise WebError(403, "Only an admin key refreshes the oversight figures.")
    Oversight(svc.gate.context).refresh()
    return RedirectResponse("/console/oversight", status_code=303)


def key_rows(svc: Service) -> list[dict[str, Any]]:
    """Every API key with its state (active, revoked or expired) and since when."""
    now, rows = svc.clock(), []
    for k in svc.keys.list():
        state = k.state(now)
        since = {"revoked": k.revoked_at, "expired": k.expires_at}.get(state)
        rows.append({"key": k, "state": state, "since": since, "until": k.expires_at if state == "active" else None})
    return rows


@router.get("/keys", response_class=HTMLResponse)
def keys(request: Request, svc: ServiceDep, key: Who) -> Response:
    """API keys (admin only)."""
    if key.role != "admin":
        raise WebError(403, "API keys are managed with an admin key.")
    return page(request, svc, "keys.html", key, keys=key_rows(svc), roles=ROLES, minted=None, error=None,
                deployments=[d["id"] for d in svc.gate.deployments()])  # fmt: skip


@router.post("/keys", response_class=HTMLResponse)
async def create_key(request: Request, svc: ServiceDep, key: Who) -> Response:
    """Mint an API key; its secret is shown once."""
    data = await request.form()
    posted(request, svc, str(data.get("csrf", "")))
    if key.role != "admin":
        raise WebError(403, "API keys are managed with an admin key.")
    minted, error = None, None
    try:
        granted = [str(d) for d in data.getlist("deployments")]
        for deployment_id in granted:
            svc.gate.deployment_spec(deployment_id)  # a grant names a registered deployment, as in the API
        days = str(data.get("days", "")).strip()
        if days and not (re.fullmatch(r"[0-9]{1,4}", days) and 1 <= int(days) <= 3650):  # ASCII digits only
            raise InputError("The expiry is a whole number of days from 1 to 3650.")
        now = svc.clock()
        created, secret = svc.keys.create(
            str(data.get("role", "")), now, str(data.get("name", ""))[:64], granted, key.actor,
            expires_at=now + timedelta(days=int(days)) if days else None,
        )  # fmt: skip
        minted = {"key": created, "secret": secret}
    except FacegateError as exc:
        error = str(exc)
    return page(request, svc, "keys.html", key, keys=key_rows(svc), roles=ROLES, minted=minted, error=error,
                deployments=[d["id"] for d in svc.gate.deployments()])  # fmt: skip


@router.post("/keys/{key_id}/revoke")
def revoke_key(request: Request, key_id: str, svc: ServiceDep, key: Who, csrf: Annotated[str, Form()] = "") -> Response:
    """Revoke an API key."""
    posted(request, svc, csrf)
    if key.role != "admin":
        raise WebError(403, "API keys are managed with an admin key.")
    if svc.keys.get(key_id) is not None:
        svc.keys.revoke(key_id, svc.clock())
    return RedirectResponse("/console/keys", status_code=303)


def device_page(request: Request, svc: Service, key: ApiKey, minted: Any = None, error: str | None = None) -> Response:
    """The devices page: the hub's paired devices, and the form that mints a pairing token."""
    if key.role not in ("admin", "auditor"):
        raise WebError(403, "Devices are for admin and auditor keys.")
    if node_kind(svc.home) != "hub":
        return page(request, svc, "devices.html", key, hub=False)
    local = [d["id"] for d in svc.gate.deployments() if d["status"] != "retired"]
    on_devices = [d for d in local if svc.gate.deployment_spec(d).storage.location == "device"]
    return page(request, svc, "devices.html", key, hub=True, devices=Hub(svc.gate, svc.home).devices(),
                deployments=on_devices, minted=minted, error=error)  # fmt: skip


@router.get("/cameras", response_class=HTMLResponse)
def cameras(request: Request, svc: ServiceDep, key: Who) -> Response:
    """Door cameras on this node with their live status (state, frames, decisions, strangers counted); an operator
    sees only its granted deployments' cameras."""
    shown = [c for c in svc.gate.cameras.list() if visible(key, c["deployment"])]
    return page(request, svc, "cameras.html", key, cameras=shown)


@router.get("/devices", response_class=HTMLResponse)
def devices(request: Request, svc: ServiceDep, key: Who) -> Response:
    """Paired recognition devices (on a hub): state, last contact, verified log, unconfirmed deletions."""
    return device_page(request, svc, key)


@router.post("/devices/token", response_class=HTMLResponse)
async def pairing_token(request: Request, svc: ServiceDep, key: Who) -> Response:
    """Mint a one-time pairing token for the chosen deployments (admin, on a hub)."""
    data = await request.form()
    posted(request, svc, str(data.get("csrf", "")))
    if key.role != "admin" or node_kind(svc.home) != "hub":
        raise WebError(403, "Devices are paired by an admin key on the hub.")
    try:
        minted = Hub(svc.gate, svc.home).mint_token([str(d) for d in data.getlist("deployments")], key.actor)
    except FacegateError as exc:
        return device_page(request, svc, key, error=str(exc))
    return device_page(request, svc, key, minted=minted)


@router.post("/devices/{device_id}/{action}")
def device_action(
    request: Request, device_id: str, action: str, svc: ServiceDep, key: Who, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Suspend, resume or unpair a device (admin, on a hub)."""
    posted(request, svc, csrf)
    states = {"suspend": "suspended", "resume": "active", "unpair": "unpaired"}
    if key.role != "admin" or node_kind(svc.home) != "hub":
        raise WebError(403, "Devices are paired by an admin key on the hub.")
    if action not in states:
        raise WebError(404, "Nothing here")
    Hub(svc.gate, svc.home).set_status(device_id, states[action], key.actor)
    return RedirectResponse("/console/devices", status_code=303)
