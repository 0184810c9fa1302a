"""The devices' audit logs as the hub holds them, in the audit export's format, for the inspection export.

Each device's file has the same lines as `facegate audit export` (header, signed checkpoints, consistency proofs
between them, entries with inclusion proofs against the latest), built from the entries and checkpoints the hub
verified at each push; `standalone_verify.py` checks it with the device's public key, shipped beside it.
"""

import functools
import itertools
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate.audit.checkpoint import open_checkpoint
from facegate.audit.event import format_time
from facegate.audit.export import FORMAT, b64
from facegate.audit.merkle import consistency_proof, inclusion_proof, root
from facegate.edge.models import DeviceCheckpointRow, DeviceEntryRow, DeviceRow
from facegate.edge.signing import public_key


def device_log_lines(session: Session, device: DeviceRow, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
    """The export lines of one device's log for entries whose time lies in [since, until)."""
    rows = session.execute(
        select(DeviceCheckpointRow.tree_size, DeviceCheckpointRow.note)
        .where(DeviceCheckpointRow.device_id == device.id)
        .order_by(DeviceCheckpointRow.tree_size)
    ).all()
    if not rows:
        return
    key = public_key(device.audit_key)
    latest = open_checkpoint(rows[-1].note, key)
    entries = session.execute(
        select(DeviceEntryRow.idx, DeviceEntryRow.payload, DeviceEntryRow.leaf_hash)
        .where(DeviceEntryRow.device_id == device.id, DeviceEntryRow.idx < latest.size)
        .order_by(DeviceEntryRow.idx)
    ).all()
    leaves = [leaf for _, _, leaf in entries]
    lo, hi = format_time(since), format_time(until)
    chosen = [(idx, payload, leaf) for idx, payload, leaf in entries if lo <= json.loads(payload)["at"] < hi]

    @functools.cache
    def subtree(start: int, end: int) -> bytes:
        return root(leaves[start:end])

    sizes = {latest.size}  # the latest, the last at or before the range and the first at or after its end
    if chosen:
        first, end = chosen[0][0], chosen[-1][0] + 1
        before = [s for s, _ in rows if 0 < s <= first]
        after = [s for s, _ in rows if s >= end]
        sizes.update(before[-1:] + after[:1])
    notes = {s: n for s, n in rows}
    checkpoints = [open_checkpoint(notes[s], key) for s in sorted(sizes)]
    yield {
        "type": "header", "format": FORMAT, "origin": latest.origin, "since": lo, "until": hi,
        "entries": len(chosen), "checkpoints": len(checkpoints), "public_key": key.vkey(latest.origin),
        "device": device.id,
    }  # fmt: skip
    for cp in checkpoints:
        yield {"type": "checkpoint", "tree_size": cp.size, "note": cp.note}
    for old, new in itertools.pairwise(checkpoints):
        proof = consistency_proof(old.size, new.size, subtree)
        yield {"type": "consistency", "from": old.size, "to": new.size, "proof": [b64(h) for h in proof]}
    for idx, payload, leaf in chosen:
        proof = inclusion_proof(idx, latest.size, subtree)
        yield {
            "type": "entry", "index": idx, "entry": json.loads(payload), "leaf_hash": b64(leaf),
            "tree_size": latest.size, "proof": [b64(h) for h in proof],
        }  # fmt: skip


def device_files(session: Session, since: datetime, until: datetime) -> dict[str, bytes]:
    """`devices/devices.json` and, per device, its log's export and public key, for the inspection zip."""
    devices = session.scalars(select(DeviceRow).order_by(DeviceRow.paired_at)).all()
    if not devices:
        return {}
    files: dict[str, bytes] = {}
    listing = []
    for device in devices:
        lines = list(device_log_lines(session, device, since, until))
        listing.append({
            "id": device.id, "name": device.name, "status": device.status,
            "deployments": [d for d in device.deployments.split(",") if d], "paired_at": device.paired_at.isoformat(),
            "log_size_verified": device.log_size, "flag": device.flag,
            "flagged_at": device.flagged_at and device.flagged_at.isoformat(),
        })  # fmt: skip
        if lines:
            text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
            files[f"devices/{device.id}/audit-log.jsonl"] = text.encode()
            files[f"devices/{device.id}/audit-ed25519.pub.pem"] = device.audit_key.encode()
    files["devices/devices.json"] = (json.dumps(listing, indent=2, ensure_ascii=False) + "\n").encode()
    return files
