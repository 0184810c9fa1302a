"""The `facegate` command line: parses input, calls the gate, the engine or oversight, renders output."""

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from facegate.errors import FacegateError
from facegate.home import data_home

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


def main() -> None:
    """Entry point: run the CLI; turn every error into one line on stderr and an exit code."""
    try:
        app()
    except FacegateError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False)
        raise SystemExit(130) from None
    except Exception as exc:  # the last line of defence: never show a traceback to a user
        if os.environ.get("FACEGATE_DEBUG"):
            raise
        err_console.print(
            f"internal error: {type(exc).__name__} (set FACEGATE_DEBUG=1 for details)", markup=False
        )
        raise SystemExit(1) from None


_ = data_home  # used by the command sections below
