"""The audit log for admins and auditors: verification, inclusion proofs, export, checkpoints."""

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from facegate.audit.export import time_range

from ..auth import Admin, Reader, ServiceDep
from ..responses import AuditVerification, Checkpoint, InclusionProof
from ..service import Service

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
EventId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@+=-]{0,127}$", description="An event's ID.")]


def verify_log(svc: Service) -> dict[str, Any]:
    """The verification report of the whole log."""
    return svc.gate.audit_records.verify().to_json()


@router.get("/verify", response_model=AuditVerification)
def verify(svc: ServiceDep, key: Reader) -> dict[str, Any]:
    """Recompute the log and check every checkpoint; `ok` is false and `problem` names the first bad entry."""
    return verify_log(svc)


@router.post("/checkpoints", status_code=201, response_model=Checkpoint)
def checkpoint(svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """Sign a checkpoint of the log now."""
    return svc.gate.audit_records.checkpoint().to_json()


@router.get("/events/{event_id}/proof", response_model=InclusionProof)
def prove(event_id: EventId, svc: ServiceDep, key: Reader) -> dict[str, Any]:
    """An inclusion proof of one event against the latest signed checkpoint (signed now when it is older)."""
    return svc.gate.audit_records.prove(event_id, sign=True).to_json()


@router.get("/export", response_class=StreamingResponse, responses={200: {"content": {"application/x-ndjson": {}}}})
def export(
    svc: ServiceDep,
    key: Reader,
    since: Annotated[date, Query(description="First day (UTC), YYYY-MM-DD.")],
    until: Annotated[date, Query(description="Last day (UTC), included.")],
) -> StreamingResponse:
    """The entries of a date range as JSON lines, with the checkpoints and proofs to check them offline."""
    start, end = time_range(since.isoformat(), until.isoformat())
    entries = svc.gate.audit_records.export(start, end)  # signs a checkpoint first
    lines = (json.dumps(line, ensure_ascii=False) + "\n" for line in entries)

    filename = f"audit-{since}-{until}.jsonl"
    return StreamingResponse(
        lines,
        media_type="application/x-ndjson",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
