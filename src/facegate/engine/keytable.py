"""Keys of a large in-memory index in numpy arrays: a slot per key, found by hash, without a Python object per key.

Ten million subject IDs as Python strings in a dict cost about 1.6 GB; here they cost their UTF-8 bytes (fixed
width, the longest key's) plus 8 bytes of hash and 1 byte of tag per slot. Looking a key up scans the hashes
(about 10 ms at ten million), which only enrollment and erasure do; searches go from slot to key.
"""

import numpy as np

_MIN_CAPACITY = 1024
_FREE = 0  # the hash of a free slot; a key hashing to 0 is stored as 1


def _hashes(keys: list[str]) -> np.ndarray:
    hashes = np.fromiter((hash(key) for key in keys), np.int64, len(keys))
    hashes[hashes == _FREE] = 1
    return hashes


class KeyTable:
    """Slots for string keys, each with a small tag (0-255); freed slots are reused."""

    def __init__(self) -> None:
        self._hashes = np.zeros(_MIN_CAPACITY, np.int64)
        self._keys = np.zeros(_MIN_CAPACITY, "S1")
        self._tags = np.zeros(_MIN_CAPACITY, np.uint8)
        self._top = 0  # slots in use or freed lie below
        self._free: list[int] = []

    def __len__(self) -> int:
        """The number of keys held."""
        return self._top - len(self._free)

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays, allocated capacity included."""
        return self._hashes.nbytes + self._keys.nbytes + self._tags.nbytes

    def find(self, keys: list[str]) -> np.ndarray:
        """The slot of each key, -1 where the key is not held."""
        slots = np.full(len(keys), -1, np.int64)
        if not keys or not len(self):
            return slots
        hashes = _hashes(keys)
        held = self._hashes[: self._top]
        for i in np.flatnonzero(np.isin(hashes, held)):
            encoded = keys[i].encode()
            for slot in np.flatnonzero(held == hashes[i]):  # a hash collision is told apart by the key itself
                if self._keys[slot] == encoded:
                    slots[i] = slot
        return slots

    def put(self, keys: list[str], tags: np.ndarray) -> np.ndarray:
        """Slots for keys not held (free slots first), holding each key and its tag."""
        encoded = np.array([key.encode() for key in keys], dtype="S") if keys else np.zeros(0, "S1")
        if encoded.dtype.itemsize > self._keys.dtype.itemsize:
            self._keys = self._keys.astype(encoded.dtype)
        reused = [self._free.pop() for _ in range(min(len(self._free), len(keys)))]
        fresh = len(keys) - len(reused)
        self._reserve(self._top + fresh)
        slots = np.array(reused + list(range(self._top, self._top + fresh)), np.int64)
        self._top += fresh
        self._hashes[slots] = _hashes(keys)
        self._keys[slots] = encoded
        self._tags[slots] = tags
        return slots

    def retag(self, slot: int, tag: int) -> None:
        """Change the tag of a held slot."""
        self._tags[slot] = tag

    def release(self, slot: int) -> None:
        """Free a slot, overwriting its key."""
        self._hashes[slot] = _FREE
        self._keys[slot] = b""
        self._tags[slot] = 0
        self._free.append(slot)

    def key(self, slot: int) -> str:
        """The key held in a slot."""
        return bytes(self._keys[slot]).decode()

    def tag(self, slot: int) -> int:
        """The tag of a held slot."""
        return int(self._tags[slot])

    def tag_counts(self) -> dict[int, int]:
        """How many held keys carry each tag."""
        used = self._hashes[: self._top] != _FREE
        counts = np.bincount(self._tags[: self._top][used], minlength=1)
        return {tag: int(n) for tag, n in enumerate(counts) if n}

    def _reserve(self, size: int) -> None:
        if size <= len(self._hashes):
            return
        capacity = max(size, 2 * len(self._hashes))
        for name in ("_hashes", "_keys", "_tags"):
            old = getattr(self, name)
            new = np.zeros(capacity, old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)
