"""The engine's commands: `facegate detect` and `facegate eval pairs`, and the photo walkthrough."""

import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from facegate.cli import Home, Json, app, console, count, err_console, print_json
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
    rows = [
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
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Verification accuracy on a pairs file: accuracy, threshold, TAR at FAR 1e-3, failures, speed."""
    from facegate.engine import evaluation

    workers = workers or os.cpu_count() or 1
    with Progress(console=err_console, transient=True, disable=json_out) as progress:
        task = progress.add_task("embedding", total=None)
        report = evaluation.run_pairs(
            pairs, images, workers, threshold, lambda done, total: progress.update(task, completed=done, total=total)
        )
    if json_out:
        print_json(asdict(report))
        return
    std = f" ± {report.accuracy_std:.2%} over {report.folds} folds" if report.accuracy_std is not None else ""
    console.print(f"pairs                 {report.pairs} ({pairs.name})")
    console.print(f"accuracy              {report.accuracy:.2%}{std}")
    console.print(f"threshold             {report.threshold:.4f}")
    console.print(
        f"false match rate      {report.false_match_rate:.2%}   false non-match rate {report.false_non_match_rate:.2%}"
    )
    console.print(f"TAR at FAR 1e-3       {report.tar_at_far_1e3:.2%}")
    console.print(f"failures to enroll    {report.failures_to_enroll} images ({report.pairs_with_failure} pairs)")
    console.print(f"speed                 {report.images_per_second:.1f} images/s on {report.workers} workers")
    console.print(f"model                 {report.model_id}")


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
    groups: list[tuple[str, list[Embedding]]] = []
    for path in files:
        image = load_image(path)
        faces = engine.detect(image)
        sizes = ", ".join(f"{f.width}x{f.height}" for f in faces) or "none"
        dims = f"{image.shape[1]}x{image.shape[0]}"
        console.print(f"detect  {path.name:<22} {dims:<10} faces: {sizes}")
        if len(faces) == 1:
            single[path.stem] = engine.embed(image, faces)[0]
        elif faces:
            groups.append((path.name, engine.embed(image, faces)))
    console.print(f"\nembed   {len(single)} single-face photos -> 128-d templates (kept in memory only)\n")
    table = Table("photo A", "photo B", "distance", "decision", title=f"compare (threshold {engine.threshold})")
    names = list(single)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            result = matching.compare(single[a], single[b], engine.threshold)
            decision = "[green]same person[/]" if result.same else "different people"
            table.add_row(a, b, f"{result.distance:.3f}", decision)
    console.print(table)
    for name, embeddings in groups:
        for i, embedding in enumerate(embeddings, 1):
            best = min(names, key=lambda n: matching.distance(embedding, single[n]), default=None)
            if best is None:
                continue
            result = matching.compare(embedding, single[best], engine.threshold)
            verdict = f"looks like {best}" if result.same else "matches none of the single-face photos"
            console.print(f"identify {name} face {i}: {verdict} (distance {result.distance:.3f})")
