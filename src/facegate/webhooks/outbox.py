"""Hooks and the outbox: register receivers, write one delivery per subscribed hook in the event's own
transaction, and turn new audit entries (withdrawals, deletions, incidents, flagged devices) into events."""

import ipaddress
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from facegate.audit.models import AuditEntry, AuditHead
from facegate.clock import Clock
from facegate.errors import InputError, NotFoundError
from facegate.store import Database
from facegate.vault.keystore import Keystore

from .catalogue import EVENTS, FROM_AUDIT
from .models import CursorRow, DeliveryRow, WebhookRow
from .sealing import seal_plain, seal_secret
from .signing import new_secret

KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_TEXT = 500
MAX_ITEMS = 64
AUDIT_BATCH = 500
AUDIT_FIELDS = ("deployment", "subject", "outcome", "rule_ids", "actor", "request_id")


@dataclass(frozen=True)
class Hook:
    """A registered receiver as listed: never its secret."""

    id: str
    url: str
    events: list[str]
    description: str
    created_at: datetime
    created_by: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {**self.__dict__, "created_at": self.created_at.isoformat()}


def _hook(row: Any) -> Hook:
    return Hook(row.id, row.url, row.events.split(","), row.description, row.created_at, row.created_by)


def checked_data(data: dict[str, Any]) -> dict[str, Any]:
    """`data` when every value is short text, an integer, a boolean, null or a list of short texts; else InputError.

    Numbers with a fraction, bytes and lists of numbers are refused, so no template or image can ride along."""
    for key, value in data.items():
        if not isinstance(key, str) or not KEY.match(key):
            raise InputError("webhook data: each key is a short lower-case name")
        plain = value is None or isinstance(value, bool | int) or (isinstance(value, str) and len(value) <= MAX_TEXT)
        texts = isinstance(value, list) and len(value) <= MAX_ITEMS
        texts = texts and all(isinstance(v, str) and len(v) <= MAX_TEXT for v in value)
        if not (plain or texts):
            raise InputError(f"webhook data {key!r}: only short text, integers, booleans and lists of text")
    return data


def publish(db: Session | Connection, event: str, data: dict[str, Any], now: datetime) -> int:
    """Queue `event` for every hook subscribed to it, in the caller's transaction; the number of deliveries.

    The one call other parts use: `webhooks.publish(session, "door.decision", {"deployment": d, ...}, clock())`.
    The deliveries commit (or roll back) with the caller's change, and the sender delivers them after the commit,
    retrying with backoff, so an event is neither lost when the process dies nor sent for a change undone.
    `data` is checked by `checked_data`: never put biometric data, a name or a photo in it.
    """
    if event not in EVENTS:
        raise InputError(f"unknown webhook event {event!r}: add it to facegate/webhooks/catalogue.py")
    body = {"type": event, "timestamp": now.isoformat(), "data": checked_data(dict(data))}
    hooks = [r.id for r in db.execute(select(WebhookRow.id, WebhookRow.events)) if event in r.events.split(",")]
    if not hooks:
        return 0
    message_id = f"msg_{uuid.uuid4().hex}"
    payload = json.dumps({"id": message_id, **body}, ensure_ascii=False, sort_keys=True)
    rows = [
        {"hook_id": h, "message_id": message_id, "event": event, "payload": payload, "created_at": now,
         "state": "pending", "attempts": 0, "next_attempt_at": now}
        for h in hooks
    ]  # fmt: skip
    db.execute(insert(DeliveryRow), rows)
    return len(rows)


def checked_url(url: str) -> str:
    """An http(s) URL with a host, else InputError; never an address no receiver lives at (a cloud's metadata
    service at 169.254.169.254, multicast, 0.0.0.0). A host name is not resolved: where it points is the admin's."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise InputError("a webhook URL is http:// or https:// with a host, e.g. https://hooks.example.com/facegate")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return url  # a name
    if address.is_link_local or address.is_multicast or address.is_unspecified or address.is_reserved:
        raise InputError(f"a webhook URL cannot point at {address}: a link-local, multicast, unspecified or reserved "
                         "address (a cloud's metadata service lives there), never a receiver")  # fmt: skip
    return url


def checked_events(events: list[str]) -> list[str]:
    """Known event names, without repeats, else InputError naming the known ones."""
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise InputError(f"unknown webhook event {', '.join(unknown) or '(none)'}: use {', '.join(EVENTS)}")
    return list(dict.fromkeys(events))


class Webhooks:
    """The registered hooks and their deliveries, in the node's database; their secrets sealed by `keystore`."""

    def __init__(self, db: Database, clock: Clock, keystore: Keystore) -> None:
        self.db, self.clock, self.keystore = db, clock, keystore
        seal_plain(db, keystore)

    def register(self, url: str, events: list[str], description: str, actor: str) -> tuple[Hook, str]:
        """Register a receiver for `events`; the hook and its signing secret (shown this once)."""
        secret, hook_id = new_secret(), f"wh_{secrets.token_hex(8)}"
        row = WebhookRow(
            id=hook_id, url=checked_url(url), events=",".join(checked_events(events)), secret="",
            sealed_secret=seal_secret(self.keystore, hook_id, secret), description=description[:200],
            created_at=self.clock(), created_by=actor[:64],
        )  # fmt: skip
        with self.db.session() as session:
            session.add(row)
            session.flush()
            return _hook(row), secret

    def page(self, limit: int = 100, after: str | None = None) -> list[Hook]:
        """Hooks by ID, `limit` of them after the ID `after`."""
        with self.db.session(readonly=True) as session:
            query = select(WebhookRow).order_by(WebhookRow.id).limit(limit)
            if after is not None:
                query = query.where(WebhookRow.id > after)
            return [_hook(r) for r in session.scalars(query)]

    def get(self, hook_id: str) -> Hook:
        """One hook, else NotFoundError."""
        with self.db.session(readonly=True) as session:
            row = session.get(WebhookRow, hook_id)
            if row is None:
                raise NotFoundError(f"no webhook {hook_id!r}")
            return _hook(row)

    def remove(self, hook_id: str) -> Hook:
        """Remove a hook and its undelivered messages."""
        with self.db.session() as session:
            row = session.get(WebhookRow, hook_id)
            if row is None:
                raise NotFoundError(f"no webhook {hook_id!r}")
            hook = _hook(row)
            session.query(DeliveryRow).filter_by(hook_id=hook_id).delete()
            session.delete(row)
            return hook

    def ping(self, hook_id: str) -> int:
        """Queue a `ping` message to one hook (whatever it subscribed to); the delivery's ID."""
        self.get(hook_id)
        now = self.clock()
        message_id = f"msg_{uuid.uuid4().hex}"
        payload = {"id": message_id, "type": "ping", "timestamp": now.isoformat(), "data": {"hook": hook_id}}
        row = DeliveryRow(
            hook_id=hook_id, message_id=message_id, event="ping", payload=json.dumps(payload, sort_keys=True),
            created_at=now, state="pending", attempts=0, next_attempt_at=now,
        )  # fmt: skip
        with self.db.session() as session:
            session.add(row)
            session.flush()
            return row.id

    def deliveries(self, hook_id: str, limit: int = 100, before: int | None = None) -> list[dict[str, Any]]:
        """A hook's deliveries, newest first, `limit` of them below the ID `before`."""
        self.get(hook_id)
        with self.db.session(readonly=True) as session:
            query = select(DeliveryRow).filter_by(hook_id=hook_id).order_by(DeliveryRow.id.desc()).limit(limit)
            if before is not None:
                query = query.where(DeliveryRow.id < before)
            return [delivery_dict(r) for r in session.scalars(query)]

    def collect(self) -> int:
        """Turn the audit entries recorded since the last call into events; the number of deliveries queued.

        The cursor row is locked, so two replicas never turn the same entry into two events."""
        with self.db.session(readonly=True) as session:  # most rounds find nothing new: no write lock for them
            size = session.scalar(select(AuditHead.size).where(AuditHead.id == 1)) or 0
            read = session.scalar(select(CursorRow.audit_index).where(CursorRow.id == 1))
            if read is None or read >= size:
                return 0
        queued = 0
        with self.db.session() as session:
            cursor = session.get(CursorRow, 1, with_for_update=True)
            if cursor is None:  # written by the migration; absent only if someone deleted it
                return 0
            table = AuditEntry.__table__
            rows = session.execute(
                select(table.c.idx, table.c.payload, table.c.recorded_at)
                .where(table.c.idx >= cursor.audit_index)
                .order_by(table.c.idx)
                .limit(AUDIT_BATCH)
            ).all()
            for idx, payload, recorded_at in rows:
                entry = json.loads(payload) if payload else {}
                event = FROM_AUDIT.get(entry.get("operation", ""))
                if event and entry.get("decision") == "allow":
                    data = {k: entry.get(k) for k in AUDIT_FIELDS}
                    data |= {"audit_event_id": entry.get("event_id"), "audit_index": idx}
                    queued += publish(session, event, data, recorded_at)
            if rows:
                cursor.audit_index = rows[-1].idx + 1
        return queued


def delivery_dict(row: DeliveryRow) -> dict[str, Any]:
    """A delivery as listed: what was sent, when, how often, and how it went."""

    def at(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": row.id, "hook_id": row.hook_id, "message_id": row.message_id, "event": row.event,
        "state": row.state, "attempts": row.attempts, "created_at": at(row.created_at),
        "next_attempt_at": at(row.next_attempt_at) if row.state == "pending" else None,
        "last_status": row.last_status, "last_error": row.last_error, "delivered_at": at(row.delivered_at),
        "payload": json.loads(row.payload),
    }  # fmt: skip
