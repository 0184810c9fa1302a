"""The `facegate audit` commands: verify, prove, export and checkpoint the tamper-evident log."""

import json
import sys

# ---- audit ----
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from facegate.audit import AuditLog
from facegate.audit.export import time_range
from facegate.audit.keys import PUBLIC_KEY_FILE
from facegate.cli import Actor, Home, Json, app, console, err_console, print_json
from facegate.errors import TamperedError
from facegate.home import data_home
from facegate.store import Database

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
    _, db, log = open_audit(home)
    with db.session() as session:
        dropped = log.purge_before(session, before.astimezone(), actor=actor)
    if json_out:
        print_json({"purged": dropped, "before": before.date().isoformat()})
    else:
        console.print(f"dropped the payloads of {dropped} entries recorded before {before.date()}")
