"""The `facegate` command line: parses input, calls the gate, the engine or oversight, renders output."""

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from facegate.engine import evaluation, matching, quality
from facegate.engine.dlib_backend import DlibEngine
from facegate.engine.face import Embedding
from facegate.engine.images import load_image
from facegate.errors import FacegateError, InputError

app = typer.Typer(
    help="facegate: face recognition that only runs when the rules allow it, and can prove it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

Home = Annotated[
    Path | None,
    typer.Option("--home", help="Data directory (default: $FACEGATE_HOME, else a per-user folder)."),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


def print_json(obj: object) -> None:
    """Print `obj` as JSON on standard output."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


# ---- commands are added below, one section per room ----


# ---- audit ----

from datetime import datetime  # noqa: E402  (each section keeps its own imports)

from facegate.audit import AuditLog  # noqa: E402
from facegate.audit.export import time_range  # noqa: E402
from facegate.audit.keys import PUBLIC_KEY_FILE  # noqa: E402
from facegate.errors import TamperedError  # noqa: E402
from facegate.home import data_home  # noqa: E402
from facegate.store import Database  # noqa: E402

audit_app = typer.Typer(help="The tamper-evident audit log: verify, prove, export, checkpoint.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def open_audit(home: Path | None) -> tuple[Path, Database, AuditLog]:
    """The data directory, its database and its audit log."""
    path = data_home(home)
    return path, Database.open(home=path), AuditLog.for_home(path)


@audit_app.command("verify")
def audit_verify(home: Home = None, json_out: Json = False) -> None:
    """Recompute the log and check every checkpoint: exit 0 when intact, 4 naming the first tampered entry."""
    _, db, log = open_audit(home)
    with db.session(readonly=True) as session:
        report = log.verify(session)
    if json_out:
        print_json(report.to_json())
    elif report.ok:
        console.print(report.summary(), markup=False, highlight=False, soft_wrap=True)
    if report.problem is not None:
        raise TamperedError(report.problem.message)


@audit_app.command("prove")
def audit_prove(
    event_id: Annotated[str, typer.Argument(help="The event's ID.")], home: Home = None, json_out: Json = False
) -> None:
    """Print an inclusion proof of one event against the latest signed checkpoint."""
    _, db, log = open_audit(home)
    with db.session(readonly=True) as session:
        proof = log.prove(session, event_id).to_json()
    if json_out:
        print_json(proof)
        return
    console.print(f"entry #{proof['index']} ({event_id}), leaf hash {proof['leaf_hash']}", markup=False)
    console.print(f"inclusion proof in the tree of {proof['tree_size']} entries:", markup=False)
    for h in proof["proof"]:
        console.print(f"  {h}", markup=False)
    sys.stdout.write("signed checkpoint:\n" + proof["checkpoint"]["note"])


@audit_app.command("export")
def audit_export(
    since: Annotated[str, typer.Option("--since", help="First day (YYYY-MM-DD, UTC) or ISO 8601 time.")],
    until: Annotated[str, typer.Option("--until", help="Last day, included (YYYY-MM-DD), or an ISO 8601 time.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
    home: Home = None,
) -> None:
    """Write the entries recorded in a date range as JSON lines, with the checkpoints and proofs to check them."""
    start, end = time_range(since, until)
    path, db, log = open_audit(home)
    with db.session() as session:
        log.save_witness(log.checkpoint(session))
    with db.session(readonly=True) as session:
        lines = (json.dumps(line, ensure_ascii=False) + "\n" for line in log.export(session, start, end))
        if out is None:
            sys.stdout.writelines(lines)
        else:
            with out.open("w", encoding="utf-8") as file:
                file.writelines(lines)
            key = path / "keys" / PUBLIC_KEY_FILE
            err_console.print(f"wrote {out}; public key: {key}", markup=False, highlight=False, soft_wrap=True)


@audit_app.command("checkpoint")
def audit_checkpoint(home: Home = None, json_out: Json = False) -> None:
    """Sign a checkpoint of the log now, and keep a copy of it outside the database."""
    path, db, log = open_audit(home)
    with db.session() as session:
        cp = log.checkpoint(session, now=datetime.now().astimezone())
    log.save_witness(cp)
    if json_out:
        print_json({**cp.to_json(), "public_key": str(path / "keys" / PUBLIC_KEY_FILE)})
    else:
        sys.stdout.write(cp.note)


# ---- compliance (policy) ----

from datetime import date  # noqa: E402  (each section keeps its own imports)

from rich.markup import escape as markup_escape  # noqa: E402

from facegate import policy  # noqa: E402

Profiles = Annotated[
    list[str] | None,
    typer.Option("--profile", "-p", help="Profile to apply; repeat for several: cn2025 (default), cn2023-draft, "
                 "bipa, eu-ai-act."),
]  # fmt: skip
DocFormat = Annotated[str, typer.Option("--format", help="md (Markdown) or html.")]
Out = Annotated[Path | None, typer.Option("--out", help="Write the document to this file instead of standard output.")]
SpecFile = Annotated[Path, typer.Argument(help="A deployment spec (YAML, or JSON when it ends in .json).")]
VERDICT_STYLE = {"allowed": "bold green", "allowed_with_warnings": "bold yellow", "blocked": "bold red"}
SEVERITY_STYLE = {"BLOCK": "bold red", "WARN": "yellow", "INFO": "cyan"}


def read_spec(path: Path) -> policy.Deployment:
    """Read and parse a deployment spec file; an unreadable or invalid one is an input error naming the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it ({type(exc).__name__})") from None
    try:
        return policy.parse_spec(text, "json" if path.suffix.lower() == ".json" else "yaml")
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


@app.command()
def check(file: SpecFile, profile: Profiles = None, json_out: Json = False) -> None:
    """Check a deployment spec against the rules: exit 0 when nothing blocks, 3 when something does."""
    spec = read_spec(file)
    report = policy.evaluate(spec, profile or [policy.DEFAULT_PROFILE], today=date.today())
    if json_out:
        print_json(report.to_dict())
    else:
        counts = {s: sum(f.severity == s for f in report.findings) for s in ("BLOCK", "WARN", "INFO")}
        console.print(f"[bold]{markup_escape(spec.id)}[/]: {markup_escape(spec.name)}", soft_wrap=True)
        console.print(
            f"profiles: {', '.join(report.profiles)} — verdict: [{VERDICT_STYLE[report.verdict]}]{report.verdict}[/] "
            f"({counts['BLOCK']} block, {counts['WARN']} warn, {counts['INFO']} info)",
            soft_wrap=True,
        )
        for f in report.findings:
            console.print(
                f"[{SEVERITY_STYLE[f.severity]}]{f.severity:<5}[/] [bold]{markup_escape(', '.join(f.cites))}[/] "
                f"{markup_escape(f.field or '-')}: {markup_escape(f.message)}",
                soft_wrap=True,
            )
    if report.verdict == "blocked":
        raise typer.Exit(3)


@app.command("rules")
def list_rules(profile: Profiles = None, json_out: Json = False) -> None:
    """List the rules (all profiles unless --profile) with ID, severity, status and where each is enforced."""
    names = profile or policy.profile_names()
    rules = policy.rules_for(names)
    if json_out:
        print_json({
            "profiles": names,
            "rules": [
                {
                    "id": r.id, "title": r.title, "severity": r.severity, "status": r.status,
                    "profiles": list(r.profiles), "enforced_at": list(r.where), "cites": list(r.cites),
                    "questions": list(r.questions), "hardening_flag": r.flag, "note": r.note,
                }
                for r in rules
            ],
        })  # fmt: skip
        return
    table = Table("ID", "severity", "status", "profiles", "enforced at", "rule", title=f"{len(rules)} rules")
    for r in rules:
        profiles = ", ".join(r.profiles) + (f" (+cn2025 via {r.flag})" if r.flag else "")
        style = SEVERITY_STYLE[r.severity]
        table.add_row(r.id, f"[{style}]{r.severity}[/]", r.status, profiles, ", ".join(r.where), markup_escape(r.title))
    console.print(table)


def write_document(doc: policy.Document, fmt: str, out: Path | None) -> None:
    """Write a generated document to `out` or standard output, and name its gaps on standard error."""
    if fmt not in ("md", "html"):
        raise InputError(f"unknown format {fmt!r}: use md or html")
    text = doc.render("html" if fmt == "html" else "md")
    if out is None:
        sys.stdout.write(text)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{out}: cannot write it ({type(exc).__name__})") from None
        err_console.print(f"wrote {out}", markup=False, highlight=False)
    if doc.gaps:
        fields = ", ".join(dict.fromkeys(g.field for g in doc.gaps))
        err_console.print(
            f"{len(doc.gaps)} gap(s) the spec does not fill: {fields}", markup=False, highlight=False, soft_wrap=True
        )


@app.command()
def notice(file: SpecFile, fmt: DocFormat = "md", out: Out = None, profile: Profiles = None) -> None:
    """Write the notice to individuals (Chinese and English) for a deployment spec; gaps are marked, not invented."""
    spec = read_spec(file)
    write_document(policy.notice_document(spec, tuple(profile or [policy.DEFAULT_PROFILE])), fmt, out)


@app.command()
def pia(file: SpecFile, fmt: DocFormat = "md", out: Out = None, profile: Profiles = None) -> None:
    """Write the impact assessment report (four sections and a risk register) for a deployment spec."""
    spec = read_spec(file)
    doc = policy.pia_document(spec, today=date.today(), profiles=profile or [policy.DEFAULT_PROFILE])
    write_document(doc, fmt, out)


# ---- engine ----

Detector = Annotated[str, typer.Option("--detector", help="Face detector: hog (fast) or cnn (dlib's MMOD, slower).")]


def make_engine(detector: str = "hog", threads: int = 1) -> DlibEngine:
    """The default engine, with a one-line error for a bad option."""
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
    console.print(f"{image.name}: {pixels.shape[1]}x{pixels.shape[0]}, {len(faces)} face(s)")
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


eval_app = typer.Typer(help="Measure accuracy on standard benchmarks.", no_args_is_help=True)
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


@app.command()
def demo(
    photos: Annotated[
        Path | None, typer.Option("--photos", help="Folder of photos (default: the repository's sample photos).")
    ] = None,
    home: Home = None,
) -> None:
    """Walk through the sample photos: detect, embed, compare, decide same or different."""
    folder = photos or Path(__file__).resolve().parents[2] / "tests" / "data"
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


def main() -> None:
    """Entry point: run the CLI; turn every error into one line on stderr and an exit code."""
    try:
        app()
    except FacegateError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False)
        raise SystemExit(130) from None
    except Exception as exc:  # the last line of defence: never show a traceback to a user
        if os.environ.get("FACEGATE_DEBUG"):
            raise
        err_console.print(f"internal error: {type(exc).__name__} (set FACEGATE_DEBUG=1 for details)", markup=False)
        raise SystemExit(1) from None
