"""1:N identification: exact nearest-neighbour search over one deployment's templates, held only in memory.

Brute force over a float32 matrix, for galleries up to engine/gallery.py's EXACT_UP_TO subjects (past it, the
compressed index of engine/approximate.py). Per query it is one BLAS matrix-vector product
(`||x||² - 2x·q + ||q||²`, norms kept per row), a scan for the best scores, and an exact float64 re-ranking of
the few rows within the float32 rounding bound of the k-th best, so the results are the exact nearest neighbours
with exact distances. A query over 1,000,000 templates took about 20 ms on 2 idle cores (59 ms of CPU time on one
loaded core in bench/index.py). Flat faiss indexes were measured against it and did not beat it: IndexFlatL2 was
4x slower per single query, an 8-bit scalar-quantized flat index with re-ranking about as fast, and 4-bit
fast-scan PQ fast but with recall@1 of 0.78; what faiss adds past 100,000 is the inverted file.
Memory: 4 x (dims + 1) bytes per template (516 MB for 1,000,000 x 128) plus about 100 bytes per key.
"""

import threading

import numpy as np

from facegate.engine.face import Embedding
from facegate.errors import InputError, ModelMismatchError

_MIN_CAPACITY = 1024
_EPS = float(np.finfo(np.float32).eps)


class FaceIndex:
    """In-memory 1:N search over one deployment's decrypted templates; never written to disk."""

    def __init__(self, model_id: str, dims: int = 128) -> None:
        self.model_id = model_id
        self.dims = dims
        self._lock = threading.Lock()
        self._matrix = np.zeros((_MIN_CAPACITY, dims), np.float32)
        self._half_sq = np.zeros(_MIN_CAPACITY, np.float32)  # ||x||² / 2 per row
        self._max_sq = 0.0  # an upper bound on ||x||² over the rows, for the rounding bound
        self._keys: list[str] = []
        self._rows: dict[str, int] = {}

    def __len__(self) -> int:
        """The number of templates held."""
        return len(self._keys)

    @property
    def nbytes(self) -> int:
        """Bytes held by the vectors and their norms, allocated capacity included (keys excluded)."""
        return self._matrix.nbytes + self._half_sq.nbytes

    def add(self, key: str, vector: np.ndarray | Embedding) -> None:
        """Hold `vector` under `key`, replacing the vector the key held before."""
        self.add_many([key], self._as_vector(vector)[None, :])

    def add_many(self, keys: list[str], vectors: np.ndarray) -> None:
        """Hold each row of `vectors` under the key at the same position; a repeated key keeps its last row."""
        matrix = self._as_matrix(vectors, len(keys))
        last = {key: i for i, key in enumerate(keys)}
        with self._lock:
            held_rows, held_sources, new_keys, new_sources = [], [], [], []
            for key, i in last.items():
                row = self._rows.get(key)
                if row is None:
                    new_keys.append(key)
                    new_sources.append(i)
                else:
                    held_rows.append(row)
                    held_sources.append(i)
            self._put(held_rows, matrix[held_sources])
            start = len(self._keys)
            self._reserve(start + len(new_keys))
            # A batch of distinct new keys (a bulk load) is copied as one slice, skipping fancy indexing.
            self._put(
                slice(start, start + len(new_keys)), matrix if len(new_keys) == len(keys) else matrix[new_sources]
            )
            self._rows.update(zip(new_keys, range(start, start + len(new_keys)), strict=True))
            self._keys.extend(new_keys)

    def remove(self, key: str) -> bool:
        """Drop `key` and overwrite its vector; False when the key is not held."""
        with self._lock:
            row = self._rows.pop(key, None)
            if row is None:
                return False
            last = len(self._keys) - 1
            if row != last:  # move the last row into the hole so the matrix stays dense
                moved = self._keys[last]
                self._matrix[row] = self._matrix[last]
                self._half_sq[row] = self._half_sq[last]
                self._keys[row] = moved
                self._rows[moved] = row
            self._matrix[last] = 0
            self._half_sq[last] = 0
            self._keys.pop()
            if len(self._keys) < len(self._half_sq) // 4 and len(self._half_sq) > _MIN_CAPACITY:
                self._resize(len(self._half_sq) // 2)
            return True

    def search(self, vector: np.ndarray | Embedding, k: int = 1) -> list[tuple[str, float]]:
        """The `k` nearest templates as (key, Euclidean distance), nearest first; fewer when fewer are held."""
        query = self._as_vector(vector)
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}")
        with self._lock:
            n = len(self._keys)
            if n == 0:
                return []
            k = min(k, n)
            matrix = self._matrix[:n]
            scores = matrix @ query  # ranks like the squared distance: ||x||²/2 - x·q = (d² - ||q||²)/2
            np.subtract(self._half_sq[:n], scores, out=scores)
            kth = scores.min() if k == 1 else np.partition(scores, k - 1)[k - 1]
            # Every row whose float32 score could still beat the k-th best within rounding error is re-ranked
            # in float64, so near ties come out in their true order with their true distances.
            bound = self.dims * _EPS * (self._max_sq + float(query @ query))
            candidates = np.flatnonzero(scores <= kth + bound)
            exact = np.linalg.norm(matrix[candidates].astype(np.float64) - query.astype(np.float64), axis=1)
            order = np.argsort(exact, kind="stable")[:k]
            return [(self._keys[candidates[i]], float(exact[i])) for i in order]

    def _put(self, rows: list[int] | slice, vectors: np.ndarray) -> None:
        self._matrix[rows] = vectors
        half_sq = np.einsum("ij,ij->i", vectors, vectors) / 2
        self._half_sq[rows] = half_sq
        if len(half_sq):
            self._max_sq = max(self._max_sq, 2 * float(half_sq.max()))

    def _reserve(self, size: int) -> None:
        if size > len(self._half_sq):
            self._resize(max(size, 2 * len(self._half_sq)))

    def _resize(self, capacity: int) -> None:
        n = len(self._keys)
        matrix = np.zeros((capacity, self.dims), np.float32)
        half_sq = np.zeros(capacity, np.float32)
        matrix[:n] = self._matrix[:n]
        half_sq[:n] = self._half_sq[:n]
        self._matrix.fill(0)  # the old buffer goes back to the allocator without template bytes in it
        self._matrix, self._half_sq = matrix, half_sq

    def _as_vector(self, vector: np.ndarray | Embedding) -> np.ndarray:
        if isinstance(vector, Embedding):
            if vector.model_id != self.model_id:
                raise ModelMismatchError(
                    f"this index holds {self.model_id} templates; cannot use an embedding of {vector.model_id}"
                )
            vector = vector.vector
        array = self._as_float32(vector)
        if array.shape != (self.dims,):
            raise InputError(f"expected a vector of {self.dims} dimensions, got an array of shape {array.shape}")
        return array

    def _as_matrix(self, vectors: np.ndarray, count: int) -> np.ndarray:
        array = self._as_float32(vectors)
        if array.shape != (count, self.dims):
            raise InputError(
                f"expected {count} vectors of {self.dims} dimensions (shape ({count}, {self.dims})), "
                f"got an array of shape {array.shape}"
            )
        return array

    @staticmethod
    def _as_float32(values: np.ndarray) -> np.ndarray:
        try:
            array = np.ascontiguousarray(values, dtype=np.float32)
        except (TypeError, ValueError):
            raise InputError(f"expected numbers for a template vector, got {type(values).__name__}") from None
        if not np.isfinite(array).all():
            raise InputError("a template vector contains NaN or infinity")
        return array
