"""The web face: the console for the DPO and the operator, and the subject portal (server-rendered, no CDN)."""

from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from facegate.api.strict import control_in
from facegate.errors import WebError

from . import error_pages
from .console import router as console_router
from .kiosk import router as kiosk_router
from .pages import render
from .portal import router as portal_router
from .subjects import router as subjects_router
from .trial import router as trial_router

STATIC = Path(__file__).parent / "static"


async def plain_form(request: Request) -> None:
    """Refuse a posted body with a control character in a text field (NUL, ESC, ...): a page says which, nothing is
    stored (PostgreSQL cannot store a NUL; a terminal listing keys would obey an ESC)."""
    if request.method == "POST" and (found := await control_in(request)):
        field = found.removeprefix("body.")
        raise WebError(422, f"The field {field} holds a control character; type it again as plain text.", "Problem")


def mount(app: FastAPI) -> None:
    """Add the console, the portal, the problem type pages and the static assets to `app`."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (console_router, portal_router, kiosk_router, trial_router, subjects_router):
        app.include_router(router, dependencies=[Depends(plain_form)])

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        """The site root: the console."""
        return RedirectResponse("/console", status_code=303)

    @app.get("/problems/{kind}", include_in_schema=False, response_class=HTMLResponse)
    def problem_type(request: Request, kind: str) -> HTMLResponse:
        """The page a problem's `type` URI opens."""
        from facegate.api.problems import TYPES

        if kind not in TYPES:
            raise WebError(404, "No such problem type.")
        title, meaning = TYPES[kind]
        return render(request, "problem_type.html", kind=kind, title=title, meaning=meaning)

    error_pages.install(app)

    @app.exception_handler(WebError)
    async def web_error(request: Request, exc: WebError) -> Response:
        """An error as an HTML page."""
        if exc.status == 401:
            return RedirectResponse("/console/login", status_code=303)
        return render(request, "error.html", status_code=exc.status, message=exc.message, title=exc.title)
