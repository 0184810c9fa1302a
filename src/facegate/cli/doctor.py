"""`facegate doctor`: what weakens erasure in the data directory, with an exit code to act on."""

from typing import Annotated

import typer

from facegate.cli.app import Home, Json, app, print_json, say
from facegate.home import data_home

LABELS = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


@app.command()
def doctor(
    scrub: Annotated[
        bool, typer.Option("--scrub", help="First truncate the SQLite WALs and VACUUM files with dirty free pages.")
    ] = False,
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Where the master key is, file modes, anything that weakens erasure: exit 0 fine, 5 weakened, 6 broken."""
    from facegate import doctor as checks

    folder = data_home(home, create=False)
    done = checks.scrub(folder) if scrub else []
    findings = checks.examine(folder)
    code = checks.exit_code(findings)
    if json_out:
        print_json({"home": str(folder), "scrubbed": done, "findings": [f.to_dict() for f in findings], "exit": code})
    else:
        say(f"data directory {folder}")
        for line in done:
            say(f"scrubbed {line}")
        for f in findings:
            say(f"{LABELS[f.level]}  {f.check}: {f.message}")
    raise typer.Exit(code)
