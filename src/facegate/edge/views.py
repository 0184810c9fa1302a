"""The hub's devices as oversight sees them (facegate.oversight.devices.DeviceViews): the subjects they hold, the
warnings about them, and their audit logs for an inspection export."""

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from facegate.edge.export import device_files
from facegate.edge.models import DeviceRow, HoldingRow
from facegate.edge.watch import device_warnings

if TYPE_CHECKING:
    from facegate.context import Context, EdgeParts


class HubDevices:
    """The hub's paired devices, read from its `edge_*` tables."""

    def holdings(self, deployment_ids: Sequence[str], now: datetime | None) -> Any:
        """(subject_id, reported_at) held by a device that may still hold templates at `now`: no acknowledged wipe,
        its offline bound not passed (after which it has shredded its keys by itself); every holding when None."""
        alive: Any = true()
        if now is not None:
            gone = select(DeviceRow.id).where(
                (DeviceRow.wipe_acked_at.is_not(None))
                | (DeviceRow.holds_until.is_not(None) & (DeviceRow.holds_until <= now))
            )
            alive = HoldingRow.device_id.not_in(gone)
        return select(HoldingRow.subject_id, HoldingRow.reported_at).where(
            HoldingRow.deployment_id.in_(deployment_ids), alive
        )

    def warnings(
        self, session: Session, deployment_ids: Sequence[str], now: datetime
    ) -> list[tuple[str, list[str], str]]:
        """Flagged device logs and unconfirmed deletions on these deployments."""
        return device_warnings(session, deployment_ids, now)

    def files(self, session: Session, since: datetime, until: datetime) -> dict[str, bytes]:
        """The devices' listing, log exports and public keys."""
        return device_files(session, since, until)


def attach(context: "Context | EdgeParts") -> None:
    """Give a hub's context its device views (oversight counts and reports what the devices hold)."""
    if context.kind == "hub" and context.devices is None:
        context.devices = HubDevices()
