"""The log's Ed25519 signing key: a 0600 file under <home>/keys/, created on first use, never in the database."""

import base64
import hashlib
import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from facegate.errors import InputError

KEY_FILE = "audit-ed25519.pem"
ED25519 = b"\x01"  # signed-note signature type for Ed25519


def key_path(home: Path) -> Path:
    """Where the audit signing key of a data directory lives."""
    return home / "keys" / KEY_FILE


def public_path(path: Path) -> Path:
    """Where the public half of the key at `path` is written: `audit-ed25519.pem` -> `audit-ed25519.pub.pem`."""
    return path.with_name(path.name.removesuffix(".pem") + ".pub.pem")


def write_public(path: Path, key: "SigningKey") -> Path:
    """Write the public half of `key`, kept at `path`, beside it (readable by others) unless it is there already."""
    public = public_path(path)
    pem = key.public.pem()
    if not public.exists() or public.read_text() != pem:
        public.write_text(pem)
    return public


class VerifyingKey:
    """An Ed25519 public key that checks checkpoint signatures."""

    def __init__(self, public: Ed25519PublicKey) -> None:
        self._public = public
        self.raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def key_hash(self, name: str) -> bytes:
        """The 4-byte signed-note key hash: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
        return hashlib.sha256(name.encode() + b"\n" + ED25519 + self.raw).digest()[:4]

    def vkey(self, name: str) -> str:
        """The signed-note verifier key string `name+hash+base64(0x01 || key)`."""
        return f"{name}+{self.key_hash(name).hex()}+{base64.b64encode(ED25519 + self.raw).decode()}"

    def pem(self) -> str:
        """The public key as PEM text."""
        return self._public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when `signature` is this key's signature of `message`."""
        try:
            self._public.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class SigningKey:
    """An Ed25519 private key that signs checkpoints."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = VerifyingKey(private.public_key())

    @classmethod
    def generate(cls) -> "SigningKey":
        """A fresh random key (kept in memory only)."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load_or_create(cls, path: Path) -> "SigningKey":
        """Load the key at `path`; create it (0600, in a 0700 folder) when absent, safely across processes."""
        if not path.exists():
            _write(path, Ed25519PrivateKey.generate(), replace=False)
        return cls.load(path)

    @classmethod
    def load(cls, path: Path) -> "SigningKey":
        """Load the key at `path`; refuse a missing key or one other users can read."""
        if not path.exists():
            raise InputError(f"no audit signing key at {path}: this data directory has never signed the log")
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise InputError(f"{path} is readable by other users; run: chmod 600 {path}")
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise InputError(f"{path} does not hold an Ed25519 private key")
        return cls(private)

    def save(self, path: Path) -> None:
        """Write this key to `path` (0600, in a 0700 folder), replacing what is there in one step."""
        _write(path, self._private, replace=True)

    def sign(self, message: bytes) -> bytes:
        """Sign `message`."""
        return self._private.sign(message)


def _write(path: Path, private: Ed25519PrivateKey, *, replace: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # atomic and refuses to replace: a concurrent creator's key wins
            except FileExistsError:
                return
    finally:
        tmp.unlink(missing_ok=True)
    write_public(path, SigningKey(private))
