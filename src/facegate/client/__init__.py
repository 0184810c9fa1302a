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

import json
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import httpx

from .problems import (
    BY_CODE,
    BY_KIND,
    ApiError,
    Conflict,
    ConsentMissing,
    ConsentWithdrawn,
    Forbidden,
    InvalidInput,
    LivenessFailed,
    NoFace,
    NotAnImage,
    NotFound,
    NotReady,
    Refused,
    SeveralFaces,
    TooLarge,
    TruncatedImage,
    Unauthorized,
    Unavailable,
    error_from,
)  # fmt: skip

__all__ = [
    "BY_CODE", "BY_KIND", "ApiError", "Client", "Conflict", "ConsentMissing", "ConsentWithdrawn", "Forbidden",
    "InvalidInput", "LivenessFailed", "NoFace", "NotAnImage", "NotFound", "NotReady", "Refused", "SeveralFaces",
    "TooLarge", "TruncatedImage", "Unauthorized", "Unavailable", "error_from",
]  # fmt: skip


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

    def text(self, method: str, path: str, **options: Any) -> str:
        """One request whose answer is a document (Markdown, HTML, NDJSON, Prometheus text); its text."""
        answer = self._http.request(method, self._base + path, headers=self._headers, **options)
        if answer.status_code >= 400:
            raise error_from(answer)
        return answer.text

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

    def list_webhooks(self, limit: int = 100) -> Iterator[dict[str, Any]]:
        """Registered receivers, by ID (never a secret)."""
        return self.pages("/api/v1/webhooks", limit)

    def get_webhook(self, hook_id: str) -> dict[str, Any]:
        """One receiver."""
        return self._object("GET", f"/api/v1/webhooks/{hook_id}")

    def delete_webhook(self, hook_id: str) -> None:
        """Remove a receiver (nothing more is sent to it)."""
        self.call("DELETE", f"/api/v1/webhooks/{hook_id}")

    def ping_webhook(self, hook_id: str) -> dict[str, Any]:
        """Queue a signed test event to a receiver."""
        return self._object("POST", f"/api/v1/webhooks/{hook_id}/ping")

    def list_webhook_deliveries(self, hook_id: str, limit: int = 100) -> Iterator[dict[str, Any]]:
        """A receiver's deliveries: attempts, status, next try."""
        return self.pages(f"/api/v1/webhooks/{hook_id}/deliveries", limit)

    def list_webhook_events(self, limit: int = 100) -> Iterator[dict[str, Any]]:
        """The events a receiver may ask for, by name."""
        return self.pages("/api/v1/webhooks/events", limit)

    # ---- deployments, their documents and records ----
    def get_deployment(self, deployment: str) -> dict[str, Any]:
        """A deployment: status, profiles, spec and findings."""
        return self._object("GET", f"/api/v1/deployments/{deployment}")

    def update_deployment(
        self, deployment: str, spec: dict[str, Any], profiles: list[str] | None = None
    ) -> dict[str, Any]:
        """Replace a deployment's spec (or resubmit a blocked one)."""
        body = {"spec": spec, **({"profiles": profiles} if profiles else {})}
        return self._object("PUT", f"/api/v1/deployments/{deployment}", json=body)

    def activate_deployment(self, deployment: str) -> dict[str, Any]:
        """Activate a registered deployment (the gate decides)."""
        return self._object("POST", f"/api/v1/deployments/{deployment}/activate")

    def retire_deployment(self, deployment: str) -> dict[str, Any]:
        """Retire a deployment: every template is deleted."""
        return self._object("POST", f"/api/v1/deployments/{deployment}/retire")

    def record_incident(self, deployment: str, **fields: Any) -> dict[str, Any]:
        """Record a security incident (fields as the API's IncidentRequest)."""
        return self._object("POST", f"/api/v1/deployments/{deployment}/incidents", json=fields)

    def attest_claim(self, deployment: str, **fields: Any) -> dict[str, Any]:
        """A reviewer's attestation of a claim (fields as the API's AttestationRequest)."""
        return self._object("POST", f"/api/v1/deployments/{deployment}/attestations", json=fields)

    def get_notice(self, deployment: str, format: str = "md") -> str:
        """The deployment's notice, as Markdown (`md`) or a standalone HTML page (`html`)."""
        return self.text("GET", f"/api/v1/deployments/{deployment}/notice", params={"format": format})

    def get_impact_assessment(self, deployment: str, format: str = "md") -> str:
        """The deployment's impact assessment, as Markdown or HTML."""
        return self.text("GET", f"/api/v1/deployments/{deployment}/impact-assessment", params={"format": format})

    # ---- subjects, their standing and alternatives ----
    def list_subjects(self, limit: int = 100, q: str | None = None, deployment: str | None = None
                      ) -> Iterator[dict[str, Any]]:  # fmt: skip
        """Subjects by ID (`q`: an ID prefix), each with its standing per deployment the key may see."""
        return self.pages("/api/v1/subjects", limit, q=q, deployment=deployment)

    def subject_access(self, subject: str) -> dict[str, Any]:
        """What is held on a subject, where and until when (no biometric data)."""
        return self._object("GET", f"/api/v1/subjects/{subject}")

    def subject_export(self, subject: str) -> dict[str, Any]:
        """The subject's record for the subject (no vectors)."""
        return self._object("GET", f"/api/v1/subjects/{subject}/export")

    def decline(self, deployment: str, subject: str) -> dict[str, Any]:
        """Record that the subject declined face recognition (an alternative is used)."""
        return self._object("POST", f"/api/v1/deployments/{deployment}/subjects/{subject}/decline")

    def subject_link(self, deployment: str, subject: str, ttl_minutes: int = 60) -> dict[str, Any]:
        """A signed link to the subject's portal (its token, for the `/me` routes)."""
        path = f"/api/v1/deployments/{deployment}/subjects/{subject}/links"
        return self._object("POST", path, json={"ttl_minutes": ttl_minutes})

    def revoke_links(self, subject: str) -> dict[str, Any]:
        """Revoke every link given to the subject."""
        return self._object("DELETE", f"/api/v1/subjects/{subject}/links")

    def set_alternative(self, deployment: str, subject: str, method: str, **fields: Any) -> dict[str, Any]:
        """Set up an alternative to the face (`pin=...`, or a passkey's `credential`)."""
        path = f"/api/v1/deployments/{deployment}/subjects/{subject}/alternatives/{method}"
        return self._object("PUT", path, json=fields)

    def verify_alternative(self, deployment: str, subject: str, method: str, **fields: Any) -> dict[str, Any]:
        """Verify the subject by an alternative (`secret=...`, or a passkey's `credential`)."""
        path = f"/api/v1/deployments/{deployment}/subjects/{subject}/alternatives/{method}/verify"
        return self._object("POST", path, json=fields)

    def passkey_options(self, deployment: str, subject: str, ceremony: str) -> dict[str, Any]:
        """WebAuthn options for a passkey `register` or `authenticate` ceremony."""
        path = f"/api/v1/deployments/{deployment}/subjects/{subject}/alternatives/passkey/options"
        return self._object("POST", path, json={"ceremony": ceremony})

    # ---- liveness ----
    def liveness_challenge(self, deployment: str, device: str | None = None) -> dict[str, Any]:
        """A liveness challenge (its `nonce` and cues) for the camera at `device`."""
        return self._object("POST", f"/api/v1/deployments/{deployment}/liveness/challenge", json={"device": device})

    def _live(self, path: str, nonce: str, frames: list[bytes], timestamps: list[float], device: str | None) -> Any:
        files = [("frames", (f"{i}.jpg", f, "image/jpeg")) for i, f in enumerate(frames)]
        data = {"nonce": nonce, "timestamps": str(list(timestamps)), **({"device": device} if device else {})}
        return self._object("POST", path, files=files, data=data)

    def verify_live(self, deployment: str, subject: str, nonce: str, frames: list[bytes], timestamps: list[float],
                    device: str | None = None) -> dict[str, Any]:  # fmt: skip
        """1:1 on camera frames that answer the challenge `nonce` (LivenessFailed otherwise)."""
        path = f"/api/v1/deployments/{deployment}/subjects/{subject}/verify/live"
        found: dict[str, Any] = self._live(path, nonce, frames, timestamps, device)
        return found

    def identify_live(self, deployment: str, nonce: str, frames: list[bytes], timestamps: list[float],
                      device: str | None = None) -> dict[str, Any]:  # fmt: skip
        """1:N on camera frames that answer the challenge `nonce`."""
        found: dict[str, Any] = self._live(f"/api/v1/deployments/{deployment}/identify/live", nonce, frames,
                                           timestamps, device)  # fmt: skip
        return found

    # ---- audit ----
    def verify_audit_log(self) -> dict[str, Any]:
        """Verify the whole audit log (Tampered otherwise)."""
        return self._object("GET", "/api/v1/audit/verify")

    def sign_checkpoint(self) -> dict[str, Any]:
        """Sign a checkpoint of the audit log's head."""
        return self._object("POST", "/api/v1/audit/checkpoints")

    def prove_event(self, event_id: str) -> dict[str, Any]:
        """The inclusion proof of one audit event."""
        return self._object("GET", f"/api/v1/audit/events/{event_id}/proof")

    def export_audit_log(self, since: str, until: str) -> list[dict[str, Any]]:
        """The audit entries of the days `since`..`until` (UTC, YYYY-MM-DD), as the NDJSON export lists them."""
        lines = self.text("GET", "/api/v1/audit/export", params={"since": since, "until": until}).splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    # ---- keys ----
    def create_key(self, role: str, name: str, deployments: list[str] | None = None, **fields: Any) -> dict[str, Any]:
        """Mint a key; the answer's `secret` is shown this once."""
        body = {"role": role, "name": name, **({"deployments": deployments} if deployments else {}), **fields}
        return self._object("POST", "/api/v1/keys", json=body)

    def revoke_key(self, key_id: str) -> None:
        """Revoke a key at once."""
        self.call("DELETE", f"/api/v1/keys/{key_id}")

    # ---- rules ----
    def get_rule(self, rule_id: str) -> dict[str, Any]:
        """One rule of the catalogue."""
        return self._object("GET", f"/api/v1/rules/{rule_id}")

    def list_provisions(self, limit: int = 100) -> Iterator[dict[str, Any]]:
        """The legal provisions behind the rules, by ID."""
        return self.pages("/api/v1/provisions", limit)

    def list_vocabulary(self, kind: str, limit: int = 100) -> Iterator[dict[str, Any]]:
        """A spec vocabulary's terms (purpose, setting, ...), with their Chinese."""
        return self.pages(f"/api/v1/vocabularies/{kind}", limit)

    # ---- the subject's own routes (a Client made with the subject's link token) ----
    def get_my_standing(self) -> dict[str, Any]:
        """Where the subject stands: notice, consent, templates held."""
        return self._object("GET", "/api/v1/me")

    def my_notice(self, format: str = "md") -> str:
        """The notice the subject is shown."""
        return self.text("GET", "/api/v1/me/notice", params={"format": format})

    def my_notice_shown(self) -> dict[str, Any]:
        """Record that the subject read the notice."""
        return self._object("POST", "/api/v1/me/notice")

    def my_consent(self, **fields: Any) -> dict[str, Any]:
        """The subject's own separate consent (fields as the API's SubjectConsentRequest)."""
        return self._object("POST", "/api/v1/me/consent", json=fields)

    def my_decline(self) -> dict[str, Any]:
        """The subject declines face recognition."""
        return self._object("POST", "/api/v1/me/decline")

    def my_withdraw(self) -> dict[str, Any]:
        """The subject withdraws consent: their facial data is deleted."""
        return self._object("POST", "/api/v1/me/withdraw")

    def my_delete(self) -> dict[str, Any]:
        """The subject deletes their record."""
        return self._object("DELETE", "/api/v1/me")

    def my_export(self) -> dict[str, Any]:
        """The subject's own data, templates included."""
        return self._object("GET", "/api/v1/me/export")

    def my_passkey_options(self) -> dict[str, Any]:
        """WebAuthn options for the subject to register a passkey."""
        return self._object("POST", "/api/v1/me/passkey/options")

    def my_set_passkey(self, **fields: Any) -> dict[str, Any]:
        """Store the subject's passkey (fields as the API's PasskeyRequest)."""
        return self._object("PUT", "/api/v1/me/passkey", json=fields)

    # ---- hub and devices (an admin's; the devices' own protocol is facegate.edge's, signed by device keys) ----
    def this_node(self) -> dict[str, Any]:
        """Whether this server is a hub or a device, and its link."""
        return self._object("GET", "/api/v1/node")

    def hub_key(self) -> dict[str, Any]:
        """The hub's public key, which a device pins when it pairs."""
        return self._object("GET", "/api/v1/edge/hub")

    def mint_token(self, deployments: list[str], **fields: Any) -> dict[str, Any]:
        """A pairing token for devices of these deployments (fields as the API's TokenRequest)."""
        return self._object("POST", "/api/v1/devices/tokens", json={"deployments": deployments, **fields})

    def suspend_device(self, device_id: str, wipe: bool = False) -> dict[str, Any]:
        """Suspend a device (and order a wipe when asked)."""
        return self._object("POST", f"/api/v1/devices/{device_id}/suspend", params={"wipe": wipe})

    def resume_device(self, device_id: str) -> dict[str, Any]:
        """Resume a suspended device."""
        return self._object("POST", f"/api/v1/devices/{device_id}/resume")

    def lost(self, device_id: str) -> dict[str, Any]:
        """Report a device lost: a wipe is ordered and it is unpaired."""
        return self._object("POST", f"/api/v1/devices/{device_id}/lost")

    def unpair_device(self, device_id: str) -> dict[str, Any]:
        """Unpair a device (a wipe is ordered)."""
        return self._object("DELETE", f"/api/v1/devices/{device_id}")

    def site_action(self, site: str, action: str) -> Any:
        """suspend, suspend-wipe, resume, unpair or lost every device of a site."""
        return self.call("POST", f"/api/v1/sites/{site}/{action}")

    # ---- service ----
    def healthz(self) -> dict[str, Any]:
        """`/healthz`: the process answers."""
        return self._object("GET", "/healthz")

    def health(self) -> dict[str, Any]:
        """`/api/v1/health`: the API answers."""
        return self._object("GET", "/api/v1/health")

    def metrics(self) -> str:
        """`/metrics` in Prometheus's text format (a metrics, admin or auditor key)."""
        return self.text("GET", "/metrics")
