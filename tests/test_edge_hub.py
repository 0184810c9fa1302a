"""The hub's bookkeeping in process, on SQLite and PostgreSQL: pairing tokens, pulls, acknowledgements, the bound."""

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gate_fixtures import Clock, example

from facegate.audit import SigningKey
from facegate.edge.hub import DeviceRefused, Hub
from facegate.edge.models import DeviceRow
from facegate.errors import InputError
from facegate.gate import Gate

OFFICE = "hq-lobby"


@pytest.fixture
def hub(gate: Gate, tmp_path: Path) -> Hub:
    """A hub around the test gate's database and clock."""
    hub_gate = Gate(replace(gate.context, kind="hub"))
    hub_gate.register(example("office-entry"))
    return Hub(hub_gate, tmp_path / "hub")


def pair(hub: Hub, name: str = "t1") -> DeviceRow:
    token = hub.mint_token([OFFICE], "operator:test")
    joined = hub.join(token.token, name, SigningKey.generate().public.pem(), SigningKey.generate().public.pem())
    with hub.db.session(readonly=True) as session:
        device = session.get(DeviceRow, joined["device_id"])
    assert device is not None
    return device


def test_a_token_pairs_once_and_only_for_device_storage_deployments(hub: Hub, gate: Gate, clock: Clock) -> None:
    token = hub.mint_token([OFFICE], "operator:test", hours=1)
    keys = SigningKey.generate().public.pem(), SigningKey.generate().public.pem()
    hub.join(token.token, "t1", *keys)
    with pytest.raises(DeviceRefused, match="used already"):
        hub.join(token.token, "t2", *keys)
    late = hub.mint_token([OFFICE], "operator:test", hours=1)
    clock.advance(hours=2)
    with pytest.raises(DeviceRefused, match="expired"):
        hub.join(late.token, "t3", *keys)
    with pytest.raises(DeviceRefused, match="unknown"):
        hub.join(late.token[:-4] + "AAAA", "t4", *keys)
    spec = example("office-entry", id="canteen", storage={"location": "on_premises", "transmission_consent": True})
    hub.gate.register(spec)
    with pytest.raises(InputError, match="runs on the hub"):
        hub.mint_token(["canteen"], "operator:test")


def test_a_withdrawal_is_unconfirmed_past_the_bound_only_for_a_device_online(
    hub: Hub, gate: Gate, clock: Clock
) -> None:
    clock.now = datetime.now(UTC)  # the audit log records the wall clock's time
    device = pair(hub)
    gate.add_subject("obama")
    gate.notice_shown(OFFICE, "obama")
    gate.give_consent(OFFICE, "obama")
    feed = hub.pull(device, 0, [])
    assert [s["id"] for s in feed["subjects"]] == ["obama"] and not feed["shred"]
    gate.withdraw(OFFICE, "obama")
    clock.advance(minutes=6)
    with hub.db.session() as session:  # the device was seen a minute ago but has not pulled the withdrawal
        session.get(DeviceRow, device.id).last_seen_at = clock.now  # type: ignore[union-attr]
    late = hub.unconfirmed_shreds()
    assert [o["subject"] for o in late[device.id]] == ["obama"]
    with hub.db.session(readonly=True) as session:
        device = session.get(DeviceRow, device.id)  # type: ignore[assignment]
    feed = hub.pull(device, feed["cursor"], [])
    assert [(o["subject"], o["reason"]) for o in feed["shred"]] == [("obama", "consent.withdraw")]
    hub.pull(device, feed["cursor"], [{**feed["shred"][0], "templates_left": 0}])
    assert hub.unconfirmed_shreds() == {}


def test_an_offline_device_is_not_flagged_for_late_shreds(hub: Hub, gate: Gate, clock: Clock) -> None:
    clock.now = datetime.now(UTC)
    pair(hub)
    gate.add_subject("biden")
    gate.delete_subject("biden")
    clock.advance(minutes=30)  # nobody has heard from the device for 30 minutes: its offline bound applies instead
    assert hub.unconfirmed_shreds() == {}


def test_a_suspended_device_is_refused_and_resumed(hub: Hub) -> None:
    device = pair(hub)
    hub.set_status(device.id, "suspended", "operator:test")
    listed = {d["id"]: d["status"] for d in hub.devices()}
    assert listed[device.id] == "suspended"
    hub.set_status(device.id, "active", "operator:test")
    hub.set_status(device.id, "unpaired", "operator:test")
    with pytest.raises(InputError, match="unpaired"):
        hub.set_status(device.id, "active", "operator:test")
