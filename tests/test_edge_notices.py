"""Change notices over MQTT (Mosquitto at 127.0.0.1:1883, a service of this machine and of CI): a change at the hub
reaches a device that polls only hourly, at once; a device whose broker cannot be reached still gets it by polling."""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from edge_nodes import Node, free_port, make_node, wait_for
from gate_fixtures import example, shared_engine
from sqlalchemy import select

from facegate.edge.device import Device
from facegate.edge.hub import Hub
from facegate.edge.models import ShredAckRow
from facegate.vault.models import TemplateRow

pytestmark = pytest.mark.slow
OFFICE = "hq-lobby"
BROKER = ("127.0.0.1", 1883)
PHOTO = Path(__file__).parent / "data" / "biden.jpg"


def broker_listening() -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(BROKER) == 0


def hub_on_broker(tmp_path: Path) -> tuple[Node, str]:
    """A started hub with office-entry registered, publishing notices to the machine's Mosquitto, and its URL
    (skips where nothing listens there)."""
    if not broker_listening():
        pytest.skip("no MQTT broker at 127.0.0.1:1883 (Mosquitto runs there on this project's machines and in CI)")
    broker = f"mqtt://{BROKER[0]}:{BROKER[1]}"
    hub = make_node(tmp_path / "hub", "hub", shared_engine, FACEGATE_BROKER_URL=broker)
    hub.gate.register(example("office-entry"))
    hub.start()
    return hub, broker


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[dict[str, Node]]:
    """A hub publishing notices; `notified` listens to the broker and polls hourly; `cut_off` names a broker port
    nothing listens on and polls every half second."""
    hub, broker = hub_on_broker(tmp_path)
    out = {"hub": hub}
    for name, url, every in (("notified", broker, 3600.0), ("cut-off", f"mqtt://127.0.0.1:{free_port()}", 0.5)):
        device = make_node(tmp_path / name, "device", shared_engine, FACEGATE_BROKER_URL=url)
        token = Hub(hub.gate, hub.home).mint_token([OFFICE], "operator:test")
        Device(device.gate, device.home).join(hub.url, token.token, name)
        device.start(every, "--poll-every", "3600")
        out[name] = device
    yield out
    for node in out.values():
        node.stop()


def templates(node: Node, subject: str) -> int:
    with node.gate.db.session(readonly=True) as session:
        return len(session.scalars(select(TemplateRow.id).where(TemplateRow.subject_id == subject)).all())


def consented(node: Node, subject: str) -> bool:
    with node.gate.db.session(readonly=True) as session:
        return node.gate.vault.standing(session, OFFICE, subject).current("facial_processing") is not None


def acknowledged(hub: Node) -> int:
    with hub.gate.db.session(readonly=True) as session:
        return len(session.scalars(select(ShredAckRow.device_id).distinct()).all())


def test_a_withdrawal_reaches_a_device_by_notice_and_one_without_its_broker_by_polling(
    nodes: dict[str, Node],
) -> None:
    hub, notified, cut_off = nodes["hub"], nodes["notified"], nodes["cut-off"]
    hub.gate.add_subject("walker")
    hub.gate.notice_shown(OFFICE, "walker")
    hub.gate.give_consent(OFFICE, "walker")
    # `notified` polls hourly: the consent can only come by a notice (or the sync made when its broker connection
    # came up, after it subscribed: from then on nothing but a notice wakes it within the hour).
    for device in (notified, cut_off):
        wait_for(lambda d=device: consented(d, "walker"), f"the consent to reach {device.home.name}", rounds=600)
        device.gate.enroll(OFFICE, "walker", PHOTO.read_bytes())
    hub.gate.withdraw(OFFICE, "walker")
    for device in (notified, cut_off):
        wait_for(lambda d=device: templates(d, "walker") == 0, f"the shred on {device.home.name}", rounds=600)
    wait_for(lambda: acknowledged(hub) == 2, "both shreds acknowledged at the hub", rounds=600)
