"""The audit log as the faces use it: verify, list, prove, export, sign checkpoints; they never append an event."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from facegate.audit.checkpoint import Checkpoint
from facegate.audit.listing import Filters, Page, page
from facegate.audit.log import AuditLog, InclusionProof
from facegate.audit.verify import VerifyReport
from facegate.clock import Clock, utc_now
from facegate.errors import InputError
from facegate.store import Database

NEWER_THAN_CHECKPOINT = "newer than the latest checkpoint"


class AuditRecords:
    """Reads of one data directory's audit log, each in its own transaction; events are appended only by the gate."""

    def __init__(self, db: Database, log: AuditLog, clock: Clock = utc_now) -> None:
        self._db, self._log, self._clock = db, log, clock

    @classmethod
    def open(cls, home: Path, *, signing: bool = True) -> "AuditRecords":
        """The audit records of a data directory (with `signing` false, no signing key is created)."""
        return cls(Database.open(home=home), AuditLog.for_home(home, create=signing))

    def verify(self) -> VerifyReport:
        """Recompute the whole log and check every checkpoint."""
        with self._db.session(readonly=True) as session:
            return self._log.verify(session)

    def size(self) -> int:
        """How many entries the log holds."""
        with self._db.session(readonly=True) as session:
            return self._log.recent(session, count=0)[0]

    def page(self, filters: Filters | None = None, before: int | None = None, size: int = 50) -> Page:
        """The newest `size` entries matching `filters` below index `before`, newest first."""
        with self._db.session(readonly=True) as session:
            return page(session.connection(), filters, before, size)

    def prove(self, event_id: str, *, sign: bool = False) -> InclusionProof:
        """An inclusion proof of one event; with `sign`, a checkpoint is signed first when the event is newer."""
        try:
            with self._db.session(readonly=True) as session:
                return self._log.prove(session, event_id)
        except InputError as exc:
            if not sign or NEWER_THAN_CHECKPOINT not in str(exc):
                raise
        self.checkpoint()
        with self._db.session(readonly=True) as session:
            return self._log.prove(session, event_id)

    def checkpoint(self, now: datetime | None = None) -> Checkpoint:
        """Sign a checkpoint of the log now and keep its copy outside the database."""
        with self._db.session() as session:
            cp = self._log.checkpoint(session, now=now or self._clock())
        self._log.save_witness(cp)
        return cp

    def sign_if_due(self) -> Checkpoint | None:
        """Sign a checkpoint if entries have waited the checkpoint interval (and keep its copy)."""
        with self._db.session() as session:
            cp = self._log.sign_if_due(session, now=self._clock())
        if cp is not None:
            self._log.save_witness(cp)
        return cp

    def export(self, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
        """The entries of [since, until) with the checkpoints and proofs to check them offline (a checkpoint is
        signed first, so the newest entries are covered)."""
        self.checkpoint()
        return self._export(since, until)

    def _export(self, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
        with self._db.session(readonly=True) as session:
            yield from self._log.export(session, since, until)

    def purge_before(self, cutoff: datetime, actor: str) -> int:
        """Drop the payloads of entries older than `cutoff` (refused under the retention minimum); recorded."""
        with self._db.session() as session:
            return self._log.purge_before(session, cutoff, actor=actor)

    @property
    def checkpoint_interval(self) -> timedelta:
        """How long entries may wait for a signed checkpoint."""
        return self._log.checkpoint_interval

    def dispose(self) -> None:
        """Close the database connections (the CLI's records, opened for one command)."""
        self._db.dispose()
