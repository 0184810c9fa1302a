"""What a running server shares: the gate, API keys, link signer, blocked submissions and the clock."""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

from facegate import policy
from facegate.edge.views import attach
from facegate.errors import InputError, NotFoundError
from facegate.gate import Caller, Gate, RelyingParty, utc_now
from facegate.webhooks import Webhooks

from .keys import ApiKeys
from .links import LinkSigner, SubjectLink, load_or_create_key
from .submissions import Submissions

PASSKEY_ORIGINS_ENV = "FACEGATE_PASSKEY_ORIGINS"


@dataclass
class Service:
    """The pieces every request handler uses; one per application."""

    home: Path
    gate: Gate
    keys: ApiKeys
    signer: LinkSigner
    submissions: Submissions
    clock: Callable[[], datetime] = field(default=utc_now)
    passkey_origins: tuple[str, ...] = ()  # the pages passkeys are used on; empty: the server's own address
    webhooks: Webhooks = field(init=False)

    def __post_init__(self) -> None:
        self.webhooks = Webhooks(self.gate.db, self.clock, self.gate.context.keystore)

    @classmethod
    def open(cls, home: Path, gate: Gate | None = None) -> "Service":
        """The service of a data directory (or around a given gate, for tests)."""
        gate = gate or Gate.open(home)
        attach(gate.context)  # on a hub: oversight counts what its devices hold
        origins = passkey_origins(gate.context.config.passkey_origins)
        signer = LinkSigner(load_or_create_key(home))
        return cls(home, gate, ApiKeys(gate.db), signer, Submissions(gate.db), gate.clock, origins)

    def relying_party(self, request: Request) -> RelyingParty:
        """Whom passkeys are made for: the configured origins, else this server's own, as `request` reached it.

        The RP ID is the first origin's host name: passkeys work there and on its subdomains only.
        """
        origins = self.passkey_origins or (f"{request.url.scheme}://{request.url.netloc}",)
        return RelyingParty(urlsplit(origins[0]).hostname or "localhost", origins)

    def make_link(self, subject: str, deployment: str, ttl: timedelta, caller: Caller | None = None) -> str:
        """A portal link token for the subject record as it is now, valid for `ttl` (at most a day).

        With a `caller` (a key asking through the API) the subject must have a record in `deployment` (else
        NotFoundError) and the making is audited under the caller; without one (the demo, seeding its own subjects,
        and tests) neither.
        """
        nonce = self.gate.link_nonce(subject) if caller is None else self.gate.portal_link(subject, deployment, caller)
        return self.signer.subject_link(subject, deployment, self.clock(), ttl, nonce)

    def open_link(self, token: str) -> SubjectLink | None:
        """The link a token carries, or None: forged, expired, revoked, or made for a subject since deleted."""
        link = self.signer.open_subject_link(token, self.clock())
        if link is None or not self.gate.link_valid(link.subject, link.nonce):
            return None
        return link

    def today(self) -> date:
        """Today's date by the service's clock."""
        return self.clock().date()

    def report(self, spec: policy.Deployment, profiles: tuple[str, ...]) -> policy.Evaluation:
        """The findings for a spec as of today."""
        accuracy = self.gate.operating_points() if spec.modality == "identification" else None
        return policy.evaluate(spec, profiles, today=self.today(), settings=self.gate.settings, accuracy=accuracy)

    def deployment(self, deployment_id: str) -> dict[str, Any]:
        """A deployment as the API shows it: status, profiles, spec and its findings (registered or blocked)."""
        rows = {r["id"]: r for r in self.gate.deployments()}
        if deployment_id in rows:
            row = rows[deployment_id]
            spec = self.gate.deployment_spec(deployment_id)
            report = self.report(spec, tuple(row["profiles"]))
            return {**row, "name": spec.name, "spec": spec.model_dump(mode="json"), "report": report.to_dict()}
        blocked = self.submissions.get(deployment_id)
        if blocked is None:
            raise NotFoundError(f"no deployment {deployment_id!r}")
        report = self.report(blocked.spec, blocked.profiles)
        return {
            "id": deployment_id,
            "status": "blocked",
            "profiles": list(blocked.profiles),
            "enrolled_subjects": 0,
            "updated_at": blocked.submitted_at.isoformat(),
            "name": blocked.spec.name,
            "spec": blocked.spec.model_dump(mode="json"),
            "report": report.to_dict(),
        }

    def deployments(self) -> list[dict[str, Any]]:
        """Registered deployments and blocked submissions, by ID, each with its verdict and finding counts."""
        out = []
        for row in self.gate.deployments():
            spec = self.gate.deployment_spec(row["id"])
            out.append(_summary(row, spec, self.report(spec, tuple(row["profiles"]))))
        for blocked in self.submissions.list():
            row = {
                "id": blocked.spec.id,
                "status": "blocked",
                "profiles": list(blocked.profiles),
                "enrolled_subjects": 0,
                "updated_at": blocked.submitted_at.isoformat(),
            }
            out.append(_summary(row, blocked.spec, self.report(blocked.spec, blocked.profiles)))
        return sorted(out, key=lambda r: r["id"])

    def is_registered(self, deployment_id: str) -> bool:
        """Whether a deployment of this ID is registered (a blocked submission is not)."""
        try:
            self.gate.registered(deployment_id)
        except NotFoundError:
            return False
        return True

    def spec_of(self, deployment_id: str) -> tuple[policy.Deployment, tuple[str, ...]]:
        """The spec and profiles of a registered deployment or a blocked submission."""
        with contextlib.suppress(NotFoundError):
            return self.gate.registered(deployment_id)
        blocked = self.submissions.get(deployment_id)
        if blocked is None:
            raise NotFoundError(f"no deployment {deployment_id!r}")
        return blocked.spec, blocked.profiles


def passkey_origins(text: str) -> tuple[str, ...]:
    """The comma-separated origins of $FACEGATE_PASSKEY_ORIGINS, each checked to be scheme://host[:port]."""
    origins = []
    for item in filter(None, (o.strip() for o in text.split(","))):
        parts = urlsplit(item)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.path.strip("/") or parts.query:
            raise InputError(f"{PASSKEY_ORIGINS_ENV}: {item!r} is not an origin such as https://gate.example.com")
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return tuple(origins)


def _summary(row: dict[str, Any], spec: policy.Deployment, report: policy.Evaluation) -> dict[str, Any]:
    counts = {s: sum(f.severity == s for f in report.findings) for s in ("BLOCK", "WARN", "INFO")}
    return {**row, "name": spec.name, "handler": spec.handler.name, "verdict": report.verdict, "findings": counts}
