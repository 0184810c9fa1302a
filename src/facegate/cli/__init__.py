"""The `facegate` command line: parses input, calls the gate, the engine or oversight, renders output.

This package holds what every command shares and `main`; each module beside it adds one room's commands.
A command imports the rooms it uses when it runs, so `facegate --help` loads only typer and rich.
"""

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from facegate.errors import FacegateError, RefusedError
from facegate.home import data_home
from facegate.wording import count as count  # the commands say their counts with it

if TYPE_CHECKING:
    from facegate.gate import Caller, Decision, Gate

app = typer.Typer(
    rich_markup_mode=None,
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


def version(asked: bool) -> None:
    """`facegate --version`: print the installed version and stop."""
    if asked:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as installed

        try:
            number = installed("facegate")
        except PackageNotFoundError:
            number = "unknown (not installed; run from the source tree)"
        sys.stdout.write(f"facegate {number}\n")
        raise typer.Exit()


@app.callback()
def options(
    show_version: Annotated[
        bool, typer.Option("--version", callback=version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """facegate: face recognition that only runs when the rules allow it, and can prove it."""


keys_app = typer.Typer(rich_markup_mode=None, help="The key store, and API keys for the service.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


Deployment_ = Annotated[str, typer.Argument(help="Deployment ID.", metavar="DEPLOYMENT")]
Subject_ = Annotated[str, typer.Argument(help="Subject ID (pseudonymous).", metavar="SUBJECT")]
Actor = Annotated[str, typer.Option("--actor", help="Who acts, recorded in the audit log.")]


def open_gate(home: Path | None) -> "Gate":
    """The gate of the data directory."""
    from facegate.gate import Gate

    return Gate.open(data_home(home))


def caller(actor: str) -> "Caller":
    """The gate's caller for a command's `--actor`."""
    from facegate.gate import Caller

    return Caller(actor)


def say(line: str) -> None:
    """Print one line as it is (no markup)."""
    console.print(line, markup=False, highlight=False, soft_wrap=True)


def show(decision: "Decision", json_out: bool, text: str) -> None:
    """Print a gate decision as JSON, or as one line of text."""
    if json_out:
        print_json(decision.to_dict())
    else:
        say(text)


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


# Each module registers its commands on `app` when imported.
from facegate.cli import audit, compliance, doctor, edge, engine, gate, oversight, service  # noqa: E402, F401
