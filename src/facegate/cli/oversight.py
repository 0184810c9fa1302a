"""The `facegate oversight` commands: counts and filing status, filing package, inspection export."""

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape as markup_escape

from facegate.cli.app import Actor, Home, Json, app, console, count, open_gate, print_json, say

if TYPE_CHECKING:
    from facegate.oversight import Oversight

oversight_app = typer.Typer(
    rich_markup_mode=None,
    help="Stored-individual counts, filing duties and due dates, the filing package, the inspection export.",
    no_args_is_help=True,
)
app.add_typer(oversight_app, name="oversight")
HandlerOpt = Annotated[
    str | None, typer.Option("--handler", help="The handler (legal entity) as in spec.handler.name.")
]


def open_oversight(home: Path | None) -> "Oversight":
    """The oversight of the data directory (through its gate: same database, keys, audit log and settings)."""
    from facegate.gate import verification_point
    from facegate.oversight import Oversight

    oversight = Oversight(open_gate(home).context)
    oversight.verification = verification_point()
    return oversight


def print_status(report: dict[str, Any]) -> None:
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
        for g in h.get("galleries", []):
            limit = "no calibration for the model" if g["limit"] is None else f"limit {g['limit']:,}"
            say(
                f"  1:N gallery {g['deployment']}: {count(g['subjects'], 'subject')} "
                f"({count(g['templates'], 'template')}), {limit} (target FPIR "
                f"{g['target_fpir']:.2%}, FNIR within {g['fnir_tolerance']:.0%}; ACC-1)"
            )
        if h["enrollment"]["blocked"]:
            say(f"  new enrollments refused: {h['enrollment']['reason']} [{', '.join(h['enrollment']['rule_ids'])}]")
        for w in h["warnings"]:
            if w["severity"] != "INFO":  # INFO repeats a due date's basis, printed with its task above
                say(f"  {w['severity']} [{', '.join(w['rule_ids'])}] {w['message']}")


@oversight_app.command("status")
def oversight_status(handler: HandlerOpt = None, json_out: Json = False, home: Home = None) -> None:
    """Counts against each profile's filing threshold, due dates and open tasks (refreshes them first)."""
    from facegate.oversight import Oversight

    gate = open_gate(home)
    report = Oversight(gate.context).status(handler, accuracy=gate.operating_points())
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
    say(f"wrote the filing package of {package['handler']} to {out}: {count(files, 'file')} + package.json, 00-index")
    say(f"file it with {package['authority']} at {package['portal']}")
    if package["gaps"]:
        say(f"{count(len(package['gaps']), 'gap')} to fill first; see 00-index.md")


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
    from facegate.audit.export import time_range

    start, end = time_range(since, until)
    manifest = open_oversight(home).inspection_export(start, end, out, actor)
    if json_out:
        print_json(manifest)
        return
    say(
        f"wrote {out}: {count(len(manifest['files']), 'file')}, "
        f"{count(manifest['audit_entries'], 'audit entry', 'audit entries')}, "
        f"{count(manifest['deployments'], 'deployment')}; README.txt inside says how to verify it"
    )


@oversight_app.command("filed")
def oversight_filed(
    handler: Annotated[str, typer.Option("--handler", help="The handler that filed.")],
    receipt: Annotated[str, typer.Option("--receipt", help="The authority's receipt or filing number.")],
    filed_on: Annotated[
        datetime | None, typer.Option("--date", formats=["%Y-%m-%d"], help="The day it was filed (default: today).")
    ] = None,
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
    from facegate.oversight.workdays import beijing_date

    oversight = open_oversight(home)
    day = filed_on.date() if filed_on else beijing_date(oversight.clock())
    recorded = oversight.record_filing(handler, receipt, day, profile, task, kind, actor)
    if json_out:
        print_json(recorded)
        return
    for r in recorded:
        closed = len(r["closed_tasks"])
        said = f"{count(closed, 'task')} closed" if closed else (
            f"it closed no task: {r['handler']} had none open{' under ' + profile if profile else ''} "
            "(check --handler, --profile and --task if you meant to answer one)"
        )  # fmt: skip
        head = f"{r['kind']} of {r['handler']} ({r['profile']}) recorded"
        say(f"{head}: receipt {r['receipt']} of {r['filed_on']}; {said}")
