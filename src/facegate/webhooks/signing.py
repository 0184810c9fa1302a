"""Webhook signatures as Standard Webhooks defines them: HMAC-SHA256 over `<id>.<timestamp>.<body>`.

The headers are `webhook-id` (the message's ID, the same on every retry: receivers deduplicate by it),
`webhook-timestamp` (Unix seconds when this attempt was signed) and `webhook-signature` (`v1,<base64 HMAC>`).
The secret is `whsec_<base64 of 32 random bytes>`; the HMAC key is those 32 bytes.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping

from facegate.errors import InputError

SECRET_PREFIX = "whsec_"
TOLERANCE_S = 300  # a receiver refuses a timestamp further than this from its own clock (replays)


def new_secret() -> str:
    """A fresh signing secret, `whsec_...`."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise InputError("a webhook secret starts with whsec_")
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value of one attempt: `v1,<base64 HMAC-SHA256>`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one delivery attempt."""
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def verify(secret: str, received: Mapping[str, str], body: bytes, now: int, tolerance: int = TOLERANCE_S) -> bool:
    """Whether a delivery is genuine and fresh: what a receiver checks (the header names in lower case)."""
    try:
        message_id, timestamp = received["webhook-id"], int(received["webhook-timestamp"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, message_id, timestamp, body)
    offered = received.get("webhook-signature", "").split()
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)
