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

On PostgreSQL a batch's transaction is one pipeline (`Database.quick`): the checks' statements, the head's lock
and the write travel together, so a batch costs two round trips, the head's lock and the commit. While this
process is the log's only writer (the last batch found the head where the one before had left it), the batch
writes from the head it last committed, without reading it: one round trip, and if the head moved after all,
the transaction fails (driver.HEAD_MOVED) and the batch runs again the first way.
"""

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import psycopg

from facegate import changes
from facegate.audit import driver
from facegate.audit.event import Event
from facegate.audit.log import DUPLICATE, AuditLog, Receipt
from facegate.clock import Clock
from facegate.errors import InputError
from facegate.store import Database, Statements

# The most events one transaction takes; the rest wait for the next one (a batch must not grow without end).
MAX_BATCH = 1000
Check = Callable[[Statements], bool]
"""Whether an event may be recorded, run in its transaction. On PostgreSQL's pipeline a check may instead send a
statement that fails the transaction, its error naming CHECK_FAILED, when the check fails, and return True at
once: nothing waits for its answer before the commit."""
CHECK_FAILED = "facegate: the check failed"


class Conditional(Protocol):
    """A Check that can also be said as one SQL condition on PostgreSQL (driver.Condition), so that a lone event's
    check travels inside its write: the transaction is one statement. Found by its `condition` attribute, not by
    isinstance: on a runtime-checkable Protocol that takes about 7 µs, on every verification."""

    def __call__(self, db: Statements) -> bool: ...

    def condition(self) -> driver.Condition | None:
        """The condition, or None when the check must run as its own statements (it then fails as the Check)."""


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
        # PostgreSQL: the head the last batch committed, and whether the last batch found the head where the one
        # before had left it (no other writer in between): then the next batch writes from it without reading it.
        self._left: driver.Head | None = None
        self._alone = False

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
        start = self._left if self._alone and self.db.backend == "postgresql" else None
        try:
            try:
                passed, kept, receipts, head = self._attempt(batch, start)
            except psycopg.Error as exc:
                if start is None or not driver.moved(exc):
                    raise
                self._alone = False  # another process appended meanwhile: read the head, as long as others write
                passed, kept, receipts, head = self._attempt(batch, None)
        except (sqlite3.IntegrityError, psycopg.IntegrityError):  # PostgreSQL's pipeline reports it at COMMIT
            raise InputError(DUPLICATE) from None
        except psycopg.errors.InvalidTextRepresentation as exc:
            if len(batch) > 1 or CHECK_FAILED not in str(exc):
                raise  # several: each alone then, so that one failed check does not fail the others
            batch[0].checked = False
            return
        if head is not None:
            if start is None:
                self._alone = self._left is not None and receipts[0].index == self._left.size
            self._left = head
        for waiter, ok in zip(batch, passed, strict=True):
            waiter.checked = ok
        for waiter, receipt in zip(kept, receipts, strict=True):
            waiter.receipt = receipt

    def _attempt(
        self, batch: list[_Waiter], start: driver.Head | None
    ) -> tuple[list[bool], list[_Waiter], list[Receipt], driver.Head | None]:
        """The batch's transaction, written from the head `start` if given: which passed, which were kept, their
        receipts and the head left."""
        condition = self._lone(batch) if start is not None else None
        if condition is not None:  # one statement on an autocommit connection: its own transaction, no pipeline
            with self.db.quick() as conn:
                cond = condition if isinstance(condition, driver.Condition) else None
                receipts, head = self.audit.append_from(conn, [batch[0].event], now=self.clock(), start=start,
                                                        condition=cond)  # fmt: skip
            return [True], batch, receipts, head
        with self.db.quick(write=True) as conn:
            passed = [w.check is None or w.check(conn) for w in batch]
            kept = [w for w, ok in zip(batch, passed, strict=True) if ok]
            events, now = [w.event for w in kept], self.clock()
            receipts, head = self.audit.append_from(conn, events, now=now, start=start) if kept else ([], None)
            for waiter, receipt in zip(kept, receipts, strict=True):
                changes.record_event(conn, waiter.event, receipt)  # the typed change feed, same transaction
        return passed, kept, receipts, head

    @staticmethod
    def _lone(batch: list[_Waiter]) -> driver.Condition | bool | None:
        """For a batch of one event whose whole transaction can be its write (no change feed row, a check that is
        a condition or none): its condition, True for none; else None."""
        if len(batch) > 1:
            return None
        event, check = batch[0].event, batch[0].check
        if event.decision == "allow" and changes.KINDS.get(event.operation) is not None:
            return None  # the change feed's row goes in the same transaction
        if check is None:
            return True
        condition = getattr(check, "condition", None)
        return condition() if callable(condition) else None
