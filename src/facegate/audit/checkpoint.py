"""Signed checkpoints: C2SP tlog-checkpoint notes (origin, size, root) with an Ed25519 signed-note line."""

import base64
import binascii
import re
from dataclasses import dataclass

from facegate.audit.keys import SigningKey, VerifyingKey
from facegate.audit.merkle import HASH_SIZE
from facegate.errors import CheckpointError as CheckpointError  # raised here; one hierarchy in facegate.errors

DASH = "\u2014"  # signed-note signature lines start with an em dash
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the log `origin` had `size` entries with root hash `root`."""

    origin: str
    size: int
    root: bytes
    note: str

    def to_json(self) -> dict[str, object]:
        """A JSON-ready view: origin, size, base64 root and the full note."""
        return {
            "origin": self.origin,
            "tree_size": self.size,
            "root_hash": base64.b64encode(self.root).decode(),
            "note": self.note,
        }


def note_body(origin: str, size: int, root: bytes) -> str:
    """The signed part of a checkpoint: origin, tree size and base64 root hash, one per line."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign_checkpoint(origin: str, size: int, root: bytes, key: SigningKey) -> Checkpoint:
    """Sign a checkpoint for the tree of `size` entries with root hash `root`, under the name `origin`."""
    if not origin or "\n" in origin or origin != origin.strip() or "+" in origin:
        raise CheckpointError(f"bad origin {origin!r}")
    body = note_body(origin, size, root)
    blob = key.public.key_hash(origin) + key.sign(body.encode())
    note = f"{body}\n{DASH} {origin} {base64.b64encode(blob).decode()}\n"
    return Checkpoint(origin, size, root, note)


def note_size(note: str) -> int:
    """The tree size a checkpoint note claims, unverified (-1 when it has none)."""
    lines = note.split("\n")
    return int(lines[1]) if len(lines) > 1 and _SIZE.fullmatch(lines[1]) else -1


def open_checkpoint(note: str, key: VerifyingKey) -> Checkpoint:
    """Parse `note` and check it carries a valid signature by `key` under its origin; raise otherwise."""
    body, sep, signatures = note.partition("\n\n")
    if not sep or not note.endswith("\n"):
        raise CheckpointError("not a signed note: no blank line before the signatures")
    lines = body.split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint needs origin, tree size and root hash lines")
    origin, size_text, root_text = lines[:3]
    if not origin or not _SIZE.fullmatch(size_text):
        raise CheckpointError("bad origin or tree size line")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise CheckpointError("root hash is not base64") from None
    if len(root) != HASH_SIZE:
        raise CheckpointError("root hash is not 32 bytes")
    signed = (body + "\n").encode()
    expected = key.key_hash(origin)
    for line in signatures.removesuffix("\n").split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH or parts[1] != origin:
            continue
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            continue
        if blob[:4] == expected and key.verify(blob[4:], signed):
            return Checkpoint(origin, int(size_text), root, note)
    raise CheckpointError(f"no valid signature by this log's key (key hash {expected.hex()}) under {origin}")
