"""Offline verifier for a facegate audit export: one file, no facegate imports, for auditors and regulators.

Usage:

    python standalone_verify.py EXPORT.jsonl --public-key KEY [--json]

KEY is the log's Ed25519 public key, obtained from the operator through a trusted channel (never from the
export itself): a PEM file (`<home>/keys/audit-ed25519.pub.pem`), or a file or string holding the
signed-note verifier key `origin+keyhash+base64`. Needs Python 3.11+ and the `cryptography` package, version 3.1
or later (Debian 12's python3-cryptography 38 will do: `apt install python3-cryptography`, then `python3`).

It checks, and exits 0 only when all hold (1 names the first failure; 2 is a usage error):

1. every checkpoint is a C2SP checkpoint note carrying a valid Ed25519 signature by KEY under the origin;
2. each checkpoint is consistent with the next: the older tree is a prefix of the newer (RFC 9162 §2.1.4.2);
3. every entry's canonical JSON (sorted keys, compact, UTF-8) hashes to its leaf hash
   SHA-256(0x00 || entry), its `index` matches its position, its time lies in the exported range, and its
   inclusion proof (RFC 9162 §2.1.3.2) leads to the root of the signed checkpoint it names.

Entries whose content was purged after the retention period appear with `"entry": null`; only their leaf
hash's inclusion is checked.
"""

import argparse
import base64
import binascii
import hashlib
import itertools
import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

FORMAT = "facegate-audit-export/1"
DASH = "\u2014"


class Invalid(Exception):
    """The export does not verify."""


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def canonical(entry: dict[str, Any]) -> bytes:
    """Sorted-key compact JSON in UTF-8: the bytes the log hashed."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def verify_inclusion(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size or len(leaf) != 32 or any(len(p) != 32 for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2 (with equal sizes: an empty proof and equal roots)."""
    if first < 1 or second < first:
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof or any(len(p) != 32 for p in proof):
        return False
    path = ([first_root] if first & (first - 1) == 0 else []) + list(proof)
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


def load_key(text: str) -> tuple[Ed25519PublicKey, str | None]:
    """A public key from PEM or a verifier key string; with the name a verifier key carries."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise Invalid("the public key is not an Ed25519 key")
        return key, None
    parts = text.split("+", 2)  # the base64 part may itself contain "+"
    if len(parts) != 3:
        raise Invalid("the public key is neither PEM nor a verifier key name+hash+base64")
    name, key_hash, raw = parts[0], parts[1], b64(parts[2])
    if raw[:1] != b"\x01" or len(raw) != 33:
        raise Invalid("the verifier key is not an Ed25519 key")
    if hashlib.sha256(name.encode() + b"\n" + raw).hexdigest()[:8] != key_hash:
        raise Invalid("the verifier key's hash does not match its name and key")
    return Ed25519PublicKey.from_public_bytes(raw[1:]), name


def b64(text: str) -> bytes:
    """Strict base64."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError):
        raise Invalid(f"not base64: {text!r:.40}") from None


def open_note(note: str, key: Ed25519PublicKey, origin: str) -> tuple[int, bytes]:
    """Check a checkpoint note's signature by `key` under `origin`; return its tree size and root hash."""
    body, sep, sigs = note.partition("\n\n")
    lines = body.split("\n")
    if not sep or not note.endswith("\n") or len(lines) < 3 or lines[0] != origin:
        raise Invalid("a checkpoint is not a note for this log (origin, size, root, blank line, signatures)")
    if not lines[1].isdigit() or (lines[1] != "0" and lines[1].startswith("0")):
        raise Invalid("a checkpoint's tree size is not a decimal number")
    root = b64(lines[2])
    if len(root) != 32:
        raise Invalid("a checkpoint's root hash is not 32 bytes")
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)  # public_bytes_raw() needs cryptography 40
    key_hash = hashlib.sha256(origin.encode() + b"\n\x01" + raw).digest()[:4]
    for line in sigs.removesuffix("\n").split("\n"):
        dash, _, rest = line.partition(" ")
        name, _, sig = rest.partition(" ")
        if dash != DASH or name != origin:
            continue
        blob = b64(sig)
        if blob[:4] != key_hash:
            continue
        try:
            key.verify(blob[4:], (body + "\n").encode())
        except InvalidSignature:
            continue
        return int(lines[1]), root
    raise Invalid(f"the checkpoint at size {lines[1]} is not signed by this key")


def check(lines: list[dict[str, Any]], key: Ed25519PublicKey, key_name: str | None) -> dict[str, Any]:
    """Verify a parsed export; return a summary or raise Invalid naming the first failure."""
    if not lines or lines[0].get("type") != "header" or lines[0].get("format") != FORMAT:
        raise Invalid(f"the first line is not a {FORMAT} header")
    header = lines[0]
    origin = header["origin"]
    if key_name is not None and key_name != origin:
        raise Invalid(f"the key is named {key_name}, the export's log is {origin}")
    since, until = datetime.fromisoformat(header["since"]), datetime.fromisoformat(header["until"])
    roots: dict[int, bytes] = {}
    order: list[int] = []
    consistency: dict[tuple[int, int], list[bytes]] = {}
    entries: list[dict[str, Any]] = []
    for line in lines[1:]:
        kind = line.get("type")
        if kind == "checkpoint":
            size, root = open_note(line["note"], key, origin)
            if size != line["tree_size"] or (order and size <= order[-1]):
                raise Invalid(f"checkpoint sizes are out of order at {size}")
            roots[size] = root
            order.append(size)
        elif kind == "consistency":
            consistency[(line["from"], line["to"])] = [b64(h) for h in line["proof"]]
        elif kind == "entry":
            entries.append(line)
        else:
            raise Invalid(f"unknown line type {kind!r}")
    if not order or len(order) != header["checkpoints"]:
        raise Invalid("the export does not carry the checkpoints its header announces")
    for old, new in itertools.pairwise(order):
        proof = consistency.get((old, new))
        if proof is None or not verify_consistency(old, new, roots[old], roots[new], proof):
            raise Invalid(f"the checkpoints at sizes {old} and {new} are not consistent")
    if len(entries) != header["entries"]:
        raise Invalid(f"the header announces {header['entries']} entries, the export holds {len(entries)}")
    previous, purged = -1, 0
    for line in entries:
        index, size = line["index"], line["tree_size"]
        leaf = b64(line["leaf_hash"])
        if index <= previous:
            raise Invalid(f"entry #{index} is out of order")
        previous = index
        entry = line["entry"]
        if entry is None:
            purged += 1
        else:
            if leaf_hash(canonical(entry)) != leaf:
                raise Invalid(f"entry #{index} does not match its leaf hash: it was altered")
            if entry.get("index") != index:
                raise Invalid(f"entry #{index} claims to be entry #{entry.get('index')}")
            if not since <= datetime.fromisoformat(entry["at"]) < until:
                raise Invalid(f"entry #{index} lies outside the exported time range")
        if size not in roots:
            raise Invalid(f"entry #{index} is proved against a checkpoint the export does not carry")
        if not verify_inclusion(index, size, leaf, [b64(h) for h in line["proof"]], roots[size]):
            raise Invalid(f"entry #{index}: its inclusion proof does not lead to the signed root at size {size}")
    return {"ok": True, "origin": origin, "entries": len(entries), "purged": purged, "checkpoints": order}


def looks_like_a_path(text: str) -> bool:
    """Whether --public-key names a file rather than holding a verifier key (origin+keyhash+base64)."""
    text = text.strip()
    return not text.startswith("-----BEGIN") and re.fullmatch(r"[^+\s]+\+[0-9a-f]{8}\+\S+", text) is None


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description="Verify a facegate audit export offline.")
    parser.add_argument("export", type=Path, help="the export file (JSON lines)")
    parser.add_argument("--public-key", required=True, help="PEM file, verifier key file, or verifier key")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        key_source = Path(args.public_key)
        if key_source.is_file():
            key_text = key_source.read_text()
        elif looks_like_a_path(args.public_key):
            print(f"error: no public key file at {key_source} (a data directory keeps it in "
                  "<home>/keys/audit-ed25519.pub.pem; `facegate audit export` names it)", file=sys.stderr)
            return 2
        else:
            key_text = args.public_key
        key, key_name = load_key(key_text)
        lines = [json.loads(line) for line in args.export.read_text(encoding="utf-8").splitlines() if line]
        result = check(lines, key, key_name)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (Invalid, ValueError, KeyError, TypeError) as exc:
        message = str(exc) if isinstance(exc, Invalid) else f"malformed export ({type(exc).__name__}: {exc})"
        print(json.dumps({"ok": False, "error": message}) if args.json else f"FAILED: {message}")
        return 1
    if args.json:
        print(json.dumps(result))
    else:
        purged = f" ({result['purged']} purged)" if result["purged"] else ""
        sizes = ", ".join(map(str, result["checkpoints"]))
        entries = f"{result['entries']} {'entry' if result['entries'] == 1 else 'entries'}"
        checkpoints = "checkpoint" if len(result["checkpoints"]) == 1 else "checkpoints"
        print(f"OK: {entries} of {result['origin']} verified against {checkpoints} {sizes}{purged}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
