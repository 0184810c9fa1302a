"""The node commands: `facegate init --kind`, `facegate status`, and `facegate device ...` for hubs and devices."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from facegate.cli.app import Home, Json, app, count, open_gate, print_json, say
from facegate.errors import InputError
from facegate.home import NODE_FILE, NODE_KINDS, choose_node_kind, data_home, node_kind

if TYPE_CHECKING:
    from facegate.edge.device import Device
    from facegate.edge.hub import Hub

device_app = typer.Typer(
    help="Devices and their hub: pairing tokens, join, list, suspend, unpair, lost, sync.", no_args_is_help=True
)
app.add_typer(device_app, name="device")
MaybeDevice = Annotated[
    str | None, typer.Argument(help="The device's ID (dev-...); or --site for all of a site.", metavar="[DEVICE]")
]
Site = Annotated[str | None, typer.Option("--site", help="Every device of this site (not unpaired or lost).")]


def _hub(home: Path | None) -> "Hub":
    from facegate.edge.hub import Hub

    folder = data_home(home, create=False)
    if node_kind(folder) != "hub":
        raise InputError(f"{folder} is a device: run this on the hub's data directory (facegate init --kind hub)")
    return Hub(open_gate(folder), folder)


def _device(home: Path | None) -> "Device":
    from facegate.edge.device import Device

    folder = data_home(home, create=False)
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
    from facegate.edge.device import Device

    folder = data_home(home, create=False)
    gate = open_gate(folder)
    here = gate.node()
    out: dict[str, Any] = {"home": str(folder), "kind": here.kind, "deployments": len(gate.deployments())}
    if here.kind == "device":
        link = Device(gate, folder).link()
        out["paired"] = link is not None and link.status in ("active", "suspended") and link.wipe_acked_at is None
        if link is not None:
            out |= {
                "hub": link.hub_url,
                "device_id": link.device_id,
                "hub_deployments": [d for d in link.deployments.split(",") if d],
                "last_sync_at": link.last_sync_at and link.last_sync_at.isoformat(),
                "link": link.status,
                "suspended": link.status == "suspended",
                "wipe": None if link.wiped_at is None else {
                    "reason": link.wipe_reason, "at": link.wiped_at.isoformat(),
                    "acknowledged_at": link.wipe_acked_at and link.wipe_acked_at.isoformat(),
                    "deployments": Device(gate, folder).wiped_deployments(link),
                },
            }  # fmt: skip
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
    if out.get("wipe"):
        from facegate.edge.wipe import REASONS

        w = out["wipe"]
        which = (
            f"the keys of {', '.join(w['deployments'])} shredded" if w["reason"] == "offline" and w["deployments"]
            else "the keys of the deployments past their bound shredded" if w["reason"] == "offline"
            else "every key of its deployments shredded"
        )  # fmt: skip
        say(
            f"  WIPED {w['at'][:19].replace('T', ' ')} UTC ({REASONS.get(w['reason'], w['reason'])}): {which}; "
            f"hub told: {(w['acknowledged_at'] or 'not yet')[:19].replace('T', ' ')}"
        )
        if w["reason"] == "suspend":
            say("  face recognition is refused until the hub resumes this device")
        elif w["reason"] != "offline":
            say("  face recognition is refused; pair again with `facegate device join HUB_URL --token T`")
    if here.kind == "device" and not out["paired"] and not out.get("wipe"):
        say("  not paired with a hub: deployments are registered here directly")
    elif here.kind == "device" and out["paired"]:
        say(f"  hub: {out['hub']} (this device is {out['device_id']}); last sync {out['last_sync_at'] or 'never'}")
        if out["suspended"] and not out.get("wipe"):
            say("  SUSPENDED by its hub: face recognition is refused until the hub resumes this device "
                "(withdrawals and deletions are still applied)")  # fmt: skip
    elif here.kind == "hub":
        d = out["devices"]
        say(f"  devices paired: {d['paired']}; flagged: {', '.join(d['flagged']) or 'none'}; "
            f"unconfirmed withdrawals past 5 min: {d['unconfirmed_shreds']}")  # fmt: skip


@device_app.command("token")
def token(
    deployment: Annotated[list[str], typer.Option("--deployment", help="A deployment the device runs; repeat.")],
    hours: Annotated[float, typer.Option("--hours", help="How long the token may be used (at most 168).")] = 24,
    devices: Annotated[int, typer.Option("--devices", help="How many devices it may pair (a site token).")] = 1,
    site: Annotated[str | None, typer.Option("--site", help="The site its devices are grouped under.")] = None,
    json_out: Json = False,
    home: Home = None,
) -> None:
    """On the hub: mint a pairing token for one device (or up to --devices of a --site) of these deployments."""
    minted = _hub(home).mint_token(list(deployment), "operator:cli", hours, devices, site)
    if json_out:
        print_json({"id": minted.id, "token": minted.token, "deployments": list(minted.deployments),
                    "expires_at": minted.expires_at.isoformat(), "devices": minted.devices,
                    "site": minted.site})  # fmt: skip
        return
    uses = "once" if minted.devices == 1 else f"for up to {minted.devices} devices"
    where = f" at site {minted.site}" if minted.site else ""
    say(f"pairing token for {', '.join(minted.deployments)}{where}, valid until "
        f"{minted.expires_at:%Y-%m-%d %H:%M} UTC, {uses} (it carries the hub key's fingerprint):")  # fmt: skip
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
    if done.get("wipe"):
        w = done["wipe"]
        say(f"wiped ({w.get('reason') or w.get('wipe')}): {w.get('keys_shredded', 0)} keys shredded, "
            f"{w.get('templates_deleted', 0)} templates deleted; the hub was told")  # fmt: skip
        if "acknowledged" in w:
            return
    say(f"applied the hub's log up to {done['applied']}: {done['steps']} changes, "
        f"{done['shreds_confirmed']} deletions confirmed, {done['pushed']} audit entries pushed")  # fmt: skip


@device_app.command("list")
def list_devices(site: Site = None, json_out: Json = False, home: Home = None) -> None:
    """On the hub: every paired device (of a site), its state, last contact, pending shreds and audit standing."""
    devices = _hub(home).devices(site)
    if json_out:
        print_json(devices)
        return
    if not devices:
        say("no device paired yet: mint a token with `facegate device token --deployment D`")
    for d in devices:
        seen = (d["last_seen_at"] or "never")[:19].replace("T", " ")
        contact = ("online" if d["online"] else "offline") if d["status"] == "active" else f"{d['status']}: refused"
        say(f"{d['id']}  {d['name']}  {d['status']}  site {d['site'] or '-'}  {', '.join(d['deployments'])}")
        say(f"  last contact {seen} UTC ({contact}); {d['behind']} hub entries behind; audit {d['audit']}, log "
            f"verified to {d['log_size']} entries")  # fmt: skip
        say(f"  {d['stored_subjects']} subjects stored; {d['pending_shreds']} deletions pending "
            f"({d['unconfirmed_shreds']} past 5 min)")  # fmt: skip
        if d["wipe"]:
            w = d["wipe"]
            done = f"acknowledged {w['acked_at'][:19]}" if w["acked_at"] else "not yet acknowledged"
            say(f"  wipe ordered ({w['reason']}) {w['ordered_at'][:19]}: {done}")
        if d["flag"]:
            say(f"  FLAGGED {d['flagged_at'][:19]}: {d['flag']}")


def _set(device_id: str | None, site: str | None, state: str, home: Path | None, wipe: bool = False) -> None:
    if (device_id is None) == (site is None):
        raise InputError("name one device, or a site with --site")
    hub = _hub(home)
    if site is not None:
        changed = hub.set_site_status(site, state, "operator:cli", wipe)
    else:
        assert device_id is not None  # one of the two, checked above
        changed = [hub.set_status(device_id, state, "operator:cli", wipe)]
    for done in changed:
        order = " (wipe ordered: it shreds its keys at its next contact)" if done["wipe"] and state != "active" else ""
        say(f"device {done['id']} ({done['name']}) is {done['status']}{order}")


@device_app.command("suspend")
def suspend(
    device_id: MaybeDevice = None,
    site: Site = None,
    wipe: Annotated[bool, typer.Option("--wipe", help="Have it shred every key it holds at its next contact.")] = False,
    home: Home = None,
) -> None:
    """On the hub: suspend a device or a site (it refuses faces, gets only shreds; --wipe: shreds its keys)."""
    _set(device_id, site, "suspended", home, wipe)


@device_app.command("resume")
def resume(device_id: MaybeDevice = None, site: Site = None, home: Home = None) -> None:
    """On the hub: resume a suspended or flagged device or site (clears its flag; cancels a pending wipe)."""
    _set(device_id, site, "active", home)


@device_app.command("unpair")
def unpair(device_id: MaybeDevice = None, site: Site = None, home: Home = None) -> None:
    """On the hub: unpair a device or a site for good; it shreds its keys at its next contact; its log stays."""
    _set(device_id, site, "unpaired", home)


@device_app.command("lost")
def lost(device_id: MaybeDevice = None, site: Site = None, home: Home = None) -> None:
    """On the hub: report a device lost or stolen: it shreds its keys at its next contact or past its bound."""
    _set(device_id, site, "lost", home)
