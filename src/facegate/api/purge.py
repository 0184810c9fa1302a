"""The retention schedule inside the server: the gate's purge, run at start and then periodically."""

import asyncio
import logging

from facegate.gate import Caller, Gate

log = logging.getLogger("facegate.api")
DEFAULT_INTERVAL = 3600.0


async def run_purges(gate: Gate, interval: float = DEFAULT_INTERVAL) -> None:
    """Purge what passed its retention now, then every `interval` seconds, until cancelled."""
    while True:
        try:
            counts = await asyncio.to_thread(gate.purge, Caller(actor="system:purge"))
            log.info(
                "purge: %d template(s) of %d subject(s), %d raw image(s)",
                counts["templates"],
                counts["subjects"],
                counts["raw_images"],
            )
        except Exception as exc:  # a failed purge must not stop the schedule or the server
            log.error("purge failed: %s", type(exc).__name__)
        await asyncio.sleep(interval)
