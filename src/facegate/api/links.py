"""Subject self-service links: HMAC-signed, short-lived tokens naming one subject record and one deployment.

A link carries the subject record's link nonce: it opens nothing once the subject is deleted (a subject
re-created under the same ID has another nonce) or its links are revoked (the nonce is replaced).
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

LINK_KEY_FILE = "subject-links.key"
PREFIX = "fgs"
DEFAULT_TTL = timedelta(hours=1)
MAX_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class SubjectLink:
    """What a valid token says: whose data, for which deployment, until when."""

    subject: str
    deployment: str
    expires_at: datetime
    nonce: str = ""  # the subject record's link nonce when the link was made (see Gate.link_valid)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_or_create_key(home: Path) -> bytes:
    """The signing key in `<home>/keys/`, created with mode 0600 on first use."""
    folder = home / "keys"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / LINK_KEY_FILE
    if not path.exists():
        tmp = folder / f".{LINK_KEY_FILE}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)  # first writer wins; a concurrent one reads the winner's key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_bytes()


class LinkSigner:
    """Signs and opens subject links (and, with another purpose, the console's session cookies)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def mac(self, purpose: str, body: str) -> str:
        """A MAC of `body` for `purpose` (e.g. a console form's CSRF token from its session)."""
        return self._mac(purpose, body)

    def _mac(self, purpose: str, body: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}\n{body}".encode(), hashlib.sha256).digest())

    def sign(self, purpose: str, payload: dict[str, object]) -> str:
        """A token carrying `payload` for `purpose`."""
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(purpose, body)}"

    def open(self, purpose: str, token: str) -> dict[str, object] | None:
        """The payload of a token signed for `purpose`, or None if forged or malformed."""
        if not token.isascii():  # compare_digest refuses non-ASCII text; such a token is forged anyway
            return None
        body, _, mac = token.partition(".")
        if not body or not mac or len(token) > 2048 or not hmac.compare_digest(mac, self._mac(purpose, body)):
            return None
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    def subject_link(
        self, subject: str, deployment: str, now: datetime, ttl: timedelta = DEFAULT_TTL, nonce: str = ""
    ) -> str:
        """A link token for one subject record (its `nonce`) and deployment, valid for `ttl` (at most a day)."""
        ttl = min(ttl, MAX_TTL)
        exp = int((now + ttl).timestamp())
        return f"{PREFIX}.{self.sign('subject', {'s': subject, 'd': deployment, 'exp': exp, 'n': nonce})}"

    def open_subject_link(self, token: str, now: datetime) -> SubjectLink | None:
        """The link a token carries, or None if forged, malformed or expired."""
        prefix, _, rest = token.partition(".")
        payload = self.open("subject", rest) if prefix == PREFIX else None
        if payload is None:
            return None
        subject, deployment, exp, nonce = payload.get("s"), payload.get("d"), payload.get("exp"), payload.get("n")
        if not isinstance(subject, str) or not isinstance(deployment, str) or not isinstance(exp, int):
            return None
        if not isinstance(nonce, str):
            return None
        expires = datetime.fromtimestamp(exp, UTC)
        return SubjectLink(subject, deployment, expires, nonce) if expires > now else None
