"""What oversight watches on a hub's devices: withdrawals a device online has not confirmed in time, flagged logs.

A withdrawal or deletion at the hub must reach every device that may hold the subject (CN25-6d); the hub counts
a device as online when it was seen within the bound (default 5 minutes), and then expects its cursor past the
withdrawal within the same bound.
"""

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate.audit.models import AuditEntry
from facegate.edge.models import DeviceRow

ACK_BOUND = timedelta(minutes=5)
STANDING_OPERATIONS = {"notice.shown", "consent.give", "decline", "consent.withdraw"}
SHRED_OPERATIONS = {"consent.withdraw", "subject.delete"}


def _deployments(device: DeviceRow) -> set[str]:
    return {d for d in device.deployments.split(",") if d}


def unconfirmed(
    session: Session, devices: Iterable[DeviceRow], now: datetime, bound: timedelta = ACK_BOUND
) -> dict[str, list[dict[str, Any]]]:
    """Per device online: the withdrawals and deletions older than `bound` it has not applied yet."""
    active = [d for d in devices if d.status == "active"]
    if not active:
        return {}
    rows = session.execute(
        select(AuditEntry.idx, AuditEntry.recorded_at, AuditEntry.payload).where(
            AuditEntry.idx >= min(d.applied for d in active), AuditEntry.recorded_at <= now - bound
        )
    ).all()
    orders = []
    for idx, at, payload in rows:
        entry = json.loads(payload) if payload else {}
        if entry.get("operation") in SHRED_OPERATIONS and entry.get("decision") == "allow":
            orders.append((idx, at, entry))
    out: dict[str, list[dict[str, Any]]] = {}
    for device in active:
        if device.last_seen_at is None or now - device.last_seen_at > bound:
            continue  # offline: its own offline bound stops its face recognition instead
        mine = _deployments(device)
        late = [
            {"order": idx, "at": at.isoformat(), "subject": e.get("subject"), "deployment": e.get("deployment")}
            for idx, at, e in orders
            if idx >= device.applied and (e.get("deployment") is None or e.get("deployment") in mine)
        ]
        if late:
            out[device.id] = late
    return out


def device_warnings(session: Session, deployment_ids: Sequence[str], now: datetime) -> list[tuple[str, list[str], str]]:
    """Warnings for the oversight report: flagged device logs and unconfirmed deletions on these deployments."""
    wanted = set(deployment_ids)
    devices = [d for d in session.scalars(select(DeviceRow)).all() if _deployments(d) & wanted]
    out = []
    for device in devices:
        if device.flag:
            out.append(
                ("WARN", ["CN25-9c", "PIPL-56"], f"device {device.id} ({device.name}) is flagged: {device.flag}")
            )
    for device_id, late in unconfirmed(session, devices, now).items():
        name = next(d.name for d in devices if d.id == device_id)
        out.append((
            "WARN", ["CN25-6d", "PIPL-47"],
            f"device {device_id} ({name}) has not confirmed {len(late)} withdrawal(s) or deletion(s) within "
            f"{int(ACK_BOUND.total_seconds() // 60)} minutes while online",
        ))  # fmt: skip
    return out
