"""Acknowledgements over the broker, as the hub records them (in process, SQLite and PostgreSQL): a device's signed
acknowledgement clears its pending shred; the same one again is refused and audited; one signed by another key, or
naming templates still held, confirms nothing."""

from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gate_fixtures import Clock, example
from sqlalchemy import func, insert, select
from test_edge_hub import OFFICE, fetch, operations

from facegate.audit import SigningKey
from facegate.changes import ChangeRow
from facegate.edge import receipts
from facegate.edge.hub import Hub
from facegate.edge.models import ShredAckRow
from facegate.gate import Gate


@pytest.fixture
def hub(gate: Gate, tmp_path: Path) -> Hub:
    """A hub around the test gate's database and clock."""
    hub_gate = Gate(replace(gate.context, kind="hub"))
    hub_gate.register(example("office-entry"))
    return Hub(hub_gate, tmp_path / "hub")


def paired(hub: Hub, key: SigningKey) -> str:
    token = hub.mint_token([OFFICE], "operator:test")
    return str(hub.join(token.token, "t1", key.public.pem(), SigningKey.generate().public.pem())["device_id"])


def withdrawn(hub: Hub, gate: Gate, device_id: str, subject: str) -> dict:
    """A consent the device pulled, then withdrawn at the hub: the shred order it must acknowledge."""
    gate.add_subject(subject)
    gate.notice_shown(OFFICE, subject)
    gate.give_consent(OFFICE, subject)
    feed = hub.pull(fetch(hub, device_id), 0, [])
    gate.withdraw(OFFICE, subject)
    assert device_id in hub.unconfirmed_shreds(bound=timedelta(0))
    with hub.db.session(readonly=True) as session:
        order = int(session.scalar(select(func.max(ChangeRow.idx))) or 0)
    return {"order": order, "subject": subject, "deployment": OFFICE, "reason": "consent.withdraw",
            "cursor": feed["cursor"]}  # fmt: skip


def ack(hub: Hub, key: SigningKey, device_id: str, order: dict, left: int = 0) -> tuple[str, bytes]:
    pem = hub.key.public.pem()
    body = [{k: order[k] for k in ("order", "subject", "deployment", "reason")} | {"templates_left": left}]
    return receipts.topic(pem, device_id), receipts.make_ack(key, device_id, body, order["cursor"], hub.clock())


def shred_pending(hub: Hub, gate: Gate, clock: Clock, subject: str) -> tuple[SigningKey, str, dict]:
    """A device paired now (its key and ID) and the shred order of `subject`'s withdrawal it must acknowledge."""
    clock.now = datetime.now(UTC)
    key = SigningKey.generate()
    device_id = paired(hub, key)
    return key, device_id, withdrawn(hub, gate, device_id, subject)


def is_acked(hub: Hub, device_id: str, order: int) -> bool:
    with hub.db.session(readonly=True) as session:
        return session.get(ShredAckRow, (device_id, order)) is not None


def test_an_acknowledgement_clears_the_pending_shred_and_its_replay_is_refused_and_audited(
    hub: Hub, gate: Gate, clock: Clock
) -> None:
    key, device_id, order = shred_pending(hub, gate, clock, "obama")
    message = ack(hub, key, device_id, order)
    clock.now += timedelta(minutes=1)
    assert receipts.record(hub, [message]) == {"recorded": 1, "forged": 0, "replayed": 0, "refused": 0}
    assert is_acked(hub, device_id, order["order"])
    assert fetch(hub, device_id).last_seen_at == clock.now  # the device's last contact, as read back
    assert device_id not in hub.unconfirmed_shreds(bound=timedelta(0))
    assert operations(hub).count("device.replay") == 0
    assert receipts.record(hub, [message])["replayed"] == 1  # the same signed acknowledgement again
    assert operations(hub).count("device.replay") == 1
    assert receipts.record(hub, [message, message])["replayed"] == 2


def test_an_acknowledgement_signed_by_another_key_or_with_templates_left_confirms_nothing(
    hub: Hub, gate: Gate, clock: Clock
) -> None:
    key, device_id, order = shred_pending(hub, gate, clock, "biden")
    forged = ack(hub, SigningKey.generate(), device_id, order)
    other_topic = (receipts.topic(hub.key.public.pem(), "someone-else"), ack(hub, key, device_id, order)[1])
    junk = (receipts.topic(hub.key.public.pem(), device_id), b"not an acknowledgement")
    assert receipts.record(hub, [forged, other_topic, junk])["forged"] == 3
    assert receipts.record(hub, [ack(hub, key, device_id, order, left=1)])["recorded"] == 1
    assert not is_acked(hub, device_id, order["order"])
    assert device_id in hub.unconfirmed_shreds(bound=timedelta(0))  # still counted as held
    assert "device.replay" not in operations(hub)  # forgeries are not audited: anyone on the broker could send them


def test_an_acknowledgement_in_a_pull_confirms_a_shred_only_when_no_template_is_left(
    hub: Hub, gate: Gate, clock: Clock
) -> None:
    _, device_id, order = shred_pending(hub, gate, clock, "obama")
    said = {k: order[k] for k in ("order", "subject", "deployment", "reason")}
    hub.pull(fetch(hub, device_id), order["cursor"], [said | {"templates_left": 1}])
    assert not is_acked(hub, device_id, order["order"])
    assert device_id in hub.unconfirmed_shreds(bound=timedelta(0))  # the device still holds it: counted as held
    hub.pull(fetch(hub, device_id), order["cursor"], [said | {"templates_left": 0}])
    assert is_acked(hub, device_id, order["order"])
    assert device_id not in hub.unconfirmed_shreds(bound=timedelta(0))


def test_an_acknowledgement_recorded_over_the_broker_while_a_pull_carries_it_is_recorded_once(
    hub: Hub, gate: Gate, clock: Clock
) -> None:
    # A device that acknowledged on the broker and, missing a notice, pulls with the same acknowledgement: the
    # broker's batch commits while the pull is between its look and its write. The pull answers; one row stays.
    _, device_id, order = shred_pending(hub, gate, clock, "obama")
    said = {k: order[k] for k in ("order", "subject", "deployment", "reason")} | {"templates_left": 0}
    row = {"device_id": device_id, "order_idx": order["order"], "subject_id": "obama", "deployment_id": OFFICE,
           "device_event_id": None, "acked_at": clock.now}  # fmt: skip
    with ThreadPoolExecutor(1) as pool, hub.db.session() as broker:
        broker.execute(insert(ShredAckRow), [row])  # the broker's batch, not yet committed
        pulled = pool.submit(hub.pull, fetch(hub, device_id), order["cursor"], [said])
        done, _ = wait([pulled], timeout=1)
        assert not done  # the pull waits for the batch's row
    assert pulled.result()["device"] == device_id
    with hub.db.session(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(ShredAckRow)) == 1
    assert device_id not in hub.unconfirmed_shreds(bound=timedelta(0))


def test_in_a_large_batch_each_signature_is_checked_against_its_own_message(hub: Hub, gate: Gate, clock: Clock) -> None:
    # A batch past receipts.CHECKS_PER_THREAD is checked on several threads: a forgery anywhere in it is found,
    # and only it.
    key, device_id, order = shred_pending(hub, gate, clock, "obama")
    messages = [ack(hub, key, device_id, order) for _ in range(3 * receipts.CHECKS_PER_THREAD + 1)]
    forged_at = len(messages) // 2 + 1
    messages[forged_at] = ack(hub, SigningKey.generate(), device_id, order)
    counts = receipts.record(hub, messages)
    assert counts == {"recorded": len(messages) - 1, "forged": 1, "replayed": 0, "refused": 0}
    assert is_acked(hub, device_id, order["order"])
