"""1:N over large galleries: 8-bit codes in an inverted file (faiss IVF-SQ8), candidates re-ranked on exact vectors.

The index keeps no float template: each vector is held as a coarse list number and 128 bytes (its residual from
the list's centroid, quantized to 8 bits per dimension), with the distance between the vector and what its code
decodes to, rounded up. A search scans the `probes` nearest lists and takes the nearest codes. Since the true
distance of a code's vector lies within its error of the code's distance, every candidate that could be among the
true k nearest of the scanned lists is known; only those are fetched from the caller's exact source (the vault)
and ranked on exact float64 distances. The candidate list widens until every code left out is provably farther.
So the results are exact over the scanned lists; the one approximation is which lists are scanned, whose effect
bench/index.py measures (recall of the exact top-1).

Memory per template: 130 bytes of code and 8 of ID inside faiss, 13 here (list number, error, tag), the key's
bytes and its hash (engine/keytable.py). No float template is held, so the bytes of a template are never here in
the clear; an erased template's code is overwritten before its list shrinks.
"""

import threading
from collections.abc import Callable
from typing import Any, cast

import faiss
import numpy as np

from facegate.engine.keytable import KeyTable
from facegate.errors import InputError

CANDIDATES = 256  # codes taken per search before widening (a widening scans the lists again: rare at 256)
_MAX_CANDIDATES = 4096
_SLACK = 1e-4  # float32 rounding in faiss's distances, far above its size for unit-scale vectors
_CHUNK = 65536  # vectors encoded at a time, bounding the temporary memory of a bulk load

Exact = Callable[[list[str]], dict[str, np.ndarray]]


def lists_for(size: int) -> int:
    """The number of coarse lists for a gallery of `size`: the power of two nearest sqrt(size), 256 to 4096 (fewer
    for a gallery smaller than 256)."""
    return min(1 << int(min(12, max(8, round(np.log2(max(size, 1)) / 2)))), 1 << (max(size, 1).bit_length() - 1))


class ApproximateIndex:
    """An IVF-SQ8 index of keyed vectors whose searches end on exact distances from a caller's source."""

    def __init__(self, model_id: str, train: np.ndarray, probes: int | None = None, lists: int | None = None) -> None:
        train = np.ascontiguousarray(train, np.float32)
        self.model_id = model_id
        self.dims = train.shape[1]
        lists = lists or lists_for(len(train))
        if len(train) < lists:
            raise InputError(f"training an index of {lists} lists needs at least {lists} vectors, got {len(train)}")
        ivf = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatL2(self.dims), self.dims, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_L2, True
        )
        self._ivf: Any = cast(Any, ivf)  # Any: faiss's stubs lack coarse_code_size and type the lists as optional
        self._ivf.cp.seed = 1234
        self._ivf.sq.rangestat_arg = 0.1  # room around the trained range, so that later vectors are not clipped
        self._ivf.train(train)
        self._ivf.nprobe = probes or max(1, lists // 4)
        self._coarse = self._ivf.coarse_code_size()
        self._lock = threading.Lock()
        self._keys = KeyTable()
        self._list = np.zeros(0, np.int32)  # each slot's inverted list
        self._error = np.zeros(0, np.float32)  # each slot's ||vector - decoded code||, rounded up
        self._max_error = 0.0

    def __len__(self) -> int:
        """The number of vectors held."""
        return len(self._keys)

    @property
    def probes(self) -> int:
        """How many of the nearest lists a search scans."""
        return int(self._ivf.nprobe)

    @property
    def nbytes(self) -> int:
        """Bytes held: codes and IDs in the lists, centroids, keys and per-slot fields (allocated capacity)."""
        held = sum(self._ivf.invlists.list_size(i) for i in range(self._ivf.nlist)) * (self._ivf.code_size + 8)
        centroids = self._ivf.nlist * self.dims * 4
        return int(held + centroids + self._keys.nbytes + self._list.nbytes + self._error.nbytes)

    def add_many(self, keys: list[str], vectors: np.ndarray, tags: np.ndarray | None = None) -> None:
        """Hold each row of `vectors` under the key at the same position (a held key is replaced; a key repeated in
        the batch keeps its last row), with a small tag each (0-255)."""
        vectors = np.ascontiguousarray(vectors, np.float32)
        if vectors.shape != (len(keys), self.dims) or not np.isfinite(vectors).all():
            raise InputError(f"expected {len(keys)} finite vectors of {self.dims} dimensions, got {vectors.shape}")
        tags = np.zeros(len(keys), np.uint8) if tags is None else np.asarray(tags, np.uint8)
        last = list({key: i for i, key in enumerate(keys)}.values())
        if len(last) < len(keys):
            keys, vectors, tags = [keys[i] for i in last], vectors[last], tags[last]
        with self._lock:
            for slot in self._keys.find(keys):
                if slot >= 0:
                    self._drop(int(slot))
            slots = self._keys.put(keys, tags)
            self._reserve(int(slots.max()) + 1 if len(slots) else 0)
            for start in range(0, len(keys), _CHUNK):
                self._encode(vectors[start : start + _CHUNK], slots[start : start + _CHUNK])

    def remove(self, key: str) -> bool:
        """Drop `key`, overwriting its code; False when the key is not held."""
        with self._lock:
            slot = int(self._keys.find([key])[0])
            if slot < 0:
                return False
            self._drop(slot)
            return True

    def holds(self, keys: list[str]) -> list[bool]:
        """Whether each key is held."""
        with self._lock:
            return [bool(slot >= 0) for slot in self._keys.find(keys)]

    def tag(self, key: str) -> int | None:
        """The tag held with `key`, None when the key is not held."""
        with self._lock:
            slot = int(self._keys.find([key])[0])
            return None if slot < 0 else self._keys.tag(slot)

    def tag_counts(self) -> dict[int, int]:
        """How many keys carry each tag."""
        with self._lock:
            return self._keys.tag_counts()

    def search(self, vector: np.ndarray, k: int, exact: Exact) -> list[tuple[str, float]]:
        """The `k` nearest keys among the scanned lists as (key, exact Euclidean distance), nearest first; `exact`
        gives the vectors of the keys asked for (a key it leaves out is skipped: it is no longer held)."""
        return [(key, distance) for key, distance, _ in self.search_tagged(vector, k, exact)]

    def search_tagged(self, vector: np.ndarray, k: int, exact: Exact) -> list[tuple[str, float, int]]:
        """As `search`, each key with its tag."""
        query = np.ascontiguousarray(vector, np.float32)
        if query.shape != (self.dims,) or not np.isfinite(query).all():
            raise InputError(f"expected a finite vector of {self.dims} dimensions, got an array of shape {query.shape}")
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}")
        query = query.reshape(1, -1)
        with self._lock:
            wanted = max(k, CANDIDATES)
            while True:
                squared, slots = self._ivf.search(query, wanted)
                found = slots[0] >= 0
                slots, approx = slots[0][found], np.sqrt(np.maximum(squared[0][found], 0))
                if len(slots) == 0:
                    return []
                error = self._error[slots] + _SLACK
                kth_upper = np.partition(approx + error, min(k, len(slots)) - 1)[min(k, len(slots)) - 1]
                # Codes not returned are at least approx[-1] away by their codes, so their vectors at least
                # approx[-1] - max error: when that is beyond the k-th upper bound, none of them can rank.
                exhausted = len(slots) < wanted or wanted >= _MAX_CANDIDATES
                if exhausted or approx[-1] - self._max_error - _SLACK > kth_upper:
                    break
                wanted *= 4
            kept = slots[approx - error <= kth_upper]
            keys = [self._keys.key(int(s)) for s in kept]
            tags = [self._keys.tag(int(s)) for s in kept]
        vectors = exact(keys)
        ranked = []
        for key, tag in zip(keys, tags, strict=True):
            if key in vectors:
                exact_vector = np.asarray(vectors[key], np.float64)
                ranked.append((float(np.linalg.norm(exact_vector - query[0].astype(np.float64))), key, tag))
        ranked.sort()
        return [(key, distance, tag) for distance, key, tag in ranked[:k]]

    def _encode(self, vectors: np.ndarray, slots: np.ndarray) -> None:
        codes = self._ivf.sa_encode(vectors)
        lists = np.zeros(len(codes), np.int64)
        for byte in range(self._coarse):  # the coarse list number, little-endian in the code's first bytes
            lists |= codes[:, byte].astype(np.int64) << (8 * byte)
        decoded = self._ivf.sa_decode(codes).astype(np.float64)
        error = np.linalg.norm(vectors.astype(np.float64) - decoded, axis=1)
        self._error[slots] = np.nextafter(error.astype(np.float32), np.float32(np.inf))
        self._max_error = max(self._max_error, float(self._error[slots].max()) if len(slots) else 0.0)
        self._list[slots] = lists
        self._ivf.add_sa_codes(codes, slots)

    def _drop(self, slot: int) -> None:
        invlists, size = self._ivf.invlists, self._ivf.code_size
        number = int(self._list[slot])
        count = invlists.list_size(number)
        ids = faiss.rev_swig_ptr(invlists.get_ids(number), count)
        codes = faiss.rev_swig_ptr(invlists.get_codes(number), count * size).reshape(count, size)
        [offset] = np.flatnonzero(ids == slot)
        last = count - 1
        ids[offset], codes[offset] = ids[last], codes[last]  # the last entry fills the hole, as faiss does
        codes[last] = 0
        invlists.resize(number, last)
        self._ivf.ntotal -= 1
        self._error[slot] = 0
        self._keys.release(slot)

    def _reserve(self, size: int) -> None:
        if size > len(self._list):
            capacity = max(size, 2 * len(self._list), 1024)
            self._list = np.concatenate([self._list, np.zeros(capacity - len(self._list), np.int32)])
            self._error = np.concatenate([self._error, np.zeros(capacity - len(self._error), np.float32)])
