"""Non-biometric credentials: PINs and passwords (argon2), TOTP (RFC 6238) and one-time check-in codes (QR)."""

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from facegate.errors import InputError

METHODS = ("pin", "totp", "checkin_code", "staff")
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
