"""The API browser: Swagger UI at /docs and ReDoc at /redoc, from the assets the `fastapi-offline` package ships
(no CDN, so it works offline), and the schema's readable names (operation IDs, form schemas, tags)."""

import json
import re
from importlib.resources import files
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from facegate.errors import NotFoundError

ASSETS = files("fastapi_offline") / "static"
SHIPPED = {"swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"}
SCHEMA_URL = "/api/v1/openapi.json"
# Swagger UI and ReDoc set styles from script and ReDoc searches in a worker: the pages' own policy allows that.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "worker-src 'self' blob:; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
)
SWAGGER_INIT = f"""window.addEventListener("load", function () {{
  window.ui = SwaggerUIBundle({{
    url: "{SCHEMA_URL}", dom_id: "#swagger-ui", deepLinking: true, displayOperationId: true,
    presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout", persistAuthorization: false
  }});
}});
"""
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/docs/assets/favicon.png">{head}</head>
<body>{body}</body></html>
"""
# Operation IDs are the handlers' names; these would repeat, so their area says which they are.
RENAMED = {("audit", "verify"): "verify_audit_log", ("audit", "export"): "export_audit_log",
           ("audit", "checkpoint"): "sign_checkpoint", ("audit", "prove"): "prove_event",
           ("liveness", "challenge"): "liveness_challenge", ("devices", "join"): "join_hub",
           ("devices", "pull"): "pull_hub_state", ("devices", "push"): "push_device_log",
           ("devices", "suspend"): "suspend_device", ("devices", "resume"): "resume_device",
           ("devices", "unpair"): "unpair_device", ("documents", "notice"): "get_notice",
           ("documents", "impact_assessment"): "get_impact_assessment",
           ("subject self-service", "me"): "get_my_standing"}  # fmt: skip
TAGS = [
    {"name": "deployments", "description": "Check a spec, register, update, activate, retire; incidents."},
    {"name": "documents", "description": "The notice and the impact assessment generated from a spec."},
    {"name": "subjects", "description": "Subjects, notices shown, consents, declines, withdrawals, access, deletion."},
    {"name": "biometrics", "description": "Enroll, verify (1:1), identify (1:N); the non-biometric alternatives."},
    {"name": "liveness", "description": "Liveness challenges and verification or identification on camera frames."},
    {"name": "collections", "description": "A deployment's subjects and enrollments, a page at a time; one template."},
    {"name": "audit", "description": "The tamper-evident audit log: verify, prove, export, checkpoints."},
    {"name": "keys", "description": "API keys (admins)."},
    {"name": "webhooks", "description": "Signed event deliveries to other systems (admins)."},
    {"name": "subject self-service", "description": "What a subject's signed link opens: their own record."},
    {"name": "devices", "description": "Hub and device pairing and sync."},
    {"name": "rules", "description": "The rule catalogue, provisions and vocabularies."},
    {"name": "service", "description": "Health, readiness, metrics."},
]

# A form's example: its fields, the files as the names a browser would send.
FORM_EXAMPLES = {"image": "photo.jpg", "frames": ["frame-000.jpg", "frame-001.jpg"], "purpose": "access_control",
                 "timestamps": "[0, 400]", "device": "lobby-kiosk-1", "nonce": "3q2-7wAAbq8LkJ1mZt0x9A"}  # fmt: skip

router = APIRouter(include_in_schema=False)


def _headers() -> dict[str, str]:
    return {"content-security-policy": CSP}


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Swagger UI on the schema."""
    head = '<link rel="stylesheet" href="/docs/assets/swagger-ui.css">'
    body = ('<div id="swagger-ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>'
            '<script src="/docs/assets/swagger-init.js"></script>')  # fmt: skip
    return HTMLResponse(PAGE.format(title="facegate API", head=head, body=body), headers=_headers())


@router.get("/redoc")
def redoc() -> HTMLResponse:
    """ReDoc on the schema."""
    body = f'<redoc spec-url="{SCHEMA_URL}"></redoc><script src="/docs/assets/redoc.standalone.js"></script>'
    return HTMLResponse(PAGE.format(title="facegate API reference", head="", body=body), headers=_headers())


@router.get("/api/v1/docs")
def docs_alias() -> RedirectResponse:
    """Where an integrator may look first."""
    return RedirectResponse("/docs")


@router.get("/docs/assets/{name}")
def asset(name: str) -> Response:
    """One of the shipped assets, or the few lines that start Swagger UI."""
    if name == "swagger-init.js":
        return Response(SWAGGER_INIT, media_type="text/javascript", headers={"cache-control": "max-age=3600"})
    if name not in SHIPPED:
        raise NotFoundError(f"no asset {name!r}")
    return FileResponse(str(ASSETS / name), headers={"cache-control": "max-age=86400"})


def operation_id(route: APIRoute) -> str:
    """A route's operation ID: its handler's name (`enroll`, `list_keys`), `my_...` for the subject's own."""
    area = route.tags[0] if route.tags else ""
    if (str(area), route.name) in RENAMED:
        return RENAMED[(str(area), route.name)]
    return f"my_{route.name}" if area == "subject self-service" else route.name


def readable(schema: dict[str, Any]) -> dict[str, Any]:
    """Rename FastAPI's form schemas (`Body_enroll`) to `EnrollForm`, and every reference to them."""
    schemas = schema.get("components", {}).get("schemas", {})
    names = {old: "".join(p.capitalize() for p in old.removeprefix("Body_").split("_")) + "Form"
             for old in schemas if old.startswith("Body_")}  # fmt: skip
    for old, new in names.items():
        form = schemas[new] = {**schemas.pop(old), "title": new}
        fields = form.get("properties", {})
        example: dict[str, Any] = {k: FORM_EXAMPLES[k] for k in fields if k in FORM_EXAMPLES}
        for key, value in example.items():
            if fields[key].get("type") == "array" and not isinstance(value, list):
                example[key] = [value]  # a field that may repeat (enroll's `image`)
        form["examples"] = [example]
    text = re.sub(
        r'"#/components/schemas/(Body_[A-Za-z0-9_]+)"',
        lambda m: f'"#/components/schemas/{names.get(m.group(1), m.group(1))}"',
        json.dumps(schema),
    )
    renamed: dict[str, Any] = json.loads(text)
    return renamed

