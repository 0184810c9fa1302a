"""The hub's fleet: pairing tokens (one device, or up to N of a site), the device listing, status changes, wipes.

Unpairing, reporting a device lost, and suspending with `wipe` order a wipe: at its next contact the device is
answered with the order instead of changes, shreds every key it holds and acknowledges; only then (or once its
offline bound has passed, when it has shredded them by itself) does the hub stop counting what it held.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from facegate.edge import signing
from facegate.edge.models import DeviceRow, HoldingRow, PairingTokenRow
from facegate.edge.watch import ACK_BOUND, holds, pending
from facegate.errors import DeviceRefused, InputError, NotFoundError

if TYPE_CHECKING:
    from facegate.edge.hub import Hub

TOKEN_HOURS = 24
MAX_SITE_DEVICES = 10_000
SITE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
STATUSES = ("active", "suspended", "unpaired", "lost")
OPERATIONS = {
    "active": "device.resume", "suspended": "device.suspend", "unpaired": "device.unpair", "lost": "device.lost"
}  # fmt: skip
FINAL = ("unpaired", "lost")  # a device in these states pairs again only with a new token


@dataclass(frozen=True)
class PairingToken:
    """A freshly minted pairing token: its ID and the secret text, shown once."""

    id: str
    token: str
    deployments: tuple[str, ...]
    expires_at: datetime
    site: str | None = None
    devices: int = 1


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _list(text: str) -> list[str]:
    return [item for item in text.split(",") if item]


def check_site(site: str | None) -> str | None:
    """A site name (lower-case letters, digits and -), or InputError."""
    if site is not None and not SITE.match(site):
        raise InputError(f"{site!r} is not a site name: 1-63 lower-case letters, digits or -")
    return site


def mint_token(
    hub: "Hub", deployments: list[str], actor: str, hours: float = TOKEN_HOURS, devices: int = 1,
    site: str | None = None,
) -> PairingToken:  # fmt: skip
    """A pairing token for up to `devices` devices of these deployments (each must store faces on devices)."""
    if not deployments:
        raise InputError("name at least one deployment the device will run")
    if not 0 < hours <= 24 * 7:
        raise InputError("a pairing token lives between a moment and 7 days")
    if not 1 <= devices <= MAX_SITE_DEVICES:
        raise InputError(f"a pairing token pairs between 1 and {MAX_SITE_DEVICES:,} devices")
    check_site(site)
    for deployment_id in deployments:
        spec = hub.gate.deployment_spec(deployment_id)
        if spec.storage.location != "device":
            raise InputError(
                f"deployment {deployment_id} stores faces {spec.storage.location} (storage.location): it runs "
                "on the hub, not on a device; only device-storage deployments are paired"
            )
    now = hub.clock()
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    expires = now + timedelta(hours=hours)
    with hub.db.session() as session:
        session.add(
            PairingTokenRow(
                id=token_id, secret_hash=_hash(secret), deployments=",".join(deployments), created_by=actor,
                created_at=now, expires_at=expires, site=site, max_uses=devices, uses=0,
            )
        )  # fmt: skip
        for deployment_id in deployments:
            hub.event(session, actor, "device.token", "minted", deployment=deployment_id, request_id=token_id)
    text = f"fgp_{token_id}_{secret}_{signing.fingerprint(hub.key.public.pem())}"
    return PairingToken(token_id, text, tuple(deployments), expires, site, devices)


def _parse(hub: "Hub", token: str) -> tuple[str, str]:
    """The token's ID and secret; refused when it names another hub's key."""
    if not token.startswith("fgp_") or token.count("_") < 2:
        raise InputError("not a pairing token (fgp_...)")
    token_id, rest = token[4:].split("_", 1)
    head, _, pin = rest.rpartition("_")
    if head and signing.FINGERPRINT.match(pin):
        if not hmac.compare_digest(pin, signing.fingerprint(hub.key.public.pem())):
            raise DeviceRefused("the pairing token carries another hub's key fingerprint", "pairing_token_wrong_hub")
        rest = head
    return token_id, rest


def join(hub: "Hub", token: str, name: str, device_key: str, audit_key: str) -> dict[str, Any]:
    """Pair a device with a pairing token (one use of it); the answer carries the hub key the device checks."""
    signing.public_key(device_key), signing.public_key(audit_key)
    token_id, secret = _parse(hub, token)
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
        raise InputError("a device name is 1-64 letters, digits, - or _")
    now = hub.clock()
    device_id = f"dev-{secrets.token_hex(6)}"
    with hub.db.session() as session:
        row = session.get(PairingTokenRow, token_id, with_for_update=True)
        if row is None or not hmac.compare_digest(row.secret_hash, _hash(secret)):
            raise DeviceRefused("the pairing token is unknown", "pairing_token_unknown")
        if row.uses >= row.max_uses:
            if row.max_uses == 1:
                raise DeviceRefused("the pairing token was used already: mint a new one", "pairing_token_used")
            message = f"the site token has paired its {row.max_uses} devices already: mint a new one"
            raise DeviceRefused(message, "pairing_token_used")
        if row.expires_at <= now:
            raise DeviceRefused("the pairing token has expired: mint a new one", "pairing_token_expired")
        again = session.scalar(
            select(DeviceRow.id).where(DeviceRow.device_key == device_key, DeviceRow.status.not_in(FINAL))
        )
        if again is not None:
            raise DeviceRefused(f"this device key is paired already (as {again})", "device_paired_already")
        row.uses, row.used_at, row.device_id = row.uses + 1, now, device_id
        deployments = _list(row.deployments)
        session.add(
            DeviceRow(
                id=device_id, name=name, deployments=row.deployments, device_key=device_key, audit_key=audit_key,
                status="active", site=row.site, paired_at=now, last_seen_at=now, applied=0, log_size=0,
                log_root=b"", log_frontier=b"", holds_until=now + hub.bound(deployments),
            )
        )  # fmt: skip
        for deployment_id in deployments:
            hub.event(session, f"device:{device_id}", "device.pair", "paired", deployment=deployment_id)
    return {
        "device_id": device_id, "name": name, "deployments": deployments, "site": row.site,
        "hub_key": hub.key.public.pem(),
    }  # fmt: skip


def wipe_pending(row: Any) -> bool:
    """Whether the hub has ordered this device to wipe and not yet heard it did."""
    return row.wipe_reason is not None and row.wipe_acked_at is None


def devices(hub: "Hub", site: str | None = None) -> list[dict[str, Any]]:
    """Every device (of a site): status, site, last contact, pending shreds and wipe, audit standing, holdings."""
    now = hub.clock()
    with hub.db.session(readonly=True) as session:
        query = select(DeviceRow).order_by(DeviceRow.paired_at)
        if site is not None:
            query = query.where(DeviceRow.site == site)
        rows = session.scalars(query).all()
        head = hub.head(session)
        waiting = pending(session, rows, now)
        held = dict(
            session.execute(
                select(HoldingRow.device_id, func.count(func.distinct(HoldingRow.subject_id))).group_by(
                    HoldingRow.device_id
                )
            ).all()
        )
    out = []
    for r in rows:
        mine = waiting.get(r.id, [])
        out.append({
            "id": r.id, "name": r.name, "site": r.site, "status": r.status, "deployments": _list(r.deployments),
            "paired_at": r.paired_at.isoformat(), "last_seen_at": r.last_seen_at and r.last_seen_at.isoformat(),
            "online": r.status == "active" and r.last_seen_at is not None and now - r.last_seen_at <= ACK_BOUND,
            "behind": max(0, head - r.applied), "log_size": r.log_size,
            "audit": "flagged" if r.flag else "verified",
            "stored_subjects": held.get(r.id, 0) if holds(r, now) else 0,
            "pending_shreds": len(mine),
            "unconfirmed_shreds": sum(1 for o in mine if o["late"]),
            "wipe": None if r.wipe_reason is None else {
                "reason": r.wipe_reason, "ordered_at": r.wipe_ordered_at and r.wipe_ordered_at.isoformat(),
                "acked_at": r.wipe_acked_at and r.wipe_acked_at.isoformat(),
            },
            "holds_until": r.holds_until and r.holds_until.isoformat(),
            "flag": r.flag, "flagged_at": r.flagged_at and r.flagged_at.isoformat(),
        })  # fmt: skip
    return out


def _change(hub: "Hub", session: Session, row: DeviceRow, status: str, actor: str, wipe: bool, now: datetime) -> None:
    if status not in STATUSES:
        raise InputError("a device is active, suspended, unpaired or lost")
    if row.status in FINAL:
        raise InputError(f"device {row.id} is {row.status}: pair it again with a new token")
    if wipe and status != "suspended":
        raise InputError("a wipe goes with suspend (unpair and lost always wipe)")
    row.status = status
    outcome = status
    if status == "active":
        row.flag, row.flagged_at = None, None
        if row.wipe_reason is not None:  # resuming a device suspended with a wipe: it may hold templates again
            outcome = "resumed_wipe_cancelled" if wipe_pending(row) else "resumed_after_wipe"
            row.wipe_reason, row.wipe_ordered_at, row.wipe_acked_at = None, None, None
    elif status in FINAL or wipe:
        if not wipe_pending(row):
            row.wipe_reason, row.wipe_ordered_at, row.wipe_acked_at = (
                "suspend" if status == "suspended" else {"unpaired": "unpair", "lost": "lost"}[status],
                now,
                None,
            )
        outcome = f"{status}_wipe_ordered"
    for deployment_id in _list(row.deployments):
        hub.event(session, actor, OPERATIONS[status], outcome, deployment=deployment_id, request_id=row.id)


def set_status(hub: "Hub", device_id: str, status: str, actor: str, wipe: bool = False) -> dict[str, Any]:
    """Suspend (optionally with a wipe), resume, unpair or report lost one device; unpair and lost order a wipe."""
    with hub.db.session() as session:
        row = session.get(DeviceRow, device_id, with_for_update=True)
        if row is None:
            raise NotFoundError(f"no device {device_id!r}")
        _change(hub, session, row, status, actor, wipe, hub.clock())
    return next(d for d in devices(hub) if d["id"] == device_id)


def set_site_status(hub: "Hub", site: str, status: str, actor: str, wipe: bool = False) -> list[dict[str, Any]]:
    """The same change for every device of a site not unpaired or lost; the devices changed."""
    check_site(site)
    with hub.db.session() as session:
        rows = session.scalars(
            select(DeviceRow).where(DeviceRow.site == site, DeviceRow.status.not_in(FINAL)).with_for_update()
        ).all()
        if not rows:
            raise NotFoundError(f"no device of site {site!r} to change")
        ids = {r.id for r in rows}
        now = hub.clock()
        for row in rows:
            _change(hub, session, row, status, actor, wipe, now)
    return [d for d in devices(hub, site) if d["id"] in ids]


def record_wipe(hub: "Hub", device: Any, body: dict[str, Any]) -> dict[str, Any]:
    """A device's report that it shredded its keys: for the hub's order, or by itself past its offline bound."""
    reason = body.get("reason")
    now = hub.clock()
    with hub.db.session() as session:
        row = session.get(DeviceRow, device.id, with_for_update=True)
        assert row is not None
        if reason == "offline":
            outcome = "offline_bound"
        elif wipe_pending(row) and reason == row.wipe_reason:
            row.wipe_acked_at, outcome = now, "keys_shredded"
        else:
            raise InputError(f"no wipe of reason {reason!r} was ordered for this device")
        wiped = set(body.get("deployments") or []) & set(_list(row.deployments)) or set(_list(row.deployments))
        session.execute(delete(HoldingRow).where(HoldingRow.device_id == row.id, HoldingRow.deployment_id.in_(wiped)))
        row.last_seen_at = now
        for deployment_id in sorted(wiped):
            hub.event(session, f"device:{row.id}", "device.wiped", outcome, deployment=deployment_id, request_id=row.id)
    return {"device": device.id, "wipe": reason, "acknowledged": now.isoformat()}
