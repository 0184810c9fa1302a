"""Signatures between hub and device: every device request and every hub answer is signed with Ed25519.

A device signs the method, path, time, a fresh nonce and the SHA-256 of the body with its device key
(registered at pairing; the hub refuses a nonce it has seen); the hub signs each answer's body bound to the
device it is for, with the hub key the device pinned at pairing (checked against the fingerprint its pairing
token carries). The transport is HTTPS in production; the signatures make the state a device applies the hub's,
whatever carried it.
"""

import fcntl
import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from facegate.audit.keys import SigningKey, VerifyingKey, public_path
from facegate.errors import InputError

DEVICE_HEADER = "X-Facegate-Device"
TIME_HEADER = "X-Facegate-Time"
SIGNATURE_HEADER = "X-Facegate-Signature"
NONCE_HEADER = "X-Facegate-Nonce"
HUB_SIGNATURE_HEADER = "X-Facegate-Hub-Signature"
MAX_SKEW_SECONDS = 300
HUB_KEY_FILE = "hub-ed25519.pem"
DEVICE_KEY_FILE = "device-ed25519.pem"


def hub_key(home: Path) -> SigningKey:
    """The hub's answer-signing key (created on first use; replicas of one hub share the data directory's keys)."""
    return SigningKey.load_or_create(home / "keys" / HUB_KEY_FILE)


def device_key(home: Path) -> SigningKey | None:
    """The device's request-signing key pair; None when it has none (never paired, or unpaired since)."""
    path = home / "keys" / DEVICE_KEY_FILE
    return SigningKey.load(path) if path.exists() else None


@contextmanager
def _device_key_locked(home: Path) -> Iterator[Path]:
    """The device key's path, held against a `device join` or a wipe's end in another process meanwhile."""
    folder = home / "keys"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with os.fdopen(os.open(folder / ".device-key.lock", os.O_WRONLY | os.O_CREAT, 0o600), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield folder / DEVICE_KEY_FILE


def keep_device_key(home: Path, key: SigningKey) -> None:
    """Make `key` the device's request key (a pairing the hub accepted), replacing an earlier pairing's: only
    `facegate device join` calls this, so reading a device's state never makes a key."""
    with _device_key_locked(home) as path:
        key.save(path)


def forget_device_key(home: Path, public_pem: str) -> None:
    """Remove the device's request key if it is still the one with `public_pem` (an unpair or loss acknowledged):
    a key a `device join` made meanwhile belongs to the new pairing and stays."""
    with _device_key_locked(home) as path:
        current = device_key(home)
        if current is not None and current.public.pem() == public_pem:
            path.unlink()
            public_path(path).unlink(missing_ok=True)


def public_key(pem: str) -> VerifyingKey:
    """An Ed25519 public key from PEM text, or InputError."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        raise InputError("not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("the key is not an Ed25519 public key")
    return VerifyingKey(key)


def fingerprint(pem: str) -> str:
    """The hub key's fingerprint a pairing token carries: SHA-256 of the raw Ed25519 public key, hex."""
    return hashlib.sha256(public_key(pem).raw).hexdigest()


FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


def token_fingerprint(token: str) -> str:
    """The hub-key fingerprint at the end of a pairing token (`fgp_<id>_<secret>_<fingerprint>`), or InputError."""
    pin = token.strip().rsplit("_", 1)[-1]
    if not token.startswith("fgp_") or not FINGERPRINT.match(pin):
        raise InputError(
            "the pairing token carries no hub key fingerprint (fgp_<id>_<secret>_<sha256>): mint a new one"
        )
    return pin


def request_message(method: str, path: str, at: str, nonce: str, body: bytes) -> bytes:
    """What a device signs for one request."""
    digest = hashlib.sha256(body).hexdigest()
    return f"facegate-edge-request-v2\n{method.upper()}\n{path}\n{at}\n{nonce}\n{digest}".encode()


def answer_message(device_id: str, body: bytes) -> bytes:
    """What the hub signs for one answer to one device."""
    return f"facegate-edge-answer-v1\n{device_id}\n{hashlib.sha256(body).hexdigest()}".encode()


def sign_request(key: SigningKey, device_id: str, method: str, path: str, body: bytes, now: datetime) -> dict[str, str]:
    """The headers that authenticate a device's request."""
    at = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    nonce = secrets.token_hex(16)
    signature = key.sign(request_message(method, path, at, nonce, body)).hex()
    return {DEVICE_HEADER: device_id, TIME_HEADER: at, NONCE_HEADER: nonce, SIGNATURE_HEADER: signature}


def check_request(
    key: VerifyingKey, method: str, path: str, at: str, nonce: str, signature: str, body: bytes, now: datetime
) -> str:
    """Why a device's request is not authentic ('' when it is): bad signature, or a time too far from ours.

    Whether its nonce was seen before is the hub's to check (it keeps the nonces of the window).
    """
    try:
        when = datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        raw = bytes.fromhex(signature)
    except ValueError:
        return "malformed time or signature header"
    if not re.fullmatch(r"[0-9a-f]{16,64}", nonce):
        return "the request carries no nonce (X-Facegate-Nonce, 16-64 hex digits)"
    if abs((now - when).total_seconds()) > MAX_SKEW_SECONDS:
        return f"the request's time is more than {MAX_SKEW_SECONDS} s from the hub's clock"
    if not key.verify(raw, request_message(method, path, at, nonce, body)):
        return "the signature does not match the device's key"
    return ""


def sign_answer(key: SigningKey, device_id: str, body: bytes) -> str:
    """The hub's signature of an answer body for one device, hex."""
    return key.sign(answer_message(device_id, body)).hex()


def check_answer(key: VerifyingKey, device_id: str, body: bytes, signature: str) -> bool:
    """Whether an answer body carries the pinned hub key's signature for this device."""
    try:
        raw = bytes.fromhex(signature)
    except ValueError:
        return False
    return key.verify(raw, answer_message(device_id, body))
