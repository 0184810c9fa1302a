"""The `facegate audit` commands: verify, prove, export and checkpoint the tamper-evident log."""

import json
import sys

# ---- audit ----
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from facegate.cli.app import Actor, Home, Json, app, console, count, err_console, print_json, say
from facegate.errors import InputError, TamperedError
from facegate.home import data_home

if TYPE_CHECKING:
    from facegate.audit.records import AuditRecords

audit_app = typer.Typer(
    rich_markup_mode=None, help="The tamper-evident audit log: verify, prove, export, checkpoint.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")


def open_audit(home: Path | None, *, signing: bool = True) -> tuple[Path, "AuditRecords"]:
    """The data directory and its audit records (reading never creates a signing key)."""
    from facegate.audit.records import AuditRecords

    path = data_home(home, create=False)
    return path, AuditRecords.open(path, signing=signing)


def public_key_path(home: Path) -> Path:
    """Where the audit log's public key of a data directory is (for the standalone verifier)."""
    from facegate.audit.keys import key_path, public_path

    return public_path(key_path(home))


@audit_app.command("verify")
def audit_verify(home: Home = None, json_out: Json = False) -> None:
    """Recompute the log and check every checkpoint: exit 0 when intact, 4 naming the first tampered entry."""
    _, records = open_audit(home, signing=False)
    report = records.verify()
    if json_out:
        print_json(report.to_json())
    elif report.ok:
        console.print(report.summary(), markup=False, highlight=False, soft_wrap=True)
    if report.problem is not None:
        raise TamperedError(report.problem.message)


@audit_app.command("list")
def audit_list(
    operation: Annotated[str | None, typer.Option("--operation", help="Only this operation (verify, ...).")] = None,
    deployment: Annotated[str | None, typer.Option("--deployment", help="Only this deployment.")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="Only this subject.")] = None,
    decision: Annotated[str | None, typer.Option("--decision", help="Only allow or refuse.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="First day (YYYY-MM-DD, UTC), included.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last day (YYYY-MM-DD, UTC), included.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="How many entries at most.")] = 20,
    before: Annotated[int | None, typer.Option("--before", min=0, help="Only entries below this index.")] = None,
    home: Home = None,
    json_out: Json = False,
) -> None:
    """List entries newest first, with the event IDs that `audit prove` takes."""
    from facegate.audit.export import time_range
    from facegate.audit.listing import Filters

    if decision not in (None, "allow", "refuse"):
        raise InputError(f"unknown decision {decision!r}: use allow or refuse")
    start = end = None
    if since or until:
        start, end = time_range(since or "1970-01-01", until or "9999-12-30")
    filters = Filters(operation, deployment, subject, decision, start, end)
    _, records = open_audit(home, signing=False)
    found = records.page(filters, before, limit)
    if json_out:
        print_json({"entries": found.entries, "older": found.older})
        return
    for e in found.entries:
        rules = f" [{', '.join(e['rule_ids'])}]" if e.get("rule_ids") else ""
        who = " ".join(x for x in (e.get("deployment"), e.get("subject")) if x)
        say(f"#{e['index']:<5} {e['at'][:19].replace('T', ' ')}  {e['event_id']}  {e['operation']} "
            f"{e['decision']} {e['outcome']}{' ' + who if who else ''}{rules}")  # fmt: skip
    shown = len(found.entries)
    if not shown:
        say("no entries match" if filters.any() else "the audit log is empty")
    elif found.older is not None:
        say(f"{count(shown, 'entry', 'entries')} shown, newest first; older ones: --before {found.older}")
    else:
        say(f"{count(shown, 'entry', 'entries')} shown, newest first")


@audit_app.command("prove")
def audit_prove(
    event_id: Annotated[str, typer.Argument(help="The event's ID (`audit list` shows them), or #N for entry N.")],
    home: Home = None,
    json_out: Json = False,
) -> None:
    """Print an inclusion proof of one event against the latest signed checkpoint."""
    _, records = open_audit(home, signing=False)
    if event_id.startswith("#") and event_id[1:].isdigit():
        index = int(event_id[1:]) if len(event_id) <= 21 else -1  # longer than any index: no such entry
        found = records.page(None, before=index + 1, size=1).entries
        if not found or found[0]["index"] != index:
            raise InputError(f"the audit log has no entry {event_id}")
        event_id = found[0]["event_id"]
    proof = records.prove(event_id).to_json()
    if json_out:
        print_json(proof)
        return
    console.print(f"entry #{proof['index']} ({event_id}), leaf hash {proof['leaf_hash']}", markup=False)
    console.print(f"inclusion proof in the tree of {count(proof['tree_size'], 'entry', 'entries')}:", markup=False)
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
    from facegate.audit.export import time_range

    start, end = time_range(since, until)
    path, records = open_audit(home)
    lines = (json.dumps(line, ensure_ascii=False) + "\n" for line in records.export(start, end))
    if out is None:
        sys.stdout.writelines(lines)
    else:
        with out.open("w", encoding="utf-8") as file:
            file.writelines(lines)
        key = public_key_path(path)
        err_console.print(f"wrote {out}; public key: {key}", markup=False, highlight=False, soft_wrap=True)


@audit_app.command("checkpoint")
def audit_checkpoint(home: Home = None, json_out: Json = False) -> None:
    """Sign a checkpoint of the log now, and keep a copy of it outside the database."""
    path, records = open_audit(home)
    cp = records.checkpoint()
    if json_out:
        print_json({**cp.to_json(), "public_key": str(public_key_path(path))})
    else:
        sys.stdout.write(cp.note)


@audit_app.command("purge")
def audit_purge(
    before: Annotated[
        datetime, typer.Option("--before", formats=["%Y-%m-%d"], help="Drop the payloads of entries older than this.")
    ],
    actor: Actor = "operator:cli",
    home: Home = None,
    json_out: Json = False,
) -> None:
    """Drop the payloads of entries older than a date; refused for anything under 3 years old (CN25-9c).

    Leaf hashes stay, so the log and every checkpoint still verify; the purge is itself recorded.
    """
    _, records = open_audit(home)
    dropped = records.purge_before(before.astimezone(), actor)
    if json_out:
        print_json({"purged": dropped, "before": before.date().isoformat()})
    else:
        console.print(f"dropped the payloads of {count(dropped, 'entry', 'entries')} recorded before {before.date()}")
