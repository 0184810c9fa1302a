"""The hub side: pairing tokens, paired devices, the signed state each device pulls, and the logs devices push.

The hub never receives or sends biometric data. What a device pulls is derived from the hub's own audit log (the
change cursor is the log's size): its deployments' specs and status, and the standing of every subject whose
notice, consent, decline, withdrawal or deletion was recorded since the device's cursor, plus shred orders for
withdrawals and deletions. What a device pushes is its audit log (entries and a signed checkpoint, checked by
a consistency proof against the last one), the standing it changed locally, and which subjects it holds.
"""

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from facegate import oversight, policy
from facegate.audit import CheckpointError, Event, open_checkpoint
from facegate.audit.merkle import frontier_push, frontier_root, leaf_hash, pack, unpack, verify_consistency
from facegate.audit.models import AuditEntry, AuditHead
from facegate.edge import signing
from facegate.edge.models import (
    DeviceCheckpointRow,
    DeviceEntryRow,
    DeviceRow,
    HoldingRow,
    PairingTokenRow,
    ShredAckRow,
)
from facegate.edge.standing import standings
from facegate.edge.watch import ACK_BOUND, SHRED_OPERATIONS, STANDING_OPERATIONS, unconfirmed
from facegate.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from facegate.vault.models import DeploymentRow

if TYPE_CHECKING:
    from facegate.gate import Gate

TOKEN_HOURS = 24
PAGE = 2000  # hub audit entries looked at per pull; a device behind by more pulls again at once
PUSH_LIMIT = 5000  # device audit entries accepted per push
TAMPER_RULES = ["CN25-9c", "PIPL-56"]


class DeviceRefused(ForbiddenError):
    """A pairing or a device's request is refused: unknown or used token, unknown, suspended or flagged device."""


@dataclass(frozen=True)
class PairingToken:
    """A freshly minted pairing token: its ID and the secret text, shown once."""

    id: str
    token: str
    deployments: tuple[str, ...]
    expires_at: datetime


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _csv(items: Iterable[str]) -> str:
    return ",".join(items)


def _list(text: str) -> list[str]:
    return [item for item in text.split(",") if item]


class Hub:
    """The hub role of a data directory: built around its gate (database, audit log, clock) and its hub key."""

    def __init__(self, gate: "Gate", home: Path) -> None:
        self.gate, self.db, self.audit = gate, gate.db, gate.audit
        self.key = signing.hub_key(home)

    @property
    def clock(self):  # type: ignore[no-untyped-def]
        """The gate's clock."""
        return self.gate.clock

    def _event(self, session: Session, actor: str, operation: str, outcome: str, **fields: Any) -> str:
        event = Event(actor=actor, operation=operation, decision="allow", outcome=outcome, **fields)
        return self.audit.append(session, event, now=self.clock()).event_id

    # ---- pairing ----

    def mint_token(self, deployments: list[str], actor: str, hours: float = TOKEN_HOURS) -> PairingToken:
        """A one-time pairing token for devices of these deployments (each must store faces on devices)."""
        if not deployments:
            raise InputError("name at least one deployment the device will run")
        if not 0 < hours <= 24 * 7:
            raise InputError("a pairing token lives between a moment and 7 days")
        for deployment_id in deployments:
            spec = self.gate.deployment_spec(deployment_id)
            if spec.storage.location != "device":
                raise InputError(
                    f"deployment {deployment_id} stores faces {spec.storage.location} (storage.location): it runs "
                    "on the hub, not on a device; only device-storage deployments are paired"
                )
        now = self.clock()
        token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        with self.db.session() as session:
            session.add(
                PairingTokenRow(
                    id=token_id,
                    secret_hash=_hash(secret),
                    deployments=_csv(deployments),
                    created_by=actor,
                    created_at=now,
                    expires_at=now + timedelta(hours=hours),
                )
            )
            for deployment_id in deployments:
                self._event(session, actor, "device.token", "minted", deployment=deployment_id, request_id=token_id)
        return PairingToken(token_id, f"fgp_{token_id}_{secret}", tuple(deployments), now + timedelta(hours=hours))

    def join(self, token: str, name: str, device_key: str, audit_key: str) -> dict[str, Any]:
        """Pair a device with a pairing token (used up here); the answer carries the hub key to pin."""
        signing.public_key(device_key), signing.public_key(audit_key)
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != "fgp":
            raise InputError("not a pairing token (fgp_...)")
        if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
            raise InputError("a device name is 1-64 letters, digits, - or _")
        now = self.clock()
        device_id = f"dev-{secrets.token_hex(6)}"
        with self.db.session() as session:
            row = session.get(PairingTokenRow, parts[1], with_for_update=True)
            valid = row is not None and hmac.compare_digest(row.secret_hash, _hash(parts[2]))
            if not valid or row is None:
                raise DeviceRefused("the pairing token is unknown")
            if row.used_at is not None:
                raise DeviceRefused("the pairing token was used already: mint a new one")
            if row.expires_at <= now:
                raise DeviceRefused("the pairing token has expired: mint a new one")
            row.used_at, row.device_id = now, device_id
            deployments = _list(row.deployments)
            session.add(
                DeviceRow(
                    id=device_id,
                    name=name,
                    deployments=row.deployments,
                    device_key=device_key,
                    audit_key=audit_key,
                    status="active",
                    paired_at=now,
                    last_seen_at=now,
                    applied=0,
                    log_size=0,
                    log_root=b"",
                    log_frontier=b"",
                )
            )
            for deployment_id in deployments:
                self._event(session, f"device:{device_id}", "device.pair", "paired", deployment=deployment_id)
        return {"device_id": device_id, "name": name, "deployments": deployments, "hub_key": self.key.public.pem()}

    # ---- devices ----

    def devices(self) -> list[dict[str, Any]]:
        """Every device paired with this hub: status, deployments, last contact, log size, flag, pending shreds."""
        now = self.clock()
        with self.db.session(readonly=True) as session:
            rows = session.scalars(select(DeviceRow).order_by(DeviceRow.paired_at)).all()
            head = self._head(session)
            late = {d: len(v) for d, v in unconfirmed(session, rows, now).items()}
            held = dict(
                session.execute(
                    select(HoldingRow.device_id, func.count(func.distinct(HoldingRow.subject_id))).group_by(
                        HoldingRow.device_id
                    )
                ).all()
            )
        return [
            {
                "id": r.id,
                "name": r.name,
                "status": r.status,
                "deployments": _list(r.deployments),
                "paired_at": r.paired_at.isoformat(),
                "last_seen_at": r.last_seen_at and r.last_seen_at.isoformat(),
                "behind": max(0, head - r.applied),
                "log_size": r.log_size,
                "stored_subjects": held.get(r.id, 0),
                "unconfirmed_shreds": late.get(r.id, 0),
                "flag": r.flag,
                "flagged_at": r.flagged_at and r.flagged_at.isoformat(),
            }
            for r in rows
        ]

    def set_status(self, device_id: str, status: str, actor: str) -> dict[str, Any]:
        """Suspend, resume or unpair a device; an unpaired device's holdings no longer count, its log stays."""
        if status not in ("active", "suspended", "unpaired"):
            raise InputError("a device is active, suspended or unpaired")
        with self.db.session() as session:
            row = session.get(DeviceRow, device_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"no device {device_id!r}")
            if row.status == "unpaired":
                raise InputError(f"device {device_id} is unpaired: pair it again with a new token")
            row.status = status
            if status == "active":
                row.flag, row.flagged_at = None, None
            if status == "unpaired":
                session.execute(delete(HoldingRow).where(HoldingRow.device_id == device_id))
            operation = {"active": "device.resume", "suspended": "device.suspend", "unpaired": "device.unpair"}[status]
            for deployment_id in _list(row.deployments):
                self._event(session, actor, operation, status, deployment=deployment_id)
        return next(d for d in self.devices() if d["id"] == device_id)

    def authenticate(self, headers: dict[str, str], method: str, path: str, body: bytes) -> Any:
        """The device that signed this request; DeviceRefused when unknown, suspended, unpaired or not authentic."""
        device_id = headers.get(signing.DEVICE_HEADER.lower(), "")
        row = None
        if device_id:  # a plain row (no ORM object): this runs twice per sync of every device
            with self.db.session(readonly=True) as session:
                row = session.execute(select(DeviceRow.__table__).where(DeviceRow.id == device_id)).first()
        if row is None:
            raise DeviceRefused("the request is not from a paired device")
        problem = signing.check_request(
            signing.public_key(row.device_key),
            method,
            path,
            headers.get(signing.TIME_HEADER.lower(), ""),
            headers.get(signing.SIGNATURE_HEADER.lower(), ""),
            body,
            self.clock(),
        )
        if problem:
            raise DeviceRefused(f"device request refused: {problem}")
        if row.status != "active":
            raise DeviceRefused(f"device {row.id} is {row.status} on this hub")
        return row

    def sign(self, device_id: str, body: bytes) -> str:
        """The hub's signature of an answer body for a device."""
        return signing.sign_answer(self.key, device_id, body)

    # ---- hub -> device ----

    def _head(self, session: Session) -> int:
        return int(session.scalar(select(AuditHead.size).where(AuditHead.id == 1)) or 0)

    def pull(self, device: Any, applied: int, acks: list[dict[str, Any]]) -> dict[str, Any]:
        """What changed for the device since `applied` (its cursor): deployments, standings, shred orders.

        The device's acknowledgements of earlier shred orders are recorded, and `applied` becomes its cursor.
        """
        now = self.clock()
        deployments = _list(device.deployments)
        with self.db.session() as session:
            head = self._head(session)
            since = max(0, min(int(applied), head))
            self._record_acks(session, device.id, acks, now)
            row = session.get(DeviceRow, device.id, with_for_update=True)
            assert row is not None
            row.applied, row.applied_at, row.last_seen_at = max(row.applied, since), now, now
            until = min(head, since + PAGE)
            subjects: set[str] = set()
            shred: list[dict[str, Any]] = []
            deleted: set[str] = set()
            entries = session.execute(
                select(AuditEntry.idx, AuditEntry.payload).where(AuditEntry.idx >= since, AuditEntry.idx < until)
            )
            for idx, payload in entries:
                if payload is None:
                    continue
                entry = json.loads(payload)
                operation, subject = entry.get("operation"), entry.get("subject")
                if entry.get("decision") != "allow" or subject is None:
                    continue
                if operation == "subject.delete":
                    deleted.add(subject)
                    shred.append({"order": idx, "subject": subject, "deployment": None, "reason": operation})
                elif operation in STANDING_OPERATIONS and entry.get("deployment") in deployments:
                    subjects.add(subject)
                    if operation in SHRED_OPERATIONS:
                        shred.append(
                            {"order": idx, "subject": subject, "deployment": entry["deployment"], "reason": operation}
                        )
            found = standings(session, deployments, None if since == 0 else subjects - deleted)
            rows = session.scalars(select(DeploymentRow).where(DeploymentRow.id.in_(deployments))).all()
        return {
            "device": device.id,
            "log_size": device.log_size,
            "since": since,
            "cursor": until,
            "more": until < head,
            "hub_time": now.isoformat(),
            "deployments": [
                {"id": r.id, "spec": json.loads(r.spec), "profiles": r.profiles.split(","), "status": r.status}
                for r in sorted(rows, key=lambda r: r.id)
            ],
            "subjects": found,
            "deleted": sorted(deleted),
            "shred": shred,
        }

    def _record_acks(self, session: Session, device_id: str, acks: list[dict[str, Any]], now: datetime) -> None:
        for ack in acks[:PAGE]:
            try:
                order, subject = int(ack["order"]), str(ack["subject"])
            except (KeyError, TypeError, ValueError):
                raise InputError("an acknowledgement names its order and subject") from None
            if session.get(ShredAckRow, (device_id, order)) is None:
                session.add(
                    ShredAckRow(
                        device_id=device_id,
                        order_idx=order,
                        subject_id=subject[:64],
                        deployment_id=ack.get("deployment"),
                        templates_deleted=int(ack.get("templates_deleted") or 0),
                        device_event_id=str(ack.get("event_id") or "")[:128] or None,
                        acked_at=now,
                    )
                )

    def unconfirmed_shreds(self, bound: timedelta = ACK_BOUND) -> dict[str, list[dict[str, Any]]]:
        """Devices online that have not confirmed a withdrawal or deletion within `bound` (default 5 minutes)."""
        with self.db.session(readonly=True) as session:
            devices = session.scalars(select(DeviceRow)).all()
            return unconfirmed(session, devices, self.clock(), bound)

    # ---- device -> hub ----

    def push(self, device: Any, body: dict[str, Any]) -> dict[str, Any]:
        """Take a device's audit log since the last push (checked against its signed checkpoint and the one before
        it), the standing it changed locally, and what it holds. A log that fails a check flags the device."""
        now = self.clock()
        if device.flag:
            raise DeviceRefused(f"device {device.id} is flagged ({device.flag}): an admin must look at it first")
        if body.get("from") != device.log_size:
            raise ConflictError(f"the hub holds {device.log_size} entries of this device's log: push from there")
        problem, cp, leaves = self._check_log(device, body)
        if problem:
            self._flag(device.id, problem, now)
            raise DeviceRefused(f"device {device.id} flagged: {problem}")
        entries = body.get("entries") or []
        with self.db.session() as session:
            row = session.get(DeviceRow, device.id, with_for_update=True)
            assert row is not None and cp is not None
            if row.log_size != device.log_size:
                raise ConflictError("another push of this device was taken meanwhile; push again")
            frontier = unpack(row.log_frontier)
            for index, leaf in enumerate(leaves, start=row.log_size):
                frontier_push(frontier, index, leaf)
            session.add_all(
                DeviceEntryRow(device_id=device.id, idx=e["idx"], payload=e["payload"], leaf_hash=leaf)
                for e, leaf in zip(entries, leaves, strict=True)
            )
            if cp.size > row.log_size or not row.log_root:
                session.add(
                    DeviceCheckpointRow(
                        device_id=device.id,
                        tree_size=cp.size,
                        root_hash=cp.root,
                        note=cp.note,
                        proof=json.dumps(body.get("proof") or []),
                        received_at=now,
                    )
                )
            row.log_size, row.log_root, row.log_frontier = cp.size, cp.root, pack(frontier)
            row.last_seen_at = now
            if body.get("holdings") is not None:
                self._holdings(session, row, body["holdings"], now)
        applied = self._apply_standings(device, body.get("subjects") or [])
        return {"device": device.id, "log_size": cp.size, "applied": applied}

    def _check_log(self, device: Any, body: dict[str, Any]) -> tuple[str, Any, list[bytes]]:
        """Why the pushed log is not a faithful continuation of what the hub holds ('' when it is)."""
        try:
            cp = open_checkpoint(str(body.get("checkpoint") or ""), signing.public_key(device.audit_key))
        except CheckpointError as exc:
            return f"the checkpoint is not signed by the device's audit key ({exc})", None, []
        report = body.get("self_check") or {}
        if report.get("ok") is False:
            return f"the device's own verification of its log failed: {report.get('problem') or 'unknown'}", cp, []
        if cp.size < device.log_size:
            return f"the log shrank from {device.log_size} to {cp.size} entries: it was rewritten", cp, []
        entries = body.get("entries") or []
        if len(entries) > PUSH_LIMIT:
            raise InputError(f"push at most {PUSH_LIMIT} entries at a time")
        if [e.get("idx") for e in entries] != list(range(device.log_size, cp.size)):
            raise InputError(f"push the entries {device.log_size} to {cp.size - 1}, in order")
        leaves = []
        for e in entries:
            payload = e.get("payload")
            if not isinstance(payload, str) or json.loads(payload).get("index") != e["idx"]:
                return f"entry {e.get('idx')} is not a log entry of that index", cp, []
            leaves.append(leaf_hash(payload.encode()))
        frontier = unpack(device.log_frontier)
        for index, leaf in enumerate(leaves, start=device.log_size):
            frontier_push(frontier, index, leaf)
        if cp.size and frontier_root(frontier) != cp.root:
            return "the entries do not hash to the root the device signed: its log was edited", cp, []
        if device.log_size and cp.size > device.log_size:
            try:
                proof = [base64.b64decode(h) for h in body.get("proof") or []]
            except (ValueError, TypeError):
                proof = []
            if not verify_consistency(device.log_size, cp.size, device.log_root, cp.root, proof):
                return (
                    f"the checkpoint at {cp.size} entries is not consistent with the one at {device.log_size}: "
                    "the log was rewritten or forked",
                    cp,
                    [],
                )
        if cp.size == device.log_size and device.log_size and cp.root != device.log_root:
            return "a different root for the same size: the log forked", cp, []
        return "", cp, leaves

    def _flag(self, device_id: str, problem: str, now: datetime) -> None:
        with self.db.session() as session:
            row = session.get(DeviceRow, device_id, with_for_update=True)
            assert row is not None
            row.flag, row.flagged_at = problem[:500], now
            for deployment_id in _list(row.deployments):
                self._event(
                    session, "system:edge", "device.flagged", "log_rejected", deployment=deployment_id,
                    rule_ids=TAMPER_RULES, request_id=device_id,
                )  # fmt: skip

    def _holdings(self, session: Session, device: DeviceRow, pairs: list[Any], now: datetime) -> None:
        """Replace what the device holds; record each newly stored individual for the handler's count."""
        deployments = set(_list(device.deployments))
        wanted = {(str(d), str(s)) for d, s in pairs if d in deployments}
        known = {
            (d, s)
            for d, s in session.execute(
                select(HoldingRow.deployment_id, HoldingRow.subject_id).where(HoldingRow.device_id == device.id)
            ).all()
        }
        gone = known - wanted
        for d, s in gone:
            session.execute(
                delete(HoldingRow).where(
                    HoldingRow.device_id == device.id, HoldingRow.deployment_id == d, HoldingRow.subject_id == s
                )
            )
        specs: dict[str, tuple[policy.Deployment, tuple[str, ...]]] = {}
        for d, s in sorted(wanted - known):
            session.add(HoldingRow(device_id=device.id, deployment_id=d, subject_id=s, reported_at=now))
            if d not in specs:
                specs[d] = self.gate.registered(d)
            spec, profiles = specs[d]
            oversight.record_stored(
                session, self.gate.vault.keystore, spec.handler.name, s, now, profiles, self.gate.settings
            )

    def _apply_standings(self, device: Any, subjects: list[dict[str, Any]]) -> int:
        """Bring the hub's standing in line with what the device recorded locally (notices, consents, ...)."""
        from facegate.edge.sync import apply_standings
        from facegate.gate import Caller

        allowed = set(_list(device.deployments))
        scoped = [
            {**s, "deployments": {d: v for d, v in (s.get("deployments") or {}).items() if d in allowed}}
            for s in subjects
        ]
        return apply_standings(self.gate, Caller(actor=f"device:{device.id}"), scoped)
