"""Change notices over MQTT: the hub tells its devices at once that there is something to pull.

The hub publishes, for each batch of new changes, a small notice to the topics they concern: a deployment's
(`facegate/<hub>/deployment/<id>`: a standing, a withdrawal, the deployment itself), everyone's
(`facegate/<hub>/all`: a deletion) or one device's (`facegate/<hub>/device/<id>`: a suspension, an unpair, a loss).
A notice holds the topic, the hub's change cursor and the time, signed with the hub key: no subject, nothing
biometric. It is published retained with QoS 1, so a device that (re)connects gets the latest one at once.

A device subscribes to its topics, checks each notice against the hub key it pinned at pairing and, when the cursor
is past what it applied, wakes its sync loop, which pulls the signed changes over HTTPS as before. A forged notice
is dropped; a replayed one only causes a pull. While the broker cannot be reached the device polls every
`--sync-every` seconds; while it is connected it still polls every `--poll-every` seconds (default an hour), in
case a notice is lost.
"""

import asyncio
import base64
import contextlib
import json
import logging
import secrets
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, select

from facegate.audit.keys import SigningKey, VerifyingKey
from facegate.changes import Change, ChangeRow
from facegate.edge import signing
from facegate.errors import InputError

if TYPE_CHECKING:
    import aiomqtt

    from facegate.edge.device import Device
    from facegate.edge.hub import Hub

log = logging.getLogger("facegate.edge")
WATCH_SECONDS = 0.25  # how often the hub looks for new changes (one indexed read of the feed's last index)
RETRY_SECONDS = 5.0  # a broken broker connection is tried again after this
KEEPALIVE_SECONDS = 30  # MQTT keepalive: a dead connection is noticed within about 1.5 times this
BATCH = 10_000  # changes looked at per round of the hub's watch


@dataclass(frozen=True)
class Broker:
    """Where the MQTT broker is: `mqtt://host:1883` or `mqtts://host:8883`, optionally with user:password@."""

    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None

    @classmethod
    def from_url(cls, url: str, ca_file: str | None = None) -> "Broker":
        """The broker a URL names, or InputError."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise InputError(f"{url!r} is not a broker address such as mqtt://127.0.0.1:1883 or mqtts://host:8883")
        tls = parts.scheme == "mqtts"
        return cls(
            parts.hostname, parts.port or (8883 if tls else 1883), tls,
            unquote(parts.username) if parts.username else None, unquote(parts.password) if parts.password else None,
            ca_file,
        )  # fmt: skip

    def client(self, identifier: str) -> "aiomqtt.Client":
        """An MQTT client for this broker (connects on `async with`)."""
        import aiomqtt  # imported when a broker is configured: a node without one never loads it

        context = ssl.create_default_context(cafile=self.ca_file) if self.tls else None
        return aiomqtt.Client(
            self.host, self.port, identifier=identifier, username=self.username, password=self.password,
            tls_context=context, keepalive=KEEPALIVE_SECONDS, timeout=10,
        )  # fmt: skip


def prefix(hub_pem: str) -> str:
    """The topic prefix of one hub: its key's fingerprint, shortened (topics of two hubs on one broker differ)."""
    return f"facegate/{signing.fingerprint(hub_pem)[:16]}"


def device_topics(hub_pem: str, deployments: Iterable[str], device_id: str) -> list[str]:
    """The topics a device subscribes to."""
    base = prefix(hub_pem)
    return [f"{base}/all", f"{base}/device/{device_id}", *(f"{base}/deployment/{d}" for d in sorted(deployments))]


def notice_message(topic: str, cursor: int, at: str) -> bytes:
    """What the hub signs for one notice."""
    return f"facegate-edge-notice-v1\n{topic}\n{cursor}\n{at}".encode()


def make_notice(key: SigningKey, topic: str, cursor: int, at: datetime) -> bytes:
    """A signed notice: the topic, the cursor to pull up to, the time; nothing else."""
    when = at.isoformat()
    signature = base64.b64encode(key.sign(notice_message(topic, cursor, when))).decode()
    return json.dumps({"topic": topic, "cursor": cursor, "at": when, "signature": signature}).encode()


def open_notice(key: VerifyingKey, topic: str, payload: bytes) -> int | None:
    """The cursor of a notice signed by the hub for this topic; None for anything else."""
    try:
        data = json.loads(payload)
        cursor, at = int(data["cursor"]), str(data["at"])
        signature = base64.b64decode(data["signature"], validate=True)
    except (ValueError, KeyError, TypeError):
        return None
    if data.get("topic") != topic or not key.verify(signature, notice_message(topic, cursor, at)):
        return None
    return cursor


def topics_of(hub_pem: str, changes: Iterable[ChangeRow]) -> set[str]:
    """The topics a batch of changes concerns."""
    base, out = prefix(hub_pem), set()
    for change in changes:
        kind = change.change
        if kind is Change.DELETION:
            out.add(f"{base}/all")
        elif kind is Change.DEVICE and change.device:
            out.add(f"{base}/device/{change.device}")
        elif change.deployment:
            out.add(f"{base}/deployment/{change.deployment}")
    return out


# ---- the hub ----


def feed_end(hub: "Hub") -> int:
    """One past the last change recorded (0 when none)."""
    with hub.db.session(readonly=True) as session:
        last = session.scalar(select(func.max(ChangeRow.idx)))
    return 0 if last is None else int(last) + 1


def new_notices(hub: "Hub", since: int) -> tuple[list[tuple[str, bytes]], int]:
    """The signed notices for the changes from `since`, and the cursor after them."""
    with hub.db.session(readonly=True) as session:
        changes = session.scalars(
            select(ChangeRow).where(ChangeRow.idx >= since).order_by(ChangeRow.idx).limit(BATCH)
        ).all()
    if not changes:
        return [], since
    cursor = changes[-1].idx + 1
    now, pem = hub.clock(), hub.key.public.pem()
    return [(topic, make_notice(hub.key, topic, cursor, now)) for topic in sorted(topics_of(pem, changes))], cursor


async def run_hub(hub: "Hub", broker: Broker) -> None:
    """The hub's notice loop: watch the change feed, publish a notice per topic for each batch of new changes.

    Every database read runs in a worker thread: nothing here blocks the server's event loop.
    """
    import aiomqtt

    logging.getLogger("aiomqtt").setLevel(logging.WARNING)
    since = await asyncio.to_thread(feed_end, hub)
    while True:
        try:
            async with broker.client(f"facegate-hub-{secrets.token_hex(4)}") as client:
                log.info("publishing change notices to %s:%s", broker.host, broker.port)
                while True:
                    notices, after = await asyncio.to_thread(new_notices, hub, since)
                    for topic, payload in notices:
                        await client.publish(topic, payload, qos=1, retain=True)
                    since = after
                    if not notices:
                        await asyncio.sleep(WATCH_SECONDS)
        except aiomqtt.MqttError as exc:
            log.warning("the broker at %s:%s: %s; notices resume when it answers", broker.host, broker.port, exc)
        except Exception as exc:  # the loop must go on (a database hiccup)
            log.error("the notice loop failed: %s", type(exc).__name__)
        await asyncio.sleep(RETRY_SECONDS)


# ---- a device ----


@dataclass
class Listening:
    """A device's view of its notices: whether its broker connection is up, the newest cursor heard, and how far
    its sync loop has applied (a notice at or below that wakes nothing)."""

    connected: bool = False
    heard: int = 0
    applied: int = 0


async def run_device(device: "Device", broker: Broker, wake: asyncio.Event, state: Listening) -> None:
    """A device's notice loop: subscribe to its topics, wake the sync loop on each genuine notice past its cursor.

    On (re)connection the sync loop is woken once as well (a notice may have gone by while it was away).
    """
    import aiomqtt

    logging.getLogger("aiomqtt").setLevel(logging.WARNING)
    while True:
        link = await asyncio.to_thread(device.link)
        if link is None or link.status != "active":
            await asyncio.sleep(RETRY_SECONDS)
            continue
        key = signing.public_key(link.hub_key)
        topics = device_topics(link.hub_key, [d for d in link.deployments.split(",") if d], link.device_id)
        try:
            async with broker.client(f"facegate-{link.device_id}") as client:
                for topic in topics:
                    await client.subscribe(topic, qos=1)
                state.connected = True
                wake.set()
                async for message in client.messages:
                    cursor = open_notice(key, str(message.topic), _bytes(message.payload))
                    if cursor is None:
                        log.warning("a notice not signed by the hub was dropped")
                        continue
                    state.heard = max(state.heard, cursor)
                    if cursor > state.applied:
                        wake.set()
        except aiomqtt.MqttError as exc:
            if state.connected:
                log.warning("lost the broker (%s): polling every --sync-every seconds", exc)
        finally:
            state.connected = False
        await asyncio.sleep(RETRY_SECONDS)


def _bytes(payload: Any) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return str(payload).encode()


async def stop(task: "asyncio.Task[None] | None") -> None:
    """Cancel a notice loop and wait for it (its connection is closed on the way out)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
