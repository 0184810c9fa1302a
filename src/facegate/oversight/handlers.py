"""The handlers (legal entities in `spec.handler.name`) and their deployments, read from the vault."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import policy
from facegate.errors import NotFoundError
from facegate.oversight.individuals import handler_name
from facegate.oversight.thresholds import filing_profiles
from facegate.vault.models import DeploymentRow


@lru_cache(maxsize=512)
def parse(spec_json: str) -> policy.Deployment:
    """A stored spec, parsed once per distinct text."""
    return policy.spec_from_data(json.loads(spec_json))


@dataclass(frozen=True)
class DeploymentView:
    """A registered deployment as oversight sees it: spec, profiles, status and dates."""

    id: str
    spec: policy.Deployment
    profiles: tuple[str, ...]
    status: str
    registered_at: datetime
    updated_at: datetime

    @property
    def retired(self) -> bool:
        """Whether face recognition has ended here."""
        return self.status == policy.Status.RETIRED


@dataclass
class HandlerView:
    """One handler: its name as counted and every deployment it registered."""

    name: str
    deployments: list[DeploymentView] = field(default_factory=list)

    @property
    def deployment_ids(self) -> list[str]:
        """The IDs of all its deployments, retired ones included (their data may still be counted)."""
        return [d.id for d in self.deployments]

    @property
    def in_use(self) -> list[DeploymentView]:
        """The deployments not retired."""
        return [d for d in self.deployments if not d.retired]

    @property
    def profiles(self) -> tuple[str, ...]:
        """The profiles with a filing duty that apply to any of its deployments."""
        return filing_profiles([p for d in self.deployments for p in d.profiles])

    @property
    def contact(self) -> str | None:
        """The handler's contact as its newest deployment states it."""
        for d in sorted(self.deployments, key=lambda d: d.updated_at, reverse=True):
            if d.spec.handler.contact:
                return d.spec.handler.contact
        return None

    @property
    def region(self) -> str | None:
        """The handler's region (where it files) as its newest deployment states it."""
        for d in sorted(self.deployments, key=lambda d: d.updated_at, reverse=True):
            if d.spec.handler.region:
                return d.spec.handler.region
        return None


def handlers(session: Session) -> dict[str, HandlerView]:
    """Every handler with its deployments, by name."""
    rows = session.execute(
        select(
            DeploymentRow.id,
            DeploymentRow.spec,
            DeploymentRow.profiles,
            DeploymentRow.status,
            DeploymentRow.registered_at,
            DeploymentRow.updated_at,
        ).order_by(DeploymentRow.id)
    ).all()
    found: dict[str, HandlerView] = {}
    for r in rows:
        spec = parse(r.spec)
        view = DeploymentView(r.id, spec, tuple(r.profiles.split(",")), r.status, r.registered_at, r.updated_at)
        name = handler_name(spec.handler.name)
        found.setdefault(name, HandlerView(name)).deployments.append(view)
    return dict(sorted(found.items()))


def pick(session: Session, handler: str | None) -> list[HandlerView]:
    """The named handler (NotFoundError listing the known ones), or every handler when `handler` is None."""
    known = handlers(session)
    if handler is None:
        return list(known.values())
    name = handler_name(handler)
    if name not in known:
        names = "; ".join(known) or "none registered"
        raise NotFoundError(f"unknown handler {handler!r} (handlers: {names})")
    return [known[name]]
