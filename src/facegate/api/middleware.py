"""Per-request plumbing as ASGI middleware: request IDs, body size limits, security headers, the request log."""

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facegate import metrics
from facegate.gate import MAX_IMAGE_BYTES

log = logging.getLogger("facegate.api")
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@+/=-]{0,127}$")  # the audit event's request_id
MULTIPART_OVERHEAD = 64 * 1024
JSON_LIMIT = 1024 * 1024
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
        b"form-action 'self'; base-uri 'none'",
    ),
    (b"cache-control", b"no-store"),
]


class _BodyTooLarge(HTTPException):
    """The body grew past the limit while it was read (the app's handlers answer 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the limit of {limit:,} bytes")


def body_limit(headers: dict[bytes, bytes]) -> int:
    """The most bytes a request body may have: an image and its form fields, or a JSON document."""
    kind = headers.get(b"content-type", b"").lower()
    return MAX_IMAGE_BYTES + MULTIPART_OVERHEAD if kind.startswith(b"multipart/") else JSON_LIMIT


def request_id(given: bytes | None) -> str:
    """The caller's X-Request-ID when it is a safe token, else a new one."""
    text = given.decode("latin-1") if given else ""
    return text if REQUEST_ID.match(text) else uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template (never the concrete path, which may hold a token)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    if str(scope.get("path", "")).startswith("/static/"):
        return "/static/{file}"
    return "(unmatched)"


async def _problem(send: Send, rid: str, status: int, kind: str, title: str, detail: str) -> None:
    """Answer with an RFC 9457 problem from outside the application (it failed or was never called)."""
    code = kind.replace("-", "_")  # too_large or internal
    body = json.dumps(
        {"type": f"/problems/{kind}", "code": code, "title": title, "status": status, "detail": detail,
         "request_id": rid}
    ).encode()  # fmt: skip
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", rid.encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _with_headers(send: Send, rid: str, extra: list[tuple[bytes, bytes]] | None = None) -> Send:
    """`send` with the request ID and the security headers added to the response's start (those not already set)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            added: list[Any] = [(b"x-request-id", rid.encode()), *(extra or [])]
            present = {k.lower() for k, _ in message.get("headers", [])}
            added += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
            message = {**message, "headers": [*message.get("headers", []), *added]}
        await send(message)

    return sending


async def _answer(scope: Scope, receive: Receive, send: Send, rid: str, status: int, kind: str, title: str,
                  detail: str) -> None:  # fmt: skip
    """Answer from outside the application: the page a face installed for its paths (`app.state.error_page`: the
    console's and the portal's HTML), else a problem."""
    page = getattr(getattr(scope.get("app"), "state", None), "error_page", None)
    answer = page(scope, status, detail) if page is not None else None
    if answer is None:
        await _problem(send, rid, status, kind, title, detail)
        return
    await answer(scope, receive, _with_headers(send, rid, [(b"connection", b"close")]))


async def _too_large(scope: Scope, receive: Receive, send: Send, rid: str, limit: int) -> None:
    detail = f"the request body is over the limit of {limit:,} bytes"
    await _answer(scope, receive, send, rid, 413, "too-large", "Request too large", detail)


class RequestMiddleware:
    """Gives each request an ID, refuses oversized bodies before reading them whole, and logs one line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        rid = request_id(headers.get(b"x-request-id"))
        scope.setdefault("state", {})["request_id"] = rid
        limit = body_limit(headers)
        status = {"code": 500, "started": False}
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > limit:
                status["code"] = 413
                await _too_large(scope, receive, send, rid, limit)
                return
            received = 0

            async def counted() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise _BodyTooLarge(limit)
                return message

            headed = _with_headers(send, rid)

            async def sending(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status["code"], status["started"] = message["status"], True
                await headed(message)

            try:
                await self.app(scope, counted, sending)
            except _BodyTooLarge:
                if status["started"]:
                    raise
                status["code"] = 413
                await _too_large(scope, receive, send, rid, limit)
            except Exception as exc:  # answered here, so no traceback (which may quote input) reaches the server log
                log.error("internal error %s request_id=%s", type(exc).__name__, rid)
                if not status["started"]:
                    status["code"] = 500
                    detail = "internal error; the request ID finds it in the server log"
                    await _answer(scope, receive, send, rid, 500, "internal", "Internal error", detail)
        finally:
            took = time.perf_counter() - started
            route = route_template(scope)
            metrics.request_answered(scope["method"], route, int(status["code"]), took)
            log.info("%s %s %s %.1fms request_id=%s", scope["method"], route, status["code"], took * 1000, rid)
