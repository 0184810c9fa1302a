"""A model's calibrated error rates: FMR(t) and FNMR(t) on a threshold grid, and the 1:N operating points they give.

A calibration counts, for each threshold t of a grid, the impostor pairs (different people) at a distance under t
(false matches) and the genuine pairs (same person) at t or over (false non-matches), over every pair of a labelled
image set. From those counts: the threshold at which a search over N templates keeps the expected false positive
identification rate 1 - (1 - FMR(t))^N within a target, the FNIR predicted there (the FNMR at that threshold), and
the largest gallery for which a target FPIR still comes with an FNIR under a tolerance.
"""

import bisect
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from facegate.errors import InputError

FORMAT = "facegate-calibration/1"
GRID = tuple(round(0.15 + 0.001 * i, 3) for i in range(601))  # 0.150 .. 0.750


class CalibrationError(InputError):
    """A calibration file cannot be read, or there is none for a model."""


class MissingCalibrationError(CalibrationError):
    """No calibration exists for the model asked: its 1:N decisions cannot be set."""


@dataclass(frozen=True)
class Calibration:
    """Counts of false matches and false non-matches per threshold, with where they were measured."""

    model_id: str
    dataset: str
    images: int
    identities: int
    genuine_pairs: int
    impostor_pairs: int
    created: str
    thresholds: tuple[float, ...]
    false_matches: tuple[int, ...]  # impostor pairs with distance < threshold
    false_non_matches: tuple[int, ...]  # genuine pairs with distance >= threshold
    failures_to_enroll: int = 0
    command: str = ""

    def fmr(self, threshold: float) -> float:
        """False match rate at the grid threshold at or below `threshold` (an upper estimate never needs more)."""
        i = self._at_or_below(threshold)
        return self.false_matches[i] / self.impostor_pairs if i >= 0 else 0.0

    def fnmr(self, threshold: float) -> float:
        """False non-match rate at the grid threshold at or below `threshold` (conservative for a decision at it)."""
        i = self._at_or_below(threshold)
        return self.false_non_matches[i] / self.genuine_pairs if i >= 0 else 1.0

    def threshold_for_fmr(self, fmr: float) -> float | None:
        """The loosest grid threshold whose measured FMR is at most `fmr`; None when even the tightest exceeds it."""
        # false_matches only grows along the grid: the last count within the allowance is found by bisection.
        i = bisect.bisect_right(self.false_matches, math.floor(fmr * self.impostor_pairs)) - 1
        return self.thresholds[i] if i >= 0 else None

    def threshold_for(self, gallery_size: int, target_fpir: float) -> float | None:
        """The threshold t(N) at which a search over `gallery_size` templates keeps 1-(1-FMR)^N within the target."""
        return self.threshold_for_fmr(per_comparison_fmr(gallery_size, target_fpir))

    def predicted_fnir(self, gallery_size: int, target_fpir: float) -> float:
        """FNIR (rank 1) predicted at t(N): the FNMR there; 1.0 when no threshold meets the target."""
        t = self.threshold_for(gallery_size, target_fpir)
        return 1.0 if t is None else self.fnmr(t)

    def max_gallery(self, target_fpir: float, fnir_tolerance: float) -> int:
        """The largest gallery whose predicted FNIR at the target FPIR is within the tolerance (0 when none)."""
        # The loosest threshold allowed by the tolerance; a gallery may grow while t(N) stays at or above it.
        loosest = next((t for t in self.thresholds if self.fnmr(t) <= fnir_tolerance), None)
        if loosest is None:
            return 0
        fmr = self.fmr(loosest)
        if fmr == 0:
            return self.impostor_pairs  # beyond what the calibration can vouch for; capped by its size
        # Largest N with 1 - (1 - fmr)^N <= target.
        return max(math.floor(math.log1p(-target_fpir) / math.log1p(-fmr)), 0)

    def _at_or_below(self, threshold: float) -> int:
        return bisect.bisect_right(self.thresholds, threshold + 1e-9) - 1

    def to_json(self) -> str:
        """The calibration as JSON text, provenance first."""
        data = {"format": FORMAT, **asdict(self)}
        return json.dumps(data, indent=1, separators=(",", ": ")) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "calibration") -> "Calibration":
        """Parse a calibration file written by `to_json`; refuse anything else with a clear message."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CalibrationError(f"{source} is not JSON: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(data, dict) or data.pop("format", None) != FORMAT:
            raise CalibrationError(f"{source} is not a facegate calibration file (format {FORMAT})")
        try:
            grids = {k: tuple(data[k]) for k in ("thresholds", "false_matches", "false_non_matches")}
            result = cls(**{**data, **grids})
        except (TypeError, KeyError) as exc:
            raise CalibrationError(f"{source} is missing or has unknown fields ({exc})") from None
        lengths = {len(result.thresholds), len(result.false_matches), len(result.false_non_matches)}
        if len(lengths) != 1 or result.genuine_pairs <= 0 or result.impostor_pairs <= 0:
            raise CalibrationError(f"{source} has inconsistent counts")
        return result


def per_comparison_fmr(gallery_size: int, target_fpir: float) -> float:
    """The FMR per comparison at which N independent comparisons give a false positive with chance `target_fpir`."""
    if gallery_size < 1:
        return 1.0
    return -math.expm1(math.log1p(-target_fpir) / gallery_size)


def count_pairs(
    vectors: np.ndarray, labels: np.ndarray, thresholds: Iterable[float] = GRID, chunk: int = 1024
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Over every pair of rows: false matches and false non-matches per threshold, and the pair counts.

    Distances are computed block by block (never the whole N x N matrix) and binned on the grid.
    """
    grid = np.asarray(list(thresholds), np.float64)
    x = np.asarray(vectors, np.float64)
    labels = np.asarray(labels)
    sq = np.einsum("ij,ij->i", x, x)
    edges = np.concatenate([[-np.inf], grid, [np.inf]])
    genuine_hist = np.zeros(len(grid) + 1, np.int64)
    impostor_hist = np.zeros(len(grid) + 1, np.int64)
    for start in range(0, len(x), chunk):
        block = x[start : start + chunk]
        d2 = sq[start : start + chunk, None] + sq[None, start:] - 2 * block @ x[start:].T
        d = np.sqrt(np.maximum(d2, 0))
        rows = np.arange(len(block))[:, None]
        upper = np.arange(start, len(x))[None, :] > (start + rows)  # each pair once, no self-pairs
        same = labels[start : start + chunk, None] == labels[None, start:]
        genuine_hist += np.histogram(d[upper & same], edges)[0]
        impostor_hist += np.histogram(d[upper & ~same], edges)[0]
    # bin i holds distances in [grid[i-1], grid[i]): cumulative sums give "< t" for impostors
    false_matches = np.cumsum(impostor_hist)[:-1]
    false_non_matches = genuine_hist.sum() - np.cumsum(genuine_hist)[:-1]
    return false_matches, false_non_matches, int(genuine_hist.sum()), int(impostor_hist.sum())


def calibrate(
    vectors: np.ndarray,
    labels: np.ndarray,
    model_id: str,
    dataset: str,
    today: date,
    failures_to_enroll: int = 0,
    command: str = "",
) -> Calibration:
    """A calibration from labelled embeddings (one row per image, its identity in `labels`)."""
    if len(vectors) != len(labels) or len(vectors) < 2:
        raise InputError("calibration needs at least two labelled embeddings")
    fm, fnm, genuine, impostor = count_pairs(vectors, labels)
    if genuine == 0 or impostor == 0:
        raise InputError("calibration needs several images of some people and images of several people")
    return Calibration(
        model_id=model_id,
        dataset=dataset,
        images=len(vectors),
        identities=len(set(labels.tolist())),
        genuine_pairs=genuine,
        impostor_pairs=impostor,
        created=today.isoformat(),
        thresholds=GRID,
        false_matches=tuple(int(v) for v in fm),
        false_non_matches=tuple(int(v) for v in fnm),
        failures_to_enroll=failures_to_enroll,
        command=command,
    )


def load(path: Path) -> Calibration:
    """Read a calibration file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"cannot read the calibration {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return Calibration.from_json(text, path.name)


@cache
def shipped(model_id: str) -> Calibration | None:
    """The calibration shipped in the package for `model_id`, or None."""
    resource = resources.files("facegate.engine").joinpath("calibrations", f"{model_id}.json")
    if not resource.is_file():
        return None
    return Calibration.from_json(resource.read_text(encoding="utf-8"), resource.name)


def for_model(model_id: str) -> Calibration:
    """The shipped calibration of `model_id`; refuse a model without one, saying how to make one."""
    found = shipped(model_id)
    if found is None:
        raise MissingCalibrationError(
            f"no calibration for model {model_id}: 1:N identification needs the model's measured error rates to set "
            "its threshold; run `facegate calibrate --images DIR` and ship the file, or use 1:1 verification"
        )
    return found


def labelled_images(images: Path) -> tuple[list[Path], list[str]]:
    """Every JPEG, PNG or WebP in the folders of `images` (<identity>/<file>), with the folder name as identity."""
    if not images.is_dir():
        raise InputError(f"no such image folder: {images}")
    files = sorted(
        p for p in images.glob("*/*") if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")
    )
    if not files:
        raise InputError(f"no images in {images}: expected <identity>/<image> files (LFW's layout)")
    return files, [p.parent.name for p in files]


def calibrate_folder(
    images: Path,
    today: date,
    workers: int | None = None,
    dataset: str | None = None,
    command: str = "",
    on_progress: Callable[[int, int], None] | None = None,
    **engine_options: object,
) -> Calibration:
    """Embed every image of a labelled folder once (the face nearest the centre) and calibrate on every pair."""
    from facegate.engine.bulk import embed_files

    files, identities = labelled_images(images)
    vectors, labels, failures, model_id = [], [], 0, ""
    for done, (result, label) in enumerate(
        zip(embed_files(files, workers, pick="centre", **engine_options), identities, strict=True), start=1
    ):
        if result.vector is None:
            failures += 1
        else:
            vectors.append(result.vector)
            labels.append(label)
            model_id = model_id or result.model_id
        if on_progress:
            on_progress(done, len(files))
    return calibrate(
        np.stack(vectors) if vectors else np.zeros((0, 128), np.float32),
        np.array(labels),
        model_id,
        dataset or f"{images.resolve().parent.name}/{images.resolve().name}",
        today,
        failures,
        command,
    )
