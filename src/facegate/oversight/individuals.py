"""Who a handler stores: keyed hashes of subject IDs, recorded at enrollment, reconciled with the vault, counted.

A subject is one individual across all of a handler's deployments (the vault's subject IDs are global), so a
person enrolled in two deployments counts once. The hash key lives in the key store, wrapped by the master
key like the deployment keys; without it nobody can tell from these tables whether a given ID was stored.
"""

import hashlib
import hmac
import weakref
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from facegate.oversight.devices import DeviceViews, NoDevices
from facegate.oversight.models import HandlerRow, IndividualRow
from facegate.store import table_of
from facegate.vault.keystore import Keystore
from facegate.vault.models import TemplateRow

SUBJECT_KEY_NAME = "oversight/subject-key"
NO_DEVICES = NoDevices()
CHUNK = 5000
_secrets: "weakref.WeakKeyDictionary[Keystore, bytes]" = weakref.WeakKeyDictionary()


def handler_name(name: str) -> str:
    """The handler as counted: its legal name with runs of white space made one space."""
    text = " ".join(name.split())
    if len(text) > 255:  # longer than the column: keep it unique with a hash of the whole name
        text = text[:238] + "…" + hashlib.sha256(text.encode()).hexdigest()[:16]
    return text


def hash_secret(keystore: Keystore) -> bytes:
    """The key of the subject hashes, created in the key store on first use and cached per key store."""
    secret = _secrets.get(keystore)
    if secret is None:
        secret = _secrets[keystore] = keystore.ensure(SUBJECT_KEY_NAME)
    return secret


def subject_key(secret: bytes, subject_id: str) -> str:
    """HMAC-SHA256 of a subject ID, hex: the same person gives the same key, the key gives no ID back."""
    return hmac.new(secret, b"facegate/oversight/subject/v1/" + subject_id.encode(), hashlib.sha256).hexdigest()


def insert_ignoring_duplicates(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL."""
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for start in range(0, len(rows), CHUNK):
        session.execute(dialect.insert(table).on_conflict_do_nothing(), list(rows[start : start + CHUNK]))


def add_individual(session: Session, handler: str, key: str, now: datetime) -> bool:
    """Record one stored individual; True when the handler had not stored this individual before."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = table_of(IndividualRow)
    statement = (
        dialect.insert(table)
        .values(handler=handler, subject_key=key, first_stored_at=now)
        .on_conflict_do_nothing()
        .returning(table.c.subject_key)  # rowcount is not reliable here on psycopg; a returned row is
    )
    return session.execute(statement).first() is not None


def add_individuals(session: Session, handler: str, keyed: Iterable[tuple[str, datetime]]) -> None:
    """Record many (subject key, first stored at) pairs for a handler; those already recorded are kept as they are."""
    rows = [{"handler": handler, "subject_key": k, "first_stored_at": at} for k, at in keyed]
    insert_ignoring_duplicates(session, table_of(IndividualRow), rows)


def cumulative_count(session: Session, handler: str, before: datetime | None = None) -> int:
    """Distinct individuals the handler ever stored (before a moment, if given): §8 Q1 `cumulative`."""
    query = select(func.count()).select_from(IndividualRow).where(IndividualRow.handler == handler)
    if before is not None:
        query = query.where(IndividualRow.first_stored_at < before)
    return int(session.scalar(query) or 0)


def current_count(
    session: Session, deployment_ids: Sequence[str], now: datetime | None = None, devices: DeviceViews = NO_DEVICES
) -> int:
    """Distinct individuals with a template in any of the deployments now, on this node or on any of its paired
    devices (as they last reported, while they may still hold them at `now`): §8 Q1 `currently_stored`."""
    if not deployment_ids:
        return 0
    here = select(TemplateRow.subject_id).where(TemplateRow.deployment_id.in_(deployment_ids))
    held = devices.holdings(deployment_ids, now)
    stored = here.distinct() if held is None else here.union(select(held.subquery().c.subject_id))
    return int(session.scalar(select(func.count()).select_from(stored.subquery())) or 0)


def nth_first_stored(session: Session, handler: str, n: int) -> datetime | None:
    """When the handler first stored its n-th distinct individual (cumulative), or None below n."""
    if n < 1:
        return None
    return session.scalar(
        select(IndividualRow.first_stored_at)
        .where(IndividualRow.handler == handler)
        .order_by(IndividualRow.first_stored_at)
        .limit(1)
        .offset(n - 1)
    )


def nth_current(
    session: Session,
    deployment_ids: Sequence[str],
    n: int,
    now: datetime | None = None,
    devices: DeviceViews = NO_DEVICES,
) -> datetime | None:
    """The earliest moment by which n of the individuals stored now were all stored, or None below n."""
    if n < 1 or not deployment_ids:
        return None
    here = select(TemplateRow.subject_id.label("subject"), TemplateRow.created_at.label("at")).where(
        TemplateRow.deployment_id.in_(deployment_ids)
    )
    held = devices.holdings(deployment_ids, now)
    stored = (here if held is None else here.union_all(held)).subquery()
    first = select(func.min(stored.c.at).label("first")).group_by(stored.c.subject).subquery()
    value = session.scalar(select(first.c.first).order_by(first.c.first).limit(1).offset(n - 1))
    return None if value is None else _aware(value)  # a subquery's column may skip UTCDateTime's conversion


def reconcile(
    session: Session, keystore: Keystore, handler: str, deployment_ids: Sequence[str], since: datetime | None = None
) -> int:
    """Record every individual with a template in the handler's deployments (created since a moment, if given).

    The gate records each enrollment as it happens; this catches what it could not see (templates stored
    before oversight existed, or by another path) and returns the handler's cumulative count afterwards.
    """
    if deployment_ids:
        query = select(TemplateRow.subject_id, func.min(TemplateRow.created_at)).where(
            TemplateRow.deployment_id.in_(deployment_ids)
        )
        if since is not None:
            query = query.where(TemplateRow.created_at >= since)
        secret = hash_secret(keystore)
        found = session.execute(query.group_by(TemplateRow.subject_id)).all()
        add_individuals(session, handler, ((subject_key(secret, s), _aware(at)) for s, at in found))
    count = cumulative_count(session, handler)
    tally = lock_tally(session, handler)
    tally.individuals = count
    return count


def lock_tally(session: Session, handler: str) -> HandlerRow:
    """The handler's tally row, created if missing and locked for the rest of the transaction."""
    # A row lock on PostgreSQL (SQLite's writers are serialised at BEGIN): the enrollment hook and concurrent
    # refreshes take their turns, so none opens a task another has just opened.
    rows = [{"handler": handler, "individuals": 0, "latched": ""}]
    insert_ignoring_duplicates(session, table_of(HandlerRow), rows)
    tally = session.get(HandlerRow, handler, with_for_update=True, populate_existing=True)
    assert tally is not None
    return tally


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
