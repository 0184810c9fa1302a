"""Webhooks: registered by an admin, signed (Standard Webhooks), retried with backoff, kept in an outbox that
outlives the process, never carrying biometric data; delivered to a real HTTP server on loopback."""

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_api_fixtures import OFFICE, Env, consenting, make_env, photo, serving
from webhook_receiver import Receiver, receiving

from facegate import webhooks
from facegate.errors import InputError
from facegate.gate import Gate
from facegate.server import create_app

OBAMA = f"/api/v1/deployments/{OFFICE}/subjects/obama"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield from make_env(tmp_path)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


def register(env: Env, url: str, events: list[str]) -> dict:
    answer = env.client.post("/api/v1/webhooks", json={"url": url, "events": events}, headers=env.auth("admin"))
    assert answer.status_code == 201, answer.text
    return answer.json()


def signed_by(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks check, written out here rather than borrowed from facegate."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, headers["webhook-signature"])


def test_only_an_admin_registers_and_the_secret_is_shown_once(env: Env, receiver: Receiver) -> None:
    answer = env.client.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["subject.withdrawn"]},
                             headers=env.auth("operator"))  # fmt: skip
    assert answer.status_code == 403
    hook = register(env, receiver.url, ["subject.withdrawn", "subject.deleted"])
    assert hook["secret"].startswith("whsec_") and hook["id"].startswith("wh_")
    listed = env.client.get("/api/v1/webhooks", headers=env.auth("admin")).json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]] and listed["next_cursor"] is None
    assert "secret" not in json.dumps(listed)
    events = {e["name"] for e in env.client.get("/api/v1/webhooks/events", headers=env.auth("admin")).json()["items"]}
    assert {"subject.withdrawn", "subject.deleted", "incident.recorded", "filing.due", "device.flagged"} <= events


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x", "events": ["subject.deleted"]}, "http"),
        ({"url": "https://example.com/x", "events": ["subject.vanished"]}, "subject.vanished"),
        ({"url": "https://example.com/x", "events": []}, "events"),
        ({"url": "http://169.254.169.254/latest/meta-data", "events": ["subject.deleted"]}, "link-local"),
        ({"url": "http://[fe80::1]:8080/x", "events": ["subject.deleted"]}, "link-local"),
        ({"url": "http://0.0.0.0:9/x", "events": ["subject.deleted"]}, "unspecified"),
        ({"url": "http://224.0.0.251:5353/x", "events": ["subject.deleted"]}, "multicast"),
    ],
)
def test_a_bad_registration_is_refused_and_changes_nothing(env: Env, body: dict, field: str) -> None:
    answer = env.client.post("/api/v1/webhooks", json=body, headers=env.auth("admin"))
    assert answer.status_code == 422 and field in answer.text
    assert env.client.get("/api/v1/webhooks", headers=env.auth("admin")).json()["items"] == []


def test_a_withdrawal_is_delivered_signed_without_biometric_data(env: Env, receiver: Receiver) -> None:
    hook = register(env, receiver.url, ["subject.withdrawn"])
    consenting(env, "obama")
    h = env.auth("operator")
    assert env.client.post(OBAMA + "/enroll", files=photo("obama.jpg"), headers=h).status_code == 201
    withdrawal = env.client.post(OBAMA + "/withdraw", headers=h).json()
    assert webhooks.pump(env.svc.webhooks) == {"delivered": 1}
    [(headers, body)] = receiver.received
    assert signed_by(hook["secret"], headers, body)
    assert int(headers["webhook-timestamp"]) == int(env.clock().timestamp())
    message = json.loads(body)
    assert message["type"] == "subject.withdrawn" and message["id"] == headers["webhook-id"]
    assert message["data"]["subject"] == "obama" and message["data"]["deployment"] == OFFICE
    assert message["data"]["audit_event_id"] == withdrawal["event_id"]
    numbers = [v for v in message["data"].values() if isinstance(v, float) or (isinstance(v, list) and v
               and not all(isinstance(i, str) for i in v))]  # fmt: skip
    assert numbers == []  # no vector, no distance
    deliveries = env.client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=env.auth("admin")).json()
    [delivery] = deliveries["items"]
    assert delivery["state"] == "delivered" and delivery["attempts"] == 1 and delivery["last_status"] == 204
    assert webhooks.pump(env.svc.webhooks) == {}  # sent once


def secret_forms(secret: str) -> list[bytes]:
    """The ways a secret could sit in a file: as text, base64 alone, or the raw HMAC key."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return [secret.encode(), secret.removeprefix("whsec_").encode(), key, key.hex().encode()]


def database_bytes(env: Env) -> bytes:
    """The data database's files as they lie on disk (the main file and its WAL)."""
    path = Path(env.svc.gate.db.engine.url.database or "")
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_secrets_are_sealed_at_rest_and_deliveries_still_verify(env: Env, receiver: Receiver) -> None:
    hooks = [register(env, receiver.url, ["subject.deleted"]) for _ in range(2)]
    consenting(env, "obama")
    assert env.client.delete("/api/v1/subjects/obama", headers=env.auth("operator")).status_code == 200
    assert webhooks.pump(env.svc.webhooks) == {"delivered": 2}
    with env.svc.gate.db.begin() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM webhook")]
    on_disk, in_rows = database_bytes(env), repr(rows).encode()
    for hook in hooks:
        assert not any(form in on_disk or form in in_rows for form in secret_forms(hook["secret"]))
    by_hook = {hook["secret"]: 0 for hook in hooks}
    for headers, body in receiver.received:  # each receiver's own secret verifies its delivery, the other's does not
        for secret in by_hook:
            by_hook[secret] += signed_by(secret, headers, body)
    assert list(by_hook.values()) == [1, 1]


def test_a_plain_secret_left_by_an_older_version_is_sealed_when_webhooks_open(env: Env, receiver: Receiver) -> None:
    hook = register(env, receiver.url, ["subject.deleted"])
    with env.svc.gate.db.begin() as conn:  # as version 0008 to 0012 stored it
        conn.exec_driver_sql("UPDATE webhook SET secret = ?, sealed_secret = NULL", (hook["secret"],))
    assert hook["secret"].encode() in database_bytes(env)
    reopened = webhooks.Webhooks(env.svc.gate.db, env.clock, env.svc.gate.context.keystore)
    assert not any(form in database_bytes(env) for form in secret_forms(hook["secret"]))
    assert webhooks.pump(reopened) == {} and reopened.ping(hook["id"])
    assert webhooks.pump(reopened) == {"delivered": 1}
    [(headers, body)] = receiver.received
    assert signed_by(hook["secret"], headers, body)


def test_a_failing_receiver_is_retried_with_backoff_under_the_same_message_id(env: Env, receiver: Receiver) -> None:
    hook = register(env, receiver.url, ["subject.deleted"])
    receiver.answers = [500, 503]
    consenting(env, "obama")
    assert env.client.delete("/api/v1/subjects/obama", headers=env.auth("operator")).status_code == 200
    assert webhooks.pump(env.svc.webhooks) == {"retry": 1}
    assert webhooks.pump(env.svc.webhooks) == {}  # not due yet
    env.clock.advance(seconds=webhooks.BACKOFF[0].total_seconds())
    assert webhooks.pump(env.svc.webhooks) == {"retry": 1}
    env.clock.advance(seconds=webhooks.BACKOFF[1].total_seconds())
    assert webhooks.pump(env.svc.webhooks) == {"delivered": 1}
    ids = {headers["webhook-id"] for headers, _ in receiver.received}
    stamps = [int(headers["webhook-timestamp"]) for headers, _ in receiver.received]
    assert len(receiver.received) == 3 and len(ids) == 1 and stamps == sorted(stamps) and stamps[0] < stamps[-1]
    assert all(signed_by(hook["secret"], headers, body) for headers, body in receiver.received)
    [delivery] = env.svc.webhooks.deliveries(hook["id"])
    assert (delivery["state"], delivery["attempts"]) == ("delivered", 3)


def test_a_receiver_that_never_answers_is_given_up_after_the_last_retry(env: Env) -> None:
    hook = register(env, "http://127.0.0.1:9/closed", ["subject.deleted"])  # the discard port: nothing listens
    consenting(env, "obama")
    env.client.delete("/api/v1/subjects/obama", headers=env.auth("operator"))
    results = []
    for wait in (*webhooks.BACKOFF, None):
        results += list(webhooks.pump(env.svc.webhooks))
        if wait is not None:
            env.clock.advance(seconds=wait.total_seconds())
    assert results == ["retry"] * len(webhooks.BACKOFF) + ["failed"]
    [delivery] = env.svc.webhooks.deliveries(hook["id"])
    assert delivery["state"] == "failed" and delivery["last_error"] == "ConnectError"


def test_publish_refuses_anything_that_could_carry_a_template(env: Env) -> None:
    now = env.clock()
    with env.svc.gate.db.session() as session:
        for data in ({"vector": [0.1, 0.2]}, {"distance": 0.31}, {"image": b"\xff\xd8"}, {"ids": [1, 2]}):
            with pytest.raises(InputError):
                webhooks.publish(session, "door.decision", data, now)
        with pytest.raises(InputError, match="unknown webhook event"):
            webhooks.publish(session, "door.opened", {}, now)


def test_an_event_published_in_a_rolled_back_transaction_is_never_sent(env: Env, receiver: Receiver) -> None:
    register(env, receiver.url, ["door.decision"])
    with pytest.raises(RuntimeError), env.svc.gate.db.session() as session:
        assert webhooks.publish(session, "door.decision", {"deployment": OFFICE, "outcome": "open"}, env.clock()) == 1
        raise RuntimeError("the change failed")
    assert webhooks.pump(env.svc.webhooks) == {} and receiver.received == []


PUBLISH_THEN_DIE = """
import os, signal, sys
from datetime import datetime
from facegate import webhooks
from facegate.store import Database
db = Database.open(sys.argv[1])
with db.session() as session:
    webhooks.publish(session, "door.decision", {"deployment": "hq-lobby", "outcome": "open"},
                     datetime.fromisoformat(sys.argv[2]))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_an_event_outlives_the_process_that_published_it(env: Env, receiver: Receiver, tmp_path: Path) -> None:
    register(env, receiver.url, ["door.decision"])
    url = str(env.svc.gate.db.engine.url)
    child = [sys.executable, "-c", PUBLISH_THEN_DIE, url, env.clock().isoformat()]
    died = subprocess.run(child, env=os.environ.copy(), check=False)
    assert died.returncode == -signal.SIGKILL  # killed after the commit, before anything was sent
    assert webhooks.pump(env.svc.webhooks) == {"delivered": 1}
    assert json.loads(receiver.received[0][1])["data"] == {"deployment": OFFICE, "outcome": "open"}


def test_two_senders_never_send_one_delivery_twice(env: Env, receiver: Receiver) -> None:
    from facegate.webhooks import sender

    hook = register(env, receiver.url, ["ping"])
    delivery = env.svc.webhooks.ping(hook["id"])
    db, clock = env.svc.gate.db, env.clock
    assert sender.claim(db, clock, delivery) is True
    assert sender.claim(db, clock, delivery) is False  # another replica finds it taken
    env.clock.advance(seconds=sender.CLAIM.total_seconds() + 1)  # the first died holding it: the claim lapses
    assert webhooks.pump(env.svc.webhooks) == {"delivered": 1}


def test_the_server_sends_events_on_its_own(tmp_path: Path, receiver: Receiver) -> None:
    environment = make_env(tmp_path / "a")
    env = next(environment)
    try:
        hook = register(env, receiver.url, ["subject.withdrawn"])
        consenting(env, "obama")
        app = create_app(tmp_path / "a", gate=env.svc.gate, purge_every=None, webhooks_every=0.2)
        with serving(app) as base:
            import httpx

            answer = httpx.post(base + OBAMA + "/withdraw", headers=env.auth("operator"), timeout=30)
            assert answer.status_code == 200
            assert receiver.got.wait(20), "no delivery within 20 s"
        headers, body = receiver.received[0]
        assert signed_by(hook["secret"], headers, body) and json.loads(body)["type"] == "subject.withdrawn"
    finally:
        next(environment, None)


def test_a_filing_opened_by_oversight_is_announced_as_filing_due(gate: Gate, receiver: Receiver) -> None:
    from gate_fixtures import example

    from facegate.oversight import Oversight

    hooks = webhooks.Webhooks(gate.db, gate.clock, gate.context.keystore)
    _, secret = hooks.register(receiver.url, ["filing.due"], "regulatory calendar", "operator:test")
    gate.register(example("station-public-security", id="north-station-gates"), profiles=("cn2025", "cn2023-draft"))
    [task] = Oversight(gate.context).status()["handlers"][0]["open_tasks"]
    assert webhooks.pump(hooks) == {"delivered": 1}
    [(headers, body)] = receiver.received
    assert signed_by(secret, headers, body)
    data = json.loads(body)["data"]
    assert data["due_on"] == task["due_on"] and data["rule_ids"] == ["CN23-T13"] and data["kind"] == "filing"


def test_the_command_line_registers_pings_and_lists_deliveries(
    tmp_path: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from facegate.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["facegate", *args, "--home", str(tmp_path)])
        with pytest.raises(SystemExit) as exited:
            main()
        out, err = capsys.readouterr()
        return int(exited.value.code or 0), out, err

    code, out, _ = run("webhooks", "add", receiver.url, "--event", "subject.deleted", "--json")
    hook = json.loads(out)
    assert code == 0 and hook["secret"].startswith("whsec_")
    code, _, err = run("webhooks", "add", receiver.url, "--event", "subject.vanished")
    assert code == 2 and "unknown webhook event subject.vanished" in err
    from facegate.api.service import Service

    Service.open(tmp_path).webhooks.ping(hook["id"])
    assert run("webhooks", "send") == (0, "1 delivered\n", "")
    code, out, _ = run("webhooks", "deliveries", hook["id"], "--json")
    [delivery] = json.loads(out)
    assert delivery["event"] == "ping" and delivery["state"] == "delivered"
    assert signed_by(hook["secret"], *receiver.received[0])
    assert run("webhooks", "remove", hook["id"])[0] == 0
    assert json.loads(run("webhooks", "list", "--json")[1]) == []
