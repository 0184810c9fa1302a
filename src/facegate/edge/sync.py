"""Applying another node's state through this node's gate, so every change is checked and audited here too.

Used both ways: a device applies the hub's deployments, standings and deletions; a hub applies the standing a
device recorded locally (notices shown and consents given at the turnstile). The order within one subject is
that of `merge.steps`; a withdrawal or deletion shreds through the gate as it would for a local request.
"""

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from facegate import policy
from facegate.edge import merge
from facegate.edge.standing import standings
from facegate.errors import InputError, RefusedError
from facegate.vault.models import SubjectRow, TemplateRow

if TYPE_CHECKING:
    from facegate.gate import Caller, Gate

log = logging.getLogger("facegate.edge")


def _date(text: str | None) -> Any:
    from datetime import date

    return None if text is None else date.fromisoformat(text[:10])


def apply_standings(gate: "Gate", caller: "Caller", subjects: list[dict[str, Any]]) -> int:
    """Merge the other node's standing of these subjects into this node's; the number of steps taken."""
    if not subjects:
        return 0
    ids = [s["id"] for s in subjects]
    deployments = {d for s in subjects for d in (s.get("deployments") or {})}
    with gate.edge_parts().db.session(readonly=True) as session:
        known = set(session.scalars(select(SubjectRow.id).where(SubjectRow.id.in_(ids))))
        local = {s["id"]: s["deployments"] for s in standings(session, deployments, ids)}
    versions: dict[str, int | None] = {}
    taken = 0
    for subject in subjects:
        subject_id = subject["id"]
        if subject_id not in known:
            gate.add_subject(
                subject_id, _date(subject.get("birth_date")), subject.get("age_band"), subject.get("guardian_ref"),
                caller=caller,
            )  # fmt: skip
        for deployment_id, there in sorted((subject.get("deployments") or {}).items()):
            if deployment_id not in versions:
                try:
                    versions[deployment_id] = gate.deployment_spec(deployment_id).notice.version
                except InputError:
                    versions[deployment_id] = None
            version = versions[deployment_id]
            if version is None:
                continue
            for step, args in merge.steps(there, local.get(subject_id, {}).get(deployment_id), version):
                try:
                    if step == "notice":
                        gate.notice_shown(deployment_id, subject_id, caller=caller)
                    elif step == "withdraw":
                        gate.withdraw(deployment_id, subject_id, caller=caller)
                    elif step == "consent":
                        gate.give_consent(deployment_id, subject_id, subject_initiated=True, caller=caller, **args)
                    elif step == "decline":
                        gate.decline(deployment_id, subject_id, caller=caller)
                    taken += 1
                except (RefusedError, InputError) as exc:  # refused here: the gate has audited why
                    log.warning(
                        "sync step %s for a subject of %s not taken: %s", step, deployment_id, type(exc).__name__
                    )
    return taken


def apply_deployments(gate: "Gate", caller: "Caller", deployments: list[dict[str, Any]]) -> int:
    """Register, update, activate or retire this node's copy of each deployment to match; the number changed."""
    changed = 0
    for item in deployments:
        spec = policy.spec_from_data(item["spec"])
        profiles, status = tuple(item["profiles"]), item["status"]
        try:
            local, _ = gate.registered(spec.id)
        except InputError:
            if status == policy.Status.RETIRED:
                continue
            gate.register(spec, caller=caller, profiles=profiles, activate=status == policy.Status.ACTIVE)
            changed += 1
            continue
        if local.model_dump(mode="json") != spec.model_dump(mode="json"):
            gate.update(spec, caller=caller)
            changed += 1
        here = next((d["status"] for d in gate.deployments() if d["id"] == spec.id), None)
        if status == policy.Status.RETIRED and here != policy.Status.RETIRED:
            gate.retire(spec.id, caller=caller)
            changed += 1
        elif status == policy.Status.ACTIVE and here != policy.Status.ACTIVE:
            try:
                gate.activate(spec.id, caller=caller)
                changed += 1
            except RefusedError:
                log.warning("deployment %s is active on the hub but cannot be activated here", spec.id)
    return changed


def held(gate: "Gate", deployment_id: str | None, subject_id: str) -> int:
    """How many templates of the subject this node still holds (in one deployment, or in any)."""
    with gate.edge_parts().db.session(readonly=True) as session:
        query = select(TemplateRow.id).where(TemplateRow.subject_id == subject_id)
        if deployment_id is not None:
            query = query.where(TemplateRow.deployment_id == deployment_id)
        return len(session.scalars(query).all())
