"""Where this node stands: a device's link to its hub (`edge_link`), and where a deployment's templates may live,
as a pure check of the node's kind against the spec's storage.

It sits below the gate (which runs the checks before every biometric operation) and the edge (which keeps the
link row up to date): both import it, it imports neither.

CN25-8a/b: facial information is stored in the recognition device. A hub never runs a biometric operation of a
deployment whose spec says `storage.location: device`; a device runs only those, and only while it has reached
its hub within the deployment's `storage.max_offline_hours` (withdrawals at the hub may be waiting otherwise).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from facegate.policy import Deployment
from facegate.store import Base, UTCDateTime

PLACEMENT_RULES = ["CN25-8a/b", "PIPL-29"]
OFFLINE_RULES = ["CN25-6d", "PIPL-15", "PIPL-47"]
WIPED_RULES = ["CN25-6d", "PIPL-47"]


class HubLinkRow(Base):
    """On a device: its hub, its pairing, how far it has applied the hub's changes and pushed its own log."""

    __tablename__ = "edge_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    hub_url: Mapped[str] = mapped_column(Text)
    device_id: Mapped[str] = mapped_column(String(32))
    hub_key: Mapped[str] = mapped_column(Text)  # PEM, pinned at pairing: every answer of the hub is checked
    deployments: Mapped[str] = mapped_column(Text)
    paired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applied: Mapped[int] = mapped_column(BigInteger, default=0)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pushed_size: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | suspended | unpaired
    # When this device shredded its keys (ordered by the hub, or by itself past its offline bound), and why.
    wiped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    wipe_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)  # unpair | suspend | lost | offline
    wipe_acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # the hub took its report
    # This device's own last verified checkpoint of its log: each push checks only the entries after it.
    checked_size: Mapped[int] = mapped_column(BigInteger, default=0)
    checked_root: Mapped[bytes] = mapped_column(LargeBinary, default=b"")


@dataclass(frozen=True)
class Node:
    """What the checks need to know of this node: its kind and, on a paired device, when it last synced."""

    kind: str  # hub | device
    hub_url: str | None = None  # a paired device's hub
    last_sync_at: datetime | None = None
    wiped_at: datetime | None = None  # when a wipe the hub ordered shredded this device's keys
    wiped_because: str | None = None
    suspended: bool = False  # its hub suspended it (without a wipe): faces refused until the hub resumes it


def linked(kind: str, link: Any) -> Node:
    """The node a device's link row (`edge_link`, or None) describes: paired, wiped at its hub's order, or alone."""
    if kind != "device" or link is None:
        return Node(kind)
    if link.wiped_at is not None and link.wipe_reason != "offline":
        return Node(kind, link.hub_url, link.last_sync_at or link.paired_at, link.wiped_at, link.wipe_reason)
    if link.status == "suspended":
        return Node(kind, link.hub_url, link.last_sync_at or link.paired_at, suspended=True)
    if link.status != "active":
        return Node(kind)
    return Node(kind, link.hub_url, link.last_sync_at or link.paired_at)


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


def wiped(node: Node, spec: Deployment) -> tuple[str, list[str]] | None:
    """On a device its hub ordered wiped (unpaired, lost, suspended with a wipe): why faces are refused, or None."""
    if node.kind != "device" or node.wiped_at is None:
        return None
    how = {"unpair": "unpaired by its hub", "lost": "reported lost", "suspend": "suspended with a wipe"}
    # A suspended device keeps its pairing (its hub resumes it); an unpaired or lost one is done with its hub.
    back = "its hub resumes it" if node.wiped_because == "suspend" else "it is paired again (facegate device join)"
    return (
        f"this device was {how.get(node.wiped_because or '', 'wiped')} and shredded its keys on "
        f"{node.wiped_at:%Y-%m-%d %H:%M} UTC: no face is recognised for {spec.id} until {back}; use the alternative",
        WIPED_RULES,
    )


def suspended(node: Node, spec: Deployment) -> tuple[str, list[str]] | None:
    """On a device its hub suspended (without a wipe): why faces are refused, or None.

    A suspended device still takes its hub's withdrawals and deletions (and shreds them), but nothing else, so
    its consent standing may lag: it recognises no one until its hub resumes it.
    """
    if node.kind != "device" or not node.suspended:
        return None
    return (
        f"this device is suspended by its hub ({node.hub_url}): no face is recognised for {spec.id} until its hub "
        "resumes it (facegate device resume on the hub); use the alternative",
        WIPED_RULES,
    )


def refusal(node: Node, spec: Deployment, now: datetime) -> tuple[str, list[str]] | None:
    """Why this node may not run a biometric operation of the deployment now (message, rule IDs), or None."""
    return misplaced(node, spec) or wiped(node, spec) or suspended(node, spec) or offline_too_long(node, spec, now)


def offline_too_long(node: Node, spec: Deployment, now: datetime) -> tuple[str, list[str]] | None:
    """On a paired device: why it may not run biometric operations after too long without its hub, or None."""
    if node.kind != "device" or node.hub_url is None or node.last_sync_at is None or node.wiped_at is not None:
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
