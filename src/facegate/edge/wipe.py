"""A device's wipe: crypto-shred the keys of its deployments, delete the sealed templates, say so in its log.

Ordered by the hub (unpair, lost, suspend with wipe), or taken by the device itself once it has not reached its
hub for longer than a deployment's `storage.max_offline_hours`. Deleting the deployment keys and every data key
under them makes every copy of the templates unreadable, backups included; the rows go too. The node's master
key, audit key and non-biometric state stay (the audit log must stay verifiable; PINs keep working, TOTP
secrets sealed under the data keys go with them).
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from facegate.edge.models import HubLinkRow
from facegate.errors import InputError

if TYPE_CHECKING:
    from facegate.gate import Gate

HUB_WIPES = ("unpair", "lost", "suspend")  # ordered by the hub; "offline" is the device's own
REASONS = {
    "unpair": "unpaired by its hub",
    "lost": "reported lost at its hub",
    "suspend": "suspended with a wipe by its hub",
    "offline": "out of touch with its hub past its offline bound",
}


def wipe(gate: "Gate", deployment_ids: list[str] | None, reason: str, actor: str) -> dict[str, Any]:
    """Shred the keys of these deployments (every one when None), delete their templates and kept photos, and
    record the wipe on the link and in the log, through the gate's erasure (`Gate.wipe`); what was removed."""
    return gate.wipe(deployment_ids, reason, actor)


def past_bound(gate: "Gate", link: HubLinkRow, now: datetime) -> list[str]:
    """The hub's deployments registered here whose offline bound has passed since the link's last sync."""
    last = link.last_sync_at or link.paired_at
    late = []
    for deployment_id in (d for d in link.deployments.split(",") if d):
        try:
            hours = gate.deployment_spec(deployment_id).storage.max_offline_hours
        except InputError:
            continue  # not registered here (yet): nothing of it to shred
        if now - last > timedelta(hours=hours):
            late.append(deployment_id)
    return late


def shortest_bound(gate: "Gate", link: HubLinkRow) -> float | None:
    """The shortest offline bound (seconds) of the hub's deployments registered here; None when none is."""
    hours = []
    for deployment_id in (d for d in link.deployments.split(",") if d):
        try:
            hours.append(gate.deployment_spec(deployment_id).storage.max_offline_hours)
        except InputError:
            continue
    return min(hours) * 3600.0 if hours else None
