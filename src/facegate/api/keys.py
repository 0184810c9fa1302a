"""API keys: minted at random, shown once, stored as a SHA-256 hash, each with a role and granted deployments; and
the console sessions they signed out of."""

import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import delete, select

from facegate.clock import utc_now
from facegate.errors import InputError, NotFoundError
from facegate.store import Database

from .models import ApiKeyRow, SessionEndRow

Role = Literal["admin", "operator", "auditor", "reviewer", "metrics"]
# reviewer: a DPO or counsel who attests claims of a spec (regulation.md §4.8), distinct from the admin who registers.
# metrics: a Prometheus scraper's key, good for GET /metrics and nothing else (it is kept in a scraper's config).
ROLES: tuple[Role, ...] = ("admin", "operator", "auditor", "reviewer", "metrics")
PREFIX = "fgk"
_KEY = re.compile(r"^fgk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
# Every request authenticates: one statement on the driver's connection costs a tenth of an ORM session's get.
KEY_SQL = "SELECT name, role, deployments, secret_hash, created_at, revoked_at, expires_at FROM api_key WHERE id = ?"
PG_KEY_SQL = KEY_SQL.replace("?", "%s")


@dataclass(frozen=True)
class ApiKey:
    """A key as the service sees it after authentication: never holds the secret."""

    id: str
    name: str
    role: Role
    deployments: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def actor(self) -> str:
        """How the audit log names this key's actions."""
        return f"api_key:{self.id}"

    def state(self, now: datetime) -> str:
        """active, revoked or expired (revoked wins: it is the deliberate act)."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at is not None and self.expires_at <= now else "active"

    def grants(self, deployment_id: str) -> bool:
        """Whether the key may run operations on `deployment_id` (operators: only those granted)."""
        return self.role == "operator" and deployment_id in self.deployments

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view (no secret, no hash)."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "deployments": list(self.deployments),
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at and self.revoked_at.isoformat(),
            "expires_at": self.expires_at and self.expires_at.isoformat(),
        }


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _utc(value: datetime | str | None) -> datetime | None:
    """A stored naive UTC time (SQLite gives it as text) as an aware datetime, as the column type reads it."""
    if value is None:
        return None
    return (datetime.fromisoformat(value) if isinstance(value, str) else value).replace(tzinfo=UTC)


def _from(key_id: str, name: str, role: str, deployments: str, *times: datetime | str | None) -> ApiKey:
    """The key from its stored fields (created, revoked, expires), as the ORM or the driver reads them."""
    created, revoked, expires = (_utc(t) for t in times)
    granted = tuple(d for d in deployments.split(",") if d)
    return ApiKey(key_id, name, role, granted, created, revoked, expires)  # type: ignore[arg-type]


def _key(row: ApiKeyRow) -> ApiKey:
    return _from(row.id, row.name, row.role, row.deployments, row.created_at, row.revoked_at, row.expires_at)


class ApiKeys:
    """The API keys of one database: mint, authenticate, list, revoke; console sessions signed out."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        role: str,
        now: datetime,
        name: str = "",
        deployments: list[str] | None = None,
        created_by: str = "cli",
        expires_at: datetime | None = None,
    ) -> tuple[ApiKey, str]:
        """Mint a key (valid until `expires_at`, if given); return it with its full secret text, shown this once."""
        if expires_at is not None and expires_at <= now:
            raise InputError("an API key's expiry must lie in the future")
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        granted = list(dict.fromkeys(deployments or []))
        if role == "operator" and not granted:
            raise InputError("an operator key needs at least one deployment (--deployment ID)")
        if role != "operator" and granted:
            raise InputError("only operator keys are granted deployments")
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        row = ApiKeyRow(
            id=key_id,
            name=(name or f"{role} key")[:64],
            role=role,
            deployments=",".join(granted),
            secret_hash=_hash(secret),
            created_at=now,
            created_by=created_by[:64],
            expires_at=expires_at,
        )
        with self.db.session() as session:
            session.add(row)
        return _key(row), f"{PREFIX}_{key_id}_{secret}"

    def authenticate(self, text: str, now: datetime | None = None) -> ApiKey | None:
        """The key whose secret `text` is, unless unknown, revoked or expired (at `now`, default the clock's time)."""
        match = _KEY.match(text)
        if match is None:
            return None
        with self.db.quick() as db:
            if isinstance(db, sqlite3.Connection):
                row = db.execute(KEY_SQL, (match.group(1),)).fetchone()
            else:
                row = db.execute(PG_KEY_SQL, (match.group(1),)).fetchone()
        if row is None:
            return None
        name, role, deployments, secret_hash, *times = row
        key = _from(match.group(1), name, role, deployments, *times)
        if key.state(now or utc_now()) != "active":
            return None
        if not hmac.compare_digest(secret_hash, _hash(match.group(2))):
            return None
        return key

    def get(self, key_id: str) -> ApiKey | None:
        """The key with this ID (revoked or not), or None."""
        with self.db.session(readonly=True) as session:
            row = session.get(ApiKeyRow, key_id)
            return None if row is None else _key(row)

    def list(self) -> list[ApiKey]:
        """Every key, newest first."""
        with self.db.session(readonly=True) as session:
            rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at.desc(), ApiKeyRow.id)).all()
            return [_key(r) for r in rows]

    def revoke(self, key_id: str, now: datetime) -> ApiKey:
        """Revoke a key: it stops working at once."""
        with self.db.session() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFoundError(f"no API key {key_id!r}")
            if row.revoked_at is None:
                row.revoked_at = now
            return _key(row)

    def delete_named(self, name: str) -> int:
        """Remove every key called `name` (the demo replaces its keys on each run)."""
        with self.db.session() as session:
            rows = session.scalars(select(ApiKeyRow).filter_by(name=name)).all()
            for row in rows:
                session.delete(row)
            return len(rows)

    def has_admin(self) -> bool:
        """Whether an unrevoked admin key exists."""
        with self.db.session(readonly=True) as session:
            return session.scalar(select(ApiKeyRow.id).filter_by(role="admin", revoked_at=None).limit(1)) is not None

    def end_session(self, session_id: str, expires_at: datetime, now: datetime) -> None:
        """Record a console session as ended (signed out) until it would have expired; forget those past that."""
        with self.db.session() as session:
            session.execute(delete(SessionEndRow).where(SessionEndRow.expires_at <= now))
            if session.get(SessionEndRow, session_id) is None:
                session.add(SessionEndRow(id=session_id, expires_at=expires_at))

    def session_ended(self, session_id: str) -> bool:
        """Whether the console session `session_id` was signed out (on any replica sharing this database)."""
        with self.db.session(readonly=True) as session:
            return session.get(SessionEndRow, session_id) is not None
