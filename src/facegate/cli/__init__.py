"""The `facegate` command line: parses input, calls the gate, the engine or oversight, renders output.

`app` (in cli/app.py) holds what every command shares; each module beside it adds one room's commands, and
`main` runs them. A command imports the rooms it uses when it runs, so `facegate --help` loads only typer and rich.
"""

import sys

from facegate import config
from facegate.cli.app import app, err_console, print_json
from facegate.errors import FacegateError, RefusedError


def main() -> None:
    """Entry point: run the CLI; turn every error into one line on stderr and an exit code."""
    try:
        app()
    except FacegateError as exc:
        if isinstance(exc, RefusedError) and "--json" in sys.argv[1:]:
            from facegate.policy import citation

            print_json({"decision": "refuse", "message": exc.args[0], "rule_ids": exc.rule_ids,
                        **citation(exc.rule_ids), "alternatives": exc.alternatives})  # fmt: skip
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False)
        raise SystemExit(130) from None
    except Exception as exc:  # the last line of defence: never show a traceback to a user
        if config.current().debug:
            raise
        err_console.print(f"internal error: {type(exc).__name__} (set FACEGATE_DEBUG=1 for details)", markup=False)
        raise SystemExit(1) from None


# Each module registers its commands on `app` when imported.
from facegate.cli import (  # noqa: E402, F401
    audit,
    bulk_import,
    camera,
    compliance,
    doctor,
    edge,
    engine,
    gate,
    oversight,
    service,
    webhooks,
)

__all__ = ["app", "main"]
