"""The typed errors of facegate.client: each error answer's problem raises the class of its `code` (else of its
type), carrying `code`, `status`, `detail`, `rule_ids` and `alternatives`.

These are the one set of error classes outside facegate/errors.py (tests/test_import_contracts.py allows it by
name): they mirror the API's problem answers in the client's process, named as the HTTP problems are, and are
raised from an answer, never by the server; `ApiError` is a FacegateError, so `except FacegateError` catches both."""

from typing import Any

import httpx

from facegate.errors import FacegateError


class ApiError(FacegateError):
    """An error answer of the API, as its problem says."""

    def __init__(self, problem: dict[str, Any], status: int) -> None:
        super().__init__(str(problem.get("detail") or problem.get("title") or status))
        self.problem = problem
        self.status = status
        self.code = str(problem.get("code") or "internal")
        self.kind = str(problem.get("type", "/problems/internal")).rsplit("/", 1)[-1]
        self.detail = str(problem.get("detail", ""))
        self.rule_ids: list[str] = list(problem.get("rule_ids") or [])
        self.alternatives: list[str] = list(problem.get("alternatives") or [])


class InvalidInput(ApiError):
    """422: the input is not acceptable; nothing changed."""


class NotFound(ApiError):
    """404: the named thing does not exist."""


class Conflict(ApiError):
    """409: conflicts with the current state."""


class TooLarge(ApiError):
    """413: the body is over the limit."""


class Unauthorized(ApiError):
    """401: no key, or one unknown, revoked or expired."""


class Forbidden(ApiError):
    """403: this key may not do this."""


class Refused(ApiError):
    """403: the rules refuse; `rule_ids` says which, `alternatives` what the subject may use instead."""


class NotReady(ApiError):
    """503: a dependency of the server does not answer yet."""


class Unavailable(ApiError):
    """503 with Retry-After: the server cannot do this now (decoder busy, engine restarting); ask again later."""

    def __init__(self, problem: dict[str, Any], status: int, retry_after: int = 0) -> None:
        super().__init__(problem, status)
        self.retry_after = retry_after or int(problem.get("retry_after") or 0)


class NoFace(InvalidInput):
    """No face in the photo."""

    code = "no_face"


class SeveralFaces(InvalidInput):
    """More than one face where one is needed."""

    code = "several_faces"


class NotAnImage(InvalidInput):
    """The upload is not a JPEG, PNG or WebP image."""

    code = "not_an_image"


class TruncatedImage(InvalidInput):
    """The image file is cut short."""

    code = "truncated_image"


class ConsentMissing(Refused):
    """The subject has given no separate consent."""

    code = "consent_missing"


class ConsentWithdrawn(Refused):
    """The subject withdrew consent."""

    code = "consent_withdrawn"


class LivenessFailed(Refused):
    """The liveness check failed."""

    code = "liveness_failed"


BY_CODE: dict[str, type[ApiError]] = {
    c.code: c for c in (NoFace, SeveralFaces, NotAnImage, TruncatedImage, ConsentMissing, ConsentWithdrawn,
                        LivenessFailed)
}  # fmt: skip
BY_KIND: dict[str, type[ApiError]] = {
    "invalid-input": InvalidInput, "not-found": NotFound, "conflict": Conflict, "too-large": TooLarge,
    "unauthorized": Unauthorized, "forbidden": Forbidden, "refused": Refused, "liveness-failed": Refused,
    "not-ready": NotReady, "unavailable": Unavailable,
}  # fmt: skip


def error_from(answer: httpx.Response) -> ApiError:
    """The typed error of an error answer."""
    try:
        problem = answer.json()
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    kind = str(problem.get("type", "")).rsplit("/", 1)[-1]
    cls = BY_CODE.get(str(problem.get("code")), BY_KIND.get(kind, ApiError))
    if cls is Unavailable:
        wait = answer.headers.get("retry-after", "")
        return Unavailable(problem, answer.status_code, int(wait) if wait.isdigit() else 0)
    return cls(problem, answer.status_code)
