"""`facegate webhooks`: register receivers for events, list and remove them, see and send their deliveries."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from facegate.cli.app import Home, Json, app, console, print_json
from facegate.home import data_home

if TYPE_CHECKING:
    from facegate.webhooks import Webhooks

webhooks_app = typer.Typer(
    rich_markup_mode=None, help="Webhooks: signed event deliveries to other systems.", no_args_is_help=True
)
app.add_typer(webhooks_app, name="webhooks")
HookId = Annotated[str, typer.Argument(help="The webhook's ID (wh_...).")]


def _hooks(home: Path | None) -> "Webhooks":
    from facegate.api.service import Service

    return Service.open(data_home(home, create=False)).webhooks


@webhooks_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="The http(s) URL that receives the POSTs.")],
    event: Annotated[list[str], typer.Option("--event", help="An event to send (repeat); see `webhooks events`.")],
    description: Annotated[str, typer.Option("--description", help="What the receiver is.")] = "",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Register a receiver; its signing secret is shown this once."""
    hook, secret = _hooks(home).register(url, event, description, "operator:cli")
    if json_out:
        print_json({**hook.to_dict(), "secret": secret})
        return
    console.print(f"webhook {hook.id} registered for {', '.join(hook.events)}; its signing secret:", markup=False)
    sys.stdout.write(secret + "\n")


@webhooks_app.command("events")
def events() -> None:
    """The events a receiver can subscribe to."""
    from facegate.webhooks import EVENTS

    for name, text in EVENTS.items():
        console.print(f"{name:20} {text}", markup=False)


@webhooks_app.command("list")
def list_hooks(json_out: Json = False, home: Home = None) -> None:
    """The registered receivers (never a secret)."""
    hooks = _hooks(home).page(500)
    if json_out:
        print_json([h.to_dict() for h in hooks])
        return
    table = Table("ID", "URL", "events", "description")
    for h in hooks:
        table.add_row(h.id, h.url, ", ".join(h.events), h.description)
    console.print(table)


@webhooks_app.command("remove")
def remove(hook_id: HookId, home: Home = None) -> None:
    """Remove a receiver and its undelivered messages."""
    _hooks(home).remove(hook_id)
    console.print(f"webhook {hook_id} removed", markup=False)


@webhooks_app.command("deliveries")
def deliveries(hook_id: HookId, json_out: Json = False, home: Home = None) -> None:
    """A receiver's latest 100 deliveries: event, state, attempts, last status."""
    items = _hooks(home).deliveries(hook_id)
    if json_out:
        print_json(items)
        return
    table = Table("ID", "event", "state", "attempts", "last status", "created")
    for d in items:
        status = str(d["last_status"] or d["last_error"] or "")
        table.add_row(str(d["id"]), d["event"], d["state"], str(d["attempts"]), status, d["created_at"][:19])
    console.print(table)


@webhooks_app.command("send")
def send(home: Home = None) -> None:
    """Turn new events into deliveries and send the due ones now (the server does this every 2 seconds)."""
    from facegate import webhooks

    results = webhooks.pump(_hooks(home))
    console.print(", ".join(f"{n} {state}" for state, n in results.items()) or "nothing due", markup=False)
