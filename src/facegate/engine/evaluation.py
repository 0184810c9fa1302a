"""Verification accuracy on LFW-format pairs files: thresholds, 10-fold accuracy, TAR at a FAR."""

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from facegate.engine.bulk import embed_files
from facegate.errors import InputError


@dataclass(frozen=True)
class Pair:
    """Two images of a pairs file, and whether they show the same person."""

    first: tuple[str, int]
    second: tuple[str, int]
    same: bool


def parse_pairs(text: str, source: str = "pairs file") -> list[list[Pair]]:
    """Parse View 1 ('N' then N matched and N mismatched) or View 2 ('folds N', then each fold) text."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError(f"{source} is empty")
    try:
        header = [int(v) for v in lines[0]]
    except ValueError:
        raise InputError(f"{source}, line 1: expected 'N' or 'FOLDS N', got {' '.join(lines[0])!r}") from None
    if len(header) == 1:
        folds, per_kind = 1, header[0]
    elif len(header) == 2:
        folds, per_kind = header
    else:
        raise InputError(f"{source}, line 1: expected 'N' or 'FOLDS N'")
    if len(lines) - 1 != folds * per_kind * 2:
        raise InputError(
            f"{source}: the header promises {folds * per_kind * 2} pairs but {len(lines) - 1} lines follow"
        )
    result, row = [], 1
    for _ in range(folds):
        fold = []
        for same in [True] * per_kind + [False] * per_kind:
            fields = lines[row]
            row += 1
            try:
                if same and len(fields) == 3:
                    fold.append(Pair((fields[0], int(fields[1])), (fields[0], int(fields[2])), True))
                elif not same and len(fields) == 4:
                    fold.append(Pair((fields[0], int(fields[1])), (fields[2], int(fields[3])), False))
                else:
                    raise ValueError
            except ValueError:
                kind = "NAME I J" if same else "NAME1 I NAME2 J"
                raise InputError(f"{source}, line {row}: expected {kind}, got {' '.join(fields)!r}") from None
        result.append(fold)
    return result


def image_path(images: Path, name: str, number: int) -> Path:
    """The LFW path of a person's numbered image."""
    return images / name / f"{name}_{number:04d}.jpg"


def best_threshold(distances: np.ndarray, same: np.ndarray) -> float:
    """The threshold that maximises accuracy on these pairs (midpoint between neighbouring distances)."""
    finite = np.sort(np.unique(distances[np.isfinite(distances)]))
    if len(finite) == 0:
        return 0.0
    candidates = np.concatenate([[finite[0] - 1e-6], (finite[:-1] + finite[1:]) / 2, [finite[-1] + 1e-6]])
    below = distances[None, :] < candidates[:, None]
    correct = (below == same[None, :]).sum(axis=1)
    return float(candidates[int(np.argmax(correct))])


def accuracy(distances: np.ndarray, same: np.ndarray, threshold: float) -> float:
    """Fraction of pairs decided right at `threshold`."""
    return float(np.mean((distances < threshold) == same))


def error_rates(distances: np.ndarray, same: np.ndarray, threshold: float) -> tuple[float, float]:
    """False match rate and false non-match rate at `threshold`."""
    matched = distances < threshold
    return float(np.mean(matched[~same])), float(np.mean(~matched[same]))


def tar_at_far(distances: np.ndarray, same: np.ndarray, far: float) -> tuple[float, float]:
    """True accept rate at the loosest threshold whose false accept rate is at most `far`; and that threshold."""
    impostors = np.sort(distances[~same])
    allowed = int(np.floor(far * len(impostors)))  # impostor pairs we may accept
    threshold = float(impostors[allowed]) if allowed < len(impostors) else float("inf")
    return float(np.mean(distances[same] < threshold)), threshold


@dataclass(frozen=True)
class PairsReport:
    """What `facegate eval pairs` prints."""

    pairs: int
    folds: int
    accuracy: float
    accuracy_std: float | None
    threshold: float
    false_match_rate: float
    false_non_match_rate: float
    tar_at_far_1e3: float
    pairs_with_failure: int
    tar_at_far_1e4: float = 0.0  # with View 2's 3,000 impostor pairs: at the tightest impostor distance
    failures_to_enroll: int = 0
    images: int = 0
    images_per_second: float = 0.0
    workers: int = 1
    model_id: str = ""


def evaluate(folds: list[list[Pair]], distance_of: dict[Pair, float], threshold: float | None) -> PairsReport:
    """Score pairs whose distances are known (inf where an image failed to enroll).

    With several folds: each fold is decided at the threshold best on the others (LFW's protocol).
    With one: at `threshold` if given, else at the threshold best on the file itself.
    """
    per_fold = [(np.array([distance_of[p] for p in fold]), np.array([p.same for p in fold])) for fold in folds]
    d_all = np.concatenate([d for d, _ in per_fold])
    s_all = np.concatenate([s for _, s in per_fold])
    if len(folds) > 1:
        scores, thresholds = [], []
        for k, (d, s) in enumerate(per_fold):
            rest_d = np.concatenate([x for i, (x, _) in enumerate(per_fold) if i != k])
            rest_s = np.concatenate([y for i, (_, y) in enumerate(per_fold) if i != k])
            t = threshold if threshold is not None else best_threshold(rest_d, rest_s)
            thresholds.append(t)
            scores.append(accuracy(d, s, t))
        used, acc, std = float(np.mean(thresholds)), float(np.mean(scores)), float(np.std(scores, ddof=1))
    else:
        used = threshold if threshold is not None else best_threshold(d_all, s_all)
        acc, std = accuracy(d_all, s_all, used), None
    fmr, fnmr = error_rates(d_all, s_all, used)
    tar, _ = tar_at_far(d_all, s_all, 1e-3)
    tar_1e4, _ = tar_at_far(d_all, s_all, 1e-4)
    return PairsReport(
        pairs=len(d_all),
        folds=len(folds),
        accuracy=acc,
        accuracy_std=std,
        threshold=used,
        false_match_rate=fmr,
        false_non_match_rate=fnmr,
        tar_at_far_1e3=tar,
        tar_at_far_1e4=tar_1e4,
        pairs_with_failure=int(np.sum(~np.isfinite(d_all))),
    )


@dataclass(frozen=True)
class PairDistances:
    """The distance of every pair of a pairs file, and how the images were embedded."""

    folds: list[list[Pair]]
    distance_of: dict[Pair, float]
    failures_to_enroll: int
    images: int
    images_per_second: float
    workers: int
    model_id: str

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Distances and same-person flags of every pair, fold after fold."""
        pairs = [p for fold in self.folds for p in fold]
        return np.array([self.distance_of[p] for p in pairs]), np.array([p.same for p in pairs])


def embed_pairs(
    pairs_file: Path,
    images: Path,
    workers: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> PairDistances:
    """Embed every image a pairs file names (over `workers` processes) and measure each pair as a 1:1 verification
    does: the first image's template (flip TTA) against the second's one-pass probe."""
    try:
        text = pairs_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the pairs file {pairs_file}: {getattr(exc, 'strerror', None) or exc}") from None
    folds = parse_pairs(text, pairs_file.name)
    if not images.is_dir():
        raise InputError(f"no such image folder: {images}")
    # As a 1:1 verification compares them: the first image enrolled (a template), the second presented (a probe)
    firsts = sorted({p.first for fold in folds for p in fold})
    seconds = sorted({p.second for fold in folds for p in fold})
    keys = sorted({*firsts, *seconds})
    missing = [image_path(images, *k) for k in keys if not image_path(images, *k).is_file()]
    if missing:
        raise InputError(f"{len(missing)} images named by {pairs_file.name} are missing, e.g. {missing[0]}")
    model_id, done = "", 0
    started = time.perf_counter()

    def embedded(wanted: list[tuple[str, int]], one_pass: bool) -> dict[tuple[str, int], np.ndarray | None]:
        nonlocal model_id, done
        found = {}
        results = embed_files([image_path(images, *k) for k in wanted], workers, pick="centre", one_pass=one_pass)
        for key, result in zip(wanted, results, strict=True):
            found[key] = result.vector
            model_id = model_id or result.model_id
            done += 1
            if on_progress:
                on_progress(done, len(firsts) + len(seconds))
        return found

    templates, probes = embedded(firsts, one_pass=False), embedded(seconds, one_pass=True)
    elapsed = time.perf_counter() - started
    distance_of = {}
    for fold in folds:
        for p in fold:
            a, b = templates[p.first], probes[p.second]
            distance_of[p] = float("inf") if a is None or b is None else float(np.linalg.norm(a - b))
    failed = {k for k, v in (*templates.items(), *probes.items()) if v is None}
    images_per_second = (len(firsts) + len(seconds)) / elapsed
    return PairDistances(folds, distance_of, len(failed), len(keys), images_per_second, workers, model_id)


def report_of(measured: PairDistances, threshold: float | None = None) -> PairsReport:
    """The report of measured pairs (see `evaluate`), with how the images were embedded."""
    return replace(
        evaluate(measured.folds, measured.distance_of, threshold),
        failures_to_enroll=measured.failures_to_enroll,
        images=measured.images,
        images_per_second=measured.images_per_second,
        workers=measured.workers,
        model_id=measured.model_id,
    )


def run_pairs(
    pairs_file: Path,
    images: Path,
    workers: int,
    threshold: float | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> PairsReport:
    """Embed every image a pairs file names (once each, over `workers` processes) and score the pairs."""
    return report_of(embed_pairs(pairs_file, images, workers, on_progress), threshold)


def det_points(distances: np.ndarray, same: np.ndarray, points: int = 60) -> list[tuple[float, float]]:
    """(FMR, FNMR) over thresholds spanning the impostor distances: a DET curve's points."""
    impostors = distances[~same & np.isfinite(distances)]
    if len(impostors) == 0:
        return []
    thresholds = np.unique(np.quantile(impostors, np.linspace(0, 1, points)))
    return [error_rates(distances, same, float(t)) for t in thresholds]


def group_rates(measured: PairDistances, groups: dict[str, str], threshold: float) -> dict[str, dict[str, float | int]]:
    """FMR and FNMR at `threshold` per group: genuine pairs of the group's people, impostor pairs within the group."""

    def group_of(key: tuple[str, int]) -> str | None:
        name, number = key
        return groups.get(f"{name}/{name}_{number:04d}.jpg") or groups.get(f"{name}_{number:04d}.jpg")

    out: dict[str, dict[str, float | int]] = {}
    for group in sorted(set(groups.values())):
        pairs = [p for fold in measured.folds for p in fold if group_of(p.first) == group == group_of(p.second)]
        d = np.array([measured.distance_of[p] for p in pairs])
        s = np.array([p.same for p in pairs], bool)
        fmr = float(np.mean(d[~s] < threshold)) if (~s).any() else float("nan")
        fnmr = float(np.mean(d[s] >= threshold)) if s.any() else float("nan")
        out[group] = {"fmr": fmr, "fnmr": fnmr, "impostor_pairs": int((~s).sum()), "genuine_pairs": int(s.sum())}
    return out
