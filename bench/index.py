"""1:N at 1 to 10 million templates: the compressed index (IVF-SQ8 + exact re-rank) against exact brute force.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/index.py --templates /tmp/lfw-templates.npz \\
        [--size 10000000] [--queries 1000] [--cache /tmp/facegate-bench-index]

Templates are synthetic, shaped like real ones: identities drawn from a Gaussian with the between-identity
covariance of real LFW templates (--templates: an npz of `vectors` and `identities`, as bench/identify.py --cache
writes), one photo each with the within-identity covariance. Half the queries are mated (a fresh photo of an
enrolled identity), half are strangers (new identities). The gallery, the built index and the exact answers are
cached under --cache (never in the repository); a second run only searches.

Reported, one thread for the searches (faiss and BLAS): search latency p50/p95 of the compressed index (CPU time
of the searching thread, which a loaded machine does not inflate, and wall time), exact
brute force (FaceIndex's float32 matrix-vector product over the same matrix) on the first --baseline-queries
queries and the ratio; how many exact vectors each search fetched for its re-rank; the index's bytes and the
process's anonymous memory for it; recall of the exact top-1 for mated queries and strangers; whether the decision
(who is named, or nobody) is unchanged at the given thresholds.
"""

import argparse
import json
import os
import time
from pathlib import Path

import faiss
import numpy as np

from facegate.engine.approximate import ApproximateIndex, lists_for

DIMS = 128
CHUNK = 500_000


def anon_bytes() -> int:
    """Anonymous resident memory of this process (Linux): what the index takes, not the page cache of the files."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


class Shape:
    """A Gaussian model of real templates: identity centres and one photo's deviation from its centre."""

    def __init__(self, vectors: np.ndarray, identities: np.ndarray) -> None:
        names = sorted(set(identities.tolist()))
        centres = np.stack([vectors[identities == n].mean(axis=0) for n in names])
        deviations = vectors - centres[np.searchsorted(names, identities)]
        per_identity = len(vectors) / len(names)
        within = np.cov(deviations.T) * per_identity / max(per_identity - 1, 1)
        between = np.cov(centres.T) - within / per_identity  # the centres' spread less their own noise
        self.mean = vectors.mean(axis=0)
        self.between, self.within = self._root(between), self._root(within)

    @staticmethod
    def _root(covariance: np.ndarray) -> np.ndarray:
        values, vectors = np.linalg.eigh(covariance)
        return vectors * np.sqrt(np.maximum(values, 0))

    def centres(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """New identities."""
        return (self.mean + rng.standard_normal((count, DIMS)) @ self.between.T).astype(np.float32)

    def photos(self, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
        """One photo of each identity."""
        return (centres + rng.standard_normal(centres.shape) @ self.within.T).astype(np.float32)


def gallery(shape: Shape, size: int, queries: int, cache: Path, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The gallery (a float32 memmap) and the queries: mated photos of the first rows' identities, then strangers."""
    path, probes = cache / f"gallery-{size}-{seed}.f32", cache / f"queries-{size}-{seed}-{queries}.npy"
    if not path.exists() or not probes.exists():
        rng = np.random.default_rng(seed)
        matrix = np.lib.format.open_memmap(cache / "partial.npy", "w+", np.float32, (size, DIMS))
        for start in range(0, size, CHUNK):
            centres = shape.centres(rng, min(CHUNK, size - start))
            matrix[start : start + len(centres)] = shape.photos(rng, centres)
            if start == 0:  # rows are independent draws, so the first rows are as random a sample as any
                mated = shape.photos(rng, centres[: queries // 2])
        matrix.flush()
        strangers = shape.photos(rng, shape.centres(rng, queries - queries // 2))
        np.save(probes, np.concatenate([mated, strangers]))
        (cache / "partial.npy").rename(path)
    return np.load(path, mmap_mode="r"), np.load(probes)


def exact_top(matrix: np.ndarray, queries: np.ndarray, cache: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Each query's exact nearest row and distance (float32 scan in blocks, the best few re-ranked in float64)."""
    path = cache / f"exact-{name}.npz"
    if path.exists():
        found = np.load(path)
        return found["rows"], found["distances"]
    best_rows = np.zeros((len(queries), 0), np.int64)
    best_d2 = np.zeros((len(queries), 0), np.float32)
    q_sq = np.einsum("ij,ij->i", queries, queries)
    for start in range(0, len(matrix), CHUNK // 8):  # bounds the distance block to queries x 62,500 floats
        block = np.asarray(matrix[start : start + CHUNK // 8])
        d2 = np.einsum("ij,ij->i", block, block)[None, :] - 2 * queries @ block.T + q_sq[:, None]
        few = np.argpartition(d2, 8, axis=1)[:, :8]
        best_rows = np.concatenate([best_rows, few + start], axis=1)
        best_d2 = np.concatenate([best_d2, np.take_along_axis(d2, few, axis=1)], axis=1)
        keep = np.argsort(best_d2, axis=1)[:, :8]
        best_rows, best_d2 = np.take_along_axis(best_rows, keep, 1), np.take_along_axis(best_d2, keep, 1)
    exact = np.linalg.norm(matrix[best_rows.ravel()].reshape(*best_rows.shape, DIMS) - queries[:, None], axis=2)
    pick = exact.argmin(axis=1)
    rows, distances = best_rows[np.arange(len(queries)), pick], exact[np.arange(len(queries)), pick]
    np.savez(path, rows=rows, distances=distances)
    return rows, distances


def key(row: int) -> str:
    """A template key of the length of a UUID's hex."""
    return f"{row:032x}"


def build(
    matrix: np.ndarray, cache: Path, name: str, lists: int | None, probes: int | None
) -> tuple[ApproximateIndex, float]:
    """The compressed index over every row, from the cache when it is there; the seconds a build took."""
    lists = lists_for(len(matrix)) if lists is None else lists
    path = cache / f"index-{name}-{lists}"
    if path.with_suffix(".faiss").exists():
        return load(path, probes), json.loads(path.with_suffix(".json").read_text())["build_seconds"]
    started = time.perf_counter()
    rng = np.random.default_rng(1)
    sample = np.asarray(matrix[np.sort(rng.choice(len(matrix), min(len(matrix), 200_000), replace=False))])
    index = ApproximateIndex("bench", sample, probes=probes, lists=lists)
    for start in range(0, len(matrix), CHUNK):
        rows = range(start, min(start + CHUNK, len(matrix)))
        index.add_many([key(r) for r in rows], np.asarray(matrix[rows.start : rows.stop]))
        print(f"  built {rows.stop:,} of {len(matrix):,} ({time.perf_counter() - started:.0f} s)", flush=True)
    seconds = time.perf_counter() - started
    save(index, path, seconds)
    return index, seconds


def save(index: ApproximateIndex, path: Path, seconds: float) -> None:
    """Keep a synthetic index between runs (a real one is never written anywhere)."""
    faiss.write_index(index._ivf, str(path.with_suffix(".faiss")))
    keys = index._keys
    np.savez(path.with_suffix(".npz"), hashes=keys._hashes[: keys._top], keys=keys._keys[: keys._top],
             tags=keys._tags[: keys._top], lists=index._list, error=index._error)  # fmt: skip
    path.with_suffix(".json").write_text(json.dumps({"build_seconds": seconds, "max_error": index._max_error}))


def load(path: Path, probes: int | None) -> ApproximateIndex:
    """An index kept by `save`."""
    index = ApproximateIndex.__new__(ApproximateIndex)
    ivf = faiss.read_index(str(path.with_suffix(".faiss")))
    ApproximateIndex.__init__(index, "bench", np.zeros((256, DIMS), np.float32), lists=256)  # locks and fields
    index._ivf, index._coarse = ivf, ivf.coarse_code_size()
    ivf.nprobe = probes or max(1, ivf.nlist // 4)
    held = np.load(path.with_suffix(".npz"))
    keys = index._keys
    keys._hashes, keys._keys, keys._tags, keys._top = held["hashes"], held["keys"], held["tags"], len(held["hashes"])
    index._list, index._error = held["lists"], held["error"]
    index._max_error = json.loads(path.with_suffix(".json").read_text())["max_error"]
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=Path, required=True, help="npz of real templates and identities")
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=1000, help="held-out queries, half mated (at least 1000)")
    parser.add_argument("--baseline-queries", type=int, default=10, help="queries timed on exact brute force")
    parser.add_argument("--lists", type=int, default=None, help="coarse lists (default: about sqrt(size))")
    parser.add_argument("--probes", type=int, default=None, help="lists scanned per search (default: lists / 4)")
    parser.add_argument("--thresholds", default="0.169,0.3,0.42", help="decision thresholds to compare at")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/facegate-bench-index"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    args.cache.mkdir(parents=True, exist_ok=True)
    real = np.load(args.templates)
    shape = Shape(real["vectors"].astype(np.float64), real["identities"])
    matrix, queries = gallery(shape, args.size, args.queries, args.cache, args.seed)
    name = f"{args.size}-{args.seed}"
    rows, distances = exact_top(matrix, queries, args.cache, f"{name}-{args.queries}")
    mated = np.arange(len(queries)) < args.queries // 2
    print(f"{args.size:,} synthetic templates from {len(real['vectors']):,} real ones; mated queries' exact "
          f"distance median {np.median(distances[mated]):.3f}, strangers' {np.median(distances[~mated]):.3f}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)  # fmt: skip

    before = anon_bytes()
    index, build_seconds = build(matrix, args.cache, name, args.lists, args.probes)
    held = anon_bytes() - before
    fetched: list[int] = []

    def exact(keys: list[str]) -> dict[str, np.ndarray]:
        fetched.append(len(keys))
        return {k: np.asarray(matrix[int(k, 16)]) for k in keys}

    for query in queries[:5]:  # warm the caches
        index.search(query, 1, exact)
    found, seconds, cpu = [], [], []
    fetched.clear()
    for query in queries:
        started, started_cpu = time.perf_counter(), time.thread_time()
        found.append(index.search(query, 1, exact)[0])
        seconds.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
    baseline, baseline_cpu, starts = [], [], range(0, len(matrix), CHUNK)
    half_sq = np.concatenate([np.einsum("ij,ij->i", matrix[s : s + CHUNK], matrix[s : s + CHUNK]) / 2 for s in starts])
    for query in queries[: args.baseline_queries]:
        started, started_cpu = time.perf_counter(), time.thread_time()
        best = int(np.argmin(np.concatenate([half_sq[s : s + CHUNK] - matrix[s : s + CHUNK] @ query for s in starts])))
        baseline.append(time.perf_counter() - started)
        baseline_cpu.append(time.thread_time() - started_cpu)
        assert best == rows[len(baseline) - 1]
    ms, base_ms = np.median(seconds) * 1e3, np.median(baseline) * 1e3
    same = np.array([k == key(int(r)) for (k, _), r in zip(found, rows, strict=True)])
    print(f"index: {index._ivf.nlist} lists, {index.probes} scanned per search; built in {build_seconds:.0f} s; "
          f"{index.nbytes / 2**30:.2f} GiB held, process +{held / 2**30:.2f} GiB anonymous memory (peak "
          f"{_peak() / 2**30:.2f} GiB)")  # fmt: skip
    cpu_ms, base_cpu_ms = np.median(cpu) * 1e3, np.median(baseline_cpu) * 1e3
    print(f"search, one thread ({len(seconds)} queries): CPU time p50 {cpu_ms:.1f} ms, p95 "
          f"{np.percentile(cpu, 95) * 1e3:.1f} ms; wall p50 {ms:.1f} ms, p95 {np.percentile(seconds, 95) * 1e3:.1f} ms")
    print(f"exact brute force ({len(baseline)} queries): CPU time p50 {base_cpu_ms:.0f} ms, wall p50 {base_ms:.0f} ms; "
          f"the index is {base_cpu_ms / cpu_ms:.1f}x faster in CPU time, {base_ms / ms:.1f}x in wall time; exact "
          f"vectors fetched per search: mean {np.mean(fetched):.1f}, max {max(fetched)}")  # fmt: skip
    print(f"exact top-1 found: mated {same[mated].sum()}/{mated.sum()}, strangers {same[~mated].sum()}/"
          f"{(~mated).sum()}; distances of the ones found equal the exact: "
          f"{all(abs(d - e) < 1e-5 for (_, d), e, s in zip(found, distances, same, strict=True) if s)}")
    for threshold in (float(t) for t in args.thresholds.split(",")):
        def named(key_and_distance: tuple[str, float], t: float = threshold) -> str | None:
            return key_and_distance[0] if key_and_distance[1] < t else None

        want = [key(int(r)) if d < threshold else None for r, d in zip(rows, distances, strict=True)]
        agree = np.array([named(f) == w for f, w in zip(found, want, strict=True)])
        print(f"decision at threshold {threshold}: unchanged for mated {agree[mated].sum()}/{mated.sum()}, "
              f"strangers {agree[~mated].sum()}/{(~mated).sum()} (exact names {sum(w is not None for w in want)})")


def _peak() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    main()
