"""What oversight reads of a hub's paired devices, as an interface the edge implements: oversight never imports
facegate.edge. A node with no paired devices (a device itself, a standalone node) answers with nothing.

The hub's views (facegate.edge.views.HubDevices) are attached to its Context by whoever opens a hub (the
service, the CLI, `facegate.edge.Hub`); oversight on a hub without them refuses rather than count too few.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from facegate.errors import FacegateError

Warning = tuple[str, list[str], str]  # severity, rule IDs, message


class DeviceViews(Protocol):
    """The hub's paired devices as oversight needs them: what they hold, what to warn of, their audit logs."""

    def holdings(self, deployment_ids: Sequence[str], now: datetime | None) -> Any:
        """A query of (subject_id, reported_at) held on devices that may still hold them at `now`, or None."""
        ...

    def warnings(self, session: Session, deployment_ids: Sequence[str], now: datetime) -> list[Warning]:
        """Flagged device logs and unconfirmed deletions on these deployments."""
        ...

    def files(self, session: Session, since: datetime, until: datetime) -> dict[str, bytes]:
        """The devices' listing, log exports and public keys for the inspection export."""
        ...


class NoDevices:
    """A node with no paired devices: nothing held elsewhere, nothing to warn of, no device files."""

    def holdings(self, deployment_ids: Sequence[str], now: datetime | None) -> Any:
        """None: no device holds anything."""
        return None

    def warnings(self, session: Session, deployment_ids: Sequence[str], now: datetime) -> list[Warning]:
        """No warnings."""
        return []

    def files(self, session: Session, since: datetime, until: datetime) -> dict[str, bytes]:
        """No files."""
        return {}


def of(context: Any) -> DeviceViews:
    """The context's device views: those attached to a hub, none on any other node."""
    views: DeviceViews | None = getattr(context, "devices", None)
    if views is not None:
        return views
    if context.kind == "hub":
        raise FacegateError("this hub's device views are not attached (facegate.edge.attach): counts would miss them")
    return NoDevices()
