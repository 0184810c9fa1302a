"""Change notices over MQTT (Mosquitto at 127.0.0.1:1883, a service of this machine and of CI): a change at the hub
reaches a device that polls only hourly, at once; a device whose broker cannot be reached still gets it by polling;
on PostgreSQL the hub publishes a change when it hears of it, not when it next looks."""

import asyncio
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from edge_nodes import Node, free_port, make_node, wait_for
from gate_fixtures import example, shared_engine
from sqlalchemy import select

from facegate.edge import notices
from facegate.edge.device import Device
from facegate.edge.hub import Hub
from facegate.edge.models import ShredAckRow
from facegate.gate import Gate
from facegate.vault.models import TemplateRow

pytestmark = pytest.mark.slow
OFFICE = "hq-lobby"
BROKER = ("127.0.0.1", 1883)
MQTT = f"mqtt://{BROKER[0]}:{BROKER[1]}"
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
    broker = MQTT
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


def test_a_device_paired_with_another_hub_while_it_serves_hears_the_new_hubs_notices(
    nodes: dict[str, Node], tmp_path: Path
) -> None:
    hub, notified = nodes["hub"], nodes["notified"]
    other, _ = hub_on_broker(tmp_path / "other")  # another hub key: other topics, other signatures
    try:
        Hub(hub.gate, hub.home).set_status(device_id(notified), "unpaired", "operator:test")
        wait_for(lambda: Device(notified.gate, notified.home).link().status == "unpaired", "the wipe", rounds=600)  # type: ignore[union-attr]
        token = Hub(other.gate, other.home).mint_token([OFFICE], "operator:test")
        Device(notified.gate, notified.home).join(other.url, token.token, "notified")  # its server keeps running
        other.gate.add_subject("mover")
        other.gate.notice_shown(OFFICE, "mover")
        other.gate.give_consent(OFFICE, "mover")
        # It polls hourly: only a notice from the new hub, on the new hub's topics, brings the consent this soon.
        wait_for(lambda: consented(notified, "mover"), "the new hub's consent to reach the device", rounds=1200)
    finally:
        other.stop()


def device_id(node: Node) -> str:
    link = Device(node.gate, node.home).link()
    assert link is not None
    return link.device_id


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_change_is_published_when_it_commits_not_when_the_hub_next_looks(
    gate: Gate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hub looks at its feed only hourly here: a notice can come only from hearing the change.
    if not broker_listening():
        pytest.skip("no MQTT broker at 127.0.0.1:1883 (Mosquitto runs there on this project's machines and in CI)")
    monkeypatch.setattr(notices, "WATCH_SECONDS", 3600.0)
    monkeypatch.setattr(notices, "HEARD_WATCH_SECONDS", 3600.0)
    hub_gate = Gate(replace(gate.context, kind="hub"))
    hub_gate.register(example("office-entry"))
    hub = Hub(hub_gate, tmp_path / "hub")
    topic = f"{notices.prefix(hub.key.public.pem())}/deployment/{OFFICE}"
    heard: list[notices.Notice] = []
    listener = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    listener.on_message = lambda _c, _u, m: heard.append(notices.open_notice(hub.key.public, m.topic, m.payload))
    listener.connect(*BROKER)
    listener.subscribe(topic, qos=1)
    listener.loop_start()
    done = threading.Event()

    async def publish() -> None:
        task = asyncio.create_task(notices.run_hub(hub, notices.Broker.from_url(MQTT)))
        await asyncio.to_thread(done.wait)
        await notices.stop(task)

    publishing = threading.Thread(target=asyncio.run, args=(publish(),))
    publishing.start()
    try:
        wait_for(hub.db.hearing, "the hub to listen")
        gate.add_subject("walker")
        gate.notice_shown(OFFICE, "walker")
        gate.give_consent(OFFICE, "walker")
        gate.withdraw(OFFICE, "walker")
        wait_for(lambda: any(n and n.feed and n.feed["shred"] for n in heard), "the withdrawal's notice")
    finally:
        done.set()
        publishing.join()
        listener.loop_stop()
        listener.disconnect()


def test_a_burst_of_acknowledgements_the_hub_is_not_reading_yet_reaches_it_whole() -> None:
    # Mosquitto holds at most 1,000 messages for one client behind its window of unacknowledged QoS 1 messages and
    # drops the rest: the hub's subscription is QoS 0, so a fleet's burst is not cut while the hub catches up.
    if not broker_listening():
        pytest.skip("no MQTT broker at 127.0.0.1:1883 (Mosquitto runs there on this project's machines and in CI)")
    # Small messages, so that the burst fits in the sockets' buffers while the hub reads nothing (Mosquitto also
    # drops QoS 0 messages past 1,000 waiting to be written).
    topic, burst = f"fg/{os.urandom(4).hex()}", 2000
    hub = notices.Broker.from_url(MQTT).threaded(f"test-hub-{os.urandom(4).hex()}", f"{topic}/+")
    reading, subscribed, got = threading.Event(), threading.Event(), []
    hub.on_subscribe = lambda *_: subscribed.set()
    hub.on_message = lambda *_: (reading.wait(30), got.append(1))
    sender = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    sender.connect(*BROKER)
    hub.loop_start()
    sender.loop_start()
    try:
        assert subscribed.wait(10)
        sent = [sender.publish(f"{topic}/{n}", b"a", qos=1) for n in range(burst)]  # devices publish at QoS 1
        for message in sent:
            message.wait_for_publish(30)  # all at the broker while the hub reads nothing
        reading.set()
        wait_for(lambda: len(got) == burst, f"{burst} acknowledgements at the hub", rounds=600)
    finally:
        reading.set()
        for client in (hub, sender):
            client.disconnect()
            client.loop_stop()


def test_a_change_made_while_the_hubs_server_was_down_reaches_a_device_on_notices_after_the_restart(
    nodes: dict[str, Node],
) -> None:
    hub, notified = nodes["hub"], nodes["notified"]
    hub.gate.add_subject("sleeper")
    hub.gate.notice_shown(OFFICE, "sleeper")
    hub.gate.give_consent(OFFICE, "sleeper")
    wait_for(lambda: consented(notified, "sleeper"), "the consent to reach the device", rounds=600)
    port = hub.port
    hub.stop()
    hub.gate.withdraw(OFFICE, "sleeper")  # no hub server: nobody publishes its notice now
    hub.start(port=port)
    # `notified` polls hourly and its broker connection never dropped: only the restarted hub's notice wakes it.
    wait_for(lambda: not consented(notified, "sleeper"), "the withdrawal to reach the device", rounds=600)


def test_a_device_on_notices_reports_what_it_holds_soon_after_a_local_enrollment(nodes: dict[str, Node]) -> None:
    hub, notified = nodes["hub"], nodes["notified"]
    hub.gate.add_subject("newcomer")
    hub.gate.notice_shown(OFFICE, "newcomer")
    hub.gate.give_consent(OFFICE, "newcomer")
    wait_for(lambda: consented(notified, "newcomer"), "the consent to reach the device", rounds=600)
    hub_side, me = Hub(hub.gate, hub.home), device_id(notified)

    def stored() -> int:
        return next(d for d in hub_side.devices() if d["id"] == me)["stored_subjects"]

    assert stored() == 0
    notified.gate.enroll(OFFICE, "newcomer", PHOTO.read_bytes())  # it polls hourly: only its own push tells the hub
    wait_for(lambda: stored() == 1, "the hub to count the enrollment", rounds=600)
    hub.gate.withdraw(OFFICE, "newcomer")  # applied from the notice, then reported
    wait_for(lambda: stored() == 0, "the hub to drop the holding", rounds=600)
