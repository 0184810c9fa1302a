"""How strangers differ: each calibration image's own FMR(t), and the FPIR a gallery of N gives over them.

1 - (1 - FMR(t))^N, the FPIR of a search over N templates when every comparison is an independent draw at the
mean FMR, takes every stranger as alike. They are not: some faces lie near many people and most lie near none, and
since 1 - (1 - p)^N is concave in p, the FPIR over real strangers, the mean over them of 1 - (1 - FMR_i(t))^N, is
lower (Jensen). `Strangers` keeps, for each grid threshold t, how the calibration's images spread over FMR_i(t)
(the share of an image's m impostor comparisons under t), each FMR_i rounded up to a bin edge (a geometric grid of
`RATIO`). An image's 1 - (1 - FMR_i)^N is estimated without bias by 1 - C(m - c, N) / C(m, N), c = m FMR_i: the
chance that N of its m comparisons drawn without replacement hold a false match (the plug-in 1 - (1 - c/m)^N
understates it, badly once N nears m: an image with no false match in m comparisons may well have one in 2m). So
the estimate holds for galleries of up to m (the fewest comparisons of any image) and no further: past it, t(N) is
the independence formula's.
"""

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

FIRST_EDGE = 1e-6  # the smallest bin edge; an FMR_i above 0 is rounded up to FIRST_EDGE * RATIO**j
RATIO = 2 ** (1 / 32)  # each FMR_i overstated by at most 2.2%
MAX_FMR = 0.05  # thresholds kept up to where the mean FMR reaches this; beyond, the independence formula decides


@dataclass(frozen=True)
class Strangers:
    """Per grid threshold (from the grid's first, as far as kept): how many calibration images have their FMR_i
    rounded up to each bin edge FIRST_EDGE * RATIO**j, as [j0, count at j0, count at j0 + 1, ...]; the images
    not counted there have FMR_i = 0."""

    images: int
    comparisons: int  # the fewest impostor comparisons of any image: m, and the largest N estimated
    first_edge: float
    ratio: float
    histograms: tuple[tuple[int, ...], ...]

    def fpir(self, gallery_size: int) -> np.ndarray:
        """The mean over the images of 1 - (1 - FMR_i(t))^N for every kept grid threshold t."""
        counts, edges = self._dense()
        m, n = self.comparisons, min(gallery_size, self.comparisons)
        c = edges * m  # false matches out of m, rounded up with the FMR
        log_none = [math.lgamma(m - k + 1) - math.lgamma(m - k - n + 1) if m - k >= n else -math.inf for k in c]
        each = -np.expm1(np.array(log_none) - math.lgamma(m + 1) + math.lgamma(m - n + 1))  # 1 - C(m-c,N)/C(m,N)
        mean: np.ndarray = counts @ each / self.images
        return mean

    def loosest(self, gallery_size: int, target_fpir: float) -> int:
        """The index of the loosest kept grid threshold whose FPIR over N templates is within the target; -1 when
        none is, or when N is past the comparisons counted. The FPIR only grows along the grid."""
        if gallery_size > self.comparisons:
            return -1
        known: dict[tuple[int, float], int] = self.__dict__.setdefault("_loosest", {})  # asked per search
        key = (gallery_size, target_fpir)
        if key not in known:
            if len(known) > 4096:
                known.clear()
            within = np.flatnonzero(self.fpir(max(gallery_size, 1)) <= target_fpir)
            known[key] = int(within[-1]) if len(within) else -1
        return known[key]

    def limit(self, index: int, target_fpir: float, cap: int) -> int:
        """The largest N (at most `cap` and the comparisons counted) whose FPIR at grid threshold `index` is within the
        target."""
        cap = min(cap, self.comparisons)
        if index >= len(self.histograms) or self._at(index, 1) > target_fpir:
            return 0
        if self._at(index, cap) <= target_fpir:
            return cap
        low, high = 1, cap  # FPIR within the target at low, over it at high
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if self._at(index, middle) <= target_fpir else (low, middle)
        return low

    def _at(self, index: int, gallery_size: int) -> float:
        return float(self.fpir(gallery_size)[index])

    def _dense(self) -> tuple[np.ndarray, np.ndarray]:
        """The histograms as one matrix (kept thresholds x bins) and the bins' edges (kept on the object)."""
        found: tuple[np.ndarray, np.ndarray] | None = self.__dict__.get("_matrix")
        if found is None:
            bins = max((h[0] + len(h) - 1 for h in self.histograms if len(h) > 1), default=1)
            counts = np.zeros((len(self.histograms), bins))
            for row, histogram in enumerate(self.histograms):
                counts[row, histogram[0] : histogram[0] + len(histogram) - 1] = histogram[1:]
            edges = np.minimum(self.first_edge * self.ratio ** np.arange(bins), 1.0)
            found = self.__dict__["_matrix"] = (counts, edges)
        return found

    def to_lines(self) -> str:
        """The JSON of this object, one histogram a line (the calibration file's other lists are one number a
        line; these would be 100,000 lines)."""
        rows = ",\n  ".join("[" + ",".join(map(str, h)) + "]" for h in self.histograms)
        return (f'{{"images": {self.images}, "comparisons": {self.comparisons}, "first_edge": {self.first_edge!r}, '
                f'"ratio": {self.ratio!r}, "histograms": [\n  {rows}\n ]}}')  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Strangers":
        """From the parsed JSON of `to_lines`."""
        return cls(**{**data, "histograms": tuple(tuple(int(v) for v in h) for h in data["histograms"])})


def count_strangers(vectors: np.ndarray, labels: np.ndarray, grid: np.ndarray, chunk: int = 512) -> Strangers:
    """Every image against every image of everyone else: its FMR_i on the grid, binned per threshold, kept up to
    where the mean FMR over the images reaches MAX_FMR."""
    x = np.asarray(vectors, np.float64)
    labels = np.asarray(labels)
    sq = np.einsum("ij,ij->i", x, x)
    bins = math.ceil(math.log(1 / FIRST_EDGE) / math.log(RATIO)) + 1
    histogram = np.zeros((len(grid), bins + 1), np.int64)  # last column: FMR_i = 0
    mean_fmr = np.zeros(len(grid))
    fewest = len(x)
    for start in range(0, len(x), chunk):
        block = x[start : start + chunk]
        d = np.sqrt(np.maximum(sq[start : start + chunk, None] + sq[None, :] - 2 * block @ x.T, 0))
        impostor = labels[start : start + chunk, None] != labels[None, :]
        where = np.searchsorted(grid, d, side="right")  # k: grid[k-1] <= d < grid[k], so counted from t = grid[k]
        where[~impostor] = len(grid)  # never counted
        rows = np.arange(len(block))[:, None] * (len(grid) + 1)
        per_row = np.bincount((rows + where).ravel(), minlength=len(block) * (len(grid) + 1))
        under = np.cumsum(per_row.reshape(len(block), len(grid) + 1), axis=1)[:, : len(grid)]
        fewest = min(fewest, int(impostor.sum(axis=1).min()))
        fmr = under / np.maximum(impostor.sum(axis=1), 1)[:, None]  # (images, thresholds)
        mean_fmr += fmr.sum(axis=0)
        with np.errstate(divide="ignore"):
            j = np.ceil(np.log(fmr / FIRST_EDGE) / math.log(RATIO) - 1e-9)
        j = np.where(fmr > 0, np.clip(j, 0, bins - 1), bins).astype(np.int64)
        j += (j < bins) & (FIRST_EDGE * RATIO ** np.minimum(j, bins - 1) < fmr)  # never rounded down
        j = np.minimum(j, bins)
        cells = (np.arange(len(grid))[None, :] * (bins + 1) + j).ravel()
        histogram += np.bincount(cells, minlength=len(grid) * (bins + 1)).reshape(len(grid), bins + 1)
    kept = int(np.searchsorted(mean_fmr / len(x), MAX_FMR, side="right"))
    rows_out = []
    for row in histogram[:kept, :bins]:
        used = np.flatnonzero(row)
        rows_out.append((0,) if not len(used) else (int(used[0]), *(int(v) for v in row[used[0] : used[-1] + 1])))
    return Strangers(len(x), fewest, FIRST_EDGE, RATIO, tuple(rows_out))
