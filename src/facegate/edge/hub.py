"""The hub side: pairing tokens, paired devices, the signed state each device pulls, and the logs devices push.

The hub never receives or sends biometric data. What a device pulls is derived from the hub's typed change feed
(facegate.changes: rows keyed by their audit index, which is the cursor): its deployments' specs and status, and the
standing of every subject whose notice, consent, decline, withdrawal or deletion was recorded since the device's
cursor, plus shred orders for withdrawals and deletions. What a device pushes is its audit log (entries and a signed
checkpoint, checked by a consistency proof against the last one), the standing it changed locally, and which
subjects it holds.
"""

import base64
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from facegate import oversight, policy
from facegate.audit import CheckpointError, Event, open_checkpoint
from facegate.audit.merkle import frontier_push, frontier_root, leaf_hash, pack, unpack, verify_consistency
from facegate.audit.models import AuditHead
from facegate.changes import Change, ChangeRow
from facegate.edge import fleet, receipts, signing, suspension
from facegate.edge.fleet import PairingToken
from facegate.edge.models import DeviceCheckpointRow, DeviceEntryRow, DeviceRow, HoldingRow, NonceRow
from facegate.edge.standing import standings
from facegate.edge.views import attach
from facegate.edge.watch import ACK_BOUND, unconfirmed
from facegate.errors import ConflictError, DeviceRefused, InputError, RefusedError
from facegate.events import Op
from facegate.vault.models import DeploymentRow, SubjectRow

if TYPE_CHECKING:
    from facegate.gate import Gate

log = logging.getLogger("facegate.edge")
PAGE = 2000  # hub audit entries looked at per pull; a device behind by more pulls again at once
PUSH_LIMIT = 5000  # device audit entries accepted per push
TAMPER_RULES = ["CN25-9c", "PIPL-55/56"]
REPLAY_RULES = ["CN25-9c"]
BOUND_SECONDS = 60.0  # how long the deployments' offline bounds are cached
SWEEP_SECONDS = 60.0  # how often the nonces past the time window are deleted (all devices at once)


def _list(text: str) -> list[str]:
    return [item for item in text.split(",") if item]


class Hub:
    """The hub role of a data directory: built around its gate (database, audit log, clock) and its hub key."""

    def __init__(self, gate: "Gate", home: Path) -> None:
        self.gate, self.parts = gate, gate.edge_parts()  # its tables, audit log and writer: not the gate's insides
        self.db, self.audit = self.parts.db, self.parts.audit
        attach(self.parts)  # oversight on this hub counts what its devices hold
        self.key = signing.hub_key(home)
        self._bounds: dict[str, float] = {}
        self._bounds_at = 0.0
        self._swept = 0.0

    @property
    def clock(self) -> Callable[[], datetime]:
        """The gate's clock."""
        return self.gate.clock

    def event(self, session: Session, actor: str, operation: str, outcome: str, **fields: Any) -> str:
        """Append an allowed event of the hub's to its audit log in `session`; its event ID."""
        event = Event(actor=actor, operation=Op(operation), decision="allow", outcome=outcome, **fields)
        return self.parts.writer.append(session, event).event_id

    def bound(self, deployments: list[str]) -> timedelta:
        """The longest offline bound (storage.max_offline_hours) of these deployments: by then a device silent
        since its last contact has shredded its keys by itself."""
        now = time.monotonic()
        if now - self._bounds_at > BOUND_SECONDS:
            self._bounds, self._bounds_at = {}, now
        hours = []
        for deployment_id in deployments:
            if deployment_id not in self._bounds:
                self._bounds[deployment_id] = self.gate.deployment_spec(deployment_id).storage.max_offline_hours
            hours.append(self._bounds[deployment_id])
        return timedelta(hours=max(hours, default=24))

    # ---- pairing and the fleet (facegate.edge.fleet) ----

    def mint_token(
        self, deployments: list[str], actor: str, hours: float = fleet.TOKEN_HOURS, devices: int = 1,
        site: str | None = None,
    ) -> PairingToken:  # fmt: skip
        """A pairing token for up to `devices` devices (of a site) of these device-storage deployments."""
        return fleet.mint_token(self, deployments, actor, hours, devices, site)

    def join(self, token: str, name: str, device_key: str, audit_key: str) -> dict[str, Any]:
        """Pair a device with a pairing token; the answer carries the hub key the device checks and pins."""
        return fleet.join(self, token, name, device_key, audit_key)

    def devices(self, site: str | None = None) -> list[dict[str, Any]]:
        """Every paired device (of a site): status, last contact, pending shreds and wipe, audit standing."""
        return fleet.devices(self, site)

    def set_status(self, device_id: str, status: str, actor: str, wipe: bool = False) -> dict[str, Any]:
        """Suspend (with a wipe or not), resume, unpair or report lost a device; unpair and lost order a wipe."""
        return fleet.set_status(self, device_id, status, actor, wipe)

    def set_site_status(self, site: str, status: str, actor: str, wipe: bool = False) -> list[dict[str, Any]]:
        """The same change for every device of a site."""
        return fleet.set_site_status(self, site, status, actor, wipe)

    def record_wipe(self, device: Any, body: dict[str, Any]) -> dict[str, Any]:
        """A device's report that it shredded its keys."""
        return fleet.record_wipe(self, device, body)

    def authenticate(
        self, headers: dict[str, str], method: str, path: str, body: bytes, wiping: bool = False,
        suspended: bool = False,
    ) -> Any:  # fmt: skip
        """The device that signed this request; DeviceRefused when unknown, not authentic, replayed, or not active
        (a device whose wipe is pending is let in to be told and to acknowledge it when `wiping`; a suspended one,
        to be told the shreds it owes, when `suspended`)."""
        device_id = headers.get(signing.DEVICE_HEADER.lower(), "")
        if not device_id:
            raise DeviceRefused("the request is not from a paired device", "device_unknown")
        nonce = headers.get(signing.NONCE_HEADER.lower(), "")
        with self.db.session() as session:  # one transaction: the device's row, its signature checked, the nonce
            # A plain row (no ORM object): this runs twice per sync of every device.
            row = session.execute(select(DeviceRow.__table__).where(DeviceRow.id == device_id)).first()
            if row is None:
                raise DeviceRefused("the request is not from a paired device", "device_unknown")
            problem = signing.check_request(
                signing.public_key(row.device_key),
                method,
                path,
                headers.get(signing.TIME_HEADER.lower(), ""),
                nonce,
                headers.get(signing.SIGNATURE_HEADER.lower(), ""),
                body,
                self.clock(),
            )
            if problem:
                raise DeviceRefused(f"device request refused: {problem}", "device_signature_invalid")
            fresh = self._use_nonce(session, row.id, nonce)
        if not fresh:
            self._refuse_replay(row.id, path)
        if row.status != "active" and not (wiping and fleet.wipe_pending(row)) and not (
            suspended and row.status == "suspended"
        ):
            raise DeviceRefused(f"device {row.id} is {row.status} on this hub", "device_inactive")
        return row

    def _use_nonce(self, session: Session, device_id: str, nonce: str) -> bool:
        """Record the request's nonce in `session`; False when it was seen within the time window (a replay)."""
        now = self.clock()
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        if time.monotonic() - self._swept > SWEEP_SECONDS:
            # Nonces older than twice the window cannot come back: their request's time is refused already.
            old = now - timedelta(seconds=2 * signing.MAX_SKEW_SECONDS)
            session.execute(delete(NonceRow).where(NonceRow.seen_at < old))
            self._swept = time.monotonic()
        insert = dialect.insert(NonceRow).values(device_id=device_id, nonce=nonce, seen_at=now)
        return session.execute(insert.on_conflict_do_nothing().returning(NonceRow.nonce)).first() is not None

    def _refuse_replay(self, device_id: str, path: str) -> None:
        """A replayed request: audited, then refused."""
        with self.db.session() as session:
            event = Event(
                actor=f"device:{device_id}", operation=Op.DEVICE_REPLAY, decision="refuse", outcome="refused",
                rule_ids=REPLAY_RULES, request_id=device_id,
            )  # fmt: skip
            self.parts.writer.append(session, event)
        message = f"replayed request refused: this signed request to {path} was received before"
        raise DeviceRefused(message, "request_replayed")

    def sign(self, device_id: str, body: bytes) -> str:
        """The hub's signature of an answer body for a device."""
        return signing.sign_answer(self.key, device_id, body)

    # ---- hub -> device ----

    def head(self, session: Session) -> int:
        """The size of the hub's audit log (the change cursor's end)."""
        return int(session.scalar(select(AuditHead.size).where(AuditHead.id == 1)) or 0)

    def pull(self, device: Any, applied: int, acks: list[dict[str, Any]]) -> dict[str, Any]:
        """What changed for the device since `applied` (its cursor): deployments, standings, shred orders.

        The device's acknowledgements of earlier shred orders are recorded, and `applied` becomes its cursor.
        """
        now = self.clock()
        deployments = _list(device.deployments)
        if fleet.wipe_pending(device):
            return self._wipe_order(device, applied, now)
        if device.status == "suspended":  # told only the withdrawals and deletions it owes
            return suspension.owed(self, device, applied, acks, now)
        with self.db.session() as session:
            head = self.head(session)
            since = max(0, min(int(applied), head))
            self.record_acks(session, device.id, acks, now)
            session.execute(
                update(DeviceRow).where(DeviceRow.id == device.id).values(
                    applied=case((DeviceRow.applied < since, since), else_=DeviceRow.applied), applied_at=now,
                    last_seen_at=now, holds_until=now + self.bound(deployments),
                )
            )  # fmt: skip
            changes = session.scalars(
                select(ChangeRow).where(ChangeRow.idx >= since, ChangeRow.idx < head).order_by(ChangeRow.idx)
                .limit(PAGE)
            ).all()  # fmt: skip
            until = changes[-1].idx + 1 if len(changes) == PAGE else head
            subjects: set[str] = set()
            shred: list[dict[str, Any]] = []
            deleted: set[str] = set()
            for change in changes:
                kind, subject = change.change, change.subject
                if subject is None:
                    continue
                if kind is Change.DELETION:
                    deleted.add(subject)
                    shred.append({"order": change.idx, "subject": subject, "deployment": None, "reason": change.op})
                elif kind in (Change.STANDING, Change.WITHDRAWAL) and change.deployment in deployments:
                    subjects.add(subject)
                    if kind is Change.WITHDRAWAL:
                        shred.append(
                            {"order": change.idx, "subject": subject, "deployment": change.deployment,
                             "reason": change.op}
                        )  # fmt: skip
            found = standings(session, deployments, None if since == 0 else subjects - deleted)
            # The deployments travel on a first pull and when one of them changed: an idle pull reads none.
            moved = since == 0 or any(c.change is Change.DEPLOYMENT and c.deployment in deployments for c in changes)
            wanted = select(DeploymentRow).where(DeploymentRow.id.in_(deployments))
            rows = session.scalars(wanted).all() if moved else []
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
            "wipe": None,
        }

    def _wipe_order(self, device: Any, applied: int, now: datetime) -> dict[str, Any]:
        """The answer to a device whose wipe is pending: the order, nothing else."""
        with self.db.session() as session:
            row = session.get(DeviceRow, device.id, with_for_update=True)
            assert row is not None
            row.last_seen_at = now
        cursor = max(0, int(applied))
        return {
            "device": device.id, "log_size": device.log_size, "since": cursor, "cursor": cursor, "more": False,
            "hub_time": now.isoformat(), "deployments": [], "subjects": [], "deleted": [], "shred": [],
            "wipe": {"reason": device.wipe_reason, "ordered_at": device.wipe_ordered_at.isoformat()},
        }  # fmt: skip

    def record_acks(self, session: Session, device_id: str, acks: list[dict[str, Any]], now: datetime) -> None:
        """Record in `session` the device's acknowledgements of shred orders that name no template left."""
        orders = []
        for ack in acks[:PAGE]:
            try:
                done = receipts.confirmed(device_id, ack)
            except ValueError as exc:
                raise InputError(str(exc)) from None
            if done is not None:
                orders.append({
                    "device_id": device_id, "order_idx": done[0], "subject_id": done[1],
                    "deployment_id": ack.get("deployment"),
                    "device_event_id": str(ack.get("event_id") or "")[:128] or None, "acked_at": now,
                })  # fmt: skip
        receipts.store(session, orders)

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
            message = f"device {device.id} is flagged ({device.flag}): an admin must look at it first"
            raise DeviceRefused(message, "device_flagged")
        if body.get("from") != device.log_size:
            raise ConflictError(f"the hub holds {device.log_size} entries of this device's log: push from there")
        problem, cp, leaves = self._check_log(device, body)
        if problem:
            self._flag(device.id, problem, now)
            raise DeviceRefused(f"device {device.id} flagged: {problem}", "device_flagged")
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
            row.last_seen_at, row.holds_until = now, now + self.bound(_list(row.deployments))
            if body.get("holdings") is not None:
                self._holdings(session, row, body["holdings"], now)
        applied = self._apply_standings(device, body.get("subjects") or [])
        applied += self._apply_deletions(device, [str(s) for s in (body.get("deleted") or [])[:PAGE]])
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
                self.event(
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
                session, self.parts.keystore, spec.handler.name, s, now, profiles, self.parts.settings
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

    def _apply_deletions(self, device: Any, subjects: list[str]) -> int:
        """A subject deleted at a device: deleted here too when the hub has a record of it in at least one of the
        device's deployments and in none outside them (then every device shreds it), else its consents for the
        device's deployments are withdrawn; a subject with no record in them is left alone (audited, refused)."""
        from facegate.gate import Caller

        caller, mine, taken = Caller(actor=f"device:{device.id}"), set(_list(device.deployments)), 0
        for subject_id in subjects:
            with self.db.session(readonly=True) as session:
                known = session.get(SubjectRow, subject_id) is not None
                where = self.parts.deployments_of(session, subject_id) if known else set()
            try:
                if where and where <= mine:
                    self.gate.delete_subject(subject_id, caller=caller)
                    taken += 1
                    continue
                for deployment_id in sorted(where & mine):
                    self.gate.withdraw(deployment_id, subject_id, caller=caller)
                    taken += 1
                if not where & mine:
                    self._ignored_deletion(device.id, subject_id if known else None)
            except (RefusedError, InputError) as exc:  # refused here: the gate has audited why
                log.warning("a deletion made on device %s was not applied: %s", device.id, type(exc).__name__)
        return taken

    def _ignored_deletion(self, device_id: str, subject_id: str | None) -> None:
        """A device's deletion of a subject the hub holds no record of in the device's deployments: audited, left."""
        with self.db.session() as session:
            event = Event(
                actor=f"device:{device_id}", operation=Op.SUBJECT_DELETE, decision="refuse",
                outcome="ignored_not_in_device_deployments", request_id=device_id, subject=subject_id,
            )  # fmt: skip
            self.parts.writer.append(session, event)
