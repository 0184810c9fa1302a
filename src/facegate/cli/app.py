"""What every `facegate` command shares: the typer app, the consoles, the common options and the printers.

A command imports the rooms it uses when it runs, so `facegate --help` loads only typer and rich.
"""

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

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


def open_gate(home: Path | None, *, create: bool = False) -> "Gate":
    """The gate of the data directory (a hub's with its devices' views attached, for oversight); only a command that
    sets something up (`create`) makes a data directory that does not exist, so a mistyped --home changes nothing."""
    from facegate.edge.views import attach
    from facegate.gate import Gate

    gate = Gate.open(data_home(home, create=create))
    attach(gate.context)
    return gate


def caller(actor: str) -> "Caller":
    """The gate's caller for a command's `--actor`: an operator, never a subject or facegate itself."""
    from facegate.errors import InputError
    from facegate.gate import Caller

    if actor.partition(":")[0] in ("subject", "system"):
        raise InputError(f"--actor {actor.partition(':')[0]}:... is not for the command line: name the operator")
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
