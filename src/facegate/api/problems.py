"""Errors as RFC 9457 problem details (`application/problem+json`), each refusal with its rule IDs."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.routing import compile_path

from facegate.errors import ConflictError, FacegateError, ForbiddenError, UnauthorizedError, Unavailable
from facegate.languages import ZH_CN
from facegate.policy import citation

from . import codes
from .problem_words import problem_zh

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("facegate.api")

# type slug -> (title, what it means); served at /problems/<slug> so each type URI resolves.
TYPES: dict[str, tuple[str, str]] = {
    "refused": ("Refused by the rules", "The rules behind `rule_ids` refuse the operation; `alternatives` says what "
                "the subject may use instead."),
    "liveness-failed": ("Liveness check failed", "The camera frames did not answer the liveness challenge "
                        "(`reasons` names the checks; `retry_after` the seconds to wait); the "
                        "`alternatives` need no camera."),
    "forbidden": ("Not allowed for this key", "The API key's role, or the deployments it is granted, do not "
                  "cover this operation."),
    "unauthorized": ("Authentication required", "Send `Authorization: Bearer <API key or subject link token>`."),
    "invalid-input": ("Invalid input", "The request's input (a spec, an image, a field) is not acceptable; "
                      "nothing was changed."),
    "not-found": ("Not found", "The named deployment, subject, key or event does not exist."),
    "conflict": ("Conflict", "The request conflicts with the current state (for example, already registered)."),
    "too-large": ("Request too large", "The body is over the limit; images may be at most 20 MiB."),
    "tampered": ("Audit log failed verification", "An audit entry or checkpoint was altered, removed or forged."),
    "unavailable": ("Unavailable, try again", "facegate cannot do this now but will soon (decoder busy, hub out of "
                    "reach, face engine restarting); ask again after the `Retry-After` header's seconds "
                    "(`retry_after`). Nothing was changed."),
    "not-ready": ("Not ready", "A dependency (database, key store, face engine) does not answer yet; `checks` says "
                  "which. Ask again, or send the request to another replica."),
    "http": ("HTTP error", "A protocol-level error (method not allowed, unknown path, ...)."),
    "internal": ("Internal error", "Something went wrong inside facegate; the request ID finds it in the log."),
}  # fmt: skip


# The API's short names for the errors of facegate.errors it raises itself.
Forbidden, Unauthorized, Conflict = ForbiddenError, UnauthorizedError, ConflictError


def problem(
    request: Request,
    status: int,
    kind: str,
    detail: str,
    headers: dict[str, str] | None = None,
    code: str | None = None,
    detail_zh: str | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response of type `kind` and its `code`, in the request's language, with its ID.

    `title` is the code's sentence in zh or en. `detail` is facegate's specific English for an en caller; a zh
    caller reads `detail_zh`, else the code's sentence with the refusal's rules (titled) and alternatives in Chinese.
    The machine fields (`code`, `rule_ids`, `profile`, `severity`, `rules`, `alternatives`, ...) are the same in both
    languages; `status` stays the HTTP status, each rule's confirmation status is in `rules`."""
    code = code or codes.code_of(kind, status)
    if extra.get("rule_ids"):  # a refusal also cites profile and severity (regulation.md §1), each rule's status
        extra = {**{k: v for k, v in citation(extra["rule_ids"]).items() if k != "status"}, **extra}  # HTTP's
    language = codes.language(request.headers.get("accept-language"))
    if language == ZH_CN:
        detail = detail_zh or problem_zh(code, extra.get("rule_ids"), extra.get("alternatives"))
    body = {
        "type": f"/problems/{kind}",
        "code": code,
        "title": codes.sentence(code, language),
        "status": status,
        "detail": detail,
        "instance": request.url.path if kind != "unauthorized" else None,
        "request_id": getattr(request.state, "request_id", None),
        **extra,
    }
    if request.url.path.startswith("/portal/"):  # a subject link's token is in the path: never echo it
        body["instance"] = "/portal/{token}"
    headers = {**(headers or {}), "content-language": language}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc)


def _message(error: dict[str, Any]) -> tuple[str, str]:
    """One validation error's field and message, in words for the caller rather than for a Python programmer."""
    if error.get("type") == "json_invalid":
        loc = error.get("loc", ())
        at = f" at character {loc[1]}" if len(loc) > 1 else ""
        why = str(error.get("ctx", {}).get("error", "decode error")).removesuffix(" at")  # its place follows
        return "body", f"the body is not valid JSON ({why}{at})"
    if "Expected UploadFile" in error.get("msg", ""):  # FastAPI's words name a Python class
        return _field(error.get("loc", ())), "must be a file (a multipart part with a filename), not text"
    return _field(error.get("loc", ())), error.get("msg", "")


def unreadable_body(exc: HTTPException) -> str | None:
    """What is wrong with a body FastAPI or Starlette could not parse (each answers a bare 400), else None."""
    if exc.status_code != 400:
        return None
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, UnicodeError):
        return "the JSON body is not UTF-8 text"
    if isinstance(cause, RecursionError):
        return "the JSON body nests too deeply"
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return "a number in the JSON body has too many digits"
    if isinstance(cause, MultiPartException):
        return f"the multipart form cannot be read: {exc.detail}"
    if exc.detail == "There was an error parsing the body":
        return "the body cannot be read as JSON"
    return None


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem response."""

    @app.exception_handler(FacegateError)
    async def facegate_error(request: Request, exc: FacegateError) -> JSONResponse:
        # Each error carries its status and problem type; one past 499 is logged by type and never shown.
        if isinstance(exc, Unavailable):  # retryable: the client is told when to ask again
            log.warning("unavailable %s request_id=%s", exc.code, getattr(request.state, "request_id", "-"))
            wait = {"Retry-After": str(exc.retry_after)}
            return problem(request, 503, exc.kind, str(exc), wait, exc.code, **exc.problem_fields())
        if exc.status >= 500 or exc.kind not in TYPES:
            log.error("error %s request_id=%s", type(exc).__name__, getattr(request.state, "request_id", "-"))
            return problem(request, 503, "internal", "facegate cannot complete this request now")
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        detail = str(exc.args[0]) if exc.args else exc.kind
        fields = exc.problem_fields()
        return problem(request, exc.status, exc.kind, detail, headers, exc.code, exc.detail_zh(), **fields)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # The input values are never echoed: only where the problem is and what it is.
        # A path parameter the route and its key check both declare fails twice: listed once.
        found = dict.fromkeys(_message(e) for e in exc.errors())
        errors = [{"field": field, "message": message} for field, message in found]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]) or "invalid request"
        fields = "、".join(dict.fromkeys(e["field"] for e in errors[:5] if e["field"]))
        detail_zh = codes.sentence("invalid_input", ZH_CN) + (f"有问题的字段：{fields}。" if fields else "")
        return problem(request, 422, "invalid-input", detail, detail_zh=detail_zh, errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 413:
            return problem(request, 413, "too-large", str(exc.detail))
        if unreadable := unreadable_body(exc):  # an input problem like any other: 422 invalid_input, field `body`
            zh = codes.sentence("invalid_input", ZH_CN) + "有问题的字段：body。"
            errors = [{"field": "body", "message": unreadable}]
            return problem(request, 422, "invalid-input", f"body: {unreadable}", detail_zh=zh, errors=errors)
        kind = "not-found" if exc.status_code == 404 else "http"
        detail = str(exc.detail) if exc.status_code != 404 else f"nothing at {request.url.path}"
        detail_zh = f"{request.url.path} 处没有任何内容。" if exc.status_code == 404 else None
        if request.url.path.startswith("/portal/"):
            detail, detail_zh = "this link is not valid", "此链接无效。"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405 and (methods := allowed_methods(request)):
            headers = {**(headers or {}), "Allow": ", ".join(methods)}
            detail, detail_zh = f"this path takes {', '.join(methods)}", f"此路径只接受 {', '.join(methods)}。"
        return problem(request, exc.status_code, kind, detail, headers, detail_zh=detail_zh)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        # The type only: a message could carry input, and input may be biometric.
        log.error("internal error %s request_id=%s", type(exc).__name__, getattr(request.state, "request_id", "-"))
        return problem(request, 500, "internal", "internal error; the request ID finds it in the server log")


_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def allowed_methods(request: Request) -> list[str] | None:
    """Every method the request's API path takes, read from the OpenAPI document (Starlette's 405 names only the first
    route's); None outside the API."""
    table = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        paths = request.app.openapi()["paths"].items()
        table = [(compile_path(path)[0], {m.upper() for m in item if m in _METHODS}) for path, item in paths]
        request.app.state.allowed_methods = table
    # Every template the path matches: a literal path and a parameter's template may both take it.
    methods = {m for regex, taken in table if regex.match(request.url.path) for m in taken}
    return sorted(methods) or None
