"""Webhooks: an admin registers URLs for events; facegate sends each event signed, retried, and recorded.

Other parts publish an event with one call, in the transaction of the change it reports:

    from facegate import webhooks
    webhooks.publish(session, "door.decision", {"deployment": "hq-door", "outcome": "open"}, clock())

(the event's name must be in `facegate/webhooks/catalogue.py`; `data` takes short text, integers, booleans and
lists of text only, so nothing biometric can be sent). Withdrawals, deletions, incidents and flagged devices need
no call: the sender reads them from the audit log. Details in docs/service.md, Webhooks.
"""

import asyncio
import logging

import httpx

from .catalogue import EVENTS
from .outbox import Hook, Webhooks, checked_data, publish
from .sender import BACKOFF, send_due
from .signing import verify

__all__ = ["BACKOFF", "EVENTS", "Hook", "Webhooks", "checked_data", "publish", "pump", "run", "send_due", "verify"]
log = logging.getLogger("facegate.webhooks")


def pump(hooks: Webhooks, client: httpx.Client | None = None) -> dict[str, int]:
    """One round: new audit entries into events, then every due delivery sent; the results by state."""
    hooks.collect()
    return send_due(hooks.db, hooks.clock, hooks.keystore, client)


async def run(hooks: Webhooks, every: float) -> None:
    """Pump every `every` seconds until cancelled (the server runs this); a failed round is logged and retried."""
    with httpx.Client(follow_redirects=False) as client:
        while True:
            try:
                await asyncio.to_thread(pump, hooks, client)
            except Exception as exc:  # the database may be away for a moment: the outbox keeps everything
                log.error("webhook round failed: %s", type(exc).__name__)
            await asyncio.sleep(every)
