"""Liveness challenges and failed checks kept in the database, so that every replica of the service sees them.

A challenge is single use across replicas: answering it deletes its row, and only the answer whose delete
removed the row gets it. Expired challenges are purged whenever a new one is handed out (nothing else is).

Failed checks are counted per scope, never per a name the client chooses: the operator key (the caller's actor)
on a deployment, and the subject being verified. A scope that reached its limit within its window must wait
until the oldest counted failure leaves the window.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from facegate.gate.models import LivenessChallengeRow, LivenessFailureRow
from facegate.store import Database


@dataclass(frozen=True)
class Limit:
    """At most `failures` failed checks within `window` for one scope."""

    kind: str  # "key" or "subject"
    failures: int
    window: timedelta


KEY_LIMIT = Limit("key", 10, timedelta(minutes=10))  # an operator key on one deployment (every kiosk using it)
SUBJECT_LIMIT = Limit("subject", 5, timedelta(hours=1))  # one enrolled person, whoever presents them


def key_scope(actor: str, deployment_id: str) -> str:
    """The scope of an operator key (or paired device: its own key) on a deployment."""
    return f"key:{deployment_id}:{actor}"


def subject_scope(deployment_id: str, subject_id: str) -> str:
    """The scope of a subject on a deployment."""
    return f"subject:{deployment_id}:{subject_id}"


@dataclass(frozen=True)
class Taken:
    """A challenge taken (consumed) by its answer."""

    challenge: dict[str, Any]
    deadline: datetime


class ChallengeBook:
    """Challenges and failures in the gate's tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def issue(
        self, nonce: str, deployment_id: str, device: str, actor: str, challenge: dict[str, Any], deadline: datetime
    ) -> None:
        """Keep a new challenge."""
        with self.db.session() as session:
            session.add(
                LivenessChallengeRow(
                    nonce=nonce,
                    deployment_id=deployment_id,
                    device=device[:128],
                    actor=actor[:128],
                    challenge=json.dumps(challenge),
                    deadline=deadline,
                )
            )

    def purge(self, now: datetime) -> None:
        """Delete challenges past their deadline and failures older than the longest window."""
        oldest = now - max(KEY_LIMIT.window, SUBJECT_LIMIT.window)
        with self.db.session() as session:
            session.execute(delete(LivenessChallengeRow).where(LivenessChallengeRow.deadline < now))
            session.execute(delete(LivenessFailureRow).where(LivenessFailureRow.at < oldest))

    def take(self, nonce: str, deployment_id: str, device: str, actor: str) -> Taken | None:
        """The challenge of `nonce` if it was handed to this device and operator key on this deployment, removed so
        no other answer (on any replica) gets it; None if there is none. An answer that names another deployment,
        device or key leaves the challenge to its own device."""
        mine = (
            LivenessChallengeRow.nonce == nonce,
            LivenessChallengeRow.deployment_id == deployment_id,
            LivenessChallengeRow.device == device[:128],
            LivenessChallengeRow.actor == actor[:128],
        )
        with self.db.session() as session:
            row = session.scalars(select(LivenessChallengeRow).where(*mine)).first()
            if row is None:
                return None
            taken = Taken(json.loads(row.challenge), row.deadline)
            removed = session.execute(delete(LivenessChallengeRow).where(*mine))
            if getattr(removed, "rowcount", 0) != 1:
                return None  # another answer took it first
        return taken

    def wait(self, scopes: list[tuple[str, Limit]], now: datetime) -> tuple[int, str | None]:
        """Seconds to wait before the next check, and the kind of the scope that is held (0, None: none held)."""
        longest, held = 0, None
        with self.db.session(readonly=True) as session:
            for scope, limit in scopes:
                times = session.scalars(
                    select(LivenessFailureRow.at)
                    .where(LivenessFailureRow.scope == scope, LivenessFailureRow.at > now - limit.window)
                    .order_by(LivenessFailureRow.at.desc())
                    .limit(limit.failures)
                ).all()
                if len(times) >= limit.failures:
                    wait = max(1, int((times[-1] + limit.window - now).total_seconds()) + 1)
                    if wait > longest:
                        longest, held = wait, limit.kind
        return longest, held

    def failed(self, scopes: list[tuple[str, Limit]], now: datetime) -> list[Limit]:
        """Count a failed check against each scope; the limits this failure reached (a lock-out starts)."""
        reached = []
        with self.db.session() as session:
            for scope, limit in scopes:
                session.add(LivenessFailureRow(scope=scope[:256], at=now))
                session.flush()
                count = session.scalar(
                    select(func.count())
                    .select_from(LivenessFailureRow)
                    .where(LivenessFailureRow.scope == scope[:256], LivenessFailureRow.at > now - limit.window)
                )
                if count == limit.failures:
                    reached.append(limit)
        return reached
