"""The service's commands: `facegate serve`, `facegate demo` and API keys."""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from facegate.cli.app import Home, Json, app, console, keys_app, print_json, say
from facegate.cli.engine import walkthrough
from facegate.errors import InputError

# ---- service ----
from facegate.home import data_home

if TYPE_CHECKING:
    from facegate.api.service import Service

Host = Annotated[str, typer.Option("--host", help="Address to listen on.")]
Port = Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")]


def open_service(home: Path | None, *, create: bool = False) -> "Service":
    """The service (gate, API keys, link signer) of the data directory; `create` makes one that does not exist."""
    from facegate.api.service import Service

    return Service.open(data_home(home, create=create))


def refuse_taken_port(host: str, port: int) -> None:
    """Stop with a clear error when `host:port` cannot be listened on (another server has it)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is no obstacle
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InputError(
                f"cannot listen on {host}:{port} ({exc.strerror or 'in use'}): another server has it; "
                f"stop it or choose another port (--port, or make run PORT=...)"
            ) from None


@app.command()
def demo(
    photos: Annotated[
        Path | None, typer.Option("--photos", help="Folder of photos (default: the repository's sample photos).")
    ] = None,
    walk: Annotated[bool, typer.Option("--walkthrough/--no-walkthrough", help="Start with the engine tour.")] = True,
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="The port `serve` will use: checked free before seeding."),
    ] = None,
    home: Home = None,
) -> None:
    """Seed a realistic example (a handler, an allowed and a blocked deployment, enrolled subjects, demo keys)."""
    from facegate.api import demo as seeding

    if port is not None:
        refuse_taken_port("127.0.0.1", port)
    url = f"http://localhost:{port or 8000}"
    if walk:
        walkthrough(photos)
    folder = data_home(home)
    console.print(f"\n[bold]seeding the service demo[/] in {folder}", highlight=False)
    svc = open_service(folder)
    seeded = seeding.seed(svc, say, photos=photos or seeding.PHOTOS)
    lines = [f"{name} ({seeding.KEYS[name][0]}): {secret}" for name, secret in seeded.keys.items()]
    keyfile = folder / "demo-keys.txt"
    keyfile.touch(mode=0o600)
    keyfile.write_text("\n".join(lines) + "\n")
    console.print("\n[bold]demo API keys[/] (shown once; also in " + str(keyfile) + "):", highlight=False)
    for line in lines:
        say(f"  {line}")
    say(f"\nsubject portal for obama (24 h): {url}/portal/{seeded.portal_token}")
    serve_command = "facegate serve" + (f" --port {port}" if port else "") + (f" --home {home}" if home else "")
    say(f"start the server with `{serve_command}`, open {url} and sign in with the demo-admin key")


@app.command()
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    purge_every: Annotated[
        float, typer.Option("--purge-every", min=60, help="Seconds between retention purges.")
    ] = 3600.0,
    sync_every: Annotated[
        float, typer.Option("--sync-every", min=0.5, help="On a paired device: seconds between syncs with the hub.")
    ] = 5.0,
    poll_every: Annotated[
        float,
        typer.Option(
            "--poll-every", min=5, help="On a paired device receiving change notices (FACEGATE_BROKER_URL): seconds "
            "between polls in case a notice is lost.",
        ),
    ] = 3600.0,
    engine_workers: Annotated[
        int,
        typer.Option("--engine-workers", min=0, help="Face engine processes (0: one per core; 1: in the server)."),
    ] = 0,
    home: Home = None,
) -> None:
    """Run the REST API, the console and the subject portal (uvicorn; SQLite in the data directory)."""
    import logging

    import uvicorn

    from facegate.server import create_app

    refuse_taken_port(host, port)
    folder = data_home(home)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    workers = engine_workers or os.cpu_count() or 1
    app_ = create_app(
        folder,
        purge_every=purge_every,
        warm_engine=True,
        sync_every=sync_every,
        poll_every=poll_every,
        engine_workers=workers,
        webhooks_every=2.0,
    )
    say(f"facegate serving {folder} on http://{host}:{port}: console /console, API /api/v1")
    say(f"OpenAPI schema: http://{host}:{port}/api/v1/openapi.json")
    if not app_.state.service.keys.has_admin():
        say("no admin key yet: create one with `facegate keys create --role admin` (or run `facegate demo`)")
    uvicorn.run(app_, host=host, port=port, access_log=False, log_config=None, server_header=False)


@keys_app.command("create")
def keys_create(
    role: Annotated[
        str,
        typer.Option("--role", help="admin, operator, auditor, reviewer (a DPO attesting claims), metrics (scraping)."),
    ],
    deployment: Annotated[
        list[str] | None, typer.Option("--deployment", help="A deployment an operator key is granted; repeat.")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="A name to recognise the key by.")] = "",
    days: Annotated[
        int | None, typer.Option("--expires-in", min=1, max=3650, help="Days until the key expires (default never).")
    ] = None,
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Mint an API key for the REST API and the console; the secret is shown this once."""
    from datetime import timedelta

    from facegate.api.keys import ROLES

    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    svc = open_service(home, create=True)
    for granted in deployment or []:
        svc.gate.deployment_spec(granted)
    now = svc.clock()
    expires = now + timedelta(days=days) if days else None
    key, secret = svc.keys.create(role, now, name, deployment or [], "cli", expires_at=expires)
    if json_out:
        print_json({**key.to_dict(), "secret": secret})
        return
    console.print(f"{role} key {key.id} created; copy it now, it is not shown again:", markup=False)
    sys.stdout.write(secret + "\n")


@keys_app.command("list")
def keys_list(json_out: Json = False, home: Home = None) -> None:
    """Every API key: ID, name, role, granted deployments, state (never a secret)."""
    svc = open_service(home)
    keys, now = svc.keys.list(), svc.clock()
    if json_out:
        print_json([{**k.to_dict(), "state": k.state(now)} for k in keys])
        return
    table = Table("ID", "name", "role", "deployments", "created", "state")
    for k in keys:
        state = k.state(now)
        table.add_row(k.id, k.name, k.role, ", ".join(k.deployments), k.created_at.strftime("%Y-%m-%d %H:%M"), state)
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's ID.")], home: Home = None) -> None:
    """Revoke an API key: it stops working at once."""
    svc = open_service(home)
    svc.keys.revoke(key_id, svc.clock())
    console.print(f"key {key_id} revoked", markup=False)
