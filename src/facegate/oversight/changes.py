"""What changed since the last filing (regulation.md §5.6 `filing_change`, §8 Q8): compare the filed snapshot
with the handler's deployments now."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from facegate import policy
from facegate.oversight.handlers import HandlerView
from facegate.oversight.tasks import ChangeSeen
from facegate.oversight.thresholds import count_band
from facegate.oversight.workdays import beijing_date


def snapshot(view: HandlerView, count: int, mode: str, band_size: int, now: datetime) -> dict[str, Any]:
    """What a filing records: the specs of the deployments in use, the stored count, its band."""
    return {
        "handler": view.name,
        "deployments": {d.id: d.spec.model_dump(mode="json") for d in view.in_use},
        "stored_individuals": count,
        "count_mode": mode,
        "band_size": band_size,
        "band": count_band(count, band_size),
        "recorded_at": now.isoformat(),
    }


def detect(
    filed: dict[str, Any],
    view: HandlerView,
    count: int,
    band_reached_at: Callable[[int], datetime | None],
    today: date,
) -> list[ChangeSeen]:
    """The changes from the filed snapshot to now, each with the day it happened (Beijing time).

    `band_reached_at(n)` says when the count first reached n, to date a move into a higher band.
    """
    changes: list[ChangeSeen] = []
    before: dict[str, Any] = filed.get("deployments", {})
    now_in_use = {d.id: d for d in view.in_use}
    for dep_id, data in before.items():
        current = now_in_use.get(dep_id)
        if current is None:
            continue
        old = policy.spec_from_data(data)
        for c in policy.filing_changes(old, current.spec):
            changes.append(ChangeSeen(c.trigger, c.field, dep_id, beijing_date(current.updated_at), c.old, c.new))
    filed_purposes = {d.get("purpose", {}).get("category") for d in before.values()}
    for dep_id, current in now_in_use.items():
        if dep_id not in before:
            trigger = "method_change" if current.spec.purpose.category in filed_purposes else "purpose_change"
            changes.append(ChangeSeen(trigger, "deployments", dep_id, beijing_date(current.registered_at), None,
                                      f"added: {current.spec.name}"))  # fmt: skip
    if now_in_use:
        gone = {d.id: d for d in view.deployments if d.id in before and d.id not in now_in_use}
        for dep_id in before:
            if dep_id in now_in_use:
                continue
            ended = gone.get(dep_id)
            on = beijing_date(ended.updated_at) if ended else today
            changes.append(ChangeSeen("method_change", "deployments", dep_id, on, "in use", "retired"))
    size = int(filed.get("band_size") or 0)
    old_band, new_band = int(filed.get("band", 0)), count_band(count, size)
    if size and new_band != old_band:
        reached = band_reached_at(new_band * size) if new_band > old_band else None
        on = beijing_date(reached) if reached else today
        changes.append(ChangeSeen("stored_count_band_change", "stored_individuals", None, on,
                                  f"{old_band * size:,}+", f"{new_band * size:,}+"))  # fmt: skip
    return changes
