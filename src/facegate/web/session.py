"""Console sessions: a signed cookie naming the API key that signed in and the session's random ID (ended on the
server when signing out), a CSRF token for its forms, the signed status messages of its pages, and the same-site
check of the sign-in and sign-out posts."""

import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import Response

from facegate.api.keys import ApiKey
from facegate.api.service import Service
from facegate.errors import WebError

COOKIE = "facegate_console"
LIFETIME = timedelta(hours=8)
SESSION_ID = re.compile(r"[0-9a-f]{32}")


def start(response: Response, svc: Service, key: ApiKey, now: datetime, secure: bool = False) -> None:
    """Sign the key in: a cookie the browser sends back to this site only, unreadable by scripts (HTTPS only
    when the console is served over HTTPS)."""
    payload = {"k": key.id, "s": secrets.token_hex(16), "exp": int((now + LIFETIME).timestamp())}
    response.set_cookie(
        COOKIE,
        svc.signer.sign("console", payload),
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        path="/",
        secure=secure,
    )


def _opened(request: Request, svc: Service) -> tuple[str, str, int] | None:
    """The key ID, session ID and expiry of the request's session cookie, unless forged, malformed or expired."""
    token = request.cookies.get(COOKIE)
    payload = svc.signer.open("console", token) if token else None
    if payload is None:
        return None
    exp, key_id, session_id = payload.get("exp"), payload.get("k"), payload.get("s")
    if not isinstance(exp, int) or not isinstance(key_id, str) or exp < svc.clock().timestamp():
        return None
    if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
        return None
    return key_id, session_id, exp


def end(request: Request, response: Response, svc: Service) -> None:
    """Sign out: the session is recorded as ended in the database (every replica refuses its cookie from now on, a
    copy of it included) and the browser is told to delete the cookie."""
    opened = _opened(request, svc)
    if opened is not None:
        _, session_id, exp = opened
        svc.keys.end_session(session_id, datetime.fromtimestamp(exp, UTC), svc.clock())
    response.delete_cookie(COOKIE, path="/")


def current(request: Request, svc: Service) -> ApiKey | None:
    """The key of the signed-in session, unless expired, signed out, or the key was revoked since."""
    opened = _opened(request, svc)
    if opened is None or svc.keys.session_ended(opened[1]):
        return None
    key = svc.keys.get(opened[0])
    return key if key is not None and key.state(svc.clock()) == "active" else None


def flash(request: Request, svc: Service, message: str) -> str:
    """The query (`message=...&sig=...`) that shows `message` in the next page's status banner: signed for this
    session, so that a link cannot make the console say anything it did not say itself."""
    return urlencode({"message": message, "sig": _message_mac(request, svc, message)})


def flashed(request: Request, svc: Service) -> str | None:
    """The status message of this page's query, if the console signed it for this session; else None."""
    message, sig = request.query_params.get("message"), request.query_params.get("sig", "")
    if message is None or not sig.isascii():
        return None
    return message if hmac.compare_digest(sig, _message_mac(request, svc, message)) else None


def _message_mac(request: Request, svc: Service, message: str) -> str:
    return svc.signer.mac("message", f"{request.cookies.get(COOKIE, '')}\n{message}")


def csrf_token(request: Request, svc: Service) -> str:
    """The CSRF token of this session, for every form it posts."""
    return svc.signer.mac("csrf", request.cookies.get(COOKIE, ""))


def same_site(request: Request) -> None:
    """Refuse a post another site's page made (sign-in and sign-out have no session to take a CSRF token from yet).

    A browser says where a request comes from in `Sec-Fetch-Site`: only `same-origin` (or `none`, typed by the
    user) passes. A browser too old to send it sends `Origin`, which must then name this server's own host (`Host`,
    or `X-Forwarded-Host` from a proxy); the console's `Referrer-Policy: no-referrer` makes a same-site post send
    `Origin: null`, which passes. A client that sends neither (not a browser, so no other site's page is behind it)
    passes.
    """
    fetch_site, origin = request.headers.get("sec-fetch-site"), request.headers.get("origin")
    if fetch_site is not None:
        foreign = fetch_site not in ("same-origin", "none")
    else:
        hosts = {request.headers.get(name, "").lower() for name in ("host", "x-forwarded-host")} - {""}
        foreign = origin not in (None, "null") and urlsplit(origin).netloc.lower() not in hosts
    if foreign:
        raise WebError(403, "This form was sent from another site; open the console's own sign-in page and try "
                       "again.", "Not allowed")  # fmt: skip
