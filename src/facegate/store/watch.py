"""What other transactions change, as PostgreSQL's notifications say it: a value read from the database (rows'
revisions) is remembered until a notification names one of its rows, so that reading it again costs no round trip.

It also wakes whoever waits for new changes in the edge change feed (migration 0015 notifies each insert there), and
when it begins to listen, since a change may have gone unheard before.

The rows' triggers (migration 0014) notify at commit, so a change is known here a notification's delivery after it
commits: a value is as fresh as the last notification received. While the listening connection is down (or not
yet up) nothing is remembered and every read goes to the database; what was remembered before a reconnection is
not trusted, since notifications may have been missed meanwhile.
"""

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg

CHANNEL = "facegate_revision"
FEED_CHANNEL = "facegate_change"
WAIT_S = 0.5  # how long one wait for notifications lasts, so that `close` is heard within it
PING_S = 2.0  # a SELECT 1 this often: a connection gone fails it (soon, with the caller's TCP options)
RETRY_S = 1.0
MAX_ROWS = 10_000  # past this many rows changed or values remembered, everything remembered is forgotten
T = TypeVar("T")
log = logging.getLogger(__name__)


class Watch:
    """Values remembered per key (`table:id` of the rows they were read from) until a notification names a row."""

    def __init__(self, connect: Callable[[], psycopg.Connection[Any]]) -> None:
        self._connect = connect
        self._lock = threading.Lock()
        self._seen = 0  # notifications received and listens begun: the order of events here
        self._since: int | None = None  # `_seen` when the current LISTEN began; None while not listening
        self._changed: dict[str, int] = {}  # a row's key: `_seen` at its last notification
        self._values: dict[tuple[str, ...], tuple[int, Any]] = {}  # keys: (`_seen` before the read, value)
        self._wakers: list[Callable[[], None]] = []
        self._stop = threading.Event()
        threading.Thread(target=self._run, name="facegate-watch", daemon=True).start()

    def remembered(self, keys: tuple[str, ...], read: Callable[[], T]) -> T:
        """`read()`, or its value remembered for `keys` while no notification has named one of them since."""
        with self._lock:
            since, hit = self._since, self._values.get(keys)
            if since is not None and hit is not None:
                read_at, kept = hit
                if read_at >= since and all(self._changed.get(key, 0) <= read_at for key in keys):
                    return kept  # type: ignore[no-any-return]
            mark = self._seen
        value = read()
        with self._lock:
            if since is not None and self._since == since:
                if len(self._values) >= MAX_ROWS:
                    self._values.clear()
                self._values[keys] = (mark, value)
        return value

    def on_change(self, wake: Callable[[], None]) -> Callable[[], None]:
        """Call `wake()` (from the watch's thread) on each change added to the feed and whenever listening begins;
        returns what stops it."""
        with self._lock:
            self._wakers.append(wake)

        def cancel() -> None:
            with self._lock:
                if wake in self._wakers:
                    self._wakers.remove(wake)

        return cancel

    def listening(self) -> bool:
        """Whether notifications are being received (values are remembered only then)."""
        return self._since is not None

    def close(self) -> None:
        """Stop listening (within WAIT_S) and forget everything."""
        self._stop.set()

    def _note(self, key: str) -> None:
        with self._lock:
            self._seen += 1
            if len(self._changed) >= MAX_ROWS:  # forget the changes: only a value read from now on is trusted
                self._changed.clear()
                self._values.clear()
                self._since = self._seen
            self._changed[key] = self._seen

    def _wake(self) -> None:
        with self._lock:
            wakers = list(self._wakers)
        for wake in wakers:
            with contextlib.suppress(RuntimeError):  # its event loop has closed; it cancels itself as it ends
                wake()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    conn.execute("SET application_name = 'facegate watch'")  # as pg_stat_activity shows it
                    conn.execute(f"LISTEN {CHANNEL}")
                    conn.execute(f"LISTEN {FEED_CHANNEL}")
                    with self._lock:
                        self._seen += 1
                        self._since = self._seen
                    self._wake()
                    self._listen(conn)
            except psycopg.Error as exc:
                if not self._stop.is_set():
                    log.warning("not listening for changes (every verification reads its revisions): %s", exc)
            finally:
                with self._lock:
                    self._since = None
            self._stop.wait(RETRY_S)

    def _listen(self, conn: psycopg.Connection[Any]) -> None:
        waited = 0.0
        while not self._stop.is_set():
            for note in conn.notifies(timeout=WAIT_S):
                if note.channel == FEED_CHANNEL:
                    self._wake()
                else:
                    self._note(note.payload)
            waited += WAIT_S
            if waited >= PING_S:
                conn.execute("SELECT 1")
                waited = 0.0
