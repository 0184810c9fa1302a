"""Errors under /console and /portal as the console's HTML error page, naming the field or the problem: a body too
large, a form that cannot be read, a field the route refuses, an unknown page, an internal error. The API's paths
keep their problem+json answers (facegate.api.problems)."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.types import Scope

from facegate.api.problems import unreadable_body
from facegate.errors import FacegateError

from .pages import render

log = logging.getLogger("facegate.api")
Handler = Callable[[Request, Any], Awaitable[Response]]
NOTHING_DONE = " Nothing was done."


def on_web(path: str) -> bool:
    """Whether a path is the console's or the portal's (its errors are pages, not problem+json)."""
    return path in ("/console", "/portal") or path.startswith(("/console/", "/portal/"))


def error_page(request: Request, status: int, message: str, title: str = "Problem") -> Response:
    """The console's error page with `status`, its title and the message naming the field or the problem."""
    return render(request, "error.html", status_code=status, message=message, title=title)


def outside(scope: Scope, status: int, detail: str) -> Response | None:
    """The page for what the request middleware answers outside the app (None off the web): a body over the limit,
    refused before it is read, or an internal error (its type in the server log, nothing on the page)."""
    request = Request(scope)
    if not on_web(request.url.path):
        return None
    if status == 413:
        return too_large_page(request, detail)
    message = "Something went wrong inside facegate; the request ID finds it in the server log."
    return error_page(request, status, message, "Internal error")


def too_large_page(request: Request, detail: str) -> Response:
    """A body over the limit, as a page."""
    message = f"The upload is too large: {detail.removeprefix('the ')}; a photo may be at most 20 MiB."
    return error_page(request, 413, message + NOTHING_DONE, "Request too large")


def field_of(error: dict[str, Any]) -> str:
    """The name of the form field a validation error is about (`api_key`, not `body.api_key`)."""
    loc = [str(part) for part in error.get("loc", ())]
    return ".".join(loc[1:] if len(loc) > 1 and loc[0] in ("body", "query", "path") else loc) or "body"


def http_page(request: Request, exc: HTTPException) -> Response:
    """A protocol-level error under /console or /portal, as a page (with the exception's headers, `Allow` for 405)."""
    page = _http_page(request, exc)
    page.headers.update(exc.headers or {})
    return page


def _http_page(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 413:
        return too_large_page(request, str(exc.detail))
    if unreadable := unreadable_body(exc):
        return error_page(request, 422, f"The form cannot be read: {unreadable}." + NOTHING_DONE)
    if exc.status_code == 404 and request.url.path.startswith("/portal"):
        message = "This link is not valid or has expired. Ask the service for a new one."
        return error_page(request, 404, message, "Link not valid")
    if exc.status_code == 404:
        return error_page(request, 404, "There is no console page at this address.", "Not found")
    if exc.status_code == 405:
        return error_page(request, 405, f"This page does not take a {request.method} request.")
    return error_page(request, exc.status_code, str(exc.detail))


def install(app: FastAPI) -> None:
    """Answer errors under /console and /portal with the error page; leave the API's handlers for every other path."""
    api: dict[Any, Handler] = dict(app.exception_handlers)
    app.state.error_page = outside

    async def http_error(request: Request, exc: HTTPException) -> Response:
        return http_page(request, exc) if on_web(request.url.path) else await api[HTTPException](request, exc)

    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if not on_web(request.url.path):
            return await api[RequestValidationError](request, exc)
        said = dict.fromkeys(f"The field {field_of(e)} is not accepted: {e.get('msg', 'invalid')}."
                             for e in exc.errors())  # fmt: skip
        return error_page(request, 422, " ".join(list(said)[:5]) + NOTHING_DONE)

    async def facegate_error(request: Request, exc: FacegateError) -> Response:
        if not on_web(request.url.path):
            return await api[FacegateError](request, exc)
        if exc.status >= 500:
            log.error("error %s request_id=%s", type(exc).__name__, getattr(request.state, "request_id", "-"))
            return error_page(request, 503, "facegate cannot complete this request now; try again soon.")
        return error_page(request, exc.status, str(exc.args[0]) if exc.args else exc.kind)

    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid)  # type: ignore[arg-type]
    app.add_exception_handler(FacegateError, facegate_error)  # type: ignore[arg-type]
