"""1:N decisions on LFW: FPIR of facegate's own decisions against its target, FNIR, and what deciding costs.

    .venv/bin/python bench/identify.py [--images ../shared/data/lfw/images] [--cache /tmp/lfw-embeddings.npz]
                                       [--sizes 1000,10000] [--rounds 5] [--strangers 1500] [--target 0.01]
                                       [--photos 3 [--held-out]] [--recount-strangers FILE]

Every LFW image is embedded once by the default engine (the face nearest the centre; cached with --cache). Each
round draws 1,000 people with at least two photos: one photo enrolled, another the mated probe; the non-mated
probes are people with a single photo, never enrolled. At 10,000 the gallery is padded with every LFW photo of
people who are neither probes nor enrolled, then with further photos of enrolled people (column "2nd photo"; never
a probe photo), up to the size. Synthetic templates were tried and dropped: the normalised mean of two faces lies
near everyone and named 9% of strangers at 10,000, which says more about the padding than the model. Decisions
are facegate's: the nearest template (FaceIndex) under the threshold t(N) that the model's calibration sets for
the gallery size and the target FPIR, as the gate decides. The baseline in the same run is the old decision at the
1:1 threshold. The calibration was measured on all of LFW, so these probes are in-sample for it. Timings: one
search(k=1) per probe, alone and followed by the decision (threshold for N, then the comparison); medians, since
other jobs share the machine. Column "alike": the same probes decided at t(N) from 1 - (1 - FMR)^N, every stranger
alike (the rule before the calibration counted each image's own FMR), so before and after come from one run.
--recount-strangers FILE adds each image's FMR counts (`strangers`) to a calibration file made by `facegate
calibrate` from the same LFW embeddings (checked: its pair counts must equal the cache's), as `facegate calibrate`
now writes them, without embedding LFW twice more.
"""

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from facegate.clock import beijing_today
from facegate.engine import calibration, openset
from facegate.engine.bulk import embed_files
from facegate.engine.dlib_backend import DEFAULT_THRESHOLD
from facegate.engine.index import FaceIndex

ROOT = Path(__file__).resolve().parents[1]


def embeddings(images: Path, cache: Path | None, workers: int | None) -> tuple[np.ndarray, np.ndarray, str]:
    """Every image's embedding and identity (failures dropped), from the cache when it is there."""
    if cache and cache.is_file():
        data = np.load(cache)
        return data["vectors"], data["identities"], str(data["model_id"])
    files = sorted(images.glob("*/*.jpg"))
    vectors, identities, model_id = [], [], ""
    for path, result in zip(files, embed_files(files, workers, pick="centre"), strict=True):
        if result.vector is not None:
            vectors.append(result.vector)
            identities.append(path.parent.name)
            model_id = model_id or result.model_id
    matrix, names = np.stack(vectors), np.array(identities)
    if cache:
        np.savez(cache, vectors=matrix, identities=names, model_id=model_id)
    return matrix, names, model_id


def one_round(
    vectors: np.ndarray,
    identities: np.ndarray,
    size: int,
    strangers_wanted: int,
    rng: np.random.Generator,
    points: calibration.Calibration,
    target: float,
    model_id: str,
) -> dict[str, float]:
    """Build one open set, run every probe through facegate's decision and the 1:1-threshold baseline."""
    by_person: dict[str, list[int]] = {}
    for i, name in enumerate(identities):
        by_person.setdefault(str(name), []).append(i)
    several = sorted(p for p, rows in by_person.items() if len(rows) >= 2)
    single = sorted(p for p, rows in by_person.items() if len(rows) == 1)
    enrolled = [several[i] for i in rng.permutation(len(several))[:1000]]
    strangers = [single[i] for i in rng.permutation(len(single))[:strangers_wanted]]
    gallery_rows, mated_rows = [], []
    for person in enrolled:
        a, b = rng.permutation(by_person[person])[:2]
        gallery_rows.append(a)
        mated_rows.append(b)
    stranger_rows = [by_person[p][0] for p in strangers]
    keys = [f"real-{i}" for i in gallery_rows]
    owner = {key: str(identities[i]) for key, i in zip(keys, gallery_rows, strict=True)}
    matrix = vectors[gallery_rows]
    extra = 0
    if size > len(keys):
        # Other people first; then, when LFW runs short, the enrolled people's other photos (never a probe).
        used = set(enrolled) | set(strangers)
        others = [i for i, name in enumerate(identities) if str(name) not in used]
        probes = set(mated_rows) | set(gallery_rows)
        more = [i for person in enrolled for i in by_person[person] if i not in probes]
        padding = (others + more)[: size - len(keys)]
        extra = max(0, len(padding) - len(others))
        keys += [f"pad-{i}" for i in padding]
        owner.update({f"pad-{i}": str(identities[i]) for i in padding})
        matrix = np.concatenate([matrix, vectors[padding]])
    index = FaceIndex(model_id)
    index.add_many(keys, matrix.astype(np.float32))
    n = len(index)
    threshold = points.threshold_for(n, target)
    if threshold is None:
        raise SystemExit(f"no threshold meets FPIR {target} at {n} templates")

    search_times, decided_times = [], []

    def decide(vector: np.ndarray, limit: float) -> tuple[str | None, float]:
        started = time.perf_counter()
        found = index.search(vector, k=1)
        searched = time.perf_counter()
        t = points.threshold_for(len(index), target) if limit < 0 else limit
        key = found[0][0] if found and found[0][1] < t else None
        done = time.perf_counter()
        if limit < 0:  # the timings are facegate's decisions'
            search_times.append(searched - started)
            decided_times.append(done - started)
        return key, found[0][1] if found else float("inf")

    alike = points.threshold_for(n, target, alike=True) or 0.0
    out: dict[str, float] = {"gallery": n, "extra": extra, "threshold": threshold, "alike_threshold": alike}
    for label, limit in (("facegate", -1.0), ("alike", alike), ("baseline", DEFAULT_THRESHOLD)):
        false_pos = sum(decide(vectors[i], limit)[0] is not None for i in stranger_rows)
        hits = 0
        for person, row in zip(enrolled, mated_rows, strict=True):
            key, _ = decide(vectors[row], limit)
            hits += key is not None and owner[key] == person
        out[f"{label}_fpir"] = false_pos / len(stranger_rows)
        out[f"{label}_fnir"] = 1 - hits / len(mated_rows)
    out["predicted_fnir"] = points.predicted_fnir(n, target)
    out["search_us"] = float(np.median(search_times) * 1e6)
    out["decided_us"] = float(np.median(decided_times) * 1e6)
    out["strangers"] = len(stranger_rows)
    return out


def photos_round(
    vectors: np.ndarray,
    identities: np.ndarray,
    photos: int,
    strangers_wanted: int,
    rng: np.random.Generator,
    points: calibration.Calibration,
    target: float,
    pool: set[str] | None = None,
) -> list[dict[str, float]]:
    """One open set of 1,000 people: a probe photo each, and up to `photos` other photos enrolled where LFW has them;
    facegate's decision (t(N) for the gallery's templates) with 1 photo, with all of them (best), and fused."""
    by_person: dict[str, list[int]] = {}
    for i, name in enumerate(identities):
        by_person.setdefault(str(name), []).append(i)
    several = sorted(p for p, rows in by_person.items() if len(rows) >= 2)
    single = sorted(p for p, rows in by_person.items() if len(rows) == 1 and (pool is None or p in pool))
    enrolled = [several[i] for i in rng.permutation(len(several))[:1000]]
    strangers = [single[i] for i in rng.permutation(len(single))[:strangers_wanted]]
    gallery_rows, gallery_ids, probe_rows = [], [], []
    for person in enrolled:
        probe, *rest = rng.permutation(by_person[person])
        probe_rows.append(probe)
        gallery_rows += rest[:photos]
        gallery_ids += [person] * len(rest[:photos])
    probe_rows += [by_person[p][0] for p in strangers]
    probe_ids = [str(identities[i]) for i in probe_rows]
    rows = openset.compare_photos(vectors[gallery_rows], gallery_ids, vectors[probe_rows], probe_ids, photos, points,
                                  target)  # fmt: skip
    full = {p for p in enrolled if len(by_person[p]) > photos}  # people who got every photo asked for
    out = []
    for row in rows:
        found, counts = openset.photos_search(vectors[gallery_rows], gallery_ids, vectors[probe_rows], probe_ids,
                                              row.photos, row.method, points)  # fmt: skip
        alike = points.threshold_for_gallery(counts, target, alike=True) or 0.0
        at_alike = openset.rates(found, alike)
        # the empirical threshold that names exactly `target` of these strangers (a DET curve's point)
        t_emp = float(np.quantile(found.nearest[~found.mated], target))
        full_probes = np.array([p in full for p in probe_ids])
        at_t = openset.rates(found, row.threshold if row.threshold is not None else 0.0, full_probes | ~found.mated)
        out.append({
            "photos": row.photos, "method": row.method, "templates": row.templates, "threshold": row.threshold or 0.0,
            "fpir": row.fpir, "fnir": row.fnir, "fnir_at_fpir": openset.rates(found, t_emp).fnir,
            "fnir_full": at_t.fnir, "full": len(full), "strangers": len(strangers), "alike": alike,
            "alike_fpir": at_alike.fpir, "alike_fnir": at_alike.fnir,
        })  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=ROOT.parent / "shared" / "data" / "lfw" / "images")
    parser.add_argument("--cache", type=Path, default=None, help="npz file to keep the embeddings in between runs")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--strangers", type=int, default=1500)
    parser.add_argument("--target", type=float, default=0.01)
    parser.add_argument("--photos", type=int, default=0, help="compare 1 photo per subject with up to this many")
    parser.add_argument("--recount-strangers", type=Path, default=None,
                        help="add each image's FMR counts to this calibration file (same embeddings)")  # fmt: skip
    parser.add_argument("--held-out", action="store_true",
                        help="with --photos: calibrate here without half of the one-photo people; strangers from the "
                        "other half only")  # fmt: skip
    args = parser.parse_args()
    vectors, identities, model_id = embeddings(args.images, args.cache, args.workers)
    if args.recount_strangers:
        recount_strangers(args.recount_strangers, vectors, identities)
        return
    points = calibration.for_model(model_id)
    print(f"model {model_id}; {len(vectors):,} LFW images embedded; target FPIR {args.target:.2%}")
    print(f"calibration: {points.dataset}, {points.impostor_pairs:,} impostor pairs, {points.created}")
    if args.photos:
        pool = None
        if args.held_out:
            points, pool = held_out(vectors, identities, model_id)
            print(f"held out: calibrated on {points.images:,} images ({points.impostor_pairs:,} impostor pairs), "
                  f"strangers drawn from the {len(pool):,} one-photo people left out")  # fmt: skip
        print_photos(vectors, identities, args, points, pool)
        return
    header = (
        f"{'gallery':>8} {'2nd photo':>9} {'t(N)':>6} {'FPIR':>14} {'max':>6} {'FNIR':>14} {'pred.':>6}"
        f" | {'alike t':>7} {'FPIR':>14} {'FNIR':>14} | {'1:1 t FPIR':>10} {'FNIR':>6} | {'search':>8} {'+decide':>8}"
    )
    print(header)
    for size in (int(s) for s in args.sizes.split(",")):
        rounds = [
            one_round(vectors, identities, size, args.strangers, np.random.default_rng(seed), points, args.target,
                      model_id)
            for seed in range(args.rounds)
        ]  # fmt: skip
        fpir = np.array([r["facegate_fpir"] for r in rounds])
        fnir = np.array([r["facegate_fnir"] for r in rounds])
        first = rounds[0]
        a_fpir, a_fnir = (np.array([r[f"alike_{key}"] for r in rounds]) for key in ("fpir", "fnir"))
        baseline = (np.mean([r["baseline_fpir"] for r in rounds]), np.mean([r["baseline_fnir"] for r in rounds]))
        timing = (np.median([r["search_us"] for r in rounds]), np.median([r["decided_us"] for r in rounds]))
        print(
            f"{int(first['gallery']):>8,} {int(first['extra']):>9,} {first['threshold']:>6.3f} "
            f"{fpir.mean():>7.2%} ±{fpir.std():>5.2%} {fpir.max():>6.2%} {fnir.mean():>7.2%} ±{fnir.std():>5.2%} "
            f"{first['predicted_fnir']:>6.1%} | {first['alike_threshold']:>7.3f} {a_fpir.mean():>7.2%} "
            f"±{a_fpir.std():>5.2%} {a_fnir.mean():>7.2%} ±{a_fnir.std():>5.2%} | "
            f"{baseline[0]:>10.2%} {baseline[1]:>6.2%} | "
            f"{timing[0]:>6.0f}us {timing[1]:>6.0f}us"
        )
    print(f"({args.rounds} rounds of {rounds[0]['strangers']:,} strangers and 1,000 mated probes each; "
          "FPIR: mean ± sd and the worst round)")  # fmt: skip


def held_out(vectors: np.ndarray, identities: np.ndarray, model_id: str) -> tuple[calibration.Calibration, set[str]]:
    """A calibration without half of the one-photo people (drawn with a fixed seed), and that half: strangers whose
    FPIR is then measured out of sample."""
    names, counts = np.unique(identities, return_counts=True)
    single = names[counts == 1]
    pool = set(single[np.random.default_rng(2026).permutation(len(single))[: len(single) // 2]].tolist())
    keep = np.array([name not in pool for name in identities.tolist()])
    points = calibration.calibrate(vectors[keep], identities[keep], model_id, "LFW without the held-out strangers",
                                   beijing_today())  # fmt: skip
    return points, pool


def print_photos(vectors: np.ndarray, identities: np.ndarray, args: argparse.Namespace, points: calibration.Calibration,
                 pool: set[str] | None = None) -> None:  # fmt: skip
    """The table of --photos: 1,000 subjects, 1 photo against up to N (best of the templates, and fused)."""
    rounds = [
        photos_round(vectors, identities, args.photos, args.strangers, np.random.default_rng(seed), points, args.target,
                     pool)
        for seed in range(args.rounds)
    ]
    print(f"{'photos':>6} {'method':>6} {'templates':>9} {'t(N)':>6} {'FPIR':>14} {'FNIR':>14} "
          f"{'FNIR@FPIR':>9} {'FNIR, all photos':>16} | {'alike t':>7} {'FPIR':>14} {'FNIR':>14}")  # fmt: skip
    for i, first in enumerate(rounds[0]):
        col = {key: np.array([r[i][key] for r in rounds]) for key in first if key != "method"}
        fpir, fnir = col["fpir"], col["fnir"]
        print(
            f"{first['photos']:>6} {first['method']:>6} {col['templates'].mean():>9,.0f} "
            f"{col['threshold'].mean():>6.3f} {fpir.mean():>7.2%} ±{fpir.std():>5.2%} {fnir.mean():>7.2%} "
            f"±{fnir.std():>5.2%} {col['fnir_at_fpir'].mean():>9.2%} {col['fnir_full'].mean():>16.2%} | "
            f"{col['alike'].mean():>7.3f} {col['alike_fpir'].mean():>7.2%} ±{col['alike_fpir'].std():>5.2%} "
            f"{col['alike_fnir'].mean():>7.2%} ±{col['alike_fnir'].std():>5.2%}"
        )
    print(f"({args.rounds} rounds of 1,000 enrolled people, one mated probe each, and {rounds[0][0]['strangers']:,} "
          f"strangers; 'all photos': the {rounds[0][0]['full']:.0f} people of round 1 with {args.photos} photos "
          f"enrolled, and the strangers; FNIR@FPIR: at the threshold naming {args.target:.0%} of strangers)"
          )  # fmt: skip


def recount_strangers(path: Path, vectors: np.ndarray, identities: np.ndarray) -> None:
    """Add `strangers` (each image's FMR on the grid) to the calibration at `path`, computed from these embeddings
    after checking that they give the file's own pair counts."""
    points = calibration.load(path)
    fm, _, genuine, impostor = calibration.count_pairs(vectors, identities)
    if (genuine, impostor, tuple(int(v) for v in fm)) != (points.genuine_pairs, points.impostor_pairs,
                                                         points.false_matches):  # fmt: skip
        raise SystemExit(f"{path} was not calibrated on these embeddings: its pair counts differ")
    strangers = calibration.count_strangers(vectors, identities, np.asarray(points.thresholds))
    path.write_text(replace(points, strangers=strangers).to_json(), encoding="utf-8")
    print(f"{path}: strangers counted over {strangers.images:,} images at {len(strangers.histograms)} thresholds")


if __name__ == "__main__":
    main()
