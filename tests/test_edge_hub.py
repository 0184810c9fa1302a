"""The hub's bookkeeping in process, on SQLite and PostgreSQL: pairing tokens, pulls, acknowledgements, the bound."""

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gate_fixtures import Clock, example
from sqlalchemy import text

from facegate.audit import SigningKey
from facegate.edge import signing
from facegate.edge.hub import Hub
from facegate.edge.models import DeviceRow, HoldingRow
from facegate.errors import DeviceRefused, InputError
from facegate.events import Op
from facegate.gate import Gate
from facegate.oversight import Oversight

OFFICE = "hq-lobby"


@pytest.fixture
def hub(gate: Gate, tmp_path: Path) -> Hub:
    """A hub around the test gate's database and clock."""
    hub_gate = Gate(replace(gate.context, kind="hub"))
    hub_gate.register(example("office-entry"))
    return Hub(hub_gate, tmp_path / "hub")


def pair(hub: Hub, name: str = "t1", key: SigningKey | None = None) -> DeviceRow:
    token = hub.mint_token([OFFICE], "operator:test")
    device_key = (key or SigningKey.generate()).public.pem()
    joined = hub.join(token.token, name, device_key, SigningKey.generate().public.pem())
    return fetch(hub, joined["device_id"])


def fetch(hub: Hub, device_id: str) -> DeviceRow:
    with hub.db.session(readonly=True) as session:
        device = session.get(DeviceRow, device_id)
    assert device is not None
    return device


def row(hub: Hub, device_id: str) -> dict:
    return next(d for d in hub.devices() if d["id"] == device_id)


def operations(hub: Hub) -> list[str]:
    with hub.db.session(readonly=True) as session:
        rows = session.execute(text("SELECT payload FROM audit_entry ORDER BY idx")).all()
    return [json.loads(p)["operation"] for (p,) in rows if p]


def keys() -> tuple[str, str]:
    return SigningKey.generate().public.pem(), SigningKey.generate().public.pem()


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


def test_an_offline_device_keeps_its_shreds_unconfirmed_until_its_bound_passes(
    hub: Hub, gate: Gate, clock: Clock
) -> None:
    device = pair(hub)
    gate.add_subject("biden")
    gate.delete_subject("biden")
    clock.advance(minutes=30)  # nobody has heard from the device for 30 minutes: it may still hold biden
    late = hub.unconfirmed_shreds()[device.id]
    assert [(o["subject"], o["online"]) for o in late] == [("biden", False)]
    listed = row(hub, device.id)
    assert (listed["online"], listed["pending_shreds"], listed["unconfirmed_shreds"]) == (False, 1, 1)
    clock.advance(hours=24)  # past the deployment's 24 h bound the device has shredded its keys by itself
    assert hub.unconfirmed_shreds() == {}


def test_a_suspended_device_is_refused_and_resumed(hub: Hub) -> None:
    device = pair(hub)
    hub.set_status(device.id, "suspended", "operator:test")
    assert (row(hub, device.id)["status"], row(hub, device.id)["online"]) == ("suspended", False)  # paired just now
    hub.set_status(device.id, "active", "operator:test")
    hub.set_status(device.id, "unpaired", "operator:test")
    with pytest.raises(InputError, match="unpaired"):
        hub.set_status(device.id, "active", "operator:test")


def test_a_site_token_pairs_n_devices_not_n_plus_one_and_groups_them(hub: Hub) -> None:
    token = hub.mint_token([OFFICE], "operator:test", devices=3, site="shop-12")
    paired = [hub.join(token.token, f"till-{n}", *keys())["device_id"] for n in range(3)]
    with pytest.raises(DeviceRefused, match="paired its 3 devices already"):
        hub.join(token.token, "till-3", *keys())
    assert {d["id"] for d in hub.devices(site="shop-12")} == set(paired)
    assert all(d["site"] == "shop-12" for d in hub.devices(site="shop-12"))
    with pytest.raises(InputError, match="site name"):
        hub.mint_token([OFFICE], "operator:test", site="Shop 12")


def test_a_token_carries_the_hub_key_fingerprint_and_another_hubs_is_refused(hub: Hub) -> None:
    token = hub.mint_token([OFFICE], "operator:test")
    assert signing.token_fingerprint(token.token) == signing.fingerprint(hub.key.public.pem())
    other = SigningKey.generate().public.pem()
    forged = token.token.rsplit("_", 1)[0] + "_" + signing.fingerprint(other)
    with pytest.raises(DeviceRefused, match="another hub's key"):
        hub.join(forged, "t1", *keys())
    hub.join(token.token, "t1", *keys())  # the forged attempt did not use the token up


def test_a_replayed_request_is_refused_and_audited(hub: Hub, clock: Clock) -> None:
    key = SigningKey.generate()
    device = pair(hub, key=key)
    raw = b'{"applied":0,"acks":[]}'
    path = "/api/v1/edge/pull"
    headers = {k.lower(): v for k, v in signing.sign_request(key, device.id, "POST", path, raw, clock()).items()}
    assert hub.authenticate(headers, "POST", path, raw).id == device.id
    with pytest.raises(DeviceRefused, match="replayed"):
        hub.authenticate(headers, "POST", path, raw)
    assert "device.replay" in operations(hub)
    fresh = {k.lower(): v for k, v in signing.sign_request(key, device.id, "POST", path, raw, clock()).items()}
    assert hub.authenticate(fresh, "POST", path, raw).id == device.id
    unsigned = {k: v for k, v in fresh.items() if k != signing.NONCE_HEADER.lower()}
    with pytest.raises(DeviceRefused, match="nonce"):
        hub.authenticate(unsigned, "POST", path, raw)


def hold(hub: Hub, device_id: str, subject: str) -> None:
    hub.gate.add_subject(subject)
    with hub.db.session() as session:
        session.add(HoldingRow(device_id=device_id, deployment_id=OFFICE, subject_id=subject, reported_at=hub.clock()))


def stored(hub: Hub) -> int:
    return Oversight(hub.gate.context).status()["handlers"][0]["counts"]["currently_stored"]


def test_an_unpaired_device_is_ordered_to_wipe_and_counts_until_it_acknowledges(hub: Hub) -> None:
    device = pair(hub)
    hold(hub, device.id, "obama")
    assert stored(hub) == 1
    hub.set_status(device.id, "unpaired", "operator:test")
    assert row(hub, device.id)["wipe"]["reason"] == "unpair" and stored(hub) == 1  # not gone yet
    unpaired = fetch(hub, device.id)
    feed = hub.pull(unpaired, unpaired.applied, [])
    assert feed["wipe"]["reason"] == "unpair" and feed["subjects"] == [] and feed["deployments"] == []
    hub.record_wipe(unpaired, {"reason": "unpair"})
    assert row(hub, device.id)["wipe"]["acked_at"] and stored(hub) == 0
    assert row(hub, device.id)["online"] is False  # heard from just now, but unpaired: refused, not online
    assert "device.wiped" in operations(hub)
    with pytest.raises(InputError, match="unpaired"):
        hub.set_status(device.id, "active", "operator:test")


def test_a_lost_device_counts_until_its_offline_bound_passes(hub: Hub, clock: Clock) -> None:
    device = pair(hub)
    hold(hub, device.id, "biden")
    hub.set_status(device.id, "lost", "operator:test")
    clock.advance(hours=23)
    assert stored(hub) == 1 and row(hub, device.id)["stored_subjects"] == 1
    clock.advance(hours=2)  # silent past its 24 h bound: it has shredded its keys by itself
    assert stored(hub) == 0 and row(hub, device.id)["stored_subjects"] == 0


def test_a_site_is_suspended_with_a_wipe_and_resumed_in_bulk(hub: Hub) -> None:
    token = hub.mint_token([OFFICE], "operator:test", devices=2, site="depot")
    ids = {hub.join(token.token, f"gate-{n}", *keys())["device_id"] for n in range(2)}
    lone = pair(hub, "elsewhere")
    changed = hub.set_site_status("depot", "suspended", "operator:test", wipe=True)
    assert {d["id"] for d in changed} == ids and all(d["wipe"]["reason"] == "suspend" for d in changed)
    assert row(hub, lone.id)["status"] == "active"
    resumed = hub.set_site_status("depot", "active", "operator:test")
    assert all(d["status"] == "active" and d["wipe"] is None for d in resumed)  # the pending wipe is cancelled


def test_the_change_feed_takes_changes_from_the_group_commit_too(hub: Hub) -> None:
    from facegate.audit import Event
    from facegate.changes import ChangeRow

    event = Event(actor="operator:test", operation=Op.SUBJECT_DELETE, decision="allow", outcome="deleted", subject="s9")
    receipt = hub.gate.context.writer.append_alone(event)
    refused = hub.gate.context.writer.append_alone(event.model_copy(update={"decision": "refuse", "event_id": "x1"}))
    with hub.db.session(readonly=True) as session:
        row = session.get(ChangeRow, receipt.index)
        assert row is not None and (row.kind, row.subject, row.op) == ("deletion", "s9", "subject.delete")
        assert session.get(ChangeRow, refused.index) is None
