"""Admission: loading a deployment and a subject, and the checks every operation runs first.

A subject's passed checks are kept in memory by the revisions of the deployment's and the subject's rows
(every change bumps one of them) and the date, so a verification whose revisions have not moved reads nothing
else before the engine.
"""

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import placement, policy
from facegate.audit.driver import Condition
from facegate.audit.group import CHECK_FAILED
from facegate.context import Context
from facegate.errors import NotFoundError, RefusedError
from facegate.events import Op
from facegate.gate import checks
from facegate.store import Statements
from facegate.vault.models import DeploymentFacts, DeploymentRow, SubjectFacts, SubjectRow

BIOMETRIC = (Op.ENROLL, Op.VERIFY, Op.IDENTIFY)
NODE_SECONDS = 5.0
# PostgreSQL, in the group commit's pipeline: both rows locked FOR SHARE (a withdrawal or a spec change in flight is
# waited for, then its new revision seen), and an error naming CHECK_FAILED unless both revisions are still these.
PG_UNCHANGED = (
    f"SELECT CASE count(*) WHEN 1 THEN 1 ELSE ('{CHECK_FAILED} ' || count(*))::int END FROM (SELECT FROM "
    "vault_deployment d, vault_subject s WHERE d.id = %s AND s.id = %s AND d.revision = %s AND s.revision = %s "
    "FOR SHARE OF d, s) AS unchanged"
)


@dataclass
class Loaded:
    """A deployment as the gate reads it: its row (read-only), parsed spec and profiles."""

    row: DeploymentFacts
    spec: policy.Deployment
    profiles: tuple[str, ...]


class Admission:
    """Loads deployments and subjects and runs the checks on them; remembers whose checks passed today."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self._specs: dict[str, policy.Deployment] = {}  # by spec text
        self.passed: dict[tuple[Any, ...], tuple[Loaded, Any]] = {}
        self._node: tuple[float, placement.Node] | None = None

    def load(self, session: Session, deployment_id: str) -> Loaded:
        """The deployment's row, parsed spec and profiles; NotFoundError if it is not registered."""
        row = session.execute(select(DeploymentRow.__table__).filter_by(id=deployment_id)).first()
        if row is None:
            raise NotFoundError(f"unknown deployment {deployment_id!r}")
        spec = self._specs.get(row.spec)
        if spec is None:  # parsing a spec costs more than the rest of the checks together
            if len(self._specs) > 256:
                self._specs.clear()
            spec = self._specs[row.spec] = policy.spec_from_data(json.loads(row.spec))
        return Loaded(row, spec, tuple(row.profiles.split(",")))

    def subject(self, session: Session, subject_id: str, lock: bool = False) -> SubjectFacts:
        """The subject's row (plain, read-only), or NotFoundError; `lock` holds it until the transaction ends.

        Enrollment, withdrawal and deletion lock it so that, on PostgreSQL, an enrollment cannot slip in
        between a withdrawal's key shredding and its commit (SQLite serialises writers already).
        """
        query = select(SubjectRow.__table__).filter_by(id=subject_id)
        row = session.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise NotFoundError(f"unknown subject {subject_id!r}")
        return row

    def check_deployment(self, loaded: Loaded, operation: str, purpose: str | None) -> None:
        """The deployment's status, modality and purpose allow the operation; a biometric one fits this node."""
        checks.check_deployment(loaded.spec, loaded.row.status, operation, purpose)
        if operation in BIOMETRIC:
            self.check_placement(loaded.spec)

    def check_placement(self, spec: policy.Deployment) -> None:
        """CN25-8a/b: the spec's storage location fits this node's kind; a paired device has reached its hub."""
        node = self.node()
        problem = placement.refusal(node, spec, self.context.clock())
        if problem is not None:
            raise checks.refusal(spec, *problem)

    def check_kind(self, spec: policy.Deployment) -> None:
        """At registration on a device: the spec must store faces on the device (others run on the hub)."""
        if self.context.kind == "device":
            problem = placement.misplaced(placement.Node(self.context.kind), spec)
            if problem is not None:
                raise RefusedError(*problem)

    def node(self) -> placement.Node:
        """This node as the placement checks see it: its kind, and a paired device's hub and last sync.

        A device's link is read again after NODE_SECONDS at most: the offline bound is counted in hours.
        """
        kind = self.context.kind
        if kind != "device":
            return placement.Node(kind)
        cached, now = self._node, time.monotonic()
        if cached is not None and now - cached[0] < NODE_SECONDS:
            return cached[1]
        with self.context.db.session(readonly=True) as session:
            link = session.get(placement.HubLinkRow, 1)
        node = placement.linked(kind, link)
        self._node = (now, node)
        return node

    def check_subject(self, session: Session, loaded: Loaded, subject: SubjectFacts, now: datetime) -> None:
        """The subject's checks in this deployment: minors, notice, consent, decline, transmission."""
        standing = self.context.vault.standing(session, loaded.row.id, subject.id)
        checks.check_subject(loaded.spec, loaded.profiles, subject, standing, now, self.context.settings)

    def checked(
        self,
        session: Session,
        deployment_id: str,
        operation: str,
        purpose: str | None,
        subject_id: str | None,
        lock: bool = False,
    ) -> tuple[Loaded, Any]:
        """The deployment and the subject (if any), both checked for the operation (a subject's pass is kept)."""
        loaded = self.load(session, deployment_id)
        self.check_deployment(loaded, operation, purpose)
        subject = self.subject(session, subject_id, lock) if subject_id is not None else None
        if subject is not None:
            now = self.context.clock()
            key = pass_key(loaded, subject, now)
            if key not in self.passed:
                self.check_subject(session, loaded, subject, now)
                bounded(self.passed)[key] = (loaded, subject)
        return loaded, subject

    def unchanged(self, db: Statements, loaded: Loaded, subject: SubjectFacts, now: datetime) -> bool:
        """Whether the deployment and the subject are as they were when checked (one query), on the same day.

        Called in the write transaction after the engine; the rows stay locked until it commits. On PostgreSQL's
        driver connection (the group commit's pipeline) the statement fails the transaction when either moved, and
        nothing waits for its answer here (facegate.audit.group.Check).
        """
        if pass_key(loaded, subject, now) not in self.passed:
            return False
        if isinstance(db, psycopg.Connection):
            db.execute(PG_UNCHANGED, (loaded.row.id, subject.id, loaded.row.revision, subject.revision))
            return True
        revisions = self.context.vault.revisions(db, loaded.row.id, subject.id, lock=True)
        return revisions == (loaded.row.revision, subject.revision)


class Unchanged:
    """The re-check after the engine as the group commit's Check: `Admission.unchanged`, and on PostgreSQL the same
    statement as a condition that travels inside the audit write (facegate.audit.group.Conditional)."""

    def __init__(self, admission: Admission, loaded: Loaded, subject: SubjectFacts, now: datetime) -> None:
        self.admission, self.loaded, self.subject, self.now = admission, loaded, subject, now

    def __call__(self, db: Statements) -> bool:
        return self.admission.unchanged(db, self.loaded, self.subject, self.now)

    def condition(self) -> Condition | None:
        """PG_UNCHANGED as a condition; None (the check then fails as a Check) once the pass is no longer kept."""
        if pass_key(self.loaded, self.subject, self.now) not in self.admission.passed:
            return None
        revisions = (self.loaded.row.id, self.subject.id, self.loaded.row.revision, self.subject.revision)
        return Condition(f"({PG_UNCHANGED}) = 1", revisions)


def bounded(cache: dict[Any, Any]) -> dict[Any, Any]:
    """`cache`, emptied when it has grown past 10,000 entries."""
    if len(cache) > 10_000:
        cache.clear()
    return cache


def pass_key(loaded: Loaded, subject: SubjectFacts, now: datetime) -> tuple[Any, ...]:
    """What a subject's passed checks depend on: both rows' revisions and the date."""
    return (loaded.row.id, loaded.row.revision, subject.id, subject.revision, now.date())
