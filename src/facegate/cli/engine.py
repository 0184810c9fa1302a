"""The engine's commands: `facegate detect` and `facegate eval pairs`, and the photo walkthrough."""

import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress
from rich.table import Table

from facegate.cli.app import Home, Json, app, console, count, err_console, print_json, say
from facegate.cli.progress import progress
from facegate.clock import beijing_today
from facegate.errors import InputError

if TYPE_CHECKING:
    from facegate.engine.dlib_backend import DlibEngine
    from facegate.engine.face import Embedding

# ---- engine ----

Detector = Annotated[str, typer.Option("--detector", help="Face detector: hog (fast) or cnn (dlib's MMOD, slower).")]


def make_engine(detector: str = "hog", threads: int = 1) -> "DlibEngine":
    """The default engine, with a one-line error for a bad option."""
    from facegate.engine.dlib_backend import DlibEngine

    if detector not in ("hog", "cnn"):
        raise InputError(f"unknown detector {detector!r}: use hog or cnn")
    return DlibEngine(detector=detector, threads=threads)


@app.command()
def detect(
    image: Annotated[Path, typer.Argument(help="A JPEG, PNG or WebP photo.")],
    detector: Detector = "hog",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Find the faces in a photo: boxes, sizes, scores and a quality verdict (no embeddings)."""
    from facegate.engine import quality
    from facegate.engine.images import load_image

    pixels = load_image(image)
    faces = make_engine(detector).detect(pixels)
    rows: list[dict[str, Any]] = [
        {
            "box": {"left": f.left, "top": f.top, "right": f.right, "bottom": f.bottom},
            "width": f.width,
            "height": f.height,
            "score": round(f.score, 3),
            "quality": quality.verdict(f),
        }
        for f in faces
    ]
    if json_out:
        print_json({"image": image.name, "width": pixels.shape[1], "height": pixels.shape[0], "faces": rows})
        return
    console.print(f"{image.name}: {pixels.shape[1]}x{pixels.shape[0]}, {count(len(faces), 'face')}")
    if faces:
        table = Table("#", "box (left, top, right, bottom)", "size", "score", "quality")
        for i, row in enumerate(rows, 1):
            box = row["box"]
            table.add_row(
                str(i),
                f"{box['left']}, {box['top']}, {box['right']}, {box['bottom']}",
                f"{row['width']}x{row['height']}",
                f"{row['score']:.2f}",
                row["quality"],
            )
        console.print(table)


Plot = Annotated[Path | None, typer.Option("--plot", help="Draw the DET curve into this image file (PNG, SVG).")]
Groups = Annotated[
    Path | None, typer.Option("--groups", help="image,group lines: error rates per group at the operating threshold.")
]

eval_app = typer.Typer(rich_markup_mode=None, help="Measure accuracy on standard benchmarks.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("pairs")
def eval_pairs(
    pairs: Annotated[Path, typer.Option("--pairs", help="An LFW-format pairs file (View 1 or 10-fold View 2).")],
    images: Annotated[Path, typer.Option("--images", help="The folder of <Name>/<Name>_NNNN.jpg images.")],
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Processes (default: all cores).")] = None,
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="Decide at this distance instead of calibrating.")
    ] = None,
    plot: Plot = None,
    groups: Groups = None,
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Verification accuracy on a pairs file: accuracy, threshold, TAR at FAR 1e-3 and 1e-4, failures, speed."""
    from facegate.engine import evaluation, openset

    workers = workers or os.cpu_count() or 1
    with Progress(console=err_console, transient=True, disable=json_out) as progress:
        task = progress.add_task("embedding", total=None)
        measured = evaluation.embed_pairs(
            pairs, images, workers, lambda done, total: progress.update(task, completed=done, total=total)
        )
    report = evaluation.report_of(measured, threshold)
    by_group = evaluation.group_rates(measured, openset.read_groups(groups), report.threshold) if groups else {}
    if plot:
        openset.det_plot({pairs.name: evaluation.det_points(*measured.arrays())}, plot, "FMR", "FNMR")
    if json_out:
        print_json({**asdict(report), **({"groups": by_group} if groups else {})})
        return
    std = f" ± {report.accuracy_std:.2%} over {report.folds} folds" if report.accuracy_std is not None else ""
    console.print(f"pairs                 {report.pairs} ({pairs.name})")
    console.print(f"accuracy              {report.accuracy:.2%}{std}")
    console.print(f"threshold             {report.threshold:.4f}")
    console.print(
        f"false match rate      {report.false_match_rate:.2%}   false non-match rate {report.false_non_match_rate:.2%}"
    )
    console.print(f"TAR at FAR 1e-3       {report.tar_at_far_1e3:.2%}")
    console.print(f"TAR at FAR 1e-4       {report.tar_at_far_1e4:.2%}")
    console.print(f"failures to enroll    {report.failures_to_enroll} images ({report.pairs_with_failure} pairs)")
    console.print(f"speed                 {report.images_per_second:.1f} images/s on {report.workers} workers")
    console.print(f"model                 {report.model_id}")
    for group, r in by_group.items():
        say(
            f"group {group:<15} FMR {r['fmr']:.2%} of {r['impostor_pairs']} impostor pairs, "
            f"FNMR {r['fnmr']:.2%} of {r['genuine_pairs']} genuine pairs (threshold {report.threshold:.3f})"
        )
    if plot:
        say(f"DET curve             {plot}")


@eval_app.command("identify")
def eval_identify(
    gallery: Annotated[Path, typer.Option("--gallery", help="identity,image lines: the enrolled templates.")],
    probes: Annotated[Path, typer.Option("--probes", help="identity,image lines: mated if the identity is enrolled.")],
    images: Annotated[Path, typer.Option("--images", help="The folder the image paths are relative to.")],
    target_fpir: Annotated[
        float, typer.Option("--target-fpir", min=1e-9, max=0.999, help="The target FPIR facegate decides for.")
    ] = 0.01,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Processes (default: all cores).")] = None,
    plot: Plot = None,
    groups: Groups = None,
    photos_per_subject: Annotated[
        int | None,
        typer.Option(
            "--photos-per-subject",
            min=1,
            help="Enroll up to K gallery photos per identity; compare with one photo, and with one fused template.",
        ),
    ] = None,
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Open-set 1:N accuracy (NIST FRVT terms): FPIR and FNIR at rank 1 over thresholds and at facegate's decision."""
    from facegate.engine import openset

    with Progress(console=err_console, transient=True, disable=json_out) as progress:
        task = progress.add_task("embedding", total=None)
        report, _ = openset.run_identify(
            gallery, probes, images, workers, target_fpir, groups, lambda: progress.advance(task), photos_per_subject
        )
    if plot:
        curve = [(p.fpir, p.fnir) for p in report.curve]
        openset.det_plot({f"gallery {report.gallery_size:,}": curve}, plot, "FPIR", "FNIR (rank 1)")
    if json_out:
        print_json(asdict(report))
        return
    say(f"gallery               {report.gallery_size:,} templates (model {report.model_id})")
    say(f"probes                {report.mated_probes:,} mated, {report.non_mated_probes:,} non-mated")
    say(f"failures to enroll    {report.failures_to_enroll}")
    table = Table("threshold", "FPIR", "FNIR (rank 1)")
    for p in report.curve[:: max(1, len(report.curve) // 12)]:
        table.add_row(f"{p.threshold:.3f}", f"{p.fpir:.2%}", f"{p.fnir:.2%}")
    console.print(table)
    if report.decision is None:
        say(f"facegate's decision   none: no calibration for {report.model_id}, so facegate refuses 1:N with it")
    else:
        d = report.decision
        say(
            f"facegate's decision   threshold {d.threshold:.3f} for {report.gallery_size:,} templates at target FPIR "
            f"{report.target_fpir:.2%}: FPIR {d.fpir:.2%}, FNIR {d.fnir:.2%}"
        )
    for row in report.photos:
        kind = "1 photo" if row.photos == 1 else f"up to {row.photos} photos, {row.method}"
        at = "no threshold" if row.threshold is None else f"threshold {row.threshold:.3f}"
        say(
            f"{kind:<26} {row.subjects:,} subjects, {row.templates:,} templates, {at}: "
            f"FPIR {row.fpir:.2%}, FNIR {row.fnir:.2%}"
        )
    for group, r in report.groups.items():
        say(
            f"group {group:<15} FPIR {r['fpir']:.2%} of {r['non_mated']} non-mated, "
            f"FNIR {r['fnir']:.2%} of {r['mated']} mated probes"
        )
    if plot:
        say(f"DET curve             {plot}")


@app.command()
def calibrate(
    images: Annotated[Path, typer.Option("--images", help="A folder of <identity>/<image> files (LFW's layout).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the calibration here (default: <model ID>.json).")
    ] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="The data set's name for the provenance.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Processes (default: all cores).")] = None,
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Measure the model's FMR and FNMR over every pair of a labelled image folder, for its 1:N thresholds."""
    from facegate.engine import calibration

    command = f"facegate calibrate --images {images}" + (f" --dataset {dataset!r}" if dataset else "")
    with progress("embedding", quiet=json_out) as report:
        result = calibration.calibrate_folder(images, beijing_today(), workers, dataset, command, report)
    target = out or Path(f"{result.model_id}.json")
    try:
        target.write_text(result.to_json(), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}") from None
    points = [
        {"fmr": fmr, "threshold": t, "fnmr": None if t is None else round(result.fnmr(t), 4)}
        for fmr in (1e-3, 1e-4, 1e-5, 1e-6)
        for t in [result.threshold_for_fmr(fmr)]
    ]
    if json_out:
        print_json({"file": str(target), "model_id": result.model_id, "images": result.images,
                    "failures_to_enroll": result.failures_to_enroll, "genuine_pairs": result.genuine_pairs,
                    "impostor_pairs": result.impostor_pairs, "operating_points": points})  # fmt: skip
        return
    say(f"model                 {result.model_id}")
    say(f"images                {result.images} of {result.identities} people ({result.failures_to_enroll} failed)")
    say(f"pairs                 {result.genuine_pairs:,} genuine, {result.impostor_pairs:,} impostor")
    for p in points:
        t = p["threshold"]
        shown = "none on the grid" if t is None else f"threshold {t:.3f}  FNMR {p['fnmr']:.2%}"
        say(f"FMR {p['fmr']:<8g}          {shown}")
    say(f"written               {target} ({target.stat().st_size:,} bytes)")


@app.command("operating-points")
def operating_points(
    sizes: Annotated[str, typer.Option("--sizes", help="Gallery sizes, comma-separated.")] = "10,100,1000,10000,100000",
    target_fpir: Annotated[float, typer.Option("--target-fpir", min=1e-9, max=0.999, help="Target FPIR.")] = 0.01,
    fnir_tolerance: Annotated[float, typer.Option("--fnir-tolerance", min=0.0, max=1.0, help="FNIR accepted.")] = 0.5,
    calibration_file: Annotated[
        Path | None, typer.Option("--calibration", help="A calibration file (default: the default model's).")
    ] = None,
    json_out: Json = False,
    home: Home = None,
) -> None:
    """The 1:N operating points a calibration gives: threshold, expected FPIR and predicted FNIR per gallery size."""
    from facegate.engine import calibration
    from facegate.engine.dlib_backend import default_model_id

    points = calibration.load(calibration_file) if calibration_file else calibration.for_model(default_model_id())
    try:
        wanted = [int(v) for v in sizes.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--sizes takes whole numbers separated by commas, got {sizes!r}") from None
    limit = points.max_gallery(target_fpir, fnir_tolerance)
    rows = []
    for n in [*wanted, limit]:
        t = points.threshold_for(n, target_fpir)
        fpir = None if t is None else points.expected_fpir(t, n)
        rows.append(
            {
                "gallery_size": n,
                "threshold": t,
                "expected_fpir": fpir,
                "predicted_fnir": points.predicted_fnir(n, target_fpir),
            }
        )
    if json_out:
        print_json({"model_id": points.model_id, "target_fpir": target_fpir, "fnir_tolerance": fnir_tolerance,
                    "max_gallery": limit, "operating_points": rows})  # fmt: skip
        return
    say(f"model {points.model_id}; calibration: {points.dataset}, {points.impostor_pairs:,} impostor pairs")
    table = Table("gallery size", "threshold t(N)", "expected FPIR", "predicted FNIR")
    for row in rows:
        t, fpir = row["threshold"], row["expected_fpir"]
        table.add_row(
            f"{row['gallery_size']:,}" + (" (limit)" if row is rows[-1] else ""),
            "none" if t is None else f"{t:.3f}",
            "-" if fpir is None else f"{fpir:.2%}",
            f"{row['predicted_fnir']:.1%}",
        )
    console.print(table)
    say(f"largest gallery with FNIR within {fnir_tolerance:.0%} at FPIR {target_fpir:.2%}: {limit:,} templates")


def walkthrough(photos: Path | None) -> None:
    """Walk through the sample photos: detect, embed, compare, decide same or different (the demo's first part)."""
    from facegate.engine import matching
    from facegate.engine.images import load_image

    folder = photos or Path(__file__).resolve().parents[3] / "tests" / "data"
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp"))
    if not files:
        raise InputError(f"no photos in {folder}; pass --photos DIR")
    engine = make_engine()
    console.print(f"[bold]facegate demo[/] on {len(files)} photos in {folder} (model {engine.model_id})\n")
    single: dict[str, Embedding] = {}
    group_faces = 0  # counted only: naming who is in a group photo is 1:N identification, the gate's business
    for path in files:
        image = load_image(path)
        faces = engine.detect(image)
        sizes = ", ".join(f"{f.width}x{f.height}" for f in faces) or "none"
        dims = f"{image.shape[1]}x{image.shape[0]}"
        console.print(f"detect  {path.name:<22} {dims:<10} faces: {sizes}")
        if len(faces) == 1:
            single[path.stem] = engine.embed(image, faces)[0]
        elif faces:
            group_faces += len(faces)
    console.print(f"\nembed   {len(single)} single-face photos -> 128-d templates (kept in memory only)\n")
    table = Table("photo A", "photo B", "distance", "decision", title=f"compare (threshold {engine.threshold})")
    names = list(single)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            result = matching.compare(single[a], single[b], engine.threshold)
            decision = "[green]same person[/]" if result.same else "different people"
            table.add_row(a, b, f"{result.distance:.3f}", decision)
    console.print(table)
    if group_faces:
        # 1:N runs only through the gate, audited, at the threshold set for the gallery's size (ACC-1).
        console.print(f"\n{group_faces} faces in group photos are not identified here: 1:N runs only through the gate")
