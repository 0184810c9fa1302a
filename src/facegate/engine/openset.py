"""Open-set 1:N evaluation in NIST FRVT terms: FPIR and FNIR at rank 1 over thresholds, per group, and DET curves.

A gallery file and a probe file list `identity,image` lines (image paths relative to an image folder). A probe is
mated when its identity is enrolled in the gallery, non-mated otherwise. At a threshold t, a non-mated probe is a
false positive when its nearest gallery template is under t (FPIR); a mated probe is a miss when its nearest
template is not its mate or is at t or over (FNIR, rank 1).
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from facegate.engine import calibration
from facegate.engine.bulk import embed_files
from facegate.errors import InputError

CHUNK = 512


@dataclass(frozen=True)
class Searches:
    """For each probe: the distance to its nearest template, whether that template is its mate, whether it is mated."""

    nearest: np.ndarray  # float, inf where the probe failed to enroll
    mate_first: np.ndarray  # bool: the nearest template belongs to the probe's own identity
    mated: np.ndarray  # bool: the probe's identity is in the gallery
    gallery_size: int
    groups: tuple[str, ...] = ()  # one per probe ("" when unknown)


@dataclass(frozen=True)
class OperatingPoint:
    """FPIR and FNIR at one threshold."""

    threshold: float
    fpir: float
    fnir: float


@dataclass(frozen=True)
class OpenSetReport:
    """What `facegate eval identify` prints."""

    gallery_size: int
    mated_probes: int
    non_mated_probes: int
    failures_to_enroll: int
    model_id: str
    curve: list[OperatingPoint]
    decision: OperatingPoint | None = None
    target_fpir: float = 0.01
    groups: dict[str, dict[str, float | int]] = field(default_factory=dict)
    photos: list["PhotosRow"] = field(default_factory=list)


@dataclass(frozen=True)
class PhotosRow:
    """facegate's decision on the same probes with a gallery of one photo per subject or several (best or fused)."""

    photos: int  # at most this many photos per subject
    method: str  # "best": the nearest of a subject's templates decides; "fused": one fused template per subject
    subjects: int
    templates: int
    threshold: float | None
    fpir: float
    fnir: float


def read_list(path: Path) -> list[tuple[str, str]]:
    """The `identity,image` lines of a gallery or probe file (a header line `identity,image` is allowed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    rows = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (number == 1 and [c.strip().lower() for c in row] in (["identity", "image"], ["image", "group"])):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise InputError(f"{path.name}, line {number}: expected two fields, got {','.join(row)!r}")
        rows.append((row[0].strip(), row[1].strip()))
    if not rows:
        raise InputError(f"{path.name} lists no images")
    return rows


def search(
    gallery: np.ndarray,
    gallery_ids: list[str],
    probes: np.ndarray,
    probe_ids: list[str],
    photos: np.ndarray | None = None,
    points: calibration.Calibration | None = None,
) -> Searches:
    """Nearest template of every probe (exact, in chunks); rows of NaN are probes or templates that failed. With
    `photos` (how many photos each row fuses) and `points`, distances on the one-photo scale, as the gallery ranks."""
    ok_gallery = np.isfinite(gallery).all(axis=1)
    g = gallery[ok_gallery].astype(np.float64)
    g_ids = np.array(gallery_ids, dtype=object)[ok_gallery]
    fused_rows = np.zeros(0, np.int64) if photos is None else np.asarray(photos)[ok_gallery]
    enrolled = set(g_ids.tolist())
    nearest = np.full(len(probes), np.inf)
    mate_first = np.zeros(len(probes), bool)
    g_sq = np.einsum("ij,ij->i", g, g)
    for start in range(0, len(probes), CHUNK):
        block = probes[start : start + CHUNK].astype(np.float64)
        ok = np.isfinite(block).all(axis=1)
        if not ok.any() or len(g) == 0:
            continue
        d2 = g_sq[None, :] - 2 * block[ok] @ g.T + np.einsum("ij,ij->i", block[ok], block[ok])[:, None]
        d = np.sqrt(np.maximum(d2, 0))
        if points is not None:
            for k in set(fused_rows.tolist()) - {1}:  # beyond what the calibration vouches for, facegate refuses
                if k <= points.fused_photos():
                    d[:, fused_rows == k] = points.one_photo_scale(d[:, fused_rows == k], k)
        best = d.argmin(axis=1)
        rows = np.flatnonzero(ok) + start
        nearest[rows] = d[np.arange(len(best)), best]
        mate_first[rows] = g_ids[best] == np.array(probe_ids, dtype=object)[rows]
    mated = np.array([p in enrolled for p in probe_ids], bool)
    return Searches(nearest, mate_first, mated, int(ok_gallery.sum()))


def per_subject(gallery_ids: list[str], k: int) -> np.ndarray:
    """Which gallery rows to keep for at most `k` photos per subject: each identity's first `k` rows, in file order."""
    seen: dict[str, int] = {}
    keep = np.zeros(len(gallery_ids), bool)
    for i, identity in enumerate(gallery_ids):
        seen[identity] = seen.get(identity, 0) + 1
        keep[i] = seen[identity] <= k
    return keep


def fuse(gallery: np.ndarray, gallery_ids: list[str]) -> tuple[np.ndarray, list[str], dict[int, int], np.ndarray]:
    """One template per subject, its templates fused (`calibration.fused`); rows that failed to enroll left out.
    Also: how many subjects have each number of photos, and each row's number."""
    ok = np.isfinite(gallery).all(axis=1)
    ids = list(dict.fromkeys(i for i, good in zip(gallery_ids, ok, strict=True) if good))
    labels = np.array(gallery_ids, dtype=object)
    members = [gallery[ok & (labels == identity)] for identity in ids]
    photos: dict[int, int] = {}
    for rows in members:
        photos[len(rows)] = photos.get(len(rows), 0) + 1
    matrix = np.stack([calibration.fused(rows) for rows in members]) if members else np.zeros((0, gallery.shape[1]))
    return matrix.astype(np.float32), ids, photos, np.array([len(rows) for rows in members], np.int64)


def compare_photos(
    gallery: np.ndarray,
    gallery_ids: list[str],
    probes: np.ndarray,
    probe_ids: list[str],
    k: int,
    points: calibration.Calibration,
    target_fpir: float,
) -> list[PhotosRow]:
    """facegate's decision with one photo per subject, and with up to `k` (best of the templates; one fused
    template per subject, as the gallery searches), on the same probes; each at the threshold t(N) for its own
    gallery (best of: every template counts alone)."""
    rows = []
    for photos, method in ((1, "best"), (k, "best"), (k, "fused")):
        found, counts = photos_search(gallery, gallery_ids, probes, probe_ids, photos, method, points)
        ids = [i for i, kept in zip(gallery_ids, per_subject(gallery_ids, photos), strict=True) if kept]
        threshold = points.threshold_for_gallery(counts, target_fpir)
        point = rates(found, threshold) if threshold is not None else None  # None: facegate refuses to decide
        fpir, fnir = (point.fpir, point.fnir) if point else (0.0, 1.0)
        rows.append(PhotosRow(photos, method, len(set(ids)), found.gallery_size, threshold, fpir, fnir))
    return rows


def photos_search(
    gallery: np.ndarray,
    gallery_ids: list[str],
    probes: np.ndarray,
    probe_ids: list[str],
    photos: int,
    method: str,
    points: calibration.Calibration,
) -> tuple[Searches, dict[int, int]]:
    """Every probe searched in a gallery of up to `photos` per subject, "best" (every template alone) or "fused" (one
    template per subject, on the one-photo scale); with how many templates fuse each number of photos."""
    keep = per_subject(gallery_ids, photos)
    matrix, ids = gallery[keep], [i for i, kept in zip(gallery_ids, keep, strict=True) if kept]
    if method != "fused":
        return search(matrix, ids, probes, probe_ids), {1: int(np.isfinite(matrix).all(axis=1).sum())}
    matrix, ids, counts, fused_rows = fuse(matrix, ids)
    return search(matrix, ids, probes, probe_ids, fused_rows, points), counts


def rates(s: Searches, threshold: float, select: np.ndarray | None = None) -> OperatingPoint:
    """FPIR over the non-mated probes and FNIR (rank 1) over the mated ones, at `threshold`."""
    keep = np.ones(len(s.nearest), bool) if select is None else select
    non_mated, mated = keep & ~s.mated, keep & s.mated
    fpir = float(np.mean(s.nearest[non_mated] < threshold)) if non_mated.any() else float("nan")
    hit = s.mate_first & (s.nearest < threshold)
    fnir = float(np.mean(~hit[mated])) if mated.any() else float("nan")
    return OperatingPoint(threshold, fpir, fnir)


def curve(s: Searches, points: int = 60) -> list[OperatingPoint]:
    """FPIR and FNIR over thresholds spanning the non-mated probes' nearest distances (a DET curve's points)."""
    finite = s.nearest[np.isfinite(s.nearest)]
    if len(finite) == 0:
        return []
    thresholds = np.unique(np.quantile(finite, np.linspace(0, 1, points)))
    return [rates(s, float(t)) for t in thresholds]


def embed_list(
    rows: list[tuple[str, str]], images: Path, workers: int | None, on_progress: Callable[[], None] | None = None
) -> tuple[np.ndarray, str, int]:
    """Embeddings of the listed images (NaN rows for failures), the model ID and the count of failures."""
    paths = [images / image for _, image in rows]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise InputError(f"{len(missing)} listed images are missing, e.g. {missing[0]}")
    vectors, model_id, failures = [], "", 0
    for result in embed_files(paths, workers, pick="centre"):
        if result.vector is None:
            failures += 1
            vectors.append(np.full(128, np.nan, np.float32))
        else:
            vectors.append(result.vector)
            model_id = model_id or result.model_id
        if on_progress:
            on_progress()
    return np.stack(vectors), model_id, failures


def per_group(s: Searches, threshold: float) -> dict[str, dict[str, float | int]]:
    """FPIR and FNIR at `threshold` for the probes of each group, with the counts behind them."""
    out: dict[str, dict[str, float | int]] = {}
    labels = np.array(s.groups, dtype=object)
    for group in sorted(set(s.groups) - {""}):
        select = labels == group
        point = rates(s, threshold, select)
        out[group] = {
            "fpir": point.fpir,
            "fnir": point.fnir,
            "non_mated": int((select & ~s.mated).sum()),
            "mated": int((select & s.mated).sum()),
        }
    return out


def read_groups(path: Path) -> dict[str, str]:
    """The `image,group` lines of a groups file: each image's group."""
    return dict(read_list(path))


def det_plot(curves: dict[str, list[tuple[float, float]]], out: Path, x_label: str, y_label: str) -> None:
    """Draw DET curves (false positive rate on a log axis against false negative rate) into an image file."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("--plot needs matplotlib: pip install 'facegate[plot]'") from None
    figure, axes = plt.subplots(figsize=(6, 4.5))
    for name, points in curves.items():
        xs = [max(x, 1e-7) for x, _ in points]
        axes.plot(xs, [y for _, y in points], label=name)
    axes.set_xscale("log")
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    try:
        figure.savefig(out, dpi=120)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot write the plot {out}: {exc}") from None
    finally:
        plt.close(figure)


def run_identify(
    gallery_file: Path,
    probes_file: Path,
    images: Path,
    workers: int | None,
    target_fpir: float = 0.01,
    groups_file: Path | None = None,
    on_progress: Callable[[], None] | None = None,
    photos_per_subject: int | None = None,
) -> tuple[OpenSetReport, Searches]:
    """Embed a gallery and its probes, search every probe, and report FPIR and FNIR over thresholds and at the
    threshold facegate itself would decide at for this gallery's size (from the model's shipped calibration)."""
    if not images.is_dir():
        raise InputError(f"no such image folder: {images}")
    gallery_rows, probe_rows = read_list(gallery_file), read_list(probes_file)
    if photos_per_subject is not None:
        if photos_per_subject < 1:
            raise InputError(f"--photos-per-subject must be at least 1, got {photos_per_subject}")
        keep = per_subject([i for i, _ in gallery_rows], photos_per_subject)
        gallery_rows = [row for row, kept in zip(gallery_rows, keep, strict=True) if kept]
    groups = read_groups(groups_file) if groups_file else {}
    gallery, model_id, gallery_failures = embed_list(gallery_rows, images, workers, on_progress)
    probes, probe_model, probe_failures = embed_list(probe_rows, images, workers, on_progress)
    model_id = model_id or probe_model
    found = search(gallery, [i for i, _ in gallery_rows], probes, [i for i, _ in probe_rows])
    found = replace(found, groups=tuple(groups.get(image, "") for _, image in probe_rows))
    points = calibration.shipped(model_id) if model_id else None
    threshold = points.threshold_for(found.gallery_size, target_fpir) if points else None
    decision = rates(found, threshold) if threshold is not None else None
    photos = []
    if photos_per_subject is not None and points is not None:
        photos = compare_photos(
            gallery, [i for i, _ in gallery_rows], probes, [i for i, _ in probe_rows], photos_per_subject, points,
            target_fpir,
        )  # fmt: skip
    report = OpenSetReport(
        gallery_size=found.gallery_size,
        mated_probes=int(found.mated.sum()),
        non_mated_probes=int((~found.mated).sum()),
        failures_to_enroll=gallery_failures + probe_failures,
        model_id=model_id,
        curve=curve(found),
        decision=decision,
        target_fpir=target_fpir,
        groups=per_group(found, threshold) if groups and threshold is not None else {},
        photos=photos,
    )
    return report, found
