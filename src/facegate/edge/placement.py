"""Where a deployment's templates may live, as a pure check: the node's kind against the spec's storage.

CN25-8a/b: facial information is stored in the recognition device. A hub never runs a biometric operation of a
deployment whose spec says `storage.location: device`; a device runs only those, and only while it has reached
its hub within the deployment's `storage.max_offline_hours` (withdrawals at the hub may be waiting otherwise).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from facegate.policy import Deployment

PLACEMENT_RULES = ["CN25-8a/b", "PIPL-29"]
OFFLINE_RULES = ["CN25-6d", "PIPL-15", "PIPL-47"]


@dataclass(frozen=True)
class Node:
    """What the checks need to know of this node: its kind and, on a paired device, when it last synced."""

    kind: str  # hub | device
    hub_url: str | None = None  # a paired device's hub
    last_sync_at: datetime | None = None


def misplaced(node: Node, spec: Deployment) -> tuple[str, list[str]] | None:
    """Why the deployment may not hold templates on this node (message, rule IDs), or None when it may."""
    location = spec.storage.location
    if node.kind == "hub" and location == "device":
        return (
            f"deployment {spec.id} stores faces on its recognition devices (storage.location: device): enroll, "
            "verify and identify run on a paired device, never on the hub",
            PLACEMENT_RULES,
        )
    if node.kind == "device" and location != "device":
        return (
            f"deployment {spec.id} stores faces {location.replace('_', ' ')} (storage.location: {location}): it runs "
            "on a hub, not on a device (a data directory made without a choice is a device; "
            "`facegate init --kind hub` makes a new one a hub)",
            PLACEMENT_RULES,
        )
    return None


def offline_too_long(node: Node, spec: Deployment, now: datetime) -> tuple[str, list[str]] | None:
    """On a paired device: why it may not run biometric operations after too long without its hub, or None."""
    if node.kind != "device" or node.hub_url is None or node.last_sync_at is None:
        return None
    bound = timedelta(hours=spec.storage.max_offline_hours)
    if now - node.last_sync_at <= bound:
        return None
    return (
        f"this device has not reached its hub ({node.hub_url}) since {node.last_sync_at:%Y-%m-%d %H:%M} UTC, longer "
        f"than the {spec.storage.max_offline_hours:g} h deployment {spec.id} allows: a withdrawal may be waiting, so "
        "face recognition stops until it syncs; use the alternative",
        OFFLINE_RULES,
    )
