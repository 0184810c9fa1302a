"""Sending the outbox: each due delivery claimed, signed, POSTed, and recorded; failures retried with backoff.

A delivery is claimed for CLAIM before it is sent, so several replicas never send it at once; a process that dies
mid-send leaves the claim to lapse, and the message is sent again (receivers deduplicate by `webhook-id`).
"""

import logging
from datetime import timedelta

import httpx
from sqlalchemy import or_, select, update

from facegate import metrics
from facegate.clock import Clock
from facegate.errors import KeyUnavailableError
from facegate.store import Database, rowcount
from facegate.vault.keystore import Keystore

from . import signing
from .models import DeliveryRow, WebhookRow
from .sealing import open_secret

log = logging.getLogger("facegate.webhooks")
# Waits after the 1st, 2nd, ... failed attempt; after the last one the delivery is given up ("failed").
BACKOFF = tuple(
    timedelta(seconds=s) for s in (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200)
)  # about 29 hours in all, 11 attempts
CLAIM = timedelta(minutes=2)
TIMEOUT_S = 10.0
BATCH = 20


def due(db: Database, clock: Clock, batch: int = BATCH) -> list[int]:
    """The IDs of pending deliveries whose time has come and that no one has claimed."""
    now = clock()
    with db.session(readonly=True) as session:
        query = (
            select(DeliveryRow.id)
            .where(DeliveryRow.state == "pending", DeliveryRow.next_attempt_at <= now)
            .where(or_(DeliveryRow.claimed_until.is_(None), DeliveryRow.claimed_until < now))
            .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id)
            .limit(batch)
        )
        return list(session.scalars(query))


def claim(db: Database, clock: Clock, delivery_id: int) -> bool:
    """Take a delivery for CLAIM; False when another process has it or it is no longer pending."""
    now = clock()
    with db.session() as session:
        taken = session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == delivery_id, DeliveryRow.state == "pending")
            .where(or_(DeliveryRow.claimed_until.is_(None), DeliveryRow.claimed_until < now))
            .values(claimed_until=now + CLAIM)
        )
        return bool(rowcount(taken))


def attempt(db: Database, clock: Clock, keystore: Keystore, client: httpx.Client, delivery_id: int) -> str:
    """Send one claimed delivery and record how it went: delivered, retry or failed.

    The hook's secret is opened only here, to sign this attempt: never logged, never cached."""
    sent = (DeliveryRow.payload, DeliveryRow.message_id, DeliveryRow.event)
    with db.session(readonly=True) as session:
        row = session.execute(
            select(*sent, WebhookRow.id, WebhookRow.url, WebhookRow.sealed_secret)
            .join(WebhookRow, WebhookRow.id == DeliveryRow.hook_id)
            .where(DeliveryRow.id == delivery_id)
        ).first()
    if row is None:
        return "gone"  # its hook was removed meanwhile
    body = row.payload.encode()
    status: int | None = None
    try:
        secret = open_secret(keystore, row.id, row.sealed_secret or b"")
    except KeyUnavailableError:  # the key store was lost or replaced: retried, and failed in the end, like an outage
        return _recorded(db, clock, delivery_id, row.event, None, "secret unavailable")
    headers = signing.headers(secret, row.message_id, int(clock().timestamp()), body)
    try:
        answer = client.post(row.url, content=body, headers=headers, timeout=TIMEOUT_S)
        status = answer.status_code
        error = None if 200 <= status < 300 else f"HTTP {status}"
    except httpx.HTTPError as exc:  # the receiver's words are never kept: only the kind of failure
        error = type(exc).__name__
    return _recorded(db, clock, delivery_id, row.event, status, error)


def _recorded(db: Database, clock: Clock, delivery_id: int, event: str, status: int | None, error: str | None) -> str:
    result = record(db, clock, delivery_id, status, error)
    metrics.WEBHOOK_DELIVERIES.labels(event, result).inc()
    if result != "delivered":
        log.warning("webhook delivery %s %s: %s (%s)", delivery_id, event, error, result)
    return result


def record(db: Database, clock: Clock, delivery_id: int, status: int | None, error: str | None) -> str:
    """Write an attempt's result; the delivery's new state (a retry is scheduled by BACKOFF)."""
    now = clock()
    with db.session() as session:
        row = session.get(DeliveryRow, delivery_id, with_for_update=True)
        if row is None:
            return "gone"
        row.attempts += 1
        row.last_status, row.last_error, row.claimed_until = status, error, None
        if error is None:
            row.state, row.delivered_at = "delivered", now
            return "delivered"
        if row.attempts > len(BACKOFF):
            row.state = "failed"
            return "failed"
        row.next_attempt_at = now + BACKOFF[row.attempts - 1]
        return "retry"


def send_due(db: Database, clock: Clock, keystore: Keystore, client: httpx.Client | None = None) -> dict[str, int]:
    """Send every delivery now due (one batch); how many ended delivered, retry or failed."""
    results: dict[str, int] = {}
    http = client or httpx.Client(follow_redirects=False)
    try:
        for delivery_id in due(db, clock):
            if claim(db, clock, delivery_id):
                result = attempt(db, clock, keystore, http, delivery_id)
                results[result] = results.get(result, 0) + 1
    finally:
        if client is None:
            http.close()
    return results
