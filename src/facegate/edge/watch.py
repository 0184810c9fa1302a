"""What oversight watches on a hub's devices: withdrawals a device has not confirmed, flagged logs.

A withdrawal or deletion at the hub must reach every device that may hold the subject (CN25-6d). A shred order is
pending on a device while the device may still hold templates: until its cursor passes the order, it acknowledges
the order (over the broker, facegate.edge.receipts, or in a pull), it acknowledges a wipe, or its offline bound
passes (by then it has shredded its keys by itself). Orders pending longer than the bound (default 5 minutes) are
unconfirmed, whether the device is online or not.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate.changes import SHREDS, ChangeRow
from facegate.edge.models import DeviceRow, ShredAckRow

ACK_BOUND = timedelta(minutes=5)


def _deployments(device: DeviceRow) -> set[str]:
    return {d for d in device.deployments.split(",") if d}


def holds(device: Any, now: datetime) -> bool:
    """Whether the device may still hold templates: no acknowledged wipe, and its offline bound not passed."""
    if device.wipe_acked_at is not None:
        return False
    return device.holds_until is None or device.holds_until > now


def pending(
    session: Session, devices: Iterable[DeviceRow], now: datetime, bound: timedelta = ACK_BOUND
) -> dict[str, list[dict[str, Any]]]:
    """Per device that may still hold templates: the withdrawals and deletions it has not applied (`late` past
    `bound`), whether it is online or not."""
    holding = [d for d in devices if holds(d, now)]
    if not holding:
        return {}
    orders = session.scalars(
        select(ChangeRow).where(
            ChangeRow.idx >= min(d.applied for d in holding), ChangeRow.kind.in_([c.value for c in SHREDS])
        )
    ).all()
    acked: set[tuple[str, int]] = set()
    if orders:
        query = select(ShredAckRow.device_id, ShredAckRow.order_idx).where(
            ShredAckRow.order_idx.in_([c.idx for c in orders])
        )
        acked = {(device_id, order) for device_id, order in session.execute(query).all()}
    out: dict[str, list[dict[str, Any]]] = {}
    for device in holding:
        mine = _deployments(device)
        online = device.last_seen_at is not None and now - device.last_seen_at <= bound
        waiting = [
            {
                "order": c.idx, "at": c.at.isoformat(), "subject": c.subject, "deployment": c.deployment,
                "late": c.at <= now - bound, "online": online,
            }
            for c in orders
            if c.idx >= device.applied and (device.id, c.idx) not in acked
            and (c.deployment is None or c.deployment in mine)
        ]  # fmt: skip
        if waiting:
            out[device.id] = waiting
    return out


def unconfirmed(
    session: Session, devices: Iterable[DeviceRow], now: datetime, bound: timedelta = ACK_BOUND
) -> dict[str, list[dict[str, Any]]]:
    """Per device that may still hold templates, online or not: the orders older than `bound` it has not applied."""
    out = {}
    for device_id, orders in pending(session, devices, now, bound).items():
        late = [o for o in orders if o["late"]]
        if late:
            out[device_id] = late
    return out


def device_warnings(session: Session, deployment_ids: Sequence[str], now: datetime) -> list[tuple[str, list[str], str]]:
    """Warnings for the oversight report: flagged device logs and unconfirmed deletions on these deployments."""
    wanted = set(deployment_ids)
    devices = [d for d in session.scalars(select(DeviceRow)).all() if _deployments(d) & wanted]
    out = []
    for device in devices:
        if device.flag:
            out.append(
                ("WARN", ["CN25-9c", "PIPL-55/56"], f"device {device.id} ({device.name}) is flagged: {device.flag}")
            )
    for device_id, late in unconfirmed(session, devices, now).items():
        device = next(d for d in devices if d.id == device_id)
        where = "while online" if late[0]["online"] else (
            f"while offline; it shreds its keys by itself by {device.holds_until:%Y-%m-%d %H:%M} UTC"
            if device.holds_until else "while offline"
        )  # fmt: skip
        out.append((
            "WARN", ["CN25-6d", "PIPL-47"],
            f"device {device_id} ({device.name}) has not confirmed {len(late)} withdrawal(s) or deletion(s) within "
            f"{int(ACK_BOUND.total_seconds() // 60)} minutes {where}",
        ))  # fmt: skip
    return out
