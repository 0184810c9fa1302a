"""1:N identification time of FaceIndex at 10,000 to 1,000,000 templates, against plain numpy in the same run.

    .venv/bin/python bench/index.py [--sizes 10000,100000,1000000] [--queries 250] [--baseline-queries 30]

Templates are synthetic normalized 128-d vectors. Half the queries are re-captures of enrolled templates
(a stored vector moved by noise of norm 0.35, the typical same-person distance), half are strangers.
Each query is one search(k=1) call, timed alone; the baseline is `np.linalg.norm(matrix - q, axis=1).argmin()`
on the same matrix, timed on the first --baseline-queries queries (it takes about a second per query at
1,000,000). Other jobs may share the machine, so read the medians.
"""

import argparse
import gc
import os
import time

import numpy as np

from facegate.engine.index import FaceIndex

DIMS = 128


def rss_bytes() -> int:
    """Resident memory of this process in bytes (Linux), 0 where /proc is absent."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def normalized(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` random unit vectors, float32."""
    vectors = rng.standard_normal((count, DIMS), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def queries(rng: np.random.Generator, matrix: np.ndarray, count: int) -> np.ndarray:
    """Re-captures of enrolled templates interleaved with strangers."""
    probes = matrix[rng.integers(0, len(matrix), count)] + normalized(rng, count) * 0.35
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    strangers = normalized(rng, count)
    return np.where((np.arange(count) % 2 == 0)[:, None], probes, strangers)


def timed(function, items) -> tuple[list, np.ndarray]:
    """Call `function` on each item alone; its results and the seconds each call took."""
    results, seconds = [], []
    for item in items:
        started = time.perf_counter()
        results.append(function(item))
        seconds.append(time.perf_counter() - started)
    return results, np.array(seconds)


def run(size: int, query_count: int, baseline_count: int, rng: np.random.Generator) -> None:
    matrix = normalized(rng, size)
    keys = [f"{i:032x}" for i in range(size)]  # the length of a hex UUID, like template IDs
    gc.collect()
    before = rss_bytes()
    index = FaceIndex("bench", DIMS)
    started = time.perf_counter()
    index.add_many(keys, matrix)
    build = time.perf_counter() - started
    held = rss_bytes() - before

    batch = queries(rng, matrix, query_count)
    for query in batch[:5]:  # warm caches and BLAS threads
        index.search(query)
    found, seconds = timed(lambda q: index.search(q)[0][0], batch)
    nearest, baseline = timed(lambda q: int(np.linalg.norm(matrix - q, axis=1).argmin()), batch[:baseline_count])
    agree = sum(found[i] == keys[j] for i, j in enumerate(nearest))

    ms, base_ms = np.median(seconds) * 1e3, np.median(baseline) * 1e3
    print(
        f"{size:>9,} | build {build:6.2f} s | vectors {index.nbytes / 2**20:6.1f} MiB, process +{held / 2**20:6.1f} MiB"
        f" | search median {ms:7.2f} ms, p95 {np.percentile(seconds, 95) * 1e3:7.2f} ms ({len(seconds)} queries)"
        f" | numpy baseline median {base_ms:8.2f} ms ({len(baseline)} queries) | {base_ms / ms:5.1f}x faster"
        f" | same top-1 as baseline {agree}/{len(nearest)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated template counts")
    parser.add_argument("--queries", type=int, default=250, help="timed queries per size (at least 200)")
    parser.add_argument("--baseline-queries", type=int, default=30, help="queries timed on the numpy baseline")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"machine: {os.cpu_count()} cores; numpy {np.__version__}; {DIMS}-d float32 templates; k=1")
    for size in (int(s) for s in args.sizes.split(",")):
        run(size, args.queries, args.baseline_queries, rng)
        gc.collect()


if __name__ == "__main__":
    main()
