"""The server's schedule: the gate's retention purge and the oversight refresh, at start and then periodically; and
the audit log's due checkpoints, signed as soon as they fall due."""

import asyncio
import logging

from facegate.gate import Caller, Gate
from facegate.oversight import Oversight

log = logging.getLogger("facegate.api")
DEFAULT_INTERVAL = 3600.0


def run_once(gate: Gate) -> None:
    """Finish interrupted erasures, purge what passed its retention (CN25-8c), refresh counts and filings (CN25-15)."""
    counts = gate.purge(Caller(actor="system:purge"))
    log.info(
        "purge: %d template(s) of %d subject(s), %d raw image(s), %d interrupted erasure(s) finished",
        counts["templates"],
        counts["subjects"],
        counts["raw_images"],
        counts["erasures_resumed"],
    )
    Oversight(gate.context).refresh()


def sign_due_checkpoint(gate: Gate) -> bool:
    """Sign a checkpoint of the audit log if entries have waited the checkpoint interval; whether one was signed."""
    return gate.audit_records.sign_if_due() is not None


async def run_checkpoints(gate: Gate) -> None:
    """Sign due checkpoints every half checkpoint interval, until cancelled (entries wait at most 1.5 intervals)."""
    period = max(1.0, gate.audit_records.checkpoint_interval.total_seconds() / 2)
    while True:
        await asyncio.sleep(period)
        try:
            await asyncio.to_thread(sign_due_checkpoint, gate)
        except Exception as exc:  # a failed run must not stop the schedule or the server
            log.error("scheduled checkpoint failed: %s", type(exc).__name__)


async def run_schedule(gate: Gate, interval: float = DEFAULT_INTERVAL) -> None:
    """Run `run_once` now, then every `interval` seconds, until cancelled."""
    while True:
        try:
            await asyncio.to_thread(run_once, gate)
        except Exception as exc:  # a failed run must not stop the schedule or the server
            log.error("scheduled purge and oversight refresh failed: %s", type(exc).__name__)
        await asyncio.sleep(interval)
