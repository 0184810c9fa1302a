"""Specs submitted through the service but blocked by their findings, kept so the console can show why."""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from facegate import policy
from facegate.store import Database

from .models import SubmissionRow


@dataclass(frozen=True)
class Submission:
    """A blocked spec: the parsed spec, the profiles it was checked under, who submitted it and when."""

    spec: policy.Deployment
    profiles: tuple[str, ...]
    submitted_by: str
    submitted_at: datetime


class Submissions:
    """The blocked submissions of one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, spec: policy.Deployment, profiles: tuple[str, ...], actor: str, now: datetime) -> None:
        """Keep (or replace) the blocked spec of a deployment ID."""
        with self.db.session() as session:
            row = session.get(SubmissionRow, spec.id) or SubmissionRow(deployment_id=spec.id)
            row.spec, row.profiles = spec.model_dump_json(), ",".join(profiles)
            row.submitted_by, row.submitted_at = actor[:64], now
            session.add(row)

    def remove(self, deployment_id: str) -> None:
        """Forget the blocked spec of a deployment ID (it was registered, or withdrawn)."""
        with self.db.session() as session:
            row = session.get(SubmissionRow, deployment_id)
            if row is not None:
                session.delete(row)

    def get(self, deployment_id: str) -> Submission | None:
        """The blocked spec of a deployment ID, if any."""
        with self.db.session(readonly=True) as session:
            row = session.get(SubmissionRow, deployment_id)
            return None if row is None else _submission(row)

    def list(self) -> list[Submission]:
        """Every blocked spec, by deployment ID."""
        with self.db.session(readonly=True) as session:
            rows = session.scalars(select(SubmissionRow).order_by(SubmissionRow.deployment_id)).all()
            return [_submission(r) for r in rows]


def _submission(row: SubmissionRow) -> Submission:
    spec = policy.spec_from_data(json.loads(row.spec))
    return Submission(spec, tuple(row.profiles.split(",")), row.submitted_by, row.submitted_at)
