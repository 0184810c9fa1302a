"""Change notices over MQTT: the hub tells its devices at once what changed, and carries the changes.

The hub publishes, for each batch of new changes, a notice to the topics they concern: a deployment's
(`facegate/<hub>/deployment/<id>`: a standing, a withdrawal, the deployment itself), everyone's
(`facegate/<hub>/all`: a deletion) or one device's (`facegate/<hub>/device/<id>`: a suspension, an unpair, a loss).
A notice holds the topic, the hub's change cursor, the time, `prev` (from which cursor on it holds every change of
its topic) and the changes themselves in the shape of a pull's answer (`feed`; None for a device's own topic, a
deployment's spec, or past NOTICE_LIMIT bytes: then devices pull), signed with the hub key. Subjects travel under
their pseudonymous IDs; nothing biometric. It is published retained with QoS 1. On PostgreSQL the hub hears of each
new change at its commit (facegate.store.watch) and looks at the feed only every HEARD_WATCH_SECONDS otherwise; on
SQLite, or while it does not hear, it looks every WATCH_SECONDS.

A device subscribes to its topics and checks each notice against the hub key it pinned at pairing. A notice whose
`prev` it has reached on that topic is applied as a pull's answer would be, and its shreds acknowledged over the
broker (facegate.edge.receipts); a gap, a notice without changes, or a failure makes it pull the signed changes over
HTTPS as before. A forged notice is dropped; a replayed one does nothing. While the broker cannot be reached the
device polls every `--sync-every` seconds; while it is connected it still polls every `--poll-every` seconds
(default an hour), in case a notice is lost. A device paired again (another hub key, device ID or deployments)
subscribes afresh within RELINK_SECONDS, and pulls as at any (re)connection.
"""

import asyncio
import base64
import contextlib
import json
import logging
import secrets
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facegate.audit.keys import SigningKey, VerifyingKey
from facegate.changes import Change, ChangeRow
from facegate.edge import receipts, signing
from facegate.edge.standing import standings
from facegate.errors import InputError

if TYPE_CHECKING:
    import aiomqtt
    import paho.mqtt.client as paho

    from facegate.edge.device import Device
    from facegate.edge.hub import Hub

log = logging.getLogger("facegate.edge")
WATCH_SECONDS = 0.25  # how often the hub looks for new changes when nothing tells it of them
HEARD_WATCH_SECONDS = 2.0  # how often it looks while PostgreSQL's notifications tell it (in case one is missed)
RETRY_SECONDS = 5.0  # a broken broker connection is tried again after this
RELINK_SECONDS = 15.0  # how often a listening device looks whether its pairing changed (paired again, deployments)
KEEPALIVE_SECONDS = 30  # MQTT keepalive: a dead connection is noticed within about 1.5 times this
BATCH = 10_000  # changes looked at per round of the hub's watch
NOTICE_LIMIT = 32 * 1024  # bytes of changes a notice carries at most; past that it carries none and devices pull


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

    def threaded(self, identifier: str, topic: str) -> "paho.Client":
        """An MQTT client for this broker that reads `topic` on a thread of its own once `loop_start()` is called,
        connecting again (and subscribing again) whenever the connection is lost.

        It subscribes at QoS 0: what the broker sends it is not held back by a window of unacknowledged messages, nor
        dropped when more than the broker queues for one client wait behind that window (Mosquitto's default: 1,000,
        which a fleet's burst of acknowledgements at QoS 1 overflowed). The session is not kept across connections
        either way; a message lost with the connection is made good by the sender (a device's next pull, which takes
        the order again from its cursor)."""
        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion

        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=identifier)
        if self.username is not None:
            client.username_pw_set(self.username, self.password)
        if self.tls:
            client.tls_set_context(ssl.create_default_context(cafile=self.ca_file))
        client.reconnect_delay_set(1, int(RETRY_SECONDS))

        def connected(_client: Any, _userdata: Any, _flags: Any, reason: Any, _properties: Any) -> None:
            if reason.is_failure:
                log.warning("the broker at %s:%s refused %s: %s", self.host, self.port, identifier, reason)
                return
            log.info("reading %s from %s:%s", topic, self.host, self.port)
            client.subscribe(topic, qos=0)

        def lost(_client: Any, _userdata: Any, _flags: Any, reason: Any, _properties: Any) -> None:
            if reason.is_failure:
                log.warning("the broker at %s:%s: %s; %s connects again", self.host, self.port, reason, identifier)

        client.on_connect, client.on_disconnect = connected, lost
        client.connect_async(self.host, self.port, keepalive=KEEPALIVE_SECONDS)
        return client


def prefix(hub_pem: str) -> str:
    """The topic prefix of one hub: its key's fingerprint, shortened (topics of two hubs on one broker differ)."""
    return f"facegate/{signing.fingerprint(hub_pem)[:16]}"


def device_topics(hub_pem: str, deployments: Iterable[str], device_id: str) -> list[str]:
    """The topics a device subscribes to."""
    base = prefix(hub_pem)
    return [f"{base}/all", f"{base}/device/{device_id}", *(f"{base}/deployment/{d}" for d in sorted(deployments))]


@dataclass(frozen=True)
class Notice:
    """A notice the hub signed: its topic; the cursor it brings a device to; `prev`, from which it holds every change
    of its topic (a device that has applied its topic up to `prev` or further can apply `feed` and be at `cursor`);
    the changes themselves (`feed`, the shape of a pull's answer) or None when the device must pull."""

    topic: str
    cursor: int
    prev: int | None = None
    at: str = ""
    feed: dict[str, Any] | None = None


def notice_message(body: bytes) -> bytes:
    """What the hub signs for one notice."""
    return b"facegate-edge-notice-v2\n" + body


def make_notice(
    key: SigningKey, topic: str, cursor: int, at: datetime, prev: int | None = None,
    feed: dict[str, Any] | None = None,
) -> bytes:  # fmt: skip
    """A signed notice: the topic, the cursor, the time, and the topic's changes since `prev` when they travel."""
    body = json.dumps(
        {"topic": topic, "cursor": cursor, "prev": prev, "at": at.isoformat(), "feed": feed}, separators=(",", ":")
    ).encode()
    signature = base64.b64encode(key.sign(notice_message(body))).decode()
    return json.dumps({"notice": body.decode(), "signature": signature}, separators=(",", ":")).encode()


def open_notice(key: VerifyingKey, topic: str, payload: bytes) -> Notice | None:
    """The notice the hub signed for this topic; None for anything else."""
    try:
        outer = json.loads(payload)
        body = str(outer["notice"]).encode()
        signature = base64.b64decode(outer["signature"], validate=True)
    except (ValueError, KeyError, TypeError):
        return None
    if not key.verify(signature, notice_message(body)):
        return None
    try:
        data = json.loads(body)
        prev, feed = data.get("prev"), data.get("feed")
        notice = Notice(
            str(data["topic"]), int(data["cursor"]), None if prev is None else int(prev), str(data["at"]),
            feed if isinstance(feed, dict) else None,
        )  # fmt: skip
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return notice if notice.topic == topic else None


def topic_of(base: str, change: ChangeRow) -> str | None:
    """The topic a change concerns (None: none a device follows)."""
    kind = change.change
    if kind is Change.DELETION:
        return f"{base}/all"
    if kind is Change.DEVICE:
        return f"{base}/device/{change.device}" if change.device else None
    return f"{base}/deployment/{change.deployment}" if change.deployment else None


def topics_of(hub_pem: str, changes: Iterable[ChangeRow]) -> set[str]:
    """The topics a batch of changes concerns."""
    base = prefix(hub_pem)
    return {t for t in (topic_of(base, c) for c in changes) if t is not None}


def carried(session: Session, base: str, topic: str, changes: list[ChangeRow]) -> dict[str, Any] | None:
    """The changes of one topic as a device applies them (the shape of a pull's answer), or None when the devices
    must pull instead: a device's own status (a wipe order travels only in a pull), a deployment's spec, or more
    than NOTICE_LIMIT bytes. Nothing biometric: subjects travel under their pseudonymous IDs, as in a pull."""
    if topic.startswith(f"{base}/device/") or any(c.change is Change.DEPLOYMENT for c in changes):
        return None
    deployment = topic.removeprefix(f"{base}/deployment/") if topic.startswith(f"{base}/deployment/") else None
    subjects: set[str] = set()
    deleted: set[str] = set()
    shred: list[dict[str, Any]] = []
    for change in changes:
        if change.subject is None:
            continue
        if change.change is Change.DELETION:
            deleted.add(change.subject)
            shred.append({"order": change.idx, "subject": change.subject, "deployment": None, "reason": change.op})
        elif change.change in (Change.STANDING, Change.WITHDRAWAL) and deployment is not None:
            subjects.add(change.subject)
            if change.change is Change.WITHDRAWAL:
                shred.append(
                    {"order": change.idx, "subject": change.subject, "deployment": deployment, "reason": change.op}
                )  # fmt: skip
    found = standings(session, [deployment], subjects - deleted) if deployment and subjects - deleted else []
    if not all(discreet(standing) for standing in found):
        return None
    feed = {"deployments": [], "subjects": found, "deleted": sorted(deleted), "shred": shred}
    return feed if len(json.dumps(feed, separators=(",", ":"))) <= NOTICE_LIMIT else None


def discreet(standing: dict[str, Any]) -> bool:
    """Whether a subject's standing may cross the broker: no birth date, no guardian or evidence reference (the
    broker, and every device of the deployment, would read them); when it holds one, the devices pull it."""
    if standing.get("birth_date") or standing.get("guardian_ref"):
        return False
    consents = [c for d in (standing.get("deployments") or {}).values() for c in d.get("consents") or []]
    return not any(c.get("guardian_ref") or c.get("evidence_ref") for c in consents)


# ---- the hub ----


def feed_end(hub: "Hub") -> int:
    """One past the last change recorded (0 when none)."""
    with hub.db.session(readonly=True) as session:
        last = session.scalar(select(func.max(ChangeRow.idx)))
    return 0 if last is None else int(last) + 1


def new_notices(hub: "Hub", since: int, prevs: dict[str, int]) -> tuple[list[tuple[str, bytes]], int]:
    """The signed notices for the changes from `since`, and the cursor after them. `prevs` holds each topic's last
    notice's cursor (a topic not in it had no change from `since` on): each notice holds its topic's changes since
    then, and names that cursor as its `prev`."""
    base = prefix(hub.key.public.pem())
    with hub.db.session(readonly=True) as session:
        changes = session.scalars(
            select(ChangeRow).where(ChangeRow.idx >= since).order_by(ChangeRow.idx).limit(BATCH)
        ).all()
        if not changes:
            return [], since
        cursor = changes[-1].idx + 1
        by_topic: dict[str, list[ChangeRow]] = {}
        for change in changes:
            topic = topic_of(base, change)
            if topic is not None:
                by_topic.setdefault(topic, []).append(change)
        feeds = {topic: carried(session, base, topic, rows) for topic, rows in by_topic.items()}
    now, out = hub.clock(), []
    for topic in sorted(feeds):
        out.append((topic, make_notice(hub.key, topic, cursor, now, prevs.get(topic, since), feeds[topic])))
        prevs[topic] = cursor
    return out, cursor


def start_notice(hub: "Hub", since: int) -> tuple[str, bytes]:
    """The notice a hub process publishes once when it starts (on everyone's topic, without changes, at the feed's
    end): a device whose cursor is before it pulls, so what was recorded while no hub process published reaches it."""
    topic = f"{prefix(hub.key.public.pem())}/all"
    return topic, make_notice(hub.key, topic, since, hub.clock())


async def run_hub(hub: "Hub", broker: Broker) -> None:
    """The hub's notice loop: watch the change feed, publish a notice per topic for each batch of new changes.

    Every database read runs in a worker thread: nothing here blocks the server's event loop.
    """
    logging.getLogger("aiomqtt").setLevel(logging.WARNING)
    since = await asyncio.to_thread(feed_end, hub)
    prevs: dict[str, int] = {}  # each topic's last notice's cursor; from `since` on, this process saw every change
    acks = asyncio.create_task(receipts.run_hub(hub, broker))
    try:
        await _publish(hub, broker, since, prevs)
    finally:
        await stop(acks)


async def _publish(hub: "Hub", broker: Broker, since: int, prevs: dict[str, int]) -> None:
    import aiomqtt

    started = since > 0  # the start notice is still to be published (nothing to pull on an empty feed)

    loop, woken = asyncio.get_running_loop(), asyncio.Event()

    def wake() -> None:
        loop.call_soon_threadsafe(woken.set)

    cancel = hub.db.on_change(wake)
    try:
        while True:
            try:
                async with broker.client(f"facegate-hub-{secrets.token_hex(4)}") as client:
                    log.info("publishing change notices to %s:%s", broker.host, broker.port)
                    if started:  # changes made while no hub process published: every device behind pulls
                        topic, payload = await asyncio.to_thread(start_notice, hub, since)
                        await client.publish(topic, payload, qos=1, retain=True)
                        started = False
                    while True:
                        woken.clear()  # before the read: a change committed after it wakes the wait below
                        notices, after = await asyncio.to_thread(new_notices, hub, since, prevs)
                        for topic, payload in notices:
                            await client.publish(topic, payload, qos=1, retain=True)
                        since = after
                        if not notices:
                            every = HEARD_WATCH_SECONDS if hub.db.hearing() else WATCH_SECONDS
                            with contextlib.suppress(TimeoutError):
                                await asyncio.wait_for(woken.wait(), every)
            except aiomqtt.MqttError as exc:
                log.warning("the broker at %s:%s: %s; notices resume when it answers", broker.host, broker.port, exc)
            except Exception as exc:  # the loop must go on (a database hiccup)
                log.error("the notice loop failed: %s", type(exc).__name__)
            await asyncio.sleep(RETRY_SECONDS)
    finally:
        if cancel is not None:
            cancel()


# ---- a device ----


@dataclass
class Listening:
    """A device's view of its notices: whether its broker connection is up (and the client, to send
    acknowledgements), the newest cursor heard, how far its last pull applied everything (`applied`), how far it
    has each topic (`topics`: past `applied` by the notices it applied), the notices waiting to be applied, and
    whether it must pull (a gap, a notice without its changes, or a failure)."""

    connected: bool = False
    heard: int = 0
    applied: int = 0
    topics: dict[str, int] = field(default_factory=dict)
    waiting: list[Notice] = field(default_factory=list)
    pull: bool = False
    client: Any = None

    def at(self, topic: str) -> int:
        """How far the device has this topic's changes."""
        return max(self.topics.get(topic, 0), self.applied)

    def take(self, notice: Notice) -> str:
        """What a genuine notice asks of the device: "skip" (nothing new), "apply" (it holds every change of its
        topic the device lacks: queued, and the topic counted as had) or "pull" (a gap, or no changes carried)."""
        if notice.cursor <= self.at(notice.topic):
            return "skip"
        if notice.feed is None or notice.prev is None or notice.prev > self.at(notice.topic):
            self.pull = True
            return "pull"
        self.waiting.append(notice)
        self.topics[notice.topic] = notice.cursor
        return "apply"

    def pulled(self, cursor: int) -> None:
        """A pull brought every topic to `cursor`."""
        self.applied, self.pull = max(self.applied, cursor), False

    def failed(self) -> None:
        """Applying a notice failed: forget what the notices brought, pull."""
        self.topics.clear()
        self.waiting.clear()
        self.pull = True


async def run_device(device: "Device", broker: Broker, wake: asyncio.Event, state: Listening) -> None:
    """A device's notice loop: subscribe to its topics; for each genuine notice past its cursor, queue its changes
    for the sync loop (or ask it to pull) and wake it.

    On (re)connection the sync loop is woken once as well (a notice may have gone by while it was away).
    """
    import aiomqtt

    logging.getLogger("aiomqtt").setLevel(logging.WARNING)
    while True:
        link = await asyncio.to_thread(device.link)
        if link is None or link.status not in ("active", "suspended"):  # a suspended device pulls what it owes
            await asyncio.sleep(RETRY_SECONDS)
            continue
        key = signing.public_key(link.hub_key)
        topics = device_topics(link.hub_key, [d for d in link.deployments.split(",") if d], link.device_id)
        try:
            async with broker.client(f"facegate-{link.device_id}") as client:
                for topic in topics:
                    await client.subscribe(topic, qos=1)
                state.connected, state.client, state.pull = True, client, True
                wake.set()
                messages = aiter(client.messages)
                while True:
                    try:
                        message = await asyncio.wait_for(anext(messages), RELINK_SECONDS)
                    except TimeoutError:
                        if _pairing(await asyncio.to_thread(device.link)) != _pairing(link):
                            break  # paired again or other deployments: subscribe to the new pairing's topics
                        continue
                    except StopAsyncIteration:
                        break
                    notice = open_notice(key, str(message.topic), _bytes(message.payload))
                    if notice is None:
                        log.warning("a notice not signed by the hub was dropped")
                        continue
                    state.heard = max(state.heard, notice.cursor)
                    if state.take(notice) != "skip":
                        wake.set()
        except aiomqtt.MqttError as exc:
            if state.connected:
                log.warning("lost the broker (%s): polling every --sync-every seconds", exc)
        finally:
            state.connected, state.client = False, None
        await asyncio.sleep(RETRY_SECONDS)


def _pairing(link: Any) -> tuple[str, ...] | None:
    """What a device's subscription depends on: its ID, the hub key it pinned, its deployments, its standing."""
    return None if link is None else (link.device_id, link.hub_key, link.deployments, link.status)


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
