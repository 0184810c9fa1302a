"""Hub and devices on loopback: one hub, two devices, separate data directories and ports, real uvicorn servers."""

import asyncio
import contextlib
import json
import logging
import re
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from edge_nodes import Node, make_node, wait_for
from gate_fixtures import example, shared_engine

from facegate.edge.device import Device
from facegate.edge.hub import Hub
from facegate.edge.models import DeviceRow
from facegate.errors import FacegateError, ForbiddenError, HubRefused, RefusedError
from facegate.gate import Caller, Gate
from facegate.oversight import Oversight
from facegate.vault.models import TemplateRow

pytestmark = pytest.mark.slow
OFFICE = "hq-lobby"
DATA = Path(__file__).parent / "data"


def photo(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Node]]:
    """A hub with the office deployment, two devices paired to it, all three serving."""
    root = tmp_path_factory.mktemp("site")
    hub = make_node(root / "hub", "hub", shared_engine)
    hub.gate.register(example("office-entry"))
    hub.start()
    nodes = {"hub": hub}
    for name in ("turnstile-a", "turnstile-b"):
        device = make_node(root / name, "device", shared_engine)
        token = Hub(hub.gate, hub.home).mint_token([OFFICE], "operator:test")
        Device(device.gate, device.home).join(hub.url, token.token, name)
        device.start()
        nodes[name] = device
    yield nodes
    for node in nodes.values():
        node.stop()


def data_keys(node: Node) -> list[str]:
    """The deployment and data keys left in the node's key store."""
    with sqlite3.connect(node.home / "keys" / "keystore.db") as db:
        rows = db.execute("SELECT name FROM wrapped_keys WHERE name LIKE 'data/%' OR name LIKE 'deployment/%'")
        return [name for (name,) in rows]


def templates(node: Node, subject: str) -> int:
    with node.gate.db.session(readonly=True) as session:
        return len(session.query(TemplateRow).filter_by(subject_id=subject).all())


def has_consent(node: Node, subject: str) -> bool:
    with node.gate.db.session(readonly=True) as session:
        return node.gate.vault.standing(session, OFFICE, subject).current("facial_processing") is not None


def consent_at_hub(hub: Node, subject: str) -> None:
    hub.gate.add_subject(subject)
    hub.gate.notice_shown(OFFICE, subject)
    hub.gate.give_consent(OFFICE, subject)


def operations(node: Node) -> list[dict]:
    with node.gate.db.session(readonly=True) as session:
        rows = session.execute(__import__("sqlalchemy").text("SELECT payload FROM audit_entry ORDER BY idx")).all()
    return [json.loads(p) for (p,) in rows if p]


def test_pairing_is_in_both_logs_and_the_token_works_once(site: dict[str, Node], tmp_path: Path) -> None:
    hub, a = site["hub"], site["turnstile-a"]
    device_id = Device(a.gate, a.home).link().device_id  # type: ignore[union-attr]
    assert any(e["operation"] == "device.pair" and e["actor"] == f"device:{device_id}" for e in operations(hub))
    assert any(e["operation"] == "device.join" for e in operations(a))
    token = Hub(hub.gate, hub.home).mint_token([OFFICE], "operator:test")
    spare = make_node(tmp_path / "spare", "device", shared_engine)
    Device(spare.gate, spare.home).join(hub.url, token.token, "spare")
    other = make_node(tmp_path / "other", "device", shared_engine)
    with pytest.raises(ForbiddenError, match="used already"):
        Device(other.gate, other.home).join(hub.url, token.token, "other")


def test_a_device_runs_the_deployment_the_hub_registered(site: dict[str, Node]) -> None:
    a = site["turnstile-a"]
    assert a.gate.deployment_spec(OFFICE).storage.location == "device"


def test_enroll_and_verify_on_a_device_with_consent_given_at_the_hub(site: dict[str, Node]) -> None:
    hub, a = site["hub"], site["turnstile-a"]
    consent_at_hub(hub, "obama")
    wait_for(lambda: has_consent(a, "obama"), "the consent to reach turnstile-a")
    assert a.gate.enroll(OFFICE, "obama", photo("obama.jpg")).outcome == "enrolled"
    assert a.gate.verify(OFFICE, "obama", photo("obama2.jpg")).outcome == "match"
    assert a.gate.verify(OFFICE, "obama", photo("biden.jpg")).outcome == "no_match"


def test_the_hub_refuses_biometric_calls_of_a_device_deployment_and_says_where_it_runs(site: dict[str, Node]) -> None:
    hub = site["hub"]
    consent_at_hub(hub, "hub-visitor")
    with pytest.raises(RefusedError) as refusal:
        hub.gate.enroll(OFFICE, "hub-visitor", photo("obama.jpg"))
    assert "CN25-8a/b" in refusal.value.rule_ids and "paired device" in str(refusal.value)
    with pytest.raises(RefusedError, match="CN25-8a/b"):
        hub.gate.verify(OFFICE, "hub-visitor", photo("obama.jpg"))


def test_a_device_refuses_to_register_a_deployment_that_stores_faces_elsewhere(tmp_path: Path) -> None:
    lone = make_node(tmp_path / "lone", "device", shared_engine)
    spec = example("office-entry", id="canteen", storage={"location": "on_premises", "transmission_consent": True})
    with pytest.raises(RefusedError, match=r"runs on a hub, not on a device .*facegate init --kind hub"):
        lone.gate.register(spec)


def test_a_withdrawal_at_the_hub_shreds_on_both_devices(site: dict[str, Node]) -> None:
    hub, a, b = site["hub"], site["turnstile-a"], site["turnstile-b"]
    consent_at_hub(hub, "biden")
    for device in (a, b):
        wait_for(lambda d=device: has_consent(d, "biden"), f"the consent to reach {device.home.name}")
        device.gate.enroll(OFFICE, "biden", photo("biden.jpg"))
        assert templates(device, "biden") == 1
    hub.gate.withdraw(OFFICE, "biden")
    for device in (a, b):
        wait_for(lambda d=device: templates(d, "biden") == 0, f"the shred on {device.home.name}")
        assert not has_consent(device, "biden")
    hub_side = Hub(hub.gate, hub.home)
    serving = ("turnstile-a", "turnstile-b")
    wait_for(lambda: all(d["behind"] == 0 for d in hub_side.devices() if d["name"] in serving), "both to catch up")
    with hub.gate.db.session(readonly=True) as session:
        acked = session.execute(__import__("sqlalchemy").text("SELECT device_id FROM edge_shred_ack")).all()
    assert len({d for (d,) in acked}) >= 2
    names = {d["id"]: d["name"] for d in hub_side.devices()}
    assert not {names[d] for d in hub_side.unconfirmed_shreds(bound=__import__("datetime").timedelta(0))} & set(serving)


def test_a_consent_given_at_a_device_reaches_the_hub_and_a_later_withdrawal_wins(site: dict[str, Node]) -> None:
    hub, a = site["hub"], site["turnstile-a"]
    a.gate.add_subject("kit")
    a.gate.notice_shown(OFFICE, "kit")
    a.gate.give_consent(OFFICE, "kit")
    wait_for(lambda: has_consent(hub, "kit"), "the device's consent to reach the hub")
    hub.gate.withdraw(OFFICE, "kit")
    wait_for(lambda: not has_consent(a, "kit"), "the hub's withdrawal to reach the device")
    Device(a.gate, a.home).sync()
    assert not has_consent(hub, "kit")


def test_counts_aggregate_distinct_subjects_across_devices(site: dict[str, Node]) -> None:
    hub, a, b = site["hub"], site["turnstile-a"], site["turnstile-b"]
    for subject in ("alex", "kit-h"):
        consent_at_hub(hub, subject)
    for device in (a, b):
        wait_for(lambda d=device: has_consent(d, "kit-h"), "consents on the devices")
    a.gate.enroll(OFFICE, "alex", photo("alex-lacamoire.png"))
    a.gate.enroll(OFFICE, "kit-h", photo("kit_harington.jpeg"))
    b.gate.enroll(OFFICE, "kit-h", photo("kit_harington.jpeg"))
    for device in (a, b):
        Device(device.gate, device.home).sync()
    held = {d["name"]: d["stored_subjects"] for d in Hub(hub.gate, hub.home).devices()}
    report = Oversight(hub.gate.context).status()
    handler = report["handlers"][0]
    stored_a, stored_b = held["turnstile-a"], held["turnstile-b"]
    # obama (if still enrolled), alex and kit-h on a; kit-h on b: kit-h counts once.
    assert stored_b >= 1 and stored_a >= 2
    assert handler["counts"]["currently_stored"] == len({s for d in (a, b) for s in _held_subjects(d)})
    assert handler["counts"]["cumulative"] >= handler["counts"]["currently_stored"]


def _held_subjects(node: Node) -> set[str]:
    with node.gate.db.session(readonly=True) as session:
        return {t.subject_id for t in session.query(TemplateRow).all()}


def test_a_device_whose_log_was_edited_is_flagged_at_its_next_push(site: dict[str, Node], tmp_path: Path) -> None:
    hub = site["hub"]
    rogue = make_node(tmp_path / "rogue", "device", shared_engine)
    token = Hub(hub.gate, hub.home).mint_token([OFFICE], "operator:test")
    device = Device(rogue.gate, rogue.home)
    device.join(hub.url, token.token, "rogue")
    device.sync()
    rogue.gate.add_subject("someone")
    with sqlite3.connect(rogue.home / "facegate.db") as db:  # someone edits an entry behind facegate's back
        edit = "UPDATE audit_entry SET payload = replace(payload, 'someone', 'nobody') WHERE payload LIKE '%someone%'"
        db.execute(edit)
    with pytest.raises(ForbiddenError, match="flagged"):
        device.sync()
    flagged = {d["name"]: d["flag"] for d in Hub(hub.gate, hub.home).devices()}
    assert flagged["rogue"] and "verification" in flagged["rogue"]
    assert any(e["operation"] == "device.flagged" for e in operations(hub))
    warnings = [w for h in Oversight(hub.gate.context).status()["handlers"] for w in h["warnings"]]
    assert any("rogue" in w["message"] and "flagged" in w["message"] for w in warnings)


def test_a_rewritten_log_fails_the_consistency_proof(site: dict[str, Node], tmp_path: Path) -> None:
    hub = site["hub"]
    forger = make_node(tmp_path / "forger", "device", shared_engine)
    token = Hub(hub.gate, hub.home).mint_token([OFFICE], "operator:test")
    device = Device(forger.gate, forger.home)
    device.join(hub.url, token.token, "forger")
    # A second log under the same audit key, with other entries: a fork of the first.
    fork = make_node(tmp_path / "fork", "device", shared_engine)
    (fork.home / "keys" / "audit-ed25519.pem").write_bytes((forger.home / "keys" / "audit-ed25519.pem").read_bytes())
    for extra in range(5):
        forger.gate.add_subject(f"s{extra}")
    device.push()  # the hub holds the log past #3 (joining alone records fewer entries than the cut)
    link = device.link()
    with sqlite3.connect(forger.home / "facegate.db") as db:
        db.execute("DELETE FROM audit_entry WHERE idx >= 3")  # cut back, then write other history over it
        db.execute("UPDATE audit_head SET size = 3")
    assert link is not None
    with pytest.raises(ForbiddenError, match="flagged"):
        device.push()
    flagged = {d["name"]: d["flag"] for d in Hub(hub.gate, hub.home).devices()}
    assert flagged["forger"]


def test_a_device_offline_past_its_bound_refuses_faces_and_still_verifies_a_pin(site: dict[str, Node]) -> None:
    b = site["turnstile-b"]
    b.stop()
    consent_at_hub(site["hub"], "pin-user")
    Device(b.gate, b.home).sync()
    b.gate.set_alternative(OFFICE, "pin-user", "pin", "4711")
    b.gate.enroll(OFFICE, "pin-user", photo("obama.jpg"))
    stale = (datetime.now(UTC) - timedelta(hours=25)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(b.home / "facegate.db") as db:
        db.execute("UPDATE edge_link SET last_sync_at = ?", (stale,))
    later = Gate.open(b.home, engine_factory=shared_engine)  # a fresh process's view of the device
    with pytest.raises(RefusedError) as refusal:
        later.verify(OFFICE, "pin-user", photo("obama2.jpg"))
    assert "CN25-6d" in refusal.value.rule_ids and "pin" in refusal.value.alternatives
    assert later.verify_alternative(OFFICE, "pin-user", "pin", "4711").details["verified"] is True
    done = Device(later, b.home).sync()  # past its bound it shreds first, then tells the hub once back in touch
    assert done["wipe"]["reason"] == "offline" and templates(b, "pin-user") == 0 and not data_keys(b)
    fresh = Gate.open(b.home, engine_factory=shared_engine)
    fresh.enroll(OFFICE, "pin-user", photo("obama.jpg"))  # faces work again for whoever enrolls anew
    assert fresh.verify(OFFICE, "pin-user", photo("obama2.jpg")).outcome == "match"


def test_the_inspection_export_carries_each_devices_log_with_its_proofs(site: dict[str, Node], tmp_path: Path) -> None:
    hub, a = site["hub"], site["turnstile-a"]
    consent_at_hub(hub, "inspected")
    wait_for(lambda: has_consent(a, "inspected"), "the consent to reach turnstile-a")
    a.gate.enroll(OFFICE, "inspected", photo("biden2.jpg"))
    Device(a.gate, a.home).sync()
    device_id = Device(a.gate, a.home).link().device_id  # type: ignore[union-attr]
    now = datetime.now(UTC)
    out = tmp_path / "inspection.zip"
    Oversight(hub.gate.context).inspection_export(now - timedelta(days=1), now + timedelta(days=1), out)
    with zipfile.ZipFile(out) as archive:
        archive.extractall(tmp_path / "x")
    folder = tmp_path / "x" / "devices" / device_id
    listed = json.loads((tmp_path / "x" / "devices" / "devices.json").read_text())
    assert device_id in {d["id"] for d in listed}
    checked = subprocess.run(
        [sys.executable, str(tmp_path / "x" / "audit" / "standalone_verify.py"), str(folder / "audit-log.jsonl"),
         "--public-key", str(folder / "audit-ed25519.pub.pem")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert '"enroll"' in (folder / "audit-log.jsonl").read_text()


def test_the_console_lists_pairs_and_suspends_devices(site: dict[str, Node], tmp_path: Path) -> None:
    hub = site["hub"]
    from facegate.api.service import Service

    _, secret = Service.open(hub.home).keys.create("admin", datetime.now(UTC), "console-test")
    with httpx.Client(base_url=hub.url, follow_redirects=True) as browser:
        assert "Sign out" in browser.post("/console/login", data={"api_key": secret}).text
        listing = browser.get("/console/devices").text
        assert "turnstile-a" in listing and "turnstile-b" in listing
        csrf = re.search(r'name="csrf" value="([^"]+)"', listing).group(1)  # type: ignore[union-attr]
        minted = browser.post("/console/devices/token", data={"csrf": csrf, "deployments": OFFICE}).text
        token = re.search(r"fgp_[0-9a-f]{16}_[A-Za-z0-9_-]+", minted).group(0)  # type: ignore[union-attr]
        kiosk = make_node(tmp_path / "kiosk", "device", shared_engine)
        device = Device(kiosk.gate, kiosk.home)
        device_id = device.join(hub.url, token, "kiosk")["device_id"]
        suspended = browser.post(f"/console/devices/{device_id}/suspend", data={"csrf": csrf})
        assert suspended.status_code == 200 and "suspended" in suspended.text
    assert device.sync()["suspended"] is True  # told only the shreds it owes (none here)


def test_the_hub_holds_no_template_bytes(site: dict[str, Node]) -> None:
    hub, a = site["hub"], site["turnstile-a"]
    consent_at_hub(hub, "scanned")
    wait_for(lambda: has_consent(a, "scanned"), "the consent to reach turnstile-a")
    a.gate.enroll(OFFICE, "scanned", photo("obama2.jpg"))
    export = a.gate.export("scanned", Caller("subject:scanned"))  # the subject's own export carries the vector
    with a.gate.db.session(readonly=True) as session:
        sealed = [t.sealed for t in session.query(TemplateRow).all()]
    assert sealed
    vector = np.asarray(export["templates"][0]["vector"])
    needles = [s[:24] for s in sealed]
    needles += [vector.astype(np.float32).tobytes()[:16], vector.astype(np.float64).tobytes()[:16]]
    for path in hub.home.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert not any(n in blob for n in needles), path


def test_two_hub_replicas_on_one_postgresql_serve_two_devices(database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the hub's replicas share a PostgreSQL database")
    hub = make_node(tmp_path / "hub", "hub", shared_engine, FACEGATE_DATABASE_URL=database_url)
    hub.gate.register(example("office-entry"))
    replicas = [Node(hub.home, "hub", hub.gate, dict(hub.env)) for _ in range(2)]
    devices = []
    try:
        for replica in replicas:
            replica.start()
        for n, replica in enumerate(replicas):  # each device pairs through another replica
            device = make_node(tmp_path / f"device-{n}", "device", shared_engine)
            token = Hub(hub.gate, hub.home).mint_token([OFFICE], "operator:test")
            Device(device.gate, device.home).join(replica.url, token.token, f"device-{n}")
            devices.append(device)
        consent_at_hub(hub, "obama")
        for device in devices:
            Device(device.gate, device.home).sync()
            device.gate.enroll(OFFICE, "obama", photo("obama.jpg"))
        # Behind one address, any replica answers: each device now syncs through the other one.
        for device, replica in zip(devices, reversed(replicas), strict=True):
            with sqlite3.connect(device.home / "facegate.db") as db:
                db.execute("UPDATE edge_link SET hub_url = ?", (replica.url,))
            Device(device.gate, device.home).sync()
        assert {d["stored_subjects"] for d in Hub(hub.gate, hub.home).devices()} == {1}
        hub.gate.withdraw(OFFICE, "obama")
        for device in devices:
            Device(device.gate, device.home).sync()
            assert templates(device, "obama") == 0
        assert all(d["log_size"] > 0 and not d["flag"] for d in Hub(hub.gate, hub.home).devices())
    finally:
        for replica in replicas:
            replica.stop()


def cli(node: Node, *args: str) -> subprocess.CompletedProcess:
    """Run `facegate ARGS --home NODE` as an operator would."""
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    command = [sys.executable, "-m", "facegate", *args, "--home", str(node.home)]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def paired_device(site: dict[str, Node], tmp_path: Path, name: str) -> tuple[Node, Device]:
    hub = site["hub"]
    node = make_node(tmp_path / name, "device", shared_engine)
    device = Device(node.gate, node.home)
    device.join(hub.url, Hub(hub.gate, hub.home).mint_token([OFFICE], "operator:test").token, name)
    return node, device


def test_unpair_makes_the_device_shred_its_keys_refuse_faces_and_say_so(site: dict[str, Node], tmp_path: Path) -> None:
    hub = site["hub"]
    kiosk, device = paired_device(site, tmp_path, "kiosk-u")
    consent_at_hub(hub, "leaver")
    device.sync()
    kiosk.gate.enroll(OFFICE, "leaver", photo("biden.jpg"))
    device.sync()
    device_id = device.link().device_id  # type: ignore[union-attr]
    hub_side = Hub(hub.gate, hub.home)
    assert next(d for d in hub_side.devices() if d["id"] == device_id)["stored_subjects"] == 1
    kiosk.start()
    try:
        hub_side.set_status(device_id, "unpaired", "operator:test")
        wait_for(lambda: device.link().status == "unpaired", "the kiosk to carry out the wipe", rounds=1200)  # type: ignore[union-attr]
    finally:
        kiosk.stop()
    assert data_keys(kiosk) == [] and templates(kiosk, "leaver") == 0
    assert not (kiosk.home / "keys" / "device-ed25519.pem").exists()
    fresh = Gate.open(kiosk.home, engine_factory=shared_engine)
    with pytest.raises(RefusedError, match="unpaired by its hub") as refusal:
        fresh.verify(OFFICE, "leaver", photo("biden2.jpg"))
    assert "CN25-6d" in refusal.value.rule_ids
    status = json.loads(cli(kiosk, "status", "--json").stdout)
    assert status["paired"] is False and status["wipe"]["reason"] == "unpair" and status["wipe"]["acknowledged_at"]
    assert Device(kiosk.gate, kiosk.home).link() is not None  # reading the device's state...
    assert not (kiosk.home / "keys" / "device-ed25519.pem").exists()  # ...makes no request key again
    with pytest.raises(FacegateError, match="not paired with a hub"):  # nor does a sync: refused as not paired
        Device(kiosk.gate, kiosk.home).sync()
    assert not (kiosk.home / "keys" / "device-ed25519.pem").exists()
    assert "device.wipe" in {e["operation"] for e in operations(kiosk)}
    listed = next(d for d in hub_side.devices() if d["id"] == device_id)
    assert listed["wipe"]["acked_at"] and listed["stored_subjects"] == 0
    assert "device.wiped" in {e["operation"] for e in operations(hub)}


def test_a_lost_device_out_of_touch_past_its_bound_shreds_by_itself(site: dict[str, Node], tmp_path: Path) -> None:
    hub = site["hub"]
    kiosk, device = paired_device(site, tmp_path, "kiosk-l")
    consent_at_hub(hub, "walker")
    device.sync()
    kiosk.gate.enroll(OFFICE, "walker", photo("obama.jpg"))
    device.sync()
    Hub(hub.gate, hub.home).set_status(device.link().device_id, "lost", "operator:test")  # type: ignore[union-attr]
    stale = (datetime.now(UTC) - timedelta(hours=25)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(kiosk.home / "facegate.db") as db:  # stolen: 25 hours without its hub
        db.execute("UPDATE edge_link SET last_sync_at = ?, hub_url = 'http://127.0.0.1:9'", (stale,))
    kiosk.start()
    try:
        wait_for(lambda: not data_keys(kiosk), "the kiosk to shred its keys by itself", rounds=1200)
    finally:
        kiosk.stop()
    assert templates(kiosk, "walker") == 0
    status = json.loads(cli(kiosk, "status", "--json").stdout)
    assert status["wipe"]["reason"] == "offline" and status["wipe"]["acknowledged_at"] is None
    assert status["wipe"]["deployments"] == [OFFICE]  # the deployments whose bound passed, named
    assert f"the keys of {OFFICE} shredded" in cli(kiosk, "status").stdout
    wipes = [e for e in operations(kiosk) if e["operation"] == "device.wipe"]
    assert wipes and wipes[-1]["outcome"] == "keys_shredded_offline"


def test_a_replayed_request_is_refused_by_the_hub(site: dict[str, Node], tmp_path: Path) -> None:
    from facegate.edge import signing

    hub = site["hub"]
    _, device = paired_device(site, tmp_path, "kiosk-r")
    link = device.link()
    assert link is not None
    raw = json.dumps({"applied": 0, "acks": []}).encode()
    headers = signing.sign_request(device.key, link.device_id, "POST", "/api/v1/edge/pull", raw, datetime.now(UTC))
    headers["Content-Type"] = "application/json"
    first = httpx.post(f"{hub.url}/api/v1/edge/pull", content=raw, headers=headers)
    again = httpx.post(f"{hub.url}/api/v1/edge/pull", content=raw, headers=headers)
    assert first.status_code == 200 and again.status_code == 403 and "replayed" in again.json()["detail"]
    assert "device.replay" in {e["operation"] for e in operations(hub)}


def test_a_join_whose_token_names_another_hub_key_is_refused_before_the_token_is_sent(
    site: dict[str, Node], tmp_path: Path
) -> None:
    from facegate.audit import SigningKey
    from facegate.edge import signing

    hub = site["hub"]
    token = Hub(hub.gate, hub.home).mint_token([OFFICE], "operator:test").token
    wrong = token.rsplit("_", 1)[0] + "_" + signing.fingerprint(SigningKey.generate().public.pem())
    node = make_node(tmp_path / "kiosk-f", "device", shared_engine)
    with pytest.raises(HubRefused, match="does not hold the hub key"):
        Device(node.gate, node.home).join(hub.url, wrong, "kiosk-f")
    assert Device(node.gate, node.home).link() is None
    Device(node.gate, node.home).join(hub.url, token, "kiosk-f")  # the token was never sent: still unused


def test_a_site_token_pairs_n_devices_and_not_one_more(site: dict[str, Node], tmp_path: Path) -> None:
    hub = site["hub"]
    made = cli(hub, "device", "token", "--deployment", OFFICE, "--devices", "2", "--site", "lobby-b", "--json")
    token = json.loads(made.stdout)["token"]
    for n in range(2):
        node = make_node(tmp_path / f"till-{n}", "device", shared_engine)
        Device(node.gate, node.home).join(hub.url, token, f"till-{n}")
    third = make_node(tmp_path / "till-2", "device", shared_engine)
    with pytest.raises(ForbiddenError, match="paired its 2 devices already"):
        Device(third.gate, third.home).join(hub.url, token, "till-2")
    listed = cli(hub, "device", "list", "--site", "lobby-b")
    assert listed.stdout.count("site lobby-b") == 2 and "audit verified" in listed.stdout


def test_a_deletion_made_on_a_device_reaches_the_hub(site: dict[str, Node], tmp_path: Path) -> None:
    from facegate.vault.models import SubjectRow

    hub = site["hub"]
    kiosk, device = paired_device(site, tmp_path, "kiosk-d")
    consent_at_hub(hub, "eraser")
    device.sync()
    kiosk.gate.enroll(OFFICE, "eraser", photo("biden.jpg"))
    kiosk.gate.delete_subject("eraser")  # the person asks for deletion at the turnstile
    device.sync()
    with hub.gate.db.session(readonly=True) as session:
        assert session.get(SubjectRow, "eraser") is None
    deletions = [e for e in operations(hub) if e["operation"] == "subject.delete" and e.get("subject") == "eraser"]
    assert deletions and deletions[-1]["actor"].startswith("device:")


def hub_row(hub: Node, device_id: str) -> dict:
    return next(d for d in Hub(hub.gate, hub.home).devices() if d["id"] == device_id)


def test_a_device_paired_again_while_it_serves_syncs_under_its_new_pairing(
    site: dict[str, Node], tmp_path: Path
) -> None:
    hub = site["hub"]
    kiosk, device = paired_device(site, tmp_path, "kiosk-p")
    old = device.link().device_id  # type: ignore[union-attr]
    kiosk.start()  # one `facegate serve` process, and so one sync loop, from here to the end
    try:
        Hub(hub.gate, hub.home).set_status(old, "unpaired", "operator:test")
        wait_for(lambda: device.link().status == "unpaired", "the kiosk to carry out the wipe", rounds=1200)  # type: ignore[union-attr]
        token = Hub(hub.gate, hub.home).mint_token([OFFICE], "operator:test").token
        joined = cli(kiosk, "device", "join", hub.url, "--token", token, "--name", "kiosk-p", "--json")
        assert joined.returncode == 0, joined.stderr
        new = json.loads(joined.stdout)["device_id"]
        consent_at_hub(hub, "returner")
        wait_for(lambda: has_consent(kiosk, "returner"), "the serving kiosk to pull under its new pairing")
        fresh = Gate.open(kiosk.home, engine_factory=shared_engine)  # not this process's view from before the wipe
        fresh.enroll(OFFICE, "returner", photo("biden.jpg"))
        wait_for(lambda: hub_row(hub, new)["stored_subjects"] == 1, "the hub to count what the kiosk holds")
        hub.gate.withdraw(OFFICE, "returner")
        wait_for(lambda: templates(kiosk, "returner") == 0, "the withdrawal to shred on the kiosk")
        wait_for(lambda: hub_row(hub, new)["pending_shreds"] == 0, "the kiosk to confirm the shred")
    finally:
        kiosk.stop()
    assert hub_row(hub, new)["stored_subjects"] == 0 and hub_row(hub, old)["stored_subjects"] == 0
    assert hub_row(hub, old)["online"] is False
    shown = cli(hub, "device", "list").stdout
    assert re.search(rf"{old} .*\n  last contact .* UTC \(unpaired: refused\)", shown), shown


def test_a_join_landing_while_an_unpair_is_acknowledged_keeps_the_new_pairing_and_its_key(
    site: dict[str, Node], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = site["hub"]
    kiosk, device = paired_device(site, tmp_path, "kiosk-r")
    old_key = (kiosk.home / "keys" / "device-ed25519.pem").read_text()
    Hub(hub.gate, hub.home).set_status(device.link().device_id, "unpaired", "operator:test")  # type: ignore[union-attr]
    token = Hub(hub.gate, hub.home).mint_token([OFFICE], "operator:test").token
    post = device._post

    def join_meanwhile(link: Any, path: str, body: dict) -> dict:
        answer = post(link, path, body)
        if path.endswith("/wiped"):  # the hub took the acknowledgement; `device join` in another process lands now
            Device(kiosk.gate, kiosk.home).join(hub.url, token, "kiosk-r")
        return answer

    monkeypatch.setattr(device, "_post", join_meanwhile)
    device.sync()
    link = device.link()
    assert link is not None and link.status == "active" and link.wiped_at is None
    new_key = (kiosk.home / "keys" / "device-ed25519.pem").read_text()
    assert new_key != old_key  # a new pairing gets a new key, never the unpaired one's
    consent_at_hub(hub, "racer")
    Device(kiosk.gate, kiosk.home).sync()
    assert has_consent(kiosk, "racer")


def test_a_join_the_hub_refuses_leaves_the_earlier_pairing_and_its_key(site: dict[str, Node], tmp_path: Path) -> None:
    hub = site["hub"]
    kiosk, device = paired_device(site, tmp_path, "kiosk-j")
    key_file = kiosk.home / "keys" / "device-ed25519.pem"
    old_key, link = key_file.read_text(), device.link()
    assert link is not None
    device._note(link, wiped_at=kiosk.gate.clock(), wipe_reason="unpair")  # wiped, its acknowledgement pending
    used = Hub(hub.gate, hub.home).mint_token([OFFICE], "operator:test").token
    other = make_node(tmp_path / "other", "device", shared_engine)
    Device(other.gate, other.home).join(hub.url, used, "other")
    with pytest.raises(FacegateError):
        Device(kiosk.gate, kiosk.home).join(hub.url, used, "kiosk-j2")  # the token is used up: refused
    after = device.link()
    assert key_file.read_text() == old_key and after is not None
    assert (after.device_id, after.paired_at, after.wipe_reason) == (link.device_id, link.paired_at, "unpair")


def test_a_round_the_hub_refuses_is_logged_with_its_code_and_detail(
    site: dict[str, Node], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from facegate.edge.device import run_sync

    hub = site["hub"]
    kiosk, device = paired_device(site, tmp_path, "kiosk-s")
    device_id = device.link().device_id  # type: ignore[union-attr]
    with hub.gate.db.session() as session:  # a flagged device's pushes are refused
        session.get(DeviceRow, device_id).flag = "a test flag"  # type: ignore[union-attr]

    async def serve_until_logged() -> None:
        loop = asyncio.create_task(run_sync(kiosk.gate, kiosk.home, 60))
        try:
            for _ in range(300):
                if "sync with the hub failed" in caplog.text:
                    return
                await asyncio.sleep(0.1)
        finally:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop

    with caplog.at_level(logging.WARNING, logger="facegate.edge"):
        asyncio.run(serve_until_logged())
    assert f"device_flagged: the hub refused: device {device_id} is flagged (a test flag)" in caplog.text


def test_a_suspended_device_still_shreds_withdrawals_and_deletions_refuses_faces_and_says_so(
    site: dict[str, Node], tmp_path: Path
) -> None:
    hub = site["hub"]
    kiosk, device = paired_device(site, tmp_path, "kiosk-p")
    for subject in ("paused", "paused-2", "kept"):
        consent_at_hub(hub, subject)
    device.sync()
    for subject, face in (("paused", "biden.jpg"), ("paused-2", "obama.jpg"), ("kept", "obama2.jpg")):
        kiosk.gate.enroll(OFFICE, subject, photo(face))
    device.sync()
    hub_side, device_id = Hub(hub.gate, hub.home), device.link().device_id  # type: ignore[union-attr]
    hub_side.set_status(device_id, "suspended", "operator:test")
    hub.gate.withdraw(OFFICE, "paused")
    hub.gate.delete_subject("paused-2")
    consent_at_hub(hub, "newcomer")  # not told to a suspended device
    done = device.sync()
    assert done["suspended"] and done["shreds_confirmed"] == 2
    assert (templates(kiosk, "paused"), templates(kiosk, "paused-2"), templates(kiosk, "kept")) == (0, 0, 1)
    assert not has_consent(kiosk, "paused") and not has_consent(kiosk, "newcomer")
    fresh = Gate.open(kiosk.home, engine_factory=shared_engine)
    for subject, face in (("paused", "biden2.jpg"), ("kept", "obama2.jpg")):
        with pytest.raises(RefusedError, match=r"suspended by its hub.*until its hub resumes it") as refusal:
            fresh.verify(OFFICE, subject, photo(face))
        assert "CN25-6d" in refusal.value.rule_ids
    assert "SUSPENDED by its hub" in cli(kiosk, "status").stdout
    assert json.loads(cli(kiosk, "status", "--json").stdout)["suspended"] is True
    assert hub_row(hub, device_id)["pending_shreds"] == 0  # both orders acknowledged
    assert device.sync()["shreds_confirmed"] == 0  # acknowledged orders are not sent again
    hub_side.set_status(device_id, "active", "operator:test")
    device.sync()
    assert device.link().status == "active" and has_consent(kiosk, "newcomer")  # type: ignore[union-attr]
    assert Gate.open(kiosk.home, engine_factory=shared_engine).verify(OFFICE, "kept", photo("obama2.jpg")).outcome == (
        "match"
    )


def test_a_device_deletion_of_a_subject_outside_its_deployments_is_ignored_and_audited(
    site: dict[str, Node], tmp_path: Path
) -> None:
    from facegate.vault.models import SubjectRow

    hub = site["hub"]
    kiosk, device = paired_device(site, tmp_path, "kiosk-v")
    hub.gate.add_subject("bystander")  # known at the hub, in no deployment
    kiosk.gate.add_subject("bystander")
    kiosk.gate.delete_subject("bystander")
    device.sync()
    with hub.gate.db.session(readonly=True) as session:
        assert session.get(SubjectRow, "bystander") is not None
    ignored = [e for e in operations(hub) if e["operation"] == "subject.delete" and e.get("subject") == "bystander"]
    assert [(e["decision"], e["outcome"]) for e in ignored] == [("refuse", "ignored_not_in_device_deployments")]


def test_malformed_fields_of_a_signed_push_or_pull_are_refused_and_change_nothing(
    site: dict[str, Node], tmp_path: Path
) -> None:
    from facegate.edge import signing

    hub = site["hub"]
    _, device = paired_device(site, tmp_path, "kiosk-m")
    link = device.link()
    assert link is not None
    size = hub_row(hub, link.device_id)["log_size"]
    entries = len(operations(hub))

    def post(path: str, raw: bytes) -> httpx.Response:
        headers = signing.sign_request(device.key, link.device_id, "POST", path, raw, datetime.now(UTC))
        return httpx.post(f"{hub.url}{path}", content=raw, headers={**headers, "Content-Type": "application/json"})

    base = {"from": size, "checkpoint": "x", "entries": [], "proof": []}
    for field, value in (
        ("holdings", [["hq-lobby"]]), ("holdings", "abc"), ("holdings", [[1, 2, 3]]), ("subjects", ["x"]),
        ("subjects", [{"id": "x", "deployments": [1]}]), ("subjects", [{"deployments": {}}]), ("entries", "abc"),
        ("self_check", "x"),
    ):  # fmt: skip
        answer = post("/api/v1/edge/push", json.dumps({**base, field: value}).encode())
        assert answer.status_code == 422 and answer.json()["detail"].startswith(field), (field, answer.text)
    answer = post("/api/v1/edge/pull", b'{"applied": 0, "acks": [{"order": 1e400, "subject": "a"}]}')
    assert answer.status_code == 422 and answer.json()["detail"].startswith("acks.0.order")
    assert hub_row(hub, link.device_id)["log_size"] == size and len(operations(hub)) == entries
    assert hub_row(hub, link.device_id)["audit"] == "verified"
