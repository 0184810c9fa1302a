"""Console sessions: a signed cookie naming the API key that signed in, and a CSRF token for its forms."""

from datetime import datetime, timedelta

from fastapi import Request
from fastapi.responses import Response

from facegate.api.keys import ApiKey
from facegate.api.service import Service

COOKIE = "facegate_console"
LIFETIME = timedelta(hours=8)


def start(response: Response, svc: Service, key: ApiKey, now: datetime, secure: bool = False) -> None:
    """Sign the key in: a cookie the browser sends back to this site only, unreadable by scripts (HTTPS only
    when the console is served over HTTPS)."""
    token = svc.signer.sign("console", {"k": key.id, "exp": int((now + LIFETIME).timestamp())})
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        path="/",
        secure=secure,
    )


def end(response: Response) -> None:
    """Sign out."""
    response.delete_cookie(COOKIE, path="/")


def current(request: Request, svc: Service) -> ApiKey | None:
    """The key of the signed-in session, unless expired or the key was revoked since."""
    token = request.cookies.get(COOKIE)
    payload = svc.signer.open("console", token) if token else None
    if payload is None:
        return None
    exp, key_id = payload.get("exp"), payload.get("k")
    if not isinstance(exp, int) or not isinstance(key_id, str) or exp < svc.clock().timestamp():
        return None
    key = svc.keys.get(key_id)
    return key if key is not None and key.state(svc.clock()) == "active" else None


def csrf_token(request: Request, svc: Service) -> str:
    """The CSRF token of this session, for every form it posts."""
    return svc.signer.mac("csrf", request.cookies.get(COOKIE, ""))
