"""A hub and its fleet: N simulated devices (asyncio, one process) on MQTT change notices against one `facegate
serve` hub on PostgreSQL, with a polling fleet measured in the same run as the baseline.

    .venv/bin/python bench/hub.py [--devices 1000] [--idle 30] [--poll-every 3600] [--baseline-devices 200]
                                  [--baseline-every 5] [--round 100] [--broker mqtt://127.0.0.1:1883]
                                  [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A fresh PostgreSQL database and data directory; `hq-lobby` registered on a hub; the devices' rows inserted in one
transaction with real Ed25519 keys (setup, not timed). The hub runs as a real `facegate serve` (one engine worker,
FACEGATE_BROKER_URL set, so it publishes change notices and reads acknowledgements) on a loopback port; the broker
is the machine's Mosquitto. Each simulated device holds one MQTT connection subscribed to its three topics (a
minimal MQTT 3.1.1 client, an asyncio protocol with no task per device, so that 10,000 of them fit in one process).
On each notice past its cursor it checks the notice's Ed25519 signature against the hub key itself (every device
verifies the bytes it received: no verification is cached across devices, although they all receive the same
notice). When the notice carries its topic's changes and nothing is missing before them (`prev`), the device takes
them as `facegate.edge.device` does (here: moves its topic cursor; the simulation has no gate, so applying costs it
nothing) and publishes a signed acknowledgement of the shred orders (its own Ed25519 key, a fresh nonce, QoS 1 as a
device does) to `facegate/<hub>/acks/<device>`; otherwise it makes the real signed pull over HTTP (shared connection
pool), checks the hub's signature of the answer, and acknowledges in a second signed pull. Everything stays on
127.0.0.1; every phase is bounded in time.

Printed: the load average; hub CPU while idle over --idle seconds with every device connected and polling every
--poll-every seconds (random phases); a withdrawal at the hub to the hub's recording of each device's
acknowledgement (from the time the withdrawal's audit entry records to the time the hub stamped on the device's row
in `edge_shred_ack`, after checking it and before its batch is written and committed; p50/p90/p99/max, the share
within 2 s, notices applied as carried and pulls made; then the same to the moment this process saw the row
committed, looking every 0.1 s, and when the devices published their acknowledgements); a round of --round consents
to all devices (time until every device has the deployment's topic up to the last change, and how long the hub took
to make them); and the baseline in the same run: --baseline-devices devices polling every --baseline-every seconds
(hub CPU, the withdrawal's acknowledgement percentiles, taken when the acknowledging pull returns), with the hub CPU
that polling N devices would take, and the ratios. The load generator shares the machine's cores with the hub, the
broker and PostgreSQL.
"""

import argparse
import asyncio
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from databases import postgres_database, postgres_reachable
from sqlalchemy import func, insert, select

from facegate.audit import SigningKey, VerifyingKey
from facegate.changes import ChangeRow
from facegate.edge import notices, receipts, signing
from facegate.edge.models import DeviceRow, ShredAckRow
from facegate.gate import Gate
from facegate.home import choose_node_kind
from facegate.policy import parse_spec

ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENT = "hq-lobby"
PULL = "/api/v1/edge/pull"


# ---- a minimal MQTT 3.1.1 subscriber (QoS 0, no keepalive): one per simulated device ----


def _string(text: str) -> bytes:
    raw = text.encode()
    return len(raw).to_bytes(2, "big") + raw


def _packet(kind: int, body: bytes) -> bytes:
    out, n = bytearray([kind]), len(body)
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out) + body


class Link(asyncio.Protocol):
    """One simulated device's broker connection: connect, subscribe at QoS 0 (`subscribed` is done at the SUBACK),
    then hand each PUBLISH packet's body to `on_publish`, as the bytes come (no task per device)."""

    def __init__(self, client_id: str, topics: list[str], on_publish: Callable[[bytes], None]) -> None:
        self.client_id, self.topics, self.on_publish = client_id, topics, on_publish
        self.subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        connect = _string("MQTT") + bytes([4, 0x02]) + (0).to_bytes(2, "big") + _string(self.client_id)
        self.transport.write(_packet(0x10, connect))  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            n, mul, at = 0, 1, 1
            while at < len(self.buffer):
                byte = self.buffer[at]
                n, mul, at = n + (byte & 127) * mul, mul * 128, at + 1
                if not byte & 128:
                    break
            else:
                return  # the length is not all here yet
            if len(self.buffer) < at + n:
                return
            kind, body = self.buffer[0] >> 4, bytes(self.buffer[at : at + n])
            del self.buffer[: at + n]
            if kind == 3:
                self.on_publish(body)
            elif kind == 2 and body[1] != 0:
                self.subscribed.set_exception(RuntimeError("the broker refused the connection"))
            elif kind == 2:
                subscribe = (1).to_bytes(2, "big") + b"".join(_string(t) + b"\x00" for t in self.topics)
                self.transport.write(_packet(0x82, subscribe))  # type: ignore[union-attr]
            elif kind == 9 and not self.subscribed.done():
                self.subscribed.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.subscribed.done():
            self.subscribed.set_exception(exc or ConnectionError("the broker closed the connection"))


# ---- a simulated device ----


@dataclass
class Sim:
    """A device as its hub and broker see it."""

    id: str
    key: SigningKey
    applied: int = 0
    busy: bool = False
    again: bool = False
    acked: dict[int, float] = field(default_factory=dict)  # shred order -> when its acknowledgement was taken
    topics: dict[str, int] = field(default_factory=dict)  # how far each topic was applied from notices
    writer: asyncio.Transport | None = None  # its broker connection, to publish acknowledgements
    ack_topic: bytes = b""  # where it publishes them (MQTT-encoded, computed once as a device would)

    def at(self, topic: str) -> int:
        """How far the device has this topic's changes (as facegate.edge.notices.Listening.at)."""
        return max(self.topics.get(topic, 0), self.applied)


@dataclass
class Fleet:
    """The simulated devices and what they share: the hub key, the HTTP pool, counters."""

    hub_key: VerifyingKey
    hub_pem: str
    client: httpx.AsyncClient
    devices: list[Sim]
    failures: list[str] = field(default_factory=list)
    pulls: int = 0
    carried: bool = True  # apply the changes notices carry and acknowledge over the broker (False: always pull)
    applied_from_notices: int = 0
    acks_published: int = 0
    published_at: list[float] = field(default_factory=list)  # when each acknowledgement left its device
    running: set[asyncio.Task[None]] = field(default_factory=set)
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(64))

    async def post(self, device: Sim, body: dict) -> dict:
        raw = json.dumps(body, separators=(",", ":")).encode()
        async with self.slots:  # as many requests in flight as the pool has connections (httpx's pool slows past)
            headers = signing.sign_request(device.key, device.id, "POST", PULL, raw, datetime.now(UTC))
            answer = await self.client.post(PULL, content=raw, headers={**headers, "Content-Type": "application/json"})
        self.pulls += 1
        if answer.status_code != 200:
            raise RuntimeError(f"{answer.status_code} {answer.text[:200]}")
        if not signing.check_answer(
            self.hub_key, device.id, answer.content, answer.headers[signing.HUB_SIGNATURE_HEADER]
        ):
            raise RuntimeError("the answer is not signed by the hub")
        return answer.json()

    async def sync(self, device: Sim) -> None:
        """Pull until up to date, then acknowledge the shreds (as Device.sync does, without the push)."""
        if device.busy:
            device.again = True
            return
        device.busy = True
        try:
            while True:
                device.again = False
                feed = await self.post(device, {"applied": device.applied, "acks": []})
                acks = [{**o, "templates_left": 0} for o in feed["shred"]]
                device.applied = feed["cursor"]
                if acks:
                    await self.post(device, {"applied": device.applied, "acks": acks})
                    now = time.perf_counter()
                    for o in acks:
                        device.acked[o["order"]] = now
                if not (feed["more"] or device.again):
                    return
        except Exception as exc:
            self.failures.append(f"{type(exc).__name__}: {str(exc)[:120]}")
        finally:
            device.busy = False

    def notice(self, device: Sim, body: bytes) -> None:
        """A PUBLISH packet's body for `device`: on a genuine notice past its cursor, apply what it carries and
        acknowledge the shreds over the broker when nothing is missing before it (as facegate.edge.device does), else
        pull."""
        length = int.from_bytes(body[:2], "big")
        topic, payload = body[2 : 2 + length].decode(), body[2 + length :]
        notice = notices.open_notice(self.hub_key, topic, payload)  # each device checks the signature itself
        if notice is None or notice.cursor <= device.at(topic):
            return
        if self.carried and notice.feed is not None and notice.prev is not None and notice.prev <= device.at(topic):
            device.topics[topic] = notice.cursor
            self.applied_from_notices += 1
            acks = [{**o, "templates_left": 0} for o in notice.feed["shred"]]
            if acks and device.writer is not None:
                ack = receipts.make_ack(device.key, device.id, acks, device.applied, datetime.now(UTC))
                device.writer.write(_packet(0x32, device.ack_topic + (1).to_bytes(2, "big") + ack))  # QoS 1, packet 1
                self.acks_published += 1
                self.published_at.append(time.perf_counter())
            return
        task = asyncio.create_task(self.sync(device))
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    async def poll(self, device: Sim, every: float, until: float) -> None:
        """The slow poll, from a random phase."""
        await asyncio.sleep(random.uniform(0, every))
        while time.monotonic() < until:
            await self.sync(device)
            await asyncio.sleep(every)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return f"p50 {at(0.5):.2f} s, p90 {at(0.9):.2f} s, p99 {at(0.99):.2f} s, max {ordered[-1]:.2f} s"


def pair(gate: Gate, count: int, prefix: str, applied: int = 0) -> list[Sim]:
    """Insert `count` devices of hq-lobby in one transaction (real keys), at cursor `applied`; the simulated
    devices."""
    now = datetime.now(UTC)
    audit_pem = SigningKey.generate().public.pem()
    sims = [Sim(f"{prefix}{n:05d}", SigningKey.generate(), applied) for n in range(count)]
    rows = [
        {
            "id": s.id, "name": s.id, "deployments": DEPLOYMENT, "device_key": s.key.public.pem(),
            "audit_key": audit_pem, "status": "active", "site": None, "paired_at": now, "last_seen_at": now,
            "applied": applied, "log_size": 0, "log_root": b"", "log_frontier": b"",
            "holds_until": now + timedelta(days=1),
        }
        for s in sims
    ]  # fmt: skip
    with gate.db.session() as session:
        session.execute(insert(DeviceRow), rows)
    return sims


async def until_all(condition, limit: float) -> float:  # type: ignore[no-untyped-def]
    """Seconds until `condition()` holds (bounded by `limit`)."""
    start = time.perf_counter()
    while not condition() and time.perf_counter() - start < limit:
        await asyncio.sleep(0.02)
    return time.perf_counter() - start


async def withdrawal(gate: Gate, fleet: Fleet, subject: str, limit: float) -> list[float]:
    """Withdraw a consent at the hub; each device's seconds from the withdrawal to its acknowledgement."""
    for device in fleet.devices:
        device.acked.clear()
    await asyncio.to_thread(gate.withdraw, DEPLOYMENT, subject)
    t0 = time.perf_counter()  # the withdrawal is committed: from here the devices can learn of it
    await until_all(lambda: all(d.acked for d in fleet.devices), limit)
    return [max(0.0, min(d.acked.values()) - t0) for d in fleet.devices if d.acked]


def acks_of(gate: Gate, order: int) -> dict[str, datetime]:
    """The devices whose acknowledgement of a shred order the hub has committed (and the time it stamped)."""
    with gate.db.session(readonly=True) as session:
        rows = session.execute(
            select(ShredAckRow.device_id, ShredAckRow.acked_at).where(ShredAckRow.order_idx == order)
        )
        return {device_id: at for device_id, at in rows.all()}


def last_change(gate: Gate) -> tuple[int, datetime]:
    """The index and time of the last change in the hub's feed."""
    with gate.db.session(readonly=True) as session:
        row = session.execute(select(ChangeRow.idx, ChangeRow.at).order_by(ChangeRow.idx.desc()).limit(1)).one()
    return int(row.idx), row.at


async def withdrawal_recorded(gate: Gate, fleet: Fleet, subject: str, limit: float) -> tuple[list[float], list[float]]:
    """Withdraw a consent at the hub; each device's seconds from the withdrawal (the time its audit entry records) to
    its acknowledgement's recording at the hub (over the broker, or in a pull): the time the hub stamped on it
    (after its checks, before its batch is written and committed), and the moment this process saw it committed,
    looked for every 0.1 s (late by up to 0.1 s, the time of one read, and whatever else this process's event
    loop, busy with the simulated devices, did first)."""
    await asyncio.to_thread(gate.withdraw, DEPLOYMENT, subject)
    order, at = await asyncio.to_thread(last_change, gate)
    ids, stamped, seen = {d.id for d in fleet.devices}, {}, {}
    start = time.perf_counter()
    while len(seen) < len(ids) and time.perf_counter() - start < limit:
        await asyncio.sleep(0.1)
        recorded = await asyncio.to_thread(acks_of, gate, order)
        now = datetime.now(UTC)
        for device_id in recorded.keys() & ids:
            stamped[device_id] = recorded[device_id]
            seen.setdefault(device_id, now)
    return [max(0.0, (t - at).total_seconds()) for t in stamped.values()], [
        max(0.0, (t - at).total_seconds()) for t in seen.values()
    ]


async def run(args: argparse.Namespace, gate: Gate, base: str, pid: int) -> None:
    hub_pem = signing.hub_key(Path(args.home)).public.pem()
    host, port = args.broker.split("//")[1].split(":")
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        # -- the baseline: polling devices, no notices --
        polled = Fleet(signing.public_key(hub_pem), hub_pem, client, pair(gate, args.baseline_devices, "poll-"))
        await asyncio.to_thread(consents, gate, ["base", "w1"])
        await asyncio.gather(*(polled.sync(d) for d in polled.devices))
        window = time.monotonic() + args.idle
        cpu0, pulls0 = cpu_seconds(pid), polled.pulls
        pollers = [asyncio.create_task(polled.poll(d, args.baseline_every, window)) for d in polled.devices]
        await asyncio.sleep(args.idle / 2)
        base_lat = await withdrawal(gate, polled, "base", args.baseline_every * 4)
        await asyncio.sleep(max(0.0, window - time.monotonic()))
        base_cpu, base_pulls = cpu_seconds(pid) - cpu0, polled.pulls - pulls0
        for task in pollers:
            task.cancel()
        await asyncio.gather(*pollers, return_exceptions=True)
        await asyncio.to_thread(retire, gate, polled.devices)
        per_pull = base_cpu / max(1, base_pulls)
        print(f"baseline, {args.baseline_devices} devices polling every {args.baseline_every:g} s: hub CPU "
              f"{base_cpu / args.idle * 100:.0f}% of one core over {args.idle:g} s ({base_pulls} pulls, "
              f"{per_pull * 1e3:.2f} ms each); withdrawal to acknowledgement {percentiles(base_lat)}")  # fmt: skip

        # -- the fleet on notices --
        head = await asyncio.to_thread(feed_head, gate)
        sims = pair(gate, args.devices, "sim-", head)  # paired and up to date (their first pull is not measured)
        fleet = Fleet(signing.public_key(hub_pem), hub_pem, client, sims)
        started = time.perf_counter()
        gate_ = asyncio.Semaphore(200)
        hub_id = signing.fingerprint(hub_pem)[:8]  # another run's devices on this broker have the same IDs
        loop = asyncio.get_running_loop()

        async def connect(d: Sim) -> None:
            topics = notices.device_topics(hub_pem, [DEPLOYMENT], d.id)
            async with gate_:
                _, link = await loop.create_connection(
                    lambda: Link(f"facegate-{hub_id}-{d.id}", topics, lambda body: fleet.notice(d, body)), host,
                    int(port),
                )  # fmt: skip
                await link.subscribed
            d.writer, d.ack_topic = link.transport, _string(receipts.topic(hub_pem, d.id))

        await asyncio.gather(*(connect(d) for d in sims))
        print(f"{args.devices} devices connected to the broker in {time.perf_counter() - started:.1f} s (setup)")
        # Idle: every device connected, polling every --poll-every seconds from a random phase, nothing changes.
        window = time.monotonic() + args.idle
        pollers = [asyncio.create_task(fleet.poll(d, args.poll_every, window)) for d in sims]
        cpu0, pulls0 = cpu_seconds(pid), fleet.pulls
        await asyncio.sleep(args.idle)
        idle_cpu, idle_pulls = cpu_seconds(pid) - cpu0, fleet.pulls - pulls0
        print(f"idle hub, {args.devices} devices connected, polling every {args.poll_every:g} s: hub CPU "
              f"{idle_cpu / args.idle * 100:.1f}% of one core over {args.idle:g} s ({idle_pulls} pulls)")  # fmt: skip
        polling_cores = per_pull * args.devices / args.baseline_every
        print(f"  polling {args.devices} devices every {args.baseline_every:g} s would take {polling_cores:.1f} cores "
              f"of hub CPU at the baseline's {per_pull * 1e3:.2f} ms per pull: "
              f"{polling_cores / max(idle_cpu / args.idle, 1e-4):.0f}x the idle hub on notices")  # fmt: skip
        cpu0 = cpu_seconds(pid)
        started = time.perf_counter()
        pulls0, carried0 = fleet.pulls, fleet.applied_from_notices
        fleet.published_at.clear()
        t0 = time.perf_counter()
        latencies, seen = await withdrawal_recorded(gate, fleet, "w1", args.limit)
        sent = [t - t0 for t in fleet.published_at]
        took = time.perf_counter() - started
        within = sum(1 for t in latencies if t <= 2.0)
        print(f"withdrawal at the hub to each device's acknowledgement recorded at the hub ({len(latencies)} of "
              f"{args.devices} in {took:.1f} s, by the hub's stamp): "
              f"{percentiles(latencies)}; {within / args.devices * 100:.1f}% within 2 s; hub CPU "
              f"{(cpu_seconds(pid) - cpu0) / args.devices * 1e3:.2f} ms per device; "
              f"{fleet.applied_from_notices - carried0} notices applied as carried, {fleet.pulls - pulls0} pulls; "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        within = sum(1 for t in seen if t <= 2.0)
        print(f"  seen committed by this process (its 0.1 s look, behind the simulated devices): {percentiles(seen)}; "
              f"{within / args.devices * 100:.1f}% within 2 s")  # fmt: skip
        print(f"  the devices published their acknowledgements (from the withdrawal call's start): {percentiles(sent)}")
        if base_lat and latencies:
            p50 = sorted(latencies)[len(latencies) // 2]
            b50 = sorted(base_lat)[len(base_lat) // 2]
            print(f"  median vs polling baseline: {p50:.2f} s vs {b50:.2f} s ({b50 / max(p50, 1e-3):.1f}x sooner)")
        if args.round:
            subjects = [f"r{n}" for n in range(args.round)]
            await asyncio.to_thread(gate_subjects, gate, subjects)
            head = await asyncio.to_thread(feed_head, gate)
            started = time.perf_counter()
            await asyncio.to_thread(consents, gate, subjects, False)
            end = await asyncio.to_thread(feed_head, gate)
            made = time.perf_counter() - started
            topic = f"{notices.prefix(hub_pem)}/deployment/{DEPLOYMENT}"
            pulls0 = fleet.pulls
            await until_all(lambda: all(d.at(topic) >= end for d in sims), args.limit)
            took = time.perf_counter() - started
            done = sum(1 for d in sims if d.at(topic) >= end)
            print(f"a round of {args.round} consents ({end - head} changes) to all devices: {done} of {args.devices} "
                  f"up to date {took:.1f} s after the first was made (making them took the hub {made:.1f} s; "
                  f"{fleet.pulls - pulls0} pulls)")  # fmt: skip
        for task in pollers:
            task.cancel()
        await asyncio.gather(*pollers, return_exceptions=True)
        for d in sims:
            if d.writer is not None:
                d.writer.close()
        if fleet.failures or polled.failures:
            failures = fleet.failures + polled.failures
            print(f"failures: {len(failures)}, e.g. {failures[:3]}")


def consents(gate: Gate, subjects: list[str], add: bool = True) -> None:
    """Notice and consent at the hub for each subject (added first when `add`)."""
    for subject in subjects:
        if add:
            gate.add_subject(subject)
        gate.notice_shown(DEPLOYMENT, subject)
        gate.give_consent(DEPLOYMENT, subject)


def gate_subjects(gate: Gate, subjects: list[str]) -> None:
    for subject in subjects:
        gate.add_subject(subject)


def feed_head(gate: Gate) -> int:
    with gate.db.session(readonly=True) as session:
        last = session.scalar(select(func.max(ChangeRow.idx)))
    return 0 if last is None else int(last) + 1


def retire(gate: Gate, devices: list[Sim]) -> None:
    """The baseline's devices leave (suspended, so they are not counted in the fleet's figures)."""
    from sqlalchemy import update

    with gate.db.session() as session:
        session.execute(update(DeviceRow).where(DeviceRow.id.in_([d.id for d in devices])).values(status="suspended"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of the idle window (and the baseline's)")
    parser.add_argument("--poll-every", type=float, default=3600.0, help="the fleet's slow poll, seconds")
    parser.add_argument("--baseline-devices", type=int, default=200)
    parser.add_argument("--baseline-every", type=float, default=5.0)
    parser.add_argument("--round", type=int, default=100, help="consents in the round of changes")
    parser.add_argument("--limit", type=float, default=300.0, help="bound of each waiting phase, seconds")
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # one socket per simulated device, in this process
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 2 * args.devices + 1024)), hard))
    if not postgres_reachable(args.postgres):
        sys.exit(f"no PostgreSQL at {args.postgres}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as tmp, postgres_database(args.postgres) as url:
        home = Path(tmp) / "hub"
        home.mkdir()
        choose_node_kind(home, "hub")
        os.environ["FACEGATE_DATABASE_URL"] = url
        os.environ["FACEGATE_BROKER_URL"] = args.broker
        args.home = str(home)
        gate = Gate.open(home)
        gate.register(parse_spec((ROOT / "examples" / "deployments" / "office-entry.yaml").read_text()))
        signing.hub_key(home)
        port = 18000 + random.randrange(1000)
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        server = subprocess.Popen(
            [sys.executable, "-m", "facegate", "serve", "--home", str(home), "--port", str(port),
             "--engine-workers", "1"],
            env=env, stdout=subprocess.DEVNULL, stderr=(home / "hub.log").open("w"),
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            time.sleep(5)  # the server warms its face engine in the background at start: let it finish
            asyncio.run(run(args, gate, base, server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)
            gate.db.dispose()
            said = [line.split(" ", 2)[-1] for line in (home / "hub.log").read_text().splitlines()]
            errors = Counter(re.sub(r" request_id=\S+", "", s) for s in said if s.startswith(("ERROR", "WARN")))
            if errors:
                print(f"warnings and errors in the hub's log: {dict(errors.most_common(5))}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
