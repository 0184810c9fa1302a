"""A device its hub suspended (without a wipe): still told the withdrawals and deletions it owes, nothing else.

A suspended device's pushes stay refused, and its pulls are answered with `suspended: true` and only the shred orders
(withdrawals of its deployments, deletions) it has not acknowledged yet; its cursor does not move, so once resumed it
pulls everything it missed from where it was. The device refuses faces while it knows it is suspended
(`placement.suspended`), shreds each order's templates through its gate and acknowledges it, so a long suspension
keeps no withdrawn or deleted person's template and recognises no one.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, update

from facegate.changes import Change, ChangeRow
from facegate.edge.models import DeviceRow, ShredAckRow

if TYPE_CHECKING:
    from facegate.edge.hub import Hub
    from facegate.gate import Caller, Gate

PAGE = 2000  # shred orders per answer: acknowledged ones are left out, so the next pull gets the next ones


def _list(text: str) -> list[str]:
    return [item for item in text.split(",") if item]


def owed(hub: "Hub", device: Any, applied: int, acks: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """The hub's answer to a suspended device's pull: its acknowledgements recorded, then the withdrawals and
    deletions since its cursor it has not acknowledged, and that it is suspended. The cursor stays where it was."""
    deployments = _list(device.deployments)
    with hub.db.session() as session:
        since = max(0, min(int(applied), hub.head(session)))
        hub.record_acks(session, device.id, acks, now)
        session.execute(
            update(DeviceRow).where(DeviceRow.id == device.id).values(
                last_seen_at=now, holds_until=now + hub.bound(deployments)
            )
        )  # fmt: skip
        done = select(ShredAckRow.order_idx).where(ShredAckRow.device_id == device.id)
        changes = session.scalars(
            select(ChangeRow).where(
                ChangeRow.idx >= since, ChangeRow.subject.is_not(None), ChangeRow.idx.not_in(done),
                or_(
                    ChangeRow.kind == Change.DELETION.value,
                    and_(ChangeRow.kind == Change.WITHDRAWAL.value, ChangeRow.deployment.in_(deployments)),
                ),
            ).order_by(ChangeRow.idx).limit(PAGE)
        ).all()  # fmt: skip
        shred = [
            {"order": c.idx, "subject": c.subject, "reason": c.op,
             "deployment": None if c.change is Change.DELETION else c.deployment}
            for c in changes
        ]  # fmt: skip
    return {
        "device": device.id, "log_size": device.log_size, "since": since, "cursor": since, "more": False,
        "hub_time": now.isoformat(), "deployments": [], "subjects": [],
        "deleted": sorted({o["subject"] for o in shred if o["deployment"] is None}), "shred": shred, "wipe": None,
        "suspended": True,
    }  # fmt: skip


def carry_out(gate: "Gate", caller: "Caller", feed: dict[str, Any], known: Any) -> list[dict[str, Any]]:
    """On a suspended device: shred what each order of the hub's answer names (a deleted subject deleted, a withdrawn
    subject's consent withdrawn while it still holds templates there); the acknowledgement of each order."""
    from facegate.edge.sync import held

    for subject_id in feed["deleted"]:
        if held(gate, None, subject_id) or known(subject_id):
            gate.delete_subject(subject_id, caller=caller)
    for order in feed["shred"]:
        if order["deployment"] is not None and held(gate, order["deployment"], order["subject"]):
            gate.withdraw(order["deployment"], order["subject"], caller=caller)
    return [{**order, "templates_left": held(gate, order["deployment"], order["subject"])} for order in feed["shred"]]
