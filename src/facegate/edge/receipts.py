"""Acknowledgements over the broker: a device that applied a notice's shreds tells its hub so on MQTT, signed.

A device publishes `{"ack": body, "signature"}` to `facegate/<hub>/acks/<device>`: the body names the device, the
shred orders it applied with the templates left (0), its cursor, a nonce and the time, signed with its request key.
The hub reads them through a shared subscription (`$share/facegate-hubs/...`: replicas of one hub split the
acknowledgements; MQTT 5's, which Mosquitto also grants to the MQTT 3.1.1 client used here: paho's MQTT 5 properties
are about a quarter of its cost of reading a message), checks each signature against the device's registered
key, refuses a time more than 5 minutes from its own and a nonce it has seen (the nonces of signed requests:
`edge_nonce`), audits a replay (`device.replay`), and records a batch in one transaction (`edge_shred_ack`, the
device's last contact). A message not signed by the device's key is dropped and logged, not audited (anyone on the
broker could fill the log).
The HTTPS acknowledgement (in a pull) stays for a device without its broker.
"""

import asyncio
import base64
import json
import logging
import os
import queue
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import any_, bindparam, cast, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

from facegate.audit import Event
from facegate.audit.keys import SigningKey, VerifyingKey
from facegate.edge import signing
from facegate.edge.models import DeviceRow, NonceRow, ShredAckRow
from facegate.events import Op

if TYPE_CHECKING:
    from facegate.edge.device import Device
    from facegate.edge.hub import Hub
    from facegate.edge.notices import Broker

log = logging.getLogger("facegate.edge")
GROUP = "facegate-hubs"  # the shared subscription's group: each acknowledgement goes to one replica
GATHER_SECONDS = 0.02  # how long the hub lets acknowledgements gather before recording a batch
BATCH = 1000  # acknowledgements recorded per transaction at most (a smaller batch commits its first ones sooner)
PER_MESSAGE = 2000  # shred orders one acknowledgement may carry
CHECKS_PER_THREAD = 100  # a batch's signatures are checked by one thread per this many (up to one per core)
RETRY_SECONDS = 5.0


def topic(hub_pem: str, device_id: str) -> str:
    """Where a device publishes its acknowledgements."""
    return f"facegate/{signing.fingerprint(hub_pem)[:16]}/acks/{device_id}"


def subscription(hub_pem: str) -> str:
    """The hub's shared subscription to every device's acknowledgements."""
    return f"$share/{GROUP}/facegate/{signing.fingerprint(hub_pem)[:16]}/acks/+"


def message(body: bytes) -> bytes:
    """What a device signs for one acknowledgement."""
    return b"facegate-edge-ack-v1\n" + body


def make_ack(key: SigningKey, device_id: str, acks: list[dict[str, Any]], cursor: int, at: datetime) -> bytes:
    """A signed acknowledgement of shred orders applied."""
    body = json.dumps(
        {"device": device_id, "acks": acks[:PER_MESSAGE], "cursor": cursor, "nonce": secrets.token_hex(16),
         "at": at.isoformat()},
        separators=(",", ":"),
    ).encode()  # fmt: skip
    signature = base64.b64encode(key.sign(message(body))).decode()
    return json.dumps({"ack": body.decode(), "signature": signature}, separators=(",", ":")).encode()


def device_ack(device: "Device", acks: list[dict[str, Any]]) -> tuple[str, bytes]:
    """The topic and signed payload of this device's acknowledgement of `acks`."""
    link = device.link()
    if link is None:
        raise LookupError("not paired")
    payload = make_ack(device.key, link.device_id, acks, link.applied, device.gate.clock())
    return topic(link.hub_key, link.device_id), payload


@lru_cache(maxsize=65536)
def _key(pem: str) -> VerifyingKey:
    return signing.public_key(pem)


def confirmed(device_id: str, ack: dict[str, Any]) -> tuple[int, str] | None:
    """The shred order and subject one acknowledgement confirms; None while it names templates left (the order stays
    pending and the hub keeps counting them). ValueError when it does not name its order and subject."""
    try:
        order, subject, left = int(ack["order"]), str(ack["subject"]), int(ack.get("templates_left") or 0)
    except (KeyError, TypeError, ValueError, OverflowError):
        raise ValueError("an acknowledgement names its order and subject") from None
    if left:
        log.warning("device %s still holds %d template(s) after order %d", device_id, left, order)
        return None
    return order, subject[:64]


def _signed(items: list[tuple[Any, bytes, bytes]]) -> list[bool]:
    """Whether each (device row or None, body, signature) is signed by the device's key. A large batch is split
    over the cores: the check, most of an acknowledgement's cost, runs outside the GIL."""
    parts = min(os.cpu_count() or 1, len(items) // CHECKS_PER_THREAD)
    if parts < 2:
        return _check(items)
    out: list[bool] = [False] * len(items)
    for k, checked in enumerate(_checkers().map(_check, [items[k::parts] for k in range(parts)])):
        out[k::parts] = checked
    return out


@cache
def _checkers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(os.cpu_count(), thread_name_prefix="facegate-ack-check")


def _check(items: list[tuple[Any, bytes, bytes]]) -> list[bool]:
    return [row is not None and _key(row.device_key).verify(signature, message(body)) for row, body, signature in items]


def _parse(name: str, payload: bytes) -> tuple[str, bytes, bytes, dict[str, Any]] | None:
    device_id = name.rsplit("/", 1)[-1]
    try:
        outer = json.loads(payload)
        body = str(outer["ack"]).encode()
        signature = base64.b64decode(outer["signature"], validate=True)
        data = json.loads(body)
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("device") != device_id:
        return None
    return device_id, body, signature, data


def record(hub: "Hub", messages: list[tuple[str, bytes]]) -> dict[str, int]:
    """Check a batch of acknowledgements (topic, payload) and record the good ones in one transaction; counts."""
    counts = {"recorded": 0, "forged": 0, "replayed": 0, "refused": 0}
    parsed = []
    for name, payload in messages:
        item = _parse(name, payload)
        if item is None:
            counts["forged"] += 1
        else:
            parsed.append(item)
    now = hub.clock()
    with hub.db.session() as session:
        table = DeviceRow.__table__
        ids = sorted({p[0] for p in parsed})
        wanted = select(table.c.id, table.c.device_key, table.c.status).where(_among(session, table.c.id, ids))
        rows = {r.id: r for r in session.execute(wanted).all()} if ids else {}
        good, seen = [], set()
        signed = _signed([(rows.get(device_id), body, signature) for device_id, body, signature, _ in parsed])
        for (device_id, _, _, data), authentic in zip(parsed, signed, strict=True):
            row = rows.get(device_id)
            if row is None or not authentic:
                counts["forged"] += 1
                continue
            try:
                nonce, at = str(data["nonce"])[:64], datetime.fromisoformat(str(data["at"]))
                acks = [a for a in data["acks"][:PER_MESSAGE] if isinstance(a, dict)]
                late = abs((now - at).total_seconds()) > signing.MAX_SKEW_SECONDS
            except (KeyError, TypeError, ValueError):
                counts["refused"] += 1
                continue
            if late or row.status != "active" or (device_id, nonce) in seen:
                counts["refused" if late or row.status != "active" else "replayed"] += 1
                if (device_id, nonce) in seen:
                    _audit_replay(hub, session, device_id)
                continue
            seen.add((device_id, nonce))
            good.append((device_id, nonce, acks))
        if not good:
            return counts
        nonces = NonceRow.__table__
        fresh = set(
            _insert_new(
                session, nonces, [{"device_id": d, "nonce": n, "seen_at": now} for d, n, _ in good],
                (nonces.c.device_id, nonces.c.nonce),
            )
        )  # fmt: skip
        orders, contacts, now = [], set(), hub.clock()  # recorded now, after the checks
        for device_id, nonce, acks in good:
            if (device_id, nonce) not in fresh:
                counts["replayed"] += 1
                _audit_replay(hub, session, device_id)
                continue
            contacts.add(device_id)
            counts["recorded"] += 1
            for ack in acks:
                try:
                    done = confirmed(device_id, ack)
                except ValueError:
                    continue
                if done is None:
                    continue
                order, subject = done
                orders.append({
                    "device_id": device_id, "order_idx": order, "subject_id": subject,
                    "deployment_id": ack.get("deployment"), "device_event_id": None, "acked_at": now,
                })  # fmt: skip
        store(session, orders)
        if contacts:
            seen_now = update(DeviceRow).where(_among(session, DeviceRow.id, sorted(contacts))).values(last_seen_at=now)
            session.connection().execute(seen_now)
    return counts


def store(session: Any, orders: list[dict[str, Any]]) -> None:
    """Record confirmed shred orders in `session`; one recorded already stays as it was (a device that acknowledged
    on the broker may carry the same acknowledgement in a pull, and both may be written at once)."""
    if orders:
        _insert_new(session, ShredAckRow.__table__, orders)


# A batch of a thousand acknowledgements on PostgreSQL: one statement over arrays (unnest, `= ANY`) whose text does
# not grow with the batch. A statement per row, or one with a placeholder per value, costs the hub several times
# the statement itself (psycopg parses each new statement text again).


def _array(values: list[Any], column: Any) -> Any:
    return cast(bindparam(None, values, type_=ARRAY(column.type), unique=True), ARRAY(column.type))


def _among(session: Any, column: Any, values: list[Any]) -> Any:
    """`column IN values`; `= ANY` one array on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(_array(values, column))
    return column.in_(values)


def _insert_new(session: Any, table: Any, rows: list[dict[str, Any]], returning: tuple[Any, ...] = ()) -> list[Any]:
    """Insert `rows` (each with the same keys) but those whose key is there already; the `returning` columns of the
    rows inserted."""
    if session.get_bind().dialect.name == "postgresql":
        names = list(rows[0])
        arrays = select(*(func.unnest(_array([r[n] for r in rows], table.c[n])) for n in names))
        statement: Any = postgresql.insert(table).from_select(names, arrays).on_conflict_do_nothing()
        params: list[dict[str, Any]] | None = None
    else:
        statement, params = sqlite.insert(table).on_conflict_do_nothing(), rows
    if returning:
        return list(session.connection().execute(statement.returning(*returning), params).all())
    session.connection().execute(statement, params)
    return []


def _audit_replay(hub: "Hub", session: Any, device_id: str) -> None:
    event = Event(
        actor=f"device:{device_id}", operation=Op.DEVICE_REPLAY, decision="refuse", outcome="refused",
        rule_ids=["CN25-9c"], request_id=device_id,
    )  # fmt: skip
    hub.parts.writer.append(session, event)


async def run_hub(hub: "Hub", broker: "Broker") -> None:
    """The hub's acknowledgement loop, until cancelled: an MQTT client's own thread reads the shared subscription
    (off the server's event loop) and another thread records what gathered in one transaction."""
    inbox: queue.SimpleQueue[tuple[str, bytes] | None] = queue.SimpleQueue()
    client = broker.threaded(f"facegate-hub-acks-{secrets.token_hex(4)}", subscription(hub.key.public.pem()))
    client.on_message = lambda _client, _userdata, item: inbox.put((str(item.topic), bytes(item.payload)))
    recorder = threading.Thread(target=_record_loop, args=(hub, inbox), name="facegate-acks", daemon=True)
    recorder.start()
    client.loop_start()
    try:
        await asyncio.Event().wait()
    finally:
        client.disconnect()
        inbox.put(None)
        await asyncio.to_thread(client.loop_stop)
        await asyncio.to_thread(recorder.join)


def _record_loop(hub: "Hub", inbox: "queue.SimpleQueue[tuple[str, bytes] | None]") -> None:
    """Record the acknowledgements as they come, in batches of at most BATCH, until None comes: a batch is what
    waits, or when nothing does, what gathers in GATHER_SECONDS."""
    while (first := inbox.get()) is not None:
        if inbox.empty():  # the first of a burst: let the rest gather (with a backlog, no wait: it would add up)
            time.sleep(GATHER_SECONDS)
        batch, last = [first], False
        while len(batch) < BATCH and not inbox.empty():
            item = inbox.get()
            if item is None:
                last = True
                break
            batch.append(item)
        try:
            counts = record(hub, batch)
        except Exception as exc:  # the loop must go on; the devices' hourly pulls acknowledge again
            log.error("recording %d acknowledgements failed: %s", len(batch), type(exc).__name__)
        else:
            if counts["forged"] or counts["replayed"] or counts["refused"]:
                log.warning("acknowledgements refused: %s", counts)
        if last:
            return
