"""The audit log for admins and auditors: verification, inclusion proofs, export, checkpoints."""

import json
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from facegate.audit.export import time_range
from facegate.errors import InputError

from ..auth import Admin, Reader, ServiceDep
from ..responses import AuditVerification, Checkpoint, InclusionProof
from ..service import Service

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
EventId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@+=-]{0,127}$", description="An event's ID.")]


def verify_log(svc: Service) -> dict[str, Any]:
    """The verification report of the whole log."""
    gate = svc.gate
    with gate.db.session(readonly=True) as session:
        return gate.audit.verify(session).to_json()


def sign_checkpoint(svc: Service) -> dict[str, Any]:
    """Sign a checkpoint now and keep its copy outside the database."""
    gate = svc.gate
    with gate.db.session() as session:
        cp = gate.audit.checkpoint(session, now=svc.clock())
    gate.audit.save_witness(cp)
    return cp.to_json()


@router.get("/verify", response_model=AuditVerification)
def verify(svc: ServiceDep, key: Reader) -> dict[str, Any]:
    """Recompute the log and check every checkpoint; `ok` is false and `problem` names the first bad entry."""
    return verify_log(svc)


@router.post("/checkpoints", status_code=201, response_model=Checkpoint)
def checkpoint(svc: ServiceDep, key: Admin) -> dict[str, Any]:
    """Sign a checkpoint of the log now."""
    return sign_checkpoint(svc)


@router.get("/events/{event_id}/proof", response_model=InclusionProof)
def prove(event_id: EventId, svc: ServiceDep, key: Reader) -> dict[str, Any]:
    """An inclusion proof of one event against the latest signed checkpoint (signed now when it is older)."""
    gate = svc.gate
    try:
        with gate.db.session(readonly=True) as session:
            return gate.audit.prove(session, event_id).to_json()
    except InputError as exc:
        if "newer than the latest checkpoint" not in str(exc):
            raise
    sign_checkpoint(svc)
    with gate.db.session(readonly=True) as session:
        return gate.audit.prove(session, event_id).to_json()


@router.get("/export", response_class=StreamingResponse, responses={200: {"content": {"application/x-ndjson": {}}}})
def export(
    svc: ServiceDep,
    key: Reader,
    since: Annotated[date, Query(description="First day (UTC), YYYY-MM-DD.")],
    until: Annotated[date, Query(description="Last day (UTC), included.")],
) -> StreamingResponse:
    """The entries of a date range as JSON lines, with the checkpoints and proofs to check them offline."""
    start, end = time_range(since.isoformat(), until.isoformat())
    sign_checkpoint(svc)
    gate = svc.gate

    def lines() -> Iterator[str]:
        with gate.db.session(readonly=True) as session:
            for line in gate.audit.export(session, start, end):
                yield json.dumps(line, ensure_ascii=False) + "\n"

    filename = f"audit-{since}-{until}.jsonl"
    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
