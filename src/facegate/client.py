"""A small typed Python client for facegate's REST API, over httpx; each problem raises its typed error.

    from facegate.client import Client, ConsentMissing, NoFace

    with Client("http://127.0.0.1:8000", key="fgk_...") as api:
        api.add_subject("emp-1")
        api.notice_shown("hq-lobby", "emp-1")
        api.give_consent("hq-lobby", "emp-1")
        api.enroll("hq-lobby", "emp-1", open("emp-1.jpg", "rb").read())
        decision = api.verify("hq-lobby", "emp-1", photo)        # {"outcome": "match", "match": True, ...}

Errors: every answer of 400 or more raises an `ApiError` subclass chosen by the problem's `code` (`NoFace`,
`SeveralFaces`, `NotAnImage`, `TruncatedImage`, `ConsentMissing`, `LivenessFailed`, ...), else by its type
(`InvalidInput`, `NotFound`, `Refused`, `Forbidden`, `Unauthorized`, ...); each carries `code`, `status`,
`detail`, `rule_ids` and `alternatives`. `Unavailable` (503) is retryable: wait `retry_after` seconds, ask again.
"""

from collections.abc import Iterator
from types import TracebackType
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


class Client:
    """The API at `base_url` with an API key (or a subject link token for the `/me` routes)."""

    def __init__(
        self,
        base_url: str,
        key: str | None = None,
        *,
        language: str = "en",
        timeout: float = 60.0,
        http: httpx.Client | None = None,
    ) -> None:
        headers = {"Accept-Language": language, **({"Authorization": f"Bearer {key}"} if key else {})}
        self._own = http is None
        self._http = http or httpx.Client(timeout=timeout)
        self._base = base_url.rstrip("/")
        self._headers = headers

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (not one passed in)."""
        if self._own:
            self._http.close()

    def call(self, method: str, path: str, **options: Any) -> Any:
        """One request; the JSON answer, or the typed error of a problem."""
        answer = self._http.request(method, self._base + path, headers=self._headers, **options)
        if answer.status_code >= 400:
            raise error_from(answer)
        return answer.json() if answer.content else None

    def _object(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        found: dict[str, Any] = self.call(method, path, **options)  # the routes behind these methods answer objects
        return found

    def pages(self, path: str, limit: int = 100, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paged list, following `next_cursor`."""
        cursor = None
        while True:
            query = {k: v for k, v in filters.items() if v is not None} | {"limit": limit}
            page = self.call("GET", path, params=query | ({"cursor": cursor} if cursor else {}))
            yield from page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return

    # ---- service ----
    def ready(self) -> dict[str, Any]:
        """`/readyz`: whether the database, key store and engine answer (NotReady otherwise)."""
        return self._object("GET", "/readyz")

    # ---- deployments ----
    def check(self, spec: dict[str, Any], profiles: list[str] | None = None) -> dict[str, Any]:
        """The findings and verdict of a spec, without registering it."""
        return self._object("POST", "/api/v1/checks", json={"spec": spec, "profiles": profiles or ["cn2025"]})

    def register(
        self, spec: dict[str, Any], profiles: list[str] | None = None, activate: bool = True
    ) -> dict[str, Any]:
        """Register (and activate) a deployment; Refused with its findings when one blocks."""
        body = {"spec": spec, "profiles": profiles or ["cn2025"], "activate": activate}
        return self._object("POST", "/api/v1/deployments", json=body)

    # ---- subjects ----
    def add_subject(self, subject_id: str | None = None) -> dict[str, Any]:
        """Add a subject under a pseudonymous ID."""
        return self._object("POST", "/api/v1/subjects", json={"id": subject_id} if subject_id else {})

    def notice_shown(self, deployment: str, subject: str) -> dict[str, Any]:
        """Record that the subject was shown the current notice."""
        return self._object("POST", f"/api/v1/deployments/{deployment}/subjects/{subject}/notice")

    def give_consent(self, deployment: str, subject: str, **fields: Any) -> dict[str, Any]:
        """Record the subject's separate consent (`kind`, `form`, `evidence_ref`, ... as the API takes them)."""
        return self._object("POST", f"/api/v1/deployments/{deployment}/subjects/{subject}/consents", json=fields)

    def withdraw(self, deployment: str, subject: str) -> dict[str, Any]:
        """Withdraw the subject's consent: their facial data there is deleted."""
        return self._object("POST", f"/api/v1/deployments/{deployment}/subjects/{subject}/withdraw")

    def delete_subject(self, subject: str) -> dict[str, Any]:
        """Delete a subject everywhere."""
        return self._object("DELETE", f"/api/v1/subjects/{subject}")

    # ---- biometrics ----
    def enroll(self, deployment: str, subject: str, *photos: bytes) -> dict[str, Any]:
        """Enroll one to three photos of the subject."""
        files = [("image", (f"photo-{i}.jpg", p, "application/octet-stream")) for i, p in enumerate(photos)]
        return self._object("POST", f"/api/v1/deployments/{deployment}/subjects/{subject}/enroll", files=files)

    def verify(self, deployment: str, subject: str, photo: bytes) -> dict[str, Any]:
        """1:1: match or no_match."""
        files = {"image": ("photo.jpg", photo, "application/octet-stream")}
        return self._object("POST", f"/api/v1/deployments/{deployment}/subjects/{subject}/verify", files=files)

    def identify(self, deployment: str, photo: bytes, faces: str = "all") -> dict[str, Any]:
        """1:N: who of the deployment each face in the photo is, if anyone (`faces="largest"`: the largest face
        only). The answer's top-level fields are the largest face's decision; `faces` lists every face with its
        `box` and its own decision."""
        files = {"image": ("photo.jpg", photo, "application/octet-stream")}
        path = f"/api/v1/deployments/{deployment}/identify"
        return self._object("POST", path, files=files, params={"faces": faces})

    # ---- lists (each follows `next_cursor` to the end) ----
    def deployments(self, limit: int = 100) -> Iterator[dict[str, Any]]:
        """Registered deployments and blocked submissions, by ID."""
        return self.pages("/api/v1/deployments", limit)

    def keys(self, limit: int = 100) -> Iterator[dict[str, Any]]:
        """API keys, by ID (admin; never a secret)."""
        return self.pages("/api/v1/keys", limit)

    def rules(self, limit: int = 100) -> Iterator[dict[str, Any]]:
        """The rule catalogue, by ID."""
        return self.pages("/api/v1/rules", limit)

    def devices(self, limit: int = 100, site: str | None = None) -> Iterator[dict[str, Any]]:
        """A hub's paired devices, by ID."""
        return self.pages("/api/v1/devices", limit, site=site)

    # ---- collections ----
    def enrollments(self, deployment: str, limit: int = 100) -> Iterator[dict[str, Any]]:
        """The deployment's subjects with their consent state and templates, every page."""
        return self.pages(f"/api/v1/deployments/{deployment}/subjects", limit)

    def delete_template(self, deployment: str, subject: str, template_id: str) -> dict[str, Any]:
        """Delete one template of a subject."""
        return self._object("DELETE", f"/api/v1/deployments/{deployment}/subjects/{subject}/templates/{template_id}")

    def audit_entries(self, limit: int = 100, **filters: Any) -> Iterator[dict[str, Any]]:
        """Audit entries, newest first (filters: operation, deployment, subject, decision, since, until)."""
        return self.pages("/api/v1/audit/entries", limit, **filters)

    # ---- webhooks ----
    def create_webhook(self, url: str, events: list[str], description: str = "") -> dict[str, Any]:
        """Register a receiver; the answer's `secret` is shown this once."""
        return self._object("POST", "/api/v1/webhooks", json={"url": url, "events": events, "description": description})
