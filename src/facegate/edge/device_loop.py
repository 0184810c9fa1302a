"""The sync loop of `facegate serve` on a device: rounds with the hub, the changes notices carry, and pushes.

A round (`Device.sync`) runs at the start, whenever a notice cannot be applied as it came, and every `every` seconds
(`--sync-every`) while no broker is connected, else every `poll_every` seconds (`--poll-every`, and at most a
quarter of the shortest offline bound). Between rounds the loop looks every `every` seconds (at most 5) whether
the device owes its hub a push (`Device.owes_push`: what it holds, or the standing recorded here, changed since it
last told the hub) and pushes then, so the hub's holdings and counts follow a local enrollment or a withdrawal
applied from a notice within seconds, not at the next poll.
"""

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from facegate.edge.wipe import shortest_bound
from facegate.errors import FacegateError

if TYPE_CHECKING:
    from facegate.edge.device import Device
    from facegate.edge.notices import Broker, Listening

log = logging.getLogger("facegate.edge")
SERVING = ("active", "suspended")  # a suspended device still pulls the shreds it owes
LOOK_SECONDS = 5.0  # how often, at most, the loop looks whether the device owes its hub a push


async def run(device: "Device", every: float, poll_every: float, broker: "Broker | None" = None) -> None:
    """The server's sync loop on a device: a round at each change notice from the broker (when one is configured and
    reachable), else every `every` seconds; while the broker is connected, also every `poll_every` seconds in case
    a notice is lost; between rounds, a push whenever the device owes one. Failures are logged; the loop goes on."""
    from facegate.edge import notices

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would drown the server's log
    gate = device.gate
    wake, state = asyncio.Event(), notices.Listening()
    listening = asyncio.create_task(notices.run_device(device, broker, wake, state)) if broker else None
    clock = asyncio.get_running_loop().time
    next_round = clock()  # a round at the start, then at each poll and whenever a notice cannot be applied as it came
    try:
        while True:
            wake.clear()
            link = await asyncio.to_thread(device.link)
            if link is not None and link.status in SERVING:
                if state.waiting and not state.pull:
                    await _apply_notices(device, state)
                if clock() >= next_round or state.pull:
                    await _round(device, state)
                    pause = every
                    if state.connected and not state.pull:  # the slow poll, and a quarter of the shortest bound
                        bound = await asyncio.to_thread(shortest_bound, gate, link)
                        pause = min(poll_every, bound / 4) if bound else poll_every
                    next_round = clock() + max(every, pause)
                else:
                    await _push_if_owed(device)
            else:
                next_round = clock()
            with contextlib.suppress(TimeoutError):  # woken by a notice, or time to look again
                look = min(every, LOOK_SECONDS)
                await asyncio.wait_for(wake.wait(), max(0.0, min(look, next_round - clock())) or look)
    finally:
        await notices.stop(listening)


async def _round(device: "Device", state: "Listening") -> None:
    """One round with the hub; on failure, the offline bound is enforced."""
    try:
        done = await asyncio.to_thread(device.sync)
        state.pulled(int(done.get("applied") or 0))
    except Exception as exc:  # the loop goes on, the offline bound counts
        log.warning("sync with the hub failed: %s", _why(exc))
        try:
            if await asyncio.to_thread(device.enforce_bound):
                log.warning("out of touch with the hub past the offline bound: keys shredded")
        except Exception as exc:  # the loop must go on
            log.error("the offline wipe failed: %s", type(exc).__name__)


async def _push_if_owed(device: "Device") -> None:
    """Push when what the device holds or the standing recorded here changed since it last told the hub."""
    try:
        if await asyncio.to_thread(device.owes_push):
            await asyncio.to_thread(device.push, True)
    except Exception as exc:  # the next round pushes anyway
        log.warning("push to the hub failed: %s", _why(exc))


def _why(exc: Exception) -> str:
    """What the log says of a failed round: facegate's own errors (the hub's refusal among them) by code and message,
    which carry no biometric data; anything else by type only."""
    if isinstance(exc, FacegateError):
        return f"{exc.code}: {exc}"
    return type(exc).__name__


async def _apply_notices(device: "Device", state: "Listening") -> None:
    """Apply the changes the queued notices carried and acknowledge their shreds over the broker; on any failure
    (or no broker to acknowledge on) the sync loop pulls, which applies and acknowledges over HTTPS."""
    from facegate.edge import receipts

    queued, state.waiting = state.waiting, []
    try:
        acks: list[dict[str, Any]] = []
        for notice in queued:
            assert notice.feed is not None
            acks += await asyncio.to_thread(device.apply_notice, notice.feed)
        if acks:
            client = state.client
            if client is None:
                state.pull = True
                return
            name, payload = await asyncio.to_thread(receipts.device_ack, device, acks)
            await client.publish(name, payload, qos=1)
    except Exception as exc:  # the pull applies and acknowledges instead
        log.warning("a notice's changes were not applied: %s", type(exc).__name__)
        state.failed()
