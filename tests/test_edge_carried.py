"""Notices that carry the changes, and acknowledgements over the broker (Mosquitto at 127.0.0.1:1883, as in
tests/test_edge_notices.py): a withdrawal at the hub reaches a device in the notice itself, which applies it without
a pull and acknowledges it on MQTT, and the hub's pending shred clears; a notice signed by another key is dropped."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from edge_nodes import Node, make_node, wait_for
from gate_fixtures import shared_engine
from sqlalchemy import func, select
from test_edge_notices import BROKER, PHOTO, consented, hub_on_broker, templates

from facegate.audit import SigningKey
from facegate.changes import ChangeRow
from facegate.edge import notices
from facegate.edge.device import Device
from facegate.edge.hub import Hub
from facegate.edge.models import DeviceRow, HubLinkRow, ShredAckRow

pytestmark = pytest.mark.slow
OFFICE = "hq-lobby"


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[dict[str, Node]]:
    """A hub publishing notices and a device on them that polls only hourly."""
    hub, broker = hub_on_broker(tmp_path)
    device = make_node(tmp_path / "kiosk", "device", shared_engine, FACEGATE_BROKER_URL=broker)
    token = Hub(hub.gate, hub.home).mint_token([OFFICE], "operator:test")
    Device(device.gate, device.home).join(hub.url, token.token, "kiosk")
    device.start(3600.0, "--poll-every", "3600")
    yield {"hub": hub, "device": device}
    for node in (device, hub):
        node.stop()


def link(device: Node) -> HubLinkRow:
    with device.gate.db.session(readonly=True) as session:
        row = session.get(HubLinkRow, 1)
    assert row is not None
    return row


def last_order(hub: Node) -> int:
    with hub.gate.db.session(readonly=True) as session:
        return int(session.scalar(select(func.max(ChangeRow.idx))) or 0)


def acked(hub: Node, device_id: str, order: int) -> bool:
    with hub.gate.db.session(readonly=True) as session:
        return session.get(ShredAckRow, (device_id, order)) is not None


def hub_cursor(hub: Node, device_id: str) -> int:
    with hub.gate.db.session(readonly=True) as session:
        row = session.get(DeviceRow, device_id)
    assert row is not None
    return row.applied


def publish_deletion(hub: Node, subject: str, key: SigningKey, cursor: int, prev: int) -> None:
    """Publish a notice on the office's topic carrying a deletion of `subject` (changes `prev`..`cursor`), signed
    by `key`."""
    import paho.mqtt.publish as publish

    pem = Hub(hub.gate, hub.home).key.public.pem()
    topic = f"{notices.prefix(pem)}/deployment/{OFFICE}"
    feed = {"deployments": [], "subjects": [], "deleted": [subject], "shred": []}
    payload = notices.make_notice(key, topic, cursor, hub.gate.clock(), prev, feed)
    publish.single(topic, payload, qos=1, hostname=BROKER[0], port=BROKER[1])


def forged_withdrawal(hub: Node, subject: str) -> None:
    """Publish a notice carrying a withdrawal of `subject`, signed by a key that is not the hub's."""
    publish_deletion(hub, subject, SigningKey.generate(), 10**6, 0)


def test_a_withdrawal_travels_in_the_notice_and_its_acknowledgement_over_the_broker(nodes: dict[str, Node]) -> None:
    hub, device = nodes["hub"], nodes["device"]
    device_id = link(device).device_id
    hub.gate.add_subject("walker")
    hub.gate.notice_shown(OFFICE, "walker")
    hub.gate.give_consent(OFFICE, "walker")
    wait_for(lambda: consented(device, "walker"), "the consent to reach the device", rounds=600)
    device.gate.enroll(OFFICE, "walker", PHOTO.read_bytes())

    forged_withdrawal(hub, "walker")  # dropped: then a genuine change, published after it, arrives first
    hub.gate.add_subject("runner")
    hub.gate.notice_shown(OFFICE, "runner")
    hub.gate.give_consent(OFFICE, "runner")
    wait_for(lambda: consented(device, "runner"), "the next genuine notice to reach the device", rounds=600)
    assert templates(device, "walker") == 1  # the forged notice changed nothing

    hub.gate.withdraw(OFFICE, "walker")
    order = last_order(hub)
    wait_for(lambda: templates(device, "walker") == 0, "the shred on the device", rounds=600)
    wait_for(lambda: acked(hub, device_id, order), "the acknowledgement at the hub", rounds=600)
    # Applied from the notice, not pulled: the device's cursor (moved by pulls only) is still before the order, and
    # so is the hub's record of it (an acknowledgement in a pull would have moved it past).
    assert link(device).applied <= order
    assert hub_cursor(hub, device_id) <= order
    pending = Hub(hub.gate, hub.home).unconfirmed_shreds(bound=timedelta(0))
    assert device_id not in pending  # the hub counts the template as gone: acknowledged


def test_a_notice_past_a_gap_is_not_applied_the_device_pulls_and_keeps_the_hubs_state(nodes: dict[str, Node]) -> None:
    hub, device = nodes["hub"], nodes["device"]
    hub.gate.add_subject("walker")
    hub.gate.notice_shown(OFFICE, "walker")
    hub.gate.give_consent(OFFICE, "walker")
    wait_for(lambda: consented(device, "walker"), "the consent to reach the device", rounds=600)
    device.gate.enroll(OFFICE, "walker", PHOTO.read_bytes())
    hub_key, head = Hub(hub.gate, hub.home).key, last_order(hub)

    # Signed by the hub, but starting past what the device has of the topic (a notice lost in between): its
    # changes are not applied; the device pulls, and the hub has no such deletion.
    pulled_before = link(device).last_sync_at
    publish_deletion(hub, "walker", hub_key, head + 10, head + 5)
    wait_for(lambda: link(device).last_sync_at != pulled_before, "the device to pull over the gap", rounds=600)
    assert templates(device, "walker") == 1 and consented(device, "walker")

    # The same change with no gap is applied as it came (so the case above was refused for its gap alone).
    publish_deletion(hub, "walker", hub_key, head + 20, head)
    wait_for(lambda: templates(device, "walker") == 0, "a contiguous notice's change on the device", rounds=600)
