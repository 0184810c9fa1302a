"""A model's calibrated error rates: FMR(t) and FNMR(t) on a threshold grid, and the 1:N operating points they give.

A calibration counts, for each threshold t of a grid, the impostor pairs (different people) at a distance under t
(false matches) and the genuine pairs (same person) at t or over (false non-matches), over every pair of a labelled
image set. From those counts: the threshold at which a search over N templates keeps the expected false positive
identification rate within a target (below), the FNIR predicted there (the FNMR at that threshold), and
the largest gallery for which a target FPIR still comes with an FNIR under a tolerance.

A subject enrolled with several photos is searched as one fused template (`fused`: the mean of its templates at
their mean length). A fused template lies nearer to strangers than one photo does, so the calibration counts its
error rates apart, per number of photos k (`Fused`): a probe against the fused template of k photos of another
person, and of k other photos of the same person. A distance to a fused template is then put on the one-photo
scale (`one_photo_scale`: the one-photo distance with the same calibrated FMR), so that one threshold, t(N) for N
subjects, gives every subject the same FMR whatever its number of photos (`threshold_for_gallery`). With one
threshold on raw distances instead, the fused templates (nearer to strangers) spent most of the FPIR and the
one-photo subjects, most of the misses, got a tighter threshold than they needed (docs/engine.md).

t(N) takes strangers as they are where the calibration counted them (`strangers`, format /2): the FPIR of N
templates is the mean over the calibration's images of 1 - (1 - FMR_i(t))^N, each image with its own FMR
(engine/strangers.py), which is lower than 1 - (1 - FMR(t))^N. A file without those counts (format /1) keeps the
independence formula, which bounds the other from above.
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

from facegate.engine.strangers import Strangers, count_strangers
from facegate.errors import CalibrationError, InputError, MissingCalibrationError

FORMAT = "facegate-calibration/2"  # /2: with `strangers`; /1 files still load, decided by the independence formula
FORMATS = ("facegate-calibration/1", FORMAT)
GRID = tuple(round(0.15 + 0.001 * i, 3) for i in range(601))  # 0.150 .. 0.750
FUSED_PHOTOS = 3  # fused templates are calibrated for 2 .. this many photos per subject


@dataclass(frozen=True)
class Fused:
    """Error counts per threshold of probes against fused templates of `photos` photos each."""

    photos: int
    genuine_pairs: int
    impostor_pairs: int
    false_matches: tuple[int, ...]
    false_non_matches: tuple[int, ...]


@dataclass(frozen=True)
class OnePass:
    """Error counts per threshold of 1:1 verification's pairs: each image's template (flip TTA) against every other
    image's one-pass probe, so each pair counted both ways."""

    genuine_pairs: int
    impostor_pairs: int
    false_matches: tuple[int, ...]
    false_non_matches: tuple[int, ...]


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
    fused: tuple[Fused, ...] = ()  # per number of photos, from 2
    verification: OnePass | None = None  # 1:1 pairs, template against one-pass probe; None: as the counts above
    strangers: Strangers | None = None  # each image's own FMR(t); None: strangers taken as alike

    def fmr(self, threshold: float, photos: int = 1) -> float:
        """False match rate at the grid threshold at or below `threshold` (an upper estimate never needs more),
        against a template fused from `photos` photos."""
        i = self._at_or_below(threshold)
        fm, pairs = self._counts(photos, "false_matches")
        return fm[i] / pairs if i >= 0 else 0.0

    def fnmr(self, threshold: float, photos: int = 1) -> float:
        """False non-match rate at the grid threshold at or below `threshold` (conservative for a decision at it),
        against a template fused from `photos` photos."""
        i = self._at_or_below(threshold)
        fnm, pairs = self._counts(photos, "false_non_matches")
        return fnm[i] / pairs if i >= 0 else 1.0

    def verification_rates(self, threshold: float) -> tuple[float, float]:
        """FMR and FNMR of a 1:1 verification at the grid threshold at or below `threshold`: a template against a
        one-pass probe where this calibration counted those pairs, else template against template."""
        counts = self.verification
        if counts is None:
            return self.fmr(threshold), self.fnmr(threshold)
        i = self._at_or_below(threshold)
        if i < 0:
            return 0.0, 1.0
        return counts.false_matches[i] / counts.impostor_pairs, counts.false_non_matches[i] / counts.genuine_pairs

    def fused_photos(self) -> int:
        """The most photos per subject this calibration vouches for (1 without fused counts)."""
        return max((f.photos for f in self.fused), default=1)

    def threshold_for_gallery(self, photos: dict[int, int], target_fpir: float, alike: bool = False) -> float | None:
        """t(N) for a gallery of subjects, `photos[k]` of them searched by a template fused from k photos, on the
        one-photo scale (`one_photo_scale`): t(N) for N subjects, each at the same FMR. None when no threshold meets
        the target, or when a k has no counts here."""
        held = {k: n for k, n in photos.items() if n > 0}
        if held and max(held) > self.fused_photos():
            return None
        return self.threshold_for(sum(held.values()), target_fpir, alike)

    def predicted_fnir_for_gallery(self, photos: dict[int, int], target_fpir: float) -> float:
        """FNIR (rank 1) predicted at `threshold_for_gallery`: each subject's FNMR at the distance that reaches it on
        the one-photo scale, averaged over subjects."""
        t = self.threshold_for_gallery(photos, target_fpir)
        held = {k: n for k, n in photos.items() if n > 0}
        if t is None or not held:
            return 1.0
        grid = np.asarray(self.thresholds)
        missed = 0.0
        for k, n in held.items():
            under = grid[self.one_photo_scale(grid, k) <= t]  # the grid distances decided as a match
            missed += n * (self.fnmr(float(under[-1]), k) if len(under) else 1.0)
        return missed / sum(held.values())

    def one_photo_scale(self, distances: np.ndarray, photos: int) -> np.ndarray:
        """Distances to templates fused from `photos` photos as the one-photo distances with the same calibrated FMR
        (interpolated in log FMR between grid points), never less than they are; one photo: unchanged."""
        distances = np.asarray(distances, np.float64)
        if photos == 1:
            return distances
        at, shift = _scale(self, photos)
        scaled: np.ndarray = distances + np.maximum(np.interp(distances, at, shift), 0.0)
        return scaled

    def _counts(self, photos: int, kind: str) -> tuple[tuple[int, ...], int]:
        if photos == 1:
            return getattr(self, kind), self.impostor_pairs if kind == "false_matches" else self.genuine_pairs
        for f in self.fused:
            if f.photos == photos:
                return getattr(f, kind), f.impostor_pairs if kind == "false_matches" else f.genuine_pairs
        raise CalibrationError(f"the calibration of {self.model_id} has no counts for templates fused from {photos}")

    def threshold_for_fmr(self, fmr: float) -> float | None:
        """The loosest grid threshold whose measured FMR is at most `fmr`; None when even the tightest exceeds it."""
        # false_matches only grows along the grid: the last count within the allowance is found by bisection.
        i = bisect.bisect_right(self.false_matches, math.floor(fmr * self.impostor_pairs)) - 1
        return self.thresholds[i] if i >= 0 else None

    def threshold_for(self, gallery_size: int, target_fpir: float, alike: bool = False) -> float | None:
        """The threshold t(N) at which a search over `gallery_size` templates keeps its expected FPIR within the
        target: the mean over the calibration's images of 1-(1-FMR_i)^N where it counted them (`strangers`), else
        (or with `alike`) 1-(1-FMR)^N, every stranger alike, which is never looser."""
        alike_t = self.threshold_for_fmr(per_comparison_fmr(gallery_size, target_fpir))
        if self.strangers is None or alike:
            return alike_t
        i = self.strangers.loosest(gallery_size, target_fpir)
        if i < 0:
            return alike_t
        return self.thresholds[i] if alike_t is None else max(self.thresholds[i], alike_t)  # beyond those kept

    def expected_fpir(self, threshold: float, gallery_size: int) -> float:
        """The FPIR expected of `gallery_size` templates at the grid threshold at or below `threshold`: over the
        calibration's images where it counted them (`strangers`), else of strangers alike."""
        i, kept = self._at_or_below(threshold), self.strangers
        if kept is not None and 0 <= i < len(kept.histograms) and gallery_size <= kept.comparisons:
            return float(kept.fpir(gallery_size)[i])
        return 1 - (1 - self.fmr(threshold)) ** gallery_size

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
        # Largest N with 1 - (1 - fmr)^N <= target; with strangers as they are, as large or larger.
        alike = max(math.floor(math.log1p(-target_fpir) / math.log1p(-fmr)), 0)
        if self.strangers is None:
            return alike
        return max(self.strangers.limit(self.thresholds.index(loosest), target_fpir, self.impostor_pairs), alike)

    def _at_or_below(self, threshold: float) -> int:
        return bisect.bisect_right(self.thresholds, threshold + 1e-9) - 1

    def to_json(self) -> str:
        """The calibration as JSON text, provenance first."""
        data = {"format": FORMAT, **asdict(self)}
        del data["strangers"]
        text = json.dumps(data, indent=1, separators=(",", ": "))
        if self.strangers is not None:
            text = text[: -len("\n}")] + ',\n "strangers": ' + self.strangers.to_lines() + "\n}"
        return text + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "calibration") -> "Calibration":
        """Parse a calibration file written by `to_json`; refuse anything else with a clear message."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CalibrationError(f"{source} is not JSON: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(data, dict) or data.pop("format", None) not in FORMATS:
            raise CalibrationError(f"{source} is not a facegate calibration file (format {FORMAT})")
        try:
            grids = {k: tuple(data[k]) for k in ("thresholds", "false_matches", "false_non_matches")}
            fused = tuple(
                Fused(**{**f, "false_matches": tuple(f["false_matches"]),
                         "false_non_matches": tuple(f["false_non_matches"])})
                for f in data.get("fused", ())
            )  # fmt: skip
            one_pass = data.get("verification")
            if one_pass is not None:
                one_pass = OnePass(**{**one_pass, "false_matches": tuple(one_pass["false_matches"]),
                                      "false_non_matches": tuple(one_pass["false_non_matches"])})  # fmt: skip
            strangers = data.get("strangers")
            strangers = None if strangers is None else Strangers.from_dict(strangers)
            result = cls(**{**data, **grids, "fused": fused, "verification": one_pass, "strangers": strangers})
        except (TypeError, KeyError) as exc:
            raise CalibrationError(f"{source} is missing or has unknown fields ({exc})") from None
        lengths = {len(result.thresholds), len(result.false_matches), len(result.false_non_matches)}
        lengths |= {len(f.false_matches) for f in result.fused} | {len(f.false_non_matches) for f in result.fused}
        if result.verification is not None:
            lengths |= {len(result.verification.false_matches), len(result.verification.false_non_matches)}
        kept = len(result.strangers.histograms) if result.strangers is not None else 0
        if len(lengths) != 1 or kept > len(result.thresholds) or min(result.genuine_pairs, result.impostor_pairs) <= 0:
            raise CalibrationError(f"{source} has inconsistent counts")
        return result


def _scale(points: Calibration, photos: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid distances where a fused template of `photos` has false matches, and how much farther the one-photo
    distance of the same FMR is (kept on the calibration object, which is immutable)."""
    cache: dict[int, tuple[np.ndarray, np.ndarray]] = points.__dict__.setdefault("_scales", {})
    if photos not in cache:
        grid = np.asarray(points.thresholds)
        one = np.asarray(points.false_matches, np.float64)
        first = np.flatnonzero((one > 0) & (np.diff(one, prepend=0) > 0))  # where each new count starts
        fm, pairs = points._counts(photos, "false_matches")
        fused_fmr = np.asarray(fm, np.float64) / pairs
        counted = fused_fmr > 0
        equal = np.interp(np.log(fused_fmr[counted]), np.log(one[first] / points.impostor_pairs), grid[first])
        cache[photos] = (grid[counted], equal - grid[counted])
    return cache[photos]


def per_comparison_fmr(gallery_size: int, target_fpir: float) -> float:
    """The FMR per comparison at which N independent comparisons give a false positive with chance `target_fpir`."""
    if gallery_size < 1:
        return 1.0
    return -math.expm1(math.log1p(-target_fpir) / gallery_size)


def count_pairs(
    vectors: np.ndarray,
    labels: np.ndarray,
    thresholds: Iterable[float] = GRID,
    chunk: int = 1024,
    probes: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Over every pair of rows: false matches and false non-matches per threshold, and the pair counts.

    With `probes` (row i: image i described as a probe) each pair is counted both ways, the template of one image
    against the probe of the other. Distances are computed block by block (never the whole N x N matrix) and binned
    on the grid.
    """
    grid = np.asarray(list(thresholds), np.float64)
    x = np.asarray(vectors, np.float64)
    p = x if probes is None else np.asarray(probes, np.float64)
    if probes is not None:
        chunk = max(1, chunk // 4)  # a block row then spans every column: keep the block the same size
    labels = np.asarray(labels)
    sq, sq_p = np.einsum("ij,ij->i", x, x), np.einsum("ij,ij->i", p, p)
    edges = np.concatenate([[-np.inf], grid, [np.inf]])
    genuine_hist = np.zeros(len(grid) + 1, np.int64)
    impostor_hist = np.zeros(len(grid) + 1, np.int64)
    for start in range(0, len(x), chunk):
        first = start if probes is None else 0  # one set of rows: each pair once; templates and probes: both ways
        block = x[start : start + chunk]
        d2 = sq[start : start + chunk, None] + sq_p[None, first:] - 2 * block @ p[first:].T
        d = np.sqrt(np.maximum(d2, 0))
        rows = np.arange(len(block))[:, None] + start
        columns = np.arange(first, len(x))[None, :]
        counted = columns > rows if probes is None else columns != rows  # never an image with itself
        same = labels[start : start + chunk, None] == labels[None, first:]
        genuine_hist += np.histogram(d[counted & same], edges)[0]
        impostor_hist += np.histogram(d[counted & ~same], edges)[0]
    # bin i holds distances in [grid[i-1], grid[i]): cumulative sums give "< t" for impostors
    false_matches = np.cumsum(impostor_hist)[:-1]
    false_non_matches = genuine_hist.sum() - np.cumsum(genuine_hist)[:-1]
    return false_matches, false_non_matches, int(genuine_hist.sum()), int(impostor_hist.sum())


def fused(templates: np.ndarray) -> np.ndarray:
    """One subject's templates as one: their mean, scaled back to their mean length (a plain mean is shorter, so
    nearer to everyone)."""
    vectors = np.asarray(templates, np.float64)
    mean = vectors.mean(axis=0)
    length = float(np.linalg.norm(mean))
    scale = float(np.linalg.norm(vectors, axis=1).mean()) / length if length > 0 else 1.0
    one: np.ndarray = (mean * scale).astype(np.float32)
    return one


def count_fused(
    vectors: np.ndarray, labels: np.ndarray, photos: int, seed: int = 0, thresholds: Iterable[float] = GRID
) -> Fused:
    """Error counts against templates fused from `photos` photos: for every person with that many, one fused
    template against every image of everyone else (impostor pairs); for every person with one photo more, each
    of their images against a fused template of `photos` of their others (genuine pairs). Subsets drawn with `seed`."""
    grid = np.asarray(list(thresholds), np.float64)
    edges = np.concatenate([[-np.inf], grid, [np.inf]])
    x = np.asarray(vectors, np.float64)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    _, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    people = np.split(np.argsort(inverse, kind="stable"), np.cumsum(sizes)[:-1])  # each person's rows
    genuine, impostor = np.zeros(len(grid) + 1, np.int64), np.zeros(len(grid) + 1, np.int64)
    sq = np.einsum("ij,ij->i", x, x)
    for rows in people:
        if len(rows) < photos:
            continue
        template = fused(x[rng.choice(rows, photos, replace=False)]).astype(np.float64)
        d = np.sqrt(np.maximum(sq - 2 * x @ template + template @ template, 0))
        others = np.ones(len(x), bool)
        others[rows] = False
        impostor += np.histogram(d[others], edges)[0]
        if len(rows) > photos:
            for probe in rows:
                rest = rows[rows != probe]
                mate = fused(x[rng.choice(rest, photos, replace=False)])
                genuine += np.histogram([np.linalg.norm(x[probe] - mate)], edges)[0]
    return Fused(
        photos=photos,
        genuine_pairs=int(genuine.sum()),
        impostor_pairs=int(impostor.sum()),
        false_matches=tuple(int(v) for v in np.cumsum(impostor)[:-1]),
        false_non_matches=tuple(int(v) for v in genuine.sum() - np.cumsum(genuine)[:-1]),
    )


def calibrate(
    vectors: np.ndarray,
    labels: np.ndarray,
    model_id: str,
    dataset: str,
    today: date,
    failures_to_enroll: int = 0,
    command: str = "",
    one_pass: np.ndarray | None = None,
) -> Calibration:
    """A calibration from labelled embeddings (one row per image, its identity in `labels`); with `one_pass` (the
    same images' one-pass embeddings, as 1:1 verification describes its probes) also the counts of 1:1 pairs."""
    if len(vectors) != len(labels) or len(vectors) < 2 or (one_pass is not None and len(one_pass) != len(vectors)):
        raise InputError("calibration needs at least two labelled embeddings")
    fm, fnm, genuine, impostor = count_pairs(vectors, labels)
    if genuine == 0 or impostor == 0:
        raise InputError("calibration needs several images of some people and images of several people")
    fused_counts = tuple(count_fused(vectors, labels, k) for k in range(2, FUSED_PHOTOS + 1))
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
        fused=tuple(f for f in fused_counts if f.genuine_pairs and f.impostor_pairs),
        verification=None if one_pass is None else _one_pass(vectors, labels, one_pass),
        strangers=count_strangers(vectors, labels, np.asarray(GRID)),
    )


def _one_pass(vectors: np.ndarray, labels: np.ndarray, one_pass: np.ndarray) -> OnePass:
    fm, fnm, genuine, impostor = count_pairs(vectors, labels, probes=one_pass)
    return OnePass(genuine, impostor, tuple(int(v) for v in fm), tuple(int(v) for v in fnm))


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
    """Embed every image of a labelled folder (the face nearest the centre) and calibrate on every pair; with flip
    TTA also as one-pass probes, for the counts of 1:1 verification's pairs."""
    from facegate.engine.bulk import embed_files

    files, identities = labelled_images(images)
    # Templates as enrollment makes them; then, with flip TTA, the same images as 1:1 verification describes its
    # probes, in one pass (one pool of engines after the other).
    passes = [False, True] if engine_options.get("flip", True) else [False]
    embedded: list[list[np.ndarray | None]] = []
    model_id = ""
    for one_pass in passes:
        embedded.append([])
        for result in embed_files(files, workers, pick="centre", **{**engine_options, "one_pass": one_pass}):
            embedded[-1].append(result.vector)
            model_id = model_id or result.model_id
            if on_progress:
                on_progress(sum(map(len, embedded)), len(passes) * len(files))
    kept = [i for i in range(len(files)) if all(vectors[i] is not None for vectors in embedded)]
    templates, probes = ([np.asarray(vectors[i]) for i in kept] for vectors in (embedded[0], embedded[-1]))
    return calibrate(
        np.stack(templates) if templates else np.zeros((0, 128), np.float32),
        np.array([identities[i] for i in kept]),
        model_id,
        dataset or f"{images.resolve().parent.name}/{images.resolve().name}",
        today,
        len(files) - len(kept),
        command,
        one_pass=np.stack(probes) if len(passes) == 2 and probes else None,
    )
