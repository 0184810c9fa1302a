"""The compliance commands: `facegate check`, `rules`, `provisions`, `vocabulary`, `notice` and `pia`."""

import sys

# ---- compliance (policy) ----
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape as markup_escape
from rich.table import Table

from facegate.cli.app import Actor, Home, Json, app, caller, console, count, err_console, open_gate, print_json, show
from facegate.clock import beijing_today
from facegate.errors import InputError

if TYPE_CHECKING:
    from facegate import policy

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


def read_spec(path: Path) -> "policy.Deployment":
    """Read and parse a deployment spec file; an unreadable or invalid one is an input error naming the field."""
    from facegate import policy

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
def check(
    file: SpecFile,
    profile: Profiles = None,
    calibration_file: Annotated[
        Path | None,
        typer.Option("--calibration", help="The model's calibration (default: the shipped one of the default model)."),
    ] = None,
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Check a deployment spec against the rules: exit 0 when nothing blocks, 3 when something does."""
    from facegate import policy
    from facegate.gate import calibration_points

    spec = read_spec(file)
    points = calibration_points(calibration_file)
    report = policy.evaluate(spec, profile or [policy.DEFAULT_PROFILE], today=beijing_today(), accuracy=points)
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
def list_rules(profile: Profiles = None, json_out: Json = False, home: Home = None) -> None:
    """List the rules (all profiles unless --profile) with ID, severity, status and where each is enforced."""
    from facegate import policy

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
                        "serves": list(r.serves),
                        "setting": r.setting,
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


@app.command("provisions")
def list_provisions(json_out: Json = False) -> None:
    """List the registry of provisions a claim may name (regulation.md §4.8): article, claims, scope, status."""
    from facegate.policy import provisions as registry

    if json_out:
        print_json({"provisions": [p.to_dict() for p in registry.REGISTRY]})
        return
    table = Table("ID", "provision", "supports", "scope", "status", title=f"{len(registry.REGISTRY)} provisions")
    for p in registry.REGISTRY:
        supports = ", ".join(p.supports) or ("identity documents only" if p.identity_documents_only else "no claim")
        scope = "; ".join(
            part for part in (", ".join(p.handler_kinds), ", ".join(p.purposes)) if part
        ) or "any handler, any purpose"
        table.add_row(p.id, markup_escape(p.citation), supports, scope, p.status)
    console.print(table)


@app.command("vocabulary")
def list_vocabulary(
    kind: Annotated[str | None, typer.Argument(help="location_type, premises_type, purpose, analysis, ...")] = None,
    json_out: Json = False,
) -> None:
    """List a closed vocabulary's allowed values with their Chinese and English labels and synonyms."""
    from facegate.policy import vocabulary as vocabularies

    if kind is None:
        names = list(vocabularies.VOCABULARIES)
        if json_out:
            print_json({"vocabularies": names})
        else:
            console.print("\n".join(names), markup=False)
        return
    if kind not in vocabularies.VOCABULARIES:
        raise InputError(f"no vocabulary {kind!r}: use one of {', '.join(vocabularies.VOCABULARIES)}")
    terms = vocabularies.VOCABULARIES[kind]
    if json_out:
        print_json({"vocabulary": kind, "terms": [vocabularies.term_dict(t) for t in terms]})
        return
    table = Table("value", "中文", "English", "synonyms", title=f"{kind}: {len(terms)} values")
    for t in terms:
        table.add_row(t.value, t.zh, markup_escape(t.en), markup_escape(", ".join(t.synonyms)))
    console.print(table)


def write_document(doc: "policy.Document", fmt: str, out: Path | None) -> None:
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
            f"{count(len(doc.gaps), 'gap')} the spec does not fill: {fields}",
            markup=False,
            highlight=False,
            soft_wrap=True,
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
    from facegate import policy

    if str(file) == "shown":
        if not shown or len(shown) != 2:
            raise InputError("usage: facegate notice shown DEPLOYMENT SUBJECT [--version N]")
        deployment, subject = shown
        decision = open_gate(home).notice_shown(deployment, subject, version, caller(actor))
        show(decision, json_out, f"notice {decision.outcome} of {deployment} shown to {subject}")
        return
    if shown:
        raise InputError(f"unexpected arguments after the spec file: {' '.join(shown)}")
    spec = read_spec(file)
    profiles = tuple(profile or [policy.DEFAULT_PROFILE])
    from facegate.gate import verification_point

    point = verification_point()
    write_document(policy.notice_document(spec, profiles, issued=beijing_today(), verification=point), fmt, out)


@app.command()
def pia(file: SpecFile, fmt: DocFormat = "md", out: Out = None, profile: Profiles = None, home: Home = None) -> None:
    """Write the impact assessment report (four sections and a risk register) for a deployment spec."""
    from facegate import policy

    spec = read_spec(file)
    from facegate.gate import verification_point

    doc = policy.pia_document(
        spec, today=beijing_today(), profiles=profile or [policy.DEFAULT_PROFILE], verification=verification_point()
    )
    write_document(doc, fmt, out)
