"""Group commit: concurrent audit-only appends of one process share one transaction and one commit.

Each caller queues its event and waits until the transaction holding it has committed, so an answer never
runs ahead of its entry's commit. Whoever finds no leader becomes the leader: it takes everything queued (its
own event included), appends the lot with one `append_many` in one transaction, commits, hands each waiter its
receipt, then passes the lead to the oldest waiter still queued, if any. While one batch commits the next one
queues up, so the commits (one WAL flush each) are shared by as many appends as arrive meanwhile.

Ordering is the log's own: `append_many` locks the head row (PostgreSQL) or takes the write lock at BEGIN
(SQLite), so batches of several processes on one database are serialised exactly like single appends. An
entry may carry a check run first in the batch's transaction (for instance: the subject's consent has not
moved); an event whose check fails is left out and its caller told so, without its own transaction.
"""

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

from facegate import changes
from facegate.audit.event import Event
from facegate.audit.log import DUPLICATE, AuditLog, Receipt
from facegate.clock import Clock
from facegate.errors import InputError
from facegate.store import Database, Statements

# The most events one transaction takes; the rest wait for the next one (a batch must not grow without end).
MAX_BATCH = 1000
Check = Callable[[Statements], bool]


@dataclass(eq=False)
class _Waiter:
    """One queued event and what its caller waits for: a receipt, an error, a failed check or the lead."""

    event: Event
    check: Check | None
    ready: threading.Event = field(default_factory=threading.Event)
    receipt: Receipt | None = None
    error: BaseException | None = None
    checked: bool = True  # false once its check has failed in a committed transaction
    lead: bool = False


class GroupCommit:
    """The group committer of one database and audit log in this process (one per Context)."""

    def __init__(self, db: Database, audit: AuditLog, clock: Clock, max_batch: int = MAX_BATCH) -> None:
        self.db, self.audit, self.clock, self.max_batch = db, audit, clock, max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiter] = []
        self._leading = False

    def append(self, event: Event, check: Check | None = None) -> Receipt | None:
        """Record `event` and return once it has committed; None when its `check` failed (nothing recorded)."""
        if event.at is None:
            event = event.model_copy(update={"at": self.clock()})
        waiter = _Waiter(event, check)
        with self._lock:
            self._queue.append(waiter)
            lead = not self._leading
            self._leading = True
        if not lead:
            waiter.ready.wait()
            if waiter.lead:  # handed the lead: our event is still queued, at the front
                self._run()
        else:
            self._run()
        if waiter.error is not None:
            raise waiter.error
        return waiter.receipt

    def _run(self) -> None:
        """Lead one batch (everything queued, the leader's own event included), then hand the lead on."""
        with self._lock:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
        try:
            self._commit(batch)
        finally:
            with self._lock:
                successor = self._queue[0] if self._queue else None
                self._leading = successor is not None
            for waiter in batch:
                if waiter.receipt is None and waiter.error is None and waiter.checked:
                    waiter.error = RuntimeError("the audit append was interrupted before its commit")
                waiter.ready.set()
            if successor is not None:
                successor.lead = True
                successor.ready.set()

    def _commit(self, batch: list[_Waiter]) -> None:
        try:
            self._transaction(batch)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            # One bad event (a duplicate event ID, say) must not fail the others: each in its own transaction.
            for waiter in batch:
                try:
                    self._transaction([waiter])
                except Exception as single:
                    waiter.error = single

    def _transaction(self, batch: list[_Waiter]) -> None:
        try:
            with self.db.quick(write=True) as conn:
                passed = [w.check is None or w.check(conn) for w in batch]
                kept = [w for w, ok in zip(batch, passed, strict=True) if ok]
                receipts = self.audit.append_many(conn, [w.event for w in kept], now=self.clock()) if kept else []
                for waiter, receipt in zip(kept, receipts, strict=True):
                    changes.record_event(conn, waiter.event, receipt)  # the typed change feed, same transaction
        except (sqlite3.IntegrityError, psycopg.IntegrityError):  # PostgreSQL's pipeline reports it at COMMIT
            raise InputError(DUPLICATE) from None
        for waiter, ok in zip(batch, passed, strict=True):
            waiter.checked = ok
        for waiter, receipt in zip(kept, receipts, strict=True):
            waiter.receipt = receipt
