"""Non-biometric credentials: PINs and passwords (argon2), TOTP (RFC 6238), one-time check-in codes (QR) and
passkeys (WebAuthn)."""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from facegate.errors import InputError

METHODS = ("pin", "totp", "checkin_code", "passkey", "staff")
PASSKEY_TIMEOUT_MS = 120_000
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread at a desk
_hasher = PasswordHasher()


def hash_pin(pin: str) -> bytes:
    """An argon2id hash of a PIN or password (4 to 128 characters)."""
    if not 4 <= len(pin) <= 128:
        raise InputError("a PIN or password must have 4 to 128 characters")
    return _hasher.hash(pin).encode()


def check_pin(stored: bytes, pin: str) -> bool:
    """Whether `pin` matches the stored argon2 hash."""
    try:
        return _hasher.verify(stored.decode(), pin)
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret for an authenticator app."""
    return pyotp.random_base32()


def totp_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app scans to add the secret."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def check_totp(secret: str, code: str, at: datetime) -> bool:
    """Whether `code` is the TOTP for `at`, allowing one 30-second step of clock drift."""
    return pyotp.TOTP(secret).verify(code.strip(), for_time=at, valid_window=1)


def new_checkin_code(length: int = 8) -> str:
    """A one-time check-in code, easy to read aloud or type."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def hash_checkin_code(code: str) -> bytes:
    """A SHA-256 of a check-in code (codes are random and short-lived, so no slow hash is needed)."""
    return hashlib.sha256(code.strip().upper().encode()).digest()


def check_checkin_code(stored: bytes, code: str) -> bool:
    """Whether `code` matches the stored hash, in constant time."""
    return hmac.compare_digest(stored, hash_checkin_code(code))


def qr_svg(text: str) -> str:
    """An SVG QR code of `text` (a check-in code or an otpauth URI) to show on a screen or print."""
    return segno.make(text, error="m").svg_inline(scale=4)


@dataclass(frozen=True)
class RelyingParty:
    """Where passkeys are used: the RP ID (a domain the pages are on) and the page origins that may ask."""

    id: str
    origins: tuple[str, ...]


def passkey_registration(
    rp: RelyingParty, rp_name: str, user: str, existing: bytes | None = None
) -> tuple[dict[str, Any], bytes]:
    """The options a browser needs to create a passkey for `user` (as JSON), and the challenge to check its answer.

    The device must verify its user (its PIN or screen lock); facegate receives a public key, nothing biometric.
    The user handle is the same for every registration of `user`, and the `existing` passkey is excluded, so a
    device replaces its passkey rather than keeping two.
    """
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp_name,
        user_name=user,
        user_id=hashlib.sha256(f"facegate/passkey-user/{user}".encode()).digest()[:16],
        timeout=PASSKEY_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.REQUIRED
        ),
        exclude_credentials=[_descriptor(existing)] if existing else None,
    )
    return json.loads(options_to_json(options)), options.challenge


def check_passkey_registration(rp: RelyingParty, response: str, challenge: bytes) -> bytes:
    """The passkey to store (its ID, public key and signature counter) from a browser's answer, or InputError."""
    try:
        verified = verify_registration_response(
            credential=response,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise InputError(
            "the passkey was not accepted: the browser's answer does not fit this ceremony (its format, challenge, "
            "origin, user verification or attestation)"
        ) from None
    return _passkey_record(verified.credential_id, verified.credential_public_key, verified.sign_count)


def passkey_authentication(rp: RelyingParty, stored: bytes) -> tuple[dict[str, Any], bytes]:
    """The options a browser needs to sign in with the stored passkey (as JSON), and their challenge."""
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=PASSKEY_TIMEOUT_MS,
        allow_credentials=[_descriptor(stored)],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return json.loads(options_to_json(options)), options.challenge


def check_passkey(rp: RelyingParty, response: str, challenge: bytes, stored: bytes) -> bytes | None:
    """The stored passkey with its new signature counter when `response` signs `challenge`; None otherwise."""
    record = json.loads(stored)
    try:
        verified = verify_authentication_response(
            credential=response,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            credential_public_key=base64url_to_bytes(record["public_key"]),
            credential_current_sign_count=record["sign_count"],
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return None
    if bytes_to_base64url(verified.credential_id) != record["id"]:
        return None
    return _passkey_record(verified.credential_id, base64url_to_bytes(record["public_key"]), verified.new_sign_count)


def _descriptor(stored: bytes) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(json.loads(stored)["id"]))


def _passkey_record(credential_id: bytes, public_key: bytes, sign_count: int) -> bytes:
    record = {"id": bytes_to_base64url(credential_id), "public_key": bytes_to_base64url(public_key)}
    return json.dumps({**record, "sign_count": sign_count}).encode()
