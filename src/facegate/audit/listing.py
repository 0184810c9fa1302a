"""Reading the audit log a page at a time: the newest entries first, filtered by operation, deployment, subject,
decision and time."""

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from facegate.audit.models import AuditEntry

ENTRY = AuditEntry.__table__
BATCH = 500  # rows read per query while looking for a page of matching entries


LAST_INDEX = 2**63 - 1  # the largest integer SQLite and PostgreSQL BIGINT columns hold


@dataclass(frozen=True)
class Filters:
    """What an entry must match; None matches anything. `since` is inclusive, `until` exclusive (UTC)."""

    operation: str | None = None
    deployment: str | None = None
    subject: str | None = None
    decision: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, entry: dict[str, Any]) -> bool:
        """Whether a logged entry's fields match every filter set (times are checked in the query)."""
        wanted = {k: v for k, v in asdict(self).items() if k not in ("since", "until") and v}
        return all(entry.get(name) == value for name, value in wanted.items())

    def any(self) -> bool:
        """Whether any filter is set."""
        return any(asdict(self).values())


@dataclass(frozen=True)
class Page:
    """One page of entries, newest first, and the index to ask for the next (older) page, if there is one."""

    entries: list[dict[str, Any]]
    older: int | None


def _scan(conn: Connection, filters: Filters, before: int | None) -> Iterator[dict[str, Any]]:
    """Matching entries newest first, starting below index `before` (entries whose payload was purged skipped)."""
    cursor = before
    while True:
        query = select(ENTRY.c.idx, ENTRY.c.payload).where(ENTRY.c.payload.is_not(None))
        if cursor is not None:
            query = query.where(ENTRY.c.idx < cursor)
        if filters.since is not None:
            query = query.where(ENTRY.c.recorded_at >= filters.since)
        if filters.until is not None:
            query = query.where(ENTRY.c.recorded_at < filters.until)
        rows = conn.execute(query.order_by(ENTRY.c.idx.desc()).limit(BATCH)).all()
        for idx, payload in rows:
            entry = json.loads(payload)
            if filters.matches(entry):
                yield entry
            cursor = idx
        if len(rows) < BATCH:
            return


def page(conn: Connection, filters: Filters | None = None, before: int | None = None, size: int = 50) -> Page:
    """The newest `size` entries matching `filters` below index `before` (None: from the newest)."""
    filters = filters or Filters()
    if before is not None and before > LAST_INDEX:
        before = None  # past any index a database column can hold: the same as from the newest
    entries: list[dict[str, Any]] = []
    for entry in _scan(conn, filters, before):
        if len(entries) == size:
            return Page(entries, older=entries[-1]["index"])
        entries.append(entry)
    return Page(entries, older=None)
