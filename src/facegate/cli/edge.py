"""The node commands: `facegate init --kind`, `facegate status`, and `facegate device ...` for hubs and devices."""

from pathlib import Path
from typing import Annotated, Any

import typer

from facegate.cli.app import Home, Json, app, count, data_home, open_gate, print_json, say
from facegate.errors import InputError
from facegate.home import NODE_FILE, NODE_KINDS, choose_node_kind, node_kind

device_app = typer.Typer(
    help="Devices and their hub: pairing tokens, join, list, suspend, unpair, sync.", no_args_is_help=True
)
app.add_typer(device_app, name="device")
DeviceId = Annotated[str, typer.Argument(help="The device's ID (dev-...).", metavar="DEVICE")]


def _hub(home: Path | None):  # type: ignore[no-untyped-def]
    from facegate.edge.hub import Hub

    folder = data_home(home)
    if node_kind(folder) != "hub":
        raise InputError(f"{folder} is a device: run this on the hub's data directory (facegate init --kind hub)")
    return Hub(open_gate(folder), folder)


def _device(home: Path | None):  # type: ignore[no-untyped-def]
    from facegate.edge.device import Device

    folder = data_home(home)
    return Device(open_gate(folder), folder)


@app.command()
def init(
    kind: Annotated[str, typer.Option("--kind", help="hub (deployments, consents, oversight; no device-storage "
                                      "template) or device (the recognition device itself).")] = "device",
    home: Home = None,
) -> None:  # fmt: skip
    """Create a data directory as a hub or a device (chosen once; `facegate status` says which)."""
    if kind not in NODE_KINDS:
        raise InputError(f"unknown kind {kind!r}: use hub or device")
    folder = data_home(home)
    if not (folder / NODE_FILE).exists() and kind == "hub" and any(folder.glob("facegate.db*")):
        raise InputError(f"{folder} already holds data as a device; create the hub in a new data directory")
    try:
        choose_node_kind(folder, kind)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    open_gate(folder)  # the database, key store and audit key
    say(f"{folder} is a {kind}")


@app.command()
def status(json_out: Json = False, home: Home = None) -> None:
    """Which kind of node this data directory is; a device's hub and last sync, a hub's devices."""
    from facegate.edge.device import Device, node

    folder = data_home(home, create=False)
    gate = open_gate(folder)
    here = node(gate, folder)
    out: dict[str, Any] = {"home": str(folder), "kind": here.kind, "deployments": len(gate.deployments())}
    if here.kind == "device":
        link = Device(gate, folder).link()
        out["paired"] = link is not None and link.status == "active"
        if link is not None:
            out |= {
                "hub": link.hub_url,
                "device_id": link.device_id,
                "hub_deployments": [d for d in link.deployments.split(",") if d],
                "last_sync_at": link.last_sync_at and link.last_sync_at.isoformat(),
                "link": link.status,
            }
    else:
        devices = _hub(folder).devices()
        out["devices"] = {
            "paired": sum(d["status"] != "unpaired" for d in devices),
            "flagged": [d["id"] for d in devices if d["flag"]],
            "unconfirmed_shreds": sum(d["unconfirmed_shreds"] for d in devices),
        }
    if json_out:
        print_json(out)
        return
    say(f"{folder}: {here.kind}")
    say(f"  deployments registered here: {out['deployments']}")
    if here.kind == "device" and not out["paired"]:
        say("  not paired with a hub: deployments are registered here directly")
    elif here.kind == "device":
        say(f"  hub: {out['hub']} (this device is {out['device_id']}); last sync {out['last_sync_at'] or 'never'}")
    else:
        d = out["devices"]
        say(f"  devices paired: {d['paired']}; flagged: {', '.join(d['flagged']) or 'none'}; "
            f"unconfirmed withdrawals past 5 min: {d['unconfirmed_shreds']}")  # fmt: skip


@device_app.command("token")
def token(
    deployment: Annotated[list[str], typer.Option("--deployment", help="A deployment the device runs; repeat.")],
    hours: Annotated[float, typer.Option("--hours", help="How long the token may be used (at most 168).")] = 24,
    json_out: Json = False,
    home: Home = None,
) -> None:
    """On the hub: mint a one-time pairing token for a device of these deployments (shown once)."""
    minted = _hub(home).mint_token(list(deployment), "operator:cli", hours)
    if json_out:
        print_json({"id": minted.id, "token": minted.token, "deployments": list(minted.deployments),
                    "expires_at": minted.expires_at.isoformat()})  # fmt: skip
        return
    say(f"pairing token for {', '.join(minted.deployments)}, valid until {minted.expires_at:%Y-%m-%d %H:%M} UTC, once:")
    say(minted.token)


@device_app.command("join")
def join(
    hub_url: Annotated[str, typer.Argument(help="The hub's address, https://... (http:// on loopback only).")],
    token_: Annotated[str, typer.Option("--token", help="The pairing token minted on the hub.")],
    name: Annotated[str, typer.Option("--name", help="A name to recognise this device by.")] = "device",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """On a device: create its signing key pair, pair it with the hub, and sync once."""
    folder = data_home(home)
    if node_kind(folder) != "device":
        raise InputError(f"{folder} is a hub; join from a device's data directory")
    joined = _device(folder).join(hub_url, token_, name)
    if json_out:
        print_json(joined)
        return
    say(f"paired with {hub_url} as {joined['device_id']} for {', '.join(joined['deployments'])}")
    s = joined["sync"]
    say(f"synced: {count(s['steps'], 'change')} applied, {count(s['pushed'], 'audit entry', 'audit entries')} pushed")


@device_app.command("sync")
def sync(json_out: Json = False, home: Home = None) -> None:
    """On a device: one round with the hub now (pull and apply, confirm shreds, push the audit log)."""
    done = _device(home).sync()
    if json_out:
        print_json(done)
        return
    say(f"applied the hub's log up to {done['applied']}: {done['steps']} changes, "
        f"{done['shreds_confirmed']} deletions confirmed, {done['pushed']} audit entries pushed")  # fmt: skip


@device_app.command("list")
def list_devices(json_out: Json = False, home: Home = None) -> None:
    """On the hub: every paired device, its state, last contact, log and flags."""
    devices = _hub(home).devices()
    if json_out:
        print_json(devices)
        return
    if not devices:
        say("no device paired yet: mint a token with `facegate device token --deployment D`")
    for d in devices:
        seen = (d["last_seen_at"] or "never")[:19].replace("T", " ")
        say(f"{d['id']}  {d['name']}  {d['status']}  {', '.join(d['deployments'])}")
        say(f"  last seen {seen} UTC; {d['behind']} hub entries behind; log verified to {d['log_size']} entries")
        say(f"  {d['stored_subjects']} subjects stored; {d['unconfirmed_shreds']} deletions unconfirmed past 5 min")
        if d["flag"]:
            say(f"  FLAGGED {d['flagged_at'][:19]}: {d['flag']}")


def _set(device_id: str, state: str, home: Path | None) -> None:
    done = _hub(home).set_status(device_id, state, "operator:cli")
    say(f"device {done['id']} ({done['name']}) is {done['status']}")


@device_app.command("suspend")
def suspend(device_id: DeviceId, home: Home = None) -> None:
    """On the hub: suspend a device (its syncs are refused; it goes offline and stops after its bound)."""
    _set(device_id, "suspended", home)


@device_app.command("resume")
def resume(device_id: DeviceId, home: Home = None) -> None:
    """On the hub: resume a suspended or flagged device (clears its flag)."""
    _set(device_id, "active", home)


@device_app.command("unpair")
def unpair(device_id: DeviceId, home: Home = None) -> None:
    """On the hub: unpair a device for good; its pushed audit log stays on the hub."""
    _set(device_id, "unpaired", home)
