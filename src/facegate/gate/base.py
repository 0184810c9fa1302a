"""The gate's foundation: built from a Context; loads deployments and subjects and runs the checks on them.

A subject's passed checks are kept in memory by the revisions of the deployment's and the subject's rows
(every change bumps one of them) and the date, so a verification whose revisions have not moved reads nothing
else before the engine.
"""

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import policy
from facegate.audit.records import AuditRecords
from facegate.context import Context
from facegate.edge import placement
from facegate.edge.models import HubLinkRow
from facegate.errors import NotFoundError, RefusedError
from facegate.gate import checks
from facegate.gate.decisions import Recorder
from facegate.store import Statements
from facegate.vault.models import DeploymentRow, SubjectRow
from facegate.vault.vault import StoredTemplate

BIOMETRIC = ("enroll", "verify", "identify")
NODE_SECONDS = 5.0


LIVENESS_FAILURES = 5  # failed liveness checks a device may have within LIVENESS_WINDOW before it must wait
LIVENESS_WINDOW = timedelta(minutes=3)


@dataclass
class Loaded:
    """A deployment as the gate reads it: its row (read-only), parsed spec and profiles."""

    row: Any
    spec: policy.Deployment
    profiles: tuple[str, ...]


class GateBase(Recorder):
    """Construction from a Context, loading and the checks every operation runs first."""

    def __init__(self, context: Context, engine_factory: Callable[[], Any] | None = None) -> None:
        self.context = context
        self.db, self.vault, self.audit = context.db, context.vault, context.audit
        self.clock, self.settings = context.clock, context.settings
        self._engine_factory = engine_factory
        self._engine: Any = None
        self._specs: dict[str, policy.Deployment] = {}  # by spec text
        self._passed: dict[tuple, tuple[Loaded, Any]] = {}
        self._templates: dict[tuple[str, str], tuple[int, list[StoredTemplate]]] = {}
        self._galleries: dict[str, Any] = {}
        self._lock = threading.Lock()
        # Liveness: challenges handed out (by nonce), each device's recent failures, the source of randomness
        # (tests may seed one), and the checks (None: the engine's challenge-response checks).
        self._challenges: dict[str, Any] = {}
        self._liveness_failures: dict[str, list[datetime]] = {}
        self._liveness_random: random.Random = random.SystemRandom()
        self.liveness_checks: list[Any] | None = None
        self.kind = context.kind
        self.engine_workers = 1  # more: the engine runs in that many worker processes (facegate serve --engine-workers)
        self._node: tuple[float, placement.Node] | None = None

    @classmethod
    def open(
        cls,
        home: Path | None = None,
        database_url: str | None = None,
        engine_factory: Callable[[], Any] | None = None,
        engine_workers: int = 1,
        **context: Any,
    ) -> "GateBase":
        """The gate of a data directory: its database, key store and audit log (`context`: clock, settings);
        `engine_workers` > 1 runs the face engine in that many worker processes."""
        gate = cls(Context.open(home, database_url, **context), engine_factory)
        gate.engine_workers = engine_workers
        return gate

    def _liveness_wait(self, device: str, now: datetime) -> int:
        """Seconds the device must wait before its next liveness challenge (0: none)."""
        with self._lock:
            failures = [t for t in self._liveness_failures.get(device, []) if t > now - LIVENESS_WINDOW]
            self._liveness_failures[device] = failures
        if len(failures) < LIVENESS_FAILURES:
            return 0
        return max(1, int((failures[-LIVENESS_FAILURES] + LIVENESS_WINDOW - now).total_seconds()) + 1)

    def _liveness_failed(self, device: str, now: datetime) -> None:
        with self._lock:
            bounded(self._liveness_failures).setdefault(device, []).append(now)

    @property
    def audit_records(self) -> AuditRecords:
        """The audit log's reads for the faces (verify, list, prove, export, checkpoints); never an append."""
        return AuditRecords(self.db, self.audit, lambda: self.clock())

    def _load(self, session: Session, deployment_id: str) -> Loaded:
        row = session.execute(select(DeploymentRow.__table__).filter_by(id=deployment_id)).first()
        if row is None:
            raise NotFoundError(f"unknown deployment {deployment_id!r}")
        spec = self._specs.get(row.spec)
        if spec is None:  # parsing a spec costs more than the rest of the checks together
            if len(self._specs) > 256:
                self._specs.clear()
            spec = self._specs[row.spec] = policy.spec_from_data(json.loads(row.spec))
        return Loaded(row, spec, tuple(row.profiles.split(",")))

    def _subject(self, session: Session, subject_id: str, lock: bool = False) -> Any:
        """The subject's row (plain, read-only), or NotFoundError; `lock` holds it until the transaction ends.

        Enrollment, withdrawal and deletion lock it so that, on PostgreSQL, an enrollment cannot slip in
        between a withdrawal's key shredding and its commit (SQLite serialises writers already).
        """
        query = select(SubjectRow.__table__).filter_by(id=subject_id)
        row = session.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise NotFoundError(f"unknown subject {subject_id!r}")
        return row

    def _check_deployment(self, loaded: Loaded, operation: str, purpose: str | None) -> None:
        checks.check_deployment(loaded.spec, loaded.row.status, operation, purpose)
        if operation in BIOMETRIC:
            self._check_placement(loaded.spec)

    def _check_placement(self, spec: policy.Deployment) -> None:
        """CN25-8a/b: the spec's storage location fits this node's kind; a paired device has reached its hub."""
        node = self.node()
        problem = placement.misplaced(node, spec) or placement.offline_too_long(node, spec, self.clock())
        if problem is not None:
            raise checks.refusal(spec, *problem)

    def _check_kind(self, spec: policy.Deployment) -> None:
        """At registration on a device: the spec must store faces on the device (others run on the hub)."""
        if self.kind == "device":
            problem = placement.misplaced(placement.Node(self.kind), spec)
            if problem is not None:
                raise RefusedError(*problem)

    def node(self) -> placement.Node:
        """This node as the placement checks see it: its kind, and a paired device's hub and last sync.

        A device's link is read again after NODE_SECONDS at most: the offline bound is counted in hours.
        """
        if self.kind != "device":
            return placement.Node(self.kind)
        cached, now = self._node, time.monotonic()
        if cached is not None and now - cached[0] < NODE_SECONDS:
            return cached[1]
        with self.db.session(readonly=True) as session:
            link = session.get(HubLinkRow, 1)
        node = placement.Node(self.kind)
        if link is not None and link.status == "active":
            node = placement.Node(self.kind, link.hub_url, link.last_sync_at or link.paired_at)
        self._node = (now, node)
        return node

    def _check_subject(self, session: Session, loaded: Loaded, subject: Any, now: datetime) -> None:
        standing = self.vault.standing(session, loaded.row.id, subject.id)
        checks.check_subject(loaded.spec, loaded.profiles, subject, standing, now, self.settings)

    def _checked(
        self,
        session: Session,
        deployment_id: str,
        operation: str,
        purpose: str | None,
        subject_id: str | None,
        lock: bool = False,
    ) -> tuple[Loaded, Any]:
        loaded = self._load(session, deployment_id)
        self._check_deployment(loaded, operation, purpose)
        subject = self._subject(session, subject_id, lock) if subject_id is not None else None
        if subject is not None:
            now = self.clock()
            key = pass_key(loaded, subject, now)
            if key not in self._passed:
                self._check_subject(session, loaded, subject, now)
                bounded(self._passed)[key] = (loaded, subject)
        return loaded, subject

    def _unchanged(self, db: Statements, loaded: Loaded, subject: Any, now: datetime) -> bool:
        """Whether the deployment and the subject are as they were when checked (one query), on the same day.

        Called in the write transaction after the engine; the rows stay locked until it commits.
        """
        revisions = self.vault.revisions(db, loaded.row.id, subject.id, lock=True)
        return revisions == (loaded.row.revision, subject.revision) and pass_key(loaded, subject, now) in self._passed


def bounded(cache: dict) -> dict:
    """`cache`, emptied when it has grown past 10,000 entries."""
    if len(cache) > 10_000:
        cache.clear()
    return cache


def pass_key(loaded: Loaded, subject: Any, now: datetime) -> tuple:
    """What a subject's passed checks depend on: both rows' revisions and the date."""
    return (loaded.row.id, loaded.row.revision, subject.id, subject.revision, now.date())
