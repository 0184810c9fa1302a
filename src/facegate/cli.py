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
from facegate.engine.images import load_image, read_image_bytes
from facegate.errors import FacegateError, InputError, RefusedError
from facegate.gate import Caller, Decision, Gate
from facegate.vault.keystore import Keystore, rotate_master_key_file

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


# ---- shared by the gate's commands ----

Deployment_ = Annotated[str, typer.Argument(help="Deployment ID.", metavar="DEPLOYMENT")]
Subject_ = Annotated[str, typer.Argument(help="Subject ID (pseudonymous).", metavar="SUBJECT")]
Actor = Annotated[str, typer.Option("--actor", help="Who acts, recorded in the audit log.")]


def open_gate(home: Path | None) -> Gate:
    """The gate of the data directory."""
    return Gate.open(data_home(home))


def show(decision: Decision, json_out: bool, text: str) -> None:
    """Print a gate decision as JSON, or as one line of text."""
    if json_out:
        print_json(decision.to_dict())
    else:
        console.print(text, markup=False, highlight=False, soft_wrap=True)


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


def open_audit(home: Path | None, *, signing: bool = True) -> tuple[Path, Database, AuditLog]:
    """The data directory, its database and its audit log (reading never creates a signing key)."""
    path = data_home(home)
    return path, Database.open(home=path), AuditLog.for_home(path, create=signing)


@audit_app.command("verify")
def audit_verify(home: Home = None, json_out: Json = False) -> None:
    """Recompute the log and check every checkpoint: exit 0 when intact, 4 naming the first tampered entry."""
    _, db, log = open_audit(home, signing=False)
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
    _, db, log = open_audit(home, signing=False)
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
    typer.Option(
        "--profile", "-p", help="Profile to apply; repeat for several: cn2025 (default), cn2023-draft, bipa, eu-ai-act."
    ),
]
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
        print_json(
            {
                "profiles": names,
                "rules": [
                    {
                        "id": r.id,
                        "title": r.title,
                        "severity": r.severity,
                        "status": r.status,
                        "profiles": list(r.profiles),
                        "enforced_at": list(r.where),
                        "cites": list(r.cites),
                        "questions": list(r.questions),
                        "hardening_flag": r.flag,
                        "note": r.note,
                    }
                    for r in rules
                ],
            }
        )
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
def notice(
    file: Annotated[Path, typer.Argument(help="A deployment spec; or the word `shown` then DEPLOYMENT SUBJECT.")],
    shown: Annotated[
        list[str] | None, typer.Argument(help="With `shown`: DEPLOYMENT SUBJECT.", show_default=False)
    ] = None,
    fmt: DocFormat = "md",
    out: Out = None,
    profile: Profiles = None,
    version: Annotated[int | None, typer.Option("--version", help="With `shown`: the version shown.")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Write the notice (Chinese and English) for a spec; or `notice shown DEPLOYMENT SUBJECT` to record it was shown.

    Gaps in the spec are marked in the notice, never invented.
    """
    if str(file) == "shown":
        if not shown or len(shown) != 2:
            raise InputError("usage: facegate notice shown DEPLOYMENT SUBJECT [--version N]")
        deployment, subject = shown
        decision = open_gate(home).notice_shown(deployment, subject, version, Caller(actor))
        show(decision, json_out, f"notice {decision.outcome} of {deployment} shown to {subject}")
        return
    if shown:
        raise InputError(f"unexpected arguments after the spec file: {' '.join(shown)}")
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


def walkthrough(photos: Path | None) -> None:
    """Walk through the sample photos: detect, embed, compare, decide same or different (the demo's first part)."""
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


deployment_app = typer.Typer(help="Register, update, activate and retire deployments.", no_args_is_help=True)
app.add_typer(deployment_app, name="deployment")


@deployment_app.command("register")
def deployment_register(
    file: SpecFile,
    profile: Profiles = None,
    draft: Annotated[bool, typer.Option("--draft", help="Register without activating.")] = False,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Register a deployment whose spec `facegate check` allows, and activate it."""
    spec = read_spec(file)
    decision = open_gate(home).register(
        spec, Caller(actor), tuple(profile or [policy.DEFAULT_PROFILE]), activate=not draft
    )
    show(decision, json_out, f"deployment {spec.id}: {decision.outcome} ({decision.details['verdict']})")


@deployment_app.command("update")
def deployment_update(file: SpecFile, actor: Actor = "operator:cli", json_out: Json = False, home: Home = None) -> None:
    """Replace a deployment's spec; a change of purpose or method suspends it until reassessed."""
    spec = read_spec(file)
    decision = open_gate(home).update(spec, Caller(actor))
    triggers = ", ".join(decision.details["triggers"]) or "none"
    show(
        decision,
        json_out,
        f"deployment {spec.id}: {decision.outcome} (reassessment triggers: {triggers}; "
        f"{decision.details['stale_consents']} consents now stale)",
    )


@deployment_app.command("activate")
def deployment_activate(
    deployment: Deployment_, actor: Actor = "operator:cli", json_out: Json = False, home: Home = None
) -> None:
    """Activate a draft or suspended deployment (no BLOCK finding, approved impact assessment)."""
    decision = open_gate(home).activate(deployment, Caller(actor))
    show(decision, json_out, f"deployment {deployment}: {decision.outcome}")


@deployment_app.command("retire")
def deployment_retire(
    deployment: Deployment_, actor: Actor = "operator:cli", json_out: Json = False, home: Home = None
) -> None:
    """Retire a deployment: it stops and its templates are deleted."""
    decision = open_gate(home).retire(deployment, Caller(actor))
    show(decision, json_out, f"deployment {deployment}: {decision.outcome}")


@deployment_app.command("list")
def deployment_list(json_out: Json = False, home: Home = None) -> None:
    """Every registered deployment with its status and number of enrolled subjects."""
    rows = open_gate(home).deployments()
    if json_out:
        print_json(rows)
        return
    table = Table("deployment", "status", "profiles", "enrolled subjects", "updated")
    for r in rows:
        table.add_row(r["id"], r["status"], ", ".join(r["profiles"]), str(r["enrolled_subjects"]), r["updated_at"])
    console.print(table)


subject_app = typer.Typer(help="Subjects and their rights: add, show, export, delete.", no_args_is_help=True)
app.add_typer(subject_app, name="subject")


@subject_app.command("add")
def subject_add(
    subject: Annotated[str | None, typer.Argument(help="Subject ID (generated when omitted).")] = None,
    birth_date: Annotated[datetime | None, typer.Option("--birth-date", formats=["%Y-%m-%d"])] = None,
    age_band: Annotated[str | None, typer.Option("--age-band", help="under_14 or 14_plus, when no birth date.")] = None,
    guardian: Annotated[str | None, typer.Option("--guardian", help="Reference to the guardian's identity.")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Add a subject under a pseudonymous ID."""
    born = birth_date.date() if birth_date else None
    decision = open_gate(home).add_subject(subject, born, age_band, guardian, Caller(actor))
    show(decision, json_out, f"subject {decision.subject} added")


@subject_app.command("show")
def subject_show(subject: Subject_, json_out: Json = False, home: Home = None) -> None:
    """What is held on a subject: for which deployment, since when, until when; consents."""
    record = open_gate(home).access(subject)
    if json_out:
        print_json(record)
        return
    console.print(f"subject {record['subject']} (since {record['created_at']})", markup=False)
    for held in record["facial_data"]:
        console.print(
            f"  {held['deployment']}: {held['templates']} template(s), {held['raw_images']} raw image(s), "
            f"held since {held['since']} until {held['until']}",
            markup=False,
        )
    for c in record["consents"]:
        state = "withdrawn" if c["withdrawn_at"] else "stale" if c["stale_at"] else "current"
        console.print(
            f"  consent {c['deployment']} {c['kind']} ({c['form']}, by {c['given_by']}): {state}", markup=False
        )


@subject_app.command("export")
def subject_export(
    subject: Subject_,
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON here instead of stdout.")] = None,
    home: Home = None,
) -> None:
    """The subject's own data as JSON, templates included (for the subject only)."""
    record = open_gate(home).export(subject)
    if out is None:
        print_json(record)
    else:
        out.write_text(json.dumps(record, indent=2, ensure_ascii=False))
        err_console.print(f"wrote {out}")


@subject_app.command("delete")
def subject_delete(subject: Subject_, actor: Actor = "operator:cli", json_out: Json = False, home: Home = None) -> None:
    """Delete a subject everywhere: data keys shredded, rows removed, a receipt in the audit log."""
    decision = open_gate(home).delete_subject(subject, Caller(actor))
    show(decision, json_out, f"subject {subject} deleted; receipt {decision.event_id}")


CONSENT_KIND_HELP = "facial_processing, external_transmission or raw_image_retention."
consent_app = typer.Typer(help="Separate consents: give and withdraw.", no_args_is_help=True)
app.add_typer(consent_app, name="consent")


@consent_app.command("give")
def consent_give(
    deployment: Deployment_,
    subject: Subject_,
    kind: Annotated[str, typer.Option("--kind", help=CONSENT_KIND_HELP)] = "facial_processing",
    form: Annotated[str, typer.Option("--form", help="separate or written.")] = "separate",
    by: Annotated[str, typer.Option("--by", help="subject or guardian.")] = "subject",
    guardian: Annotated[str | None, typer.Option("--guardian", help="The guardian's identity reference.")] = None,
    evidence: Annotated[str | None, typer.Option("--evidence", help="Signed artefact of a written consent.")] = None,
    subject_initiated: Annotated[bool, typer.Option("--subject-initiated", help="The subject asked again.")] = False,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Record the subject's separate consent, bound to the current notice version."""
    decision = open_gate(home).give_consent(
        deployment, subject, kind, form, by, guardian, evidence, subject_initiated, Caller(actor)
    )
    show(decision, json_out, f"consent {kind} of {subject} for {deployment}: given")


@consent_app.command("withdraw")
def consent_withdraw(
    deployment: Deployment_, subject: Subject_, actor: Actor = "operator:cli", json_out: Json = False, home: Home = None
) -> None:
    """Withdraw consent: processing stops and the subject's facial data is deleted at once."""
    decision = open_gate(home).withdraw(deployment, subject, Caller(actor))
    show(decision, json_out, f"consent withdrawn; {decision.details['templates_deleted']} template(s) deleted")


@app.command()
def decline(
    deployment: Deployment_, subject: Subject_, actor: Actor = "operator:cli", json_out: Json = False, home: Home = None
) -> None:
    """The subject chooses a non-biometric method instead of face recognition."""
    decision = open_gate(home).decline(deployment, subject, Caller(actor))
    alternatives = ", ".join(decision.details["alternatives"])
    show(decision, json_out, f"{subject} declined face recognition; alternatives: {alternatives}")


@app.command()
def enroll(
    deployment: Deployment_,
    subject: Annotated[str | None, typer.Argument(help="Subject ID (omit with --batch).", metavar="SUBJECT")] = None,
    image: Annotated[Path | None, typer.Argument(help="A photo with exactly one face.")] = None,
    batch: Annotated[Path | None, typer.Option("--batch", help="A folder of <subject>.jpg photos.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Processes for --batch.")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="The purpose of this request.")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Enroll a subject's face (the photo itself is not kept), or a folder of subjects with --batch."""
    gate = open_gate(home)
    if batch is None:
        if subject is None or image is None:
            raise InputError("give SUBJECT and IMAGE, or --batch FOLDER")
        decision = gate.enroll(deployment, subject, read_image_bytes(image), purpose, Caller(actor))
        show(decision, json_out, f"{subject} enrolled in {deployment}")
        return
    files = sorted(p for p in batch.glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp"))
    if not files:
        raise InputError(f"no photos in {batch}")
    results = []
    with Progress(console=err_console, transient=True, disable=json_out) as progress:
        task = progress.add_task("enrolling", total=len(files))
        for path, outcome in gate.enroll_batch(
            deployment, [(p.stem, p) for p in files], workers, purpose, Caller(actor)
        ):
            results.append({"subject": path.stem, "outcome": outcome})
            progress.advance(task)
    if json_out:
        print_json(results)
    else:
        for r in results:
            console.print(f"{r['subject']}: {r['outcome']}", markup=False, soft_wrap=True)
    if any(r["outcome"] != "enrolled" for r in results):
        raise typer.Exit(3)


@app.command()
def verify(
    deployment: Deployment_,
    subject: Subject_,
    image: Annotated[Path, typer.Argument(help="A photo of the person at the gate.")],
    purpose: Annotated[str | None, typer.Option("--purpose")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """1:1: is the person in the photo the enrolled subject? Prints match or no_match."""
    decision = open_gate(home).verify(deployment, subject, read_image_bytes(image), purpose, Caller(actor))
    show(decision, json_out, f"{decision.outcome}: {subject} in {deployment}")


@app.command()
def identify(
    deployment: Deployment_,
    image: Annotated[Path, typer.Argument(help="A photo of the person to identify.")],
    purpose: Annotated[str | None, typer.Option("--purpose")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """1:N: which enrolled subject of the deployment is in the photo, if any."""
    decision = open_gate(home).identify(deployment, read_image_bytes(image), purpose, Caller(actor))
    show(decision, json_out, f"{decision.outcome}" + (f": {decision.subject}" if decision.subject else ""))


alternative_app = typer.Typer(help="Non-biometric methods: PIN, TOTP, check-in code, staff.", no_args_is_help=True)
app.add_typer(alternative_app, name="alternative")
Method = Annotated[str, typer.Argument(help="pin, totp, checkin_code or staff.", metavar="METHOD")]


@alternative_app.command("set")
def alternative_set(
    deployment: Deployment_,
    subject: Subject_,
    method: Method,
    pin: Annotated[str | None, typer.Option("--pin", help="The PIN or password (asked when omitted).")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Set up a non-biometric method; TOTP secrets and check-in codes are shown once, with a QR code."""
    if method == "pin" and pin is None:
        pin = typer.prompt("PIN", hide_input=True, confirmation_prompt=True)
    decision = open_gate(home).set_alternative(deployment, subject, method, pin, Caller(actor))
    if json_out:
        print_json(decision.to_dict())
        return
    console.print(f"{method} set for {subject} in {deployment}", markup=False)
    for key in ("totp_uri", "code", "expires_at"):
        if key in decision.details:
            console.print(f"  {key}: {decision.details[key]}", markup=False, soft_wrap=True)


@alternative_app.command("verify")
def alternative_verify(
    deployment: Deployment_,
    subject: Subject_,
    method: Method,
    secret: Annotated[str | None, typer.Option("--secret", help="The PIN, TOTP or code (asked when omitted).")] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Verify a subject without any face; exits 3 when the secret is wrong."""
    if method != "staff" and secret is None:
        secret = typer.prompt(method, hide_input=True)
    decision = open_gate(home).verify_alternative(deployment, subject, method, secret, Caller(actor))
    show(decision, json_out, f"{decision.outcome}: {subject} by {method}")
    if not decision.details["verified"]:
        raise typer.Exit(3)


@app.command()
def purge(json_out: Json = False, home: Home = None) -> None:
    """Delete templates and raw images past their retention (the server also runs this on a schedule)."""
    counts = open_gate(home).purge()
    if json_out:
        print_json(counts)
    else:
        console.print(
            f"purged {counts['templates']} template(s) of {counts['subjects']} subject(s), "
            f"{counts['raw_images']} raw image(s)"
        )


keys_app = typer.Typer(help="The key store, and API keys for the service.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("rotate")
def keys_rotate(home: Home = None) -> None:
    """Rotate the master key: deployment keys are rewrapped; templates are not re-encrypted."""
    folder = data_home(home)
    count = rotate_master_key_file(folder, Keystore.open(folder))
    console.print(f"master key rotated; {count} deployment key(s) rewrapped")


# ---- service ----

from facegate.api.keys import ROLES  # noqa: E402

Host = Annotated[str, typer.Option("--host", help="Address to listen on.")]
Port = Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")]


def open_service(home: Path | None):  # type: ignore[no-untyped-def]
    """The service (gate, API keys, link signer) of the data directory."""
    from facegate.api.service import Service

    return Service.open(data_home(home))


def say(line: str) -> None:
    """Print one line as it is (no markup)."""
    console.print(line, markup=False, highlight=False, soft_wrap=True)


@app.command()
def demo(
    photos: Annotated[
        Path | None, typer.Option("--photos", help="Folder of photos (default: the repository's sample photos).")
    ] = None,
    walk: Annotated[bool, typer.Option("--walkthrough/--no-walkthrough", help="Start with the engine tour.")] = True,
    home: Home = None,
) -> None:
    """Seed a realistic example (a handler, an allowed and a blocked deployment, enrolled subjects, demo keys)."""
    from facegate.api import demo as seeding

    if walk:
        walkthrough(photos)
    folder = data_home(home)
    console.print(f"\n[bold]seeding the service demo[/] in {folder}", highlight=False)
    svc = open_service(folder)
    seeded = seeding.seed(svc, say, photos=photos or seeding.PHOTOS)
    lines = [f"{name} ({seeding.KEYS[name][0]}): {secret}" for name, secret in seeded.keys.items()]
    keyfile = folder / "demo-keys.txt"
    keyfile.touch(mode=0o600)
    keyfile.write_text("\n".join(lines) + "\n")
    console.print("\n[bold]demo API keys[/] (shown once; also in " + str(keyfile) + "):", highlight=False)
    for line in lines:
        say(f"  {line}")
    say(f"\nsubject portal for obama (24 h): http://127.0.0.1:8000/portal/{seeded.portal_token}")
    say("start the server with `facegate serve`, open http://127.0.0.1:8000 and sign in with the demo-admin key")


@app.command()
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    purge_every: Annotated[
        float, typer.Option("--purge-every", min=60, help="Seconds between retention purges.")
    ] = 3600.0,
    home: Home = None,
) -> None:
    """Run the REST API, the console and the subject portal (uvicorn; SQLite in the data directory)."""
    import logging

    import uvicorn

    from facegate.api.app import create_app

    folder = data_home(home)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app_ = create_app(folder, purge_every=purge_every, warm_engine=True)
    say(f"facegate serving {folder} on http://{host}:{port}: console /console, API /api/v1")
    say(f"OpenAPI schema: http://{host}:{port}/api/v1/openapi.json")
    if not app_.state.service.keys.has_admin():
        say("no admin key yet: create one with `facegate keys create --role admin` (or run `facegate demo`)")
    uvicorn.run(app_, host=host, port=port, access_log=False, log_config=None, server_header=False)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option("--role", help="admin, operator or auditor.")],
    deployment: Annotated[
        list[str] | None, typer.Option("--deployment", help="A deployment an operator key is granted; repeat.")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="A name to recognise the key by.")] = "",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Mint an API key for the REST API and the console; the secret is shown this once."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    svc = open_service(home)
    for granted in deployment or []:
        svc.gate.deployment_spec(granted)
    key, secret = svc.keys.create(role, svc.clock(), name, deployment or [], "cli")
    if json_out:
        print_json({**key.to_dict(), "secret": secret})
        return
    console.print(f"{role} key {key.id} created; copy it now, it is not shown again:", markup=False)
    sys.stdout.write(secret + "\n")


@keys_app.command("list")
def keys_list(json_out: Json = False, home: Home = None) -> None:
    """Every API key: ID, name, role, granted deployments, state (never a secret)."""
    keys = open_service(home).keys.list()
    if json_out:
        print_json([k.to_dict() for k in keys])
        return
    table = Table("ID", "name", "role", "deployments", "created", "state")
    for k in keys:
        state = "revoked" if k.revoked_at else "active"
        table.add_row(k.id, k.name, k.role, ", ".join(k.deployments), k.created_at.strftime("%Y-%m-%d %H:%M"), state)
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's ID.")], home: Home = None) -> None:
    """Revoke an API key: it stops working at once."""
    svc = open_service(home)
    svc.keys.revoke(key_id, svc.clock())
    console.print(f"key {key_id} revoked", markup=False)


# ---- oversight ----

from facegate.oversight import Oversight  # noqa: E402

oversight_app = typer.Typer(
    help="Stored-individual counts, filing duties and due dates, the filing package, the inspection export.",
    no_args_is_help=True,
)
app.add_typer(oversight_app, name="oversight")
HandlerOpt = Annotated[
    str | None, typer.Option("--handler", help="The handler (legal entity) as in spec.handler.name.")
]


def open_oversight(home: Path | None) -> Oversight:
    """The oversight of the data directory (through its gate: same database, keys, audit log and settings)."""
    return Oversight.for_gate(open_gate(home))


def print_status(report: dict) -> None:  # type: ignore[type-arg]
    """The status report as text: per handler, the count against each threshold, tasks and warnings."""
    say(f"as of {report['today']} (Beijing); count mode: {report['count_mode']} (§8 Q1)")
    if not report["handlers"]:
        say("no deployment registered yet")
    for h in report["handlers"]:
        console.print(f"\n[bold]{markup_escape(h['handler'])}[/]", highlight=False, soft_wrap=True)
        deployments = ", ".join(f"{d['id']} ({d['status']})" for d in h["deployments"])
        say(f"  deployments: {deployments}")
        say(
            f"  stored individuals: {h['stored_individuals']:,} (cumulative {h['counts']['cumulative']:,}, "
            f"currently stored {h['counts']['currently_stored']:,})"
        )
        for t in h["thresholds"]:
            reached = f"reached on {t['reached_on']}" if t["reached_on"] else f"{t['remaining']:,} to go"
            if t["reached"] and not t["reached_on"]:
                reached = "reached (no task: profile not applied, or already filed)"
            applies = "" if t["applies"] else " [profile not applied]"
            say(f"  {t['profile']}: {t['condition']} -> {reached}{applies}")
        for t in h["open_tasks"]:
            say(
                f"  {t['state'].upper()} {t['kind']} ({t['profile']}, {', '.join(t['rule_ids'])}): triggered "
                f"{t['trigger_on']} by {t['trigger']}; due {t['due_on']}; task {t['id']}"
            )
            say(f"    {t['due_basis']}")
        if h["enrollment"]["blocked"]:
            say(f"  new enrollments refused: {h['enrollment']['reason']} [{', '.join(h['enrollment']['rule_ids'])}]")
        for w in h["warnings"]:
            if w["severity"] != "INFO":  # INFO repeats a due date's basis, printed with its task above
                say(f"  {w['severity']} [{', '.join(w['rule_ids'])}] {w['message']}")


@oversight_app.command("status")
def oversight_status(handler: HandlerOpt = None, json_out: Json = False, home: Home = None) -> None:
    """Counts against each profile's filing threshold, due dates and open tasks (refreshes them first)."""
    report = open_oversight(home).status(handler)
    if json_out:
        print_json(report)
    else:
        print_status(report)


@oversight_app.command("filing")
def oversight_filing(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the package into (created).")],
    handler: HandlerOpt = None,
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Write the filing package (every regulation.md §5.5 item) as Markdown, HTML and JSON."""
    package = open_oversight(home).filing_package(handler, out)
    if json_out:
        print_json(package)
        return
    files = sum(len(i["files"]) for i in package["statutory_items"].values())
    say(f"wrote the filing package of {package['handler']} to {out}: {files} files + package.json, 00-index")
    say(f"file it with {package['authority']} at {package['portal']}")
    if package["gaps"]:
        say(f"{len(package['gaps'])} gap(s) to fill first; see 00-index.md")


@oversight_app.command("export")
def oversight_export(
    since: Annotated[str, typer.Option("--since", help="First day (YYYY-MM-DD, UTC) or ISO 8601 time.")],
    until: Annotated[str, typer.Option("--until", help="Last day, included (YYYY-MM-DD), or an ISO 8601 time.")],
    out: Annotated[Path, typer.Option("--out", help="The zip file to write.")],
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Write the inspection export: audit records with proofs, assessments, consents, deployments, filings."""
    start, end = time_range(since, until)
    manifest = open_oversight(home).inspection_export(start, end, out, actor)
    if json_out:
        print_json(manifest)
        return
    say(
        f"wrote {out}: {len(manifest['files'])} files, {manifest['audit_entries']} audit entries, "
        f"{manifest['deployments']} deployments; README.txt inside says how to verify it"
    )


@oversight_app.command("filed")
def oversight_filed(
    handler: Annotated[str, typer.Option("--handler", help="The handler that filed.")],
    receipt: Annotated[str, typer.Option("--receipt", help="The authority's receipt or filing number.")],
    filed_on: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="The day it was filed.")],
    profile: Annotated[str | None, typer.Option("--profile", help="Only this profile's tasks.")] = None,
    task: Annotated[str | None, typer.Option("--task", help="Only this task.")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="filing, change or cancellation (default: from the tasks closed).")
    ] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Record a filing receipt: the open tasks it answers are closed (an overdue filing stops blocking)."""
    recorded = open_oversight(home).record_filing(handler, receipt, filed_on.date(), profile, task, kind, actor)
    if json_out:
        print_json(recorded)
        return
    for r in recorded:
        say(
            f"{r['kind']} of {r['handler']} ({r['profile']}) recorded: receipt {r['receipt']} of {r['filed_on']}; "
            f"{len(r['closed_tasks'])} task(s) closed"
        )


def main() -> None:
    """Entry point: run the CLI; turn every error into one line on stderr and an exit code."""
    try:
        app()
    except FacegateError as exc:
        if isinstance(exc, RefusedError) and "--json" in sys.argv[1:]:
            print_json({"decision": "refuse", "message": exc.args[0], "rule_ids": exc.rule_ids,
                        "alternatives": exc.alternatives})  # fmt: skip
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
