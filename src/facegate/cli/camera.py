"""The door camera commands: `facegate camera add | list | remove | run` on a device node (docs/streams.md)."""

import sys
import threading
from typing import Annotated, Any

import typer

from facegate.cli.app import (
    Actor,
    Deployment_,
    Home,
    Json,
    app,
    caller,
    count,
    err_console,
    open_gate,
    print_json,
    say,
)

camera_app = typer.Typer(
    rich_markup_mode=None,
    help="Door cameras: IP-camera streams decided through the gate, nothing recorded (docs/streams.md).",
    no_args_is_help=True,
)
app.add_typer(camera_app, name="camera")
Name = Annotated[str, typer.Argument(help="The camera's name (lower-case letters, digits, hyphens).", metavar="NAME")]


@camera_app.command("add")
def add(
    deployment: Deployment_,
    name: Name,
    url: Annotated[str, typer.Argument(help="rtsp://..., http(s)://... (MJPEG) or a video file.", metavar="URL")],
    fps: Annotated[float, typer.Option("--fps", help="Frames searched per second (others are skipped).")] = 10.0,
    relay: Annotated[
        str | None, typer.Option("--relay", help="An http(s) URL called to open the door on a match.")
    ] = None,
    actor: Actor = "operator:cli",
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Add a camera to a deployment whose spec allows passive capture (refused, and recorded, otherwise)."""
    decision = open_gate(home).cameras.add(deployment, name, url, fps, relay, caller(actor))
    if json_out:
        print_json(decision.to_dict())
        return
    say(f"camera {name} added to {deployment} (audit event {decision.event_id}); run: facegate camera run {name}")


@camera_app.command("list")
def list_(json_out: Json = False, home: Home = None) -> None:
    """Every camera with its deployment, stream (without passwords) and live status."""
    cameras = open_gate(home).cameras.list()
    if json_out:
        print_json(cameras)
        return
    if not cameras:
        say("no cameras: add one with facegate camera add DEPLOYMENT NAME URL")
    for c in cameras:
        say(f"{c['name']}: {c['deployment']} {c['url']} at {c['sample_fps']:g} fps: {c['state']}"
            + (f" ({c['detail']})" if c["detail"] else "")
            + f"; {count(c['frames'], 'frame')} searched, {c['skipped']:,} skipped, {c['identified']:,} identified, "
              f"{count(c['strangers'], 'stranger')} (counted, not kept)")  # fmt: skip


@camera_app.command("remove")
def remove(name: Name, actor: Actor = "operator:cli", home: Home = None) -> None:
    """Remove a camera (a running one stops at its next status report)."""
    decision = open_gate(home).cameras.remove(name, caller(actor))
    say(f"camera {name} removed (audit event {decision.event_id})")


@camera_app.command("run")
def run(
    names: Annotated[
        list[str] | None, typer.Argument(help="Cameras to run (default: all).", metavar="[NAME]...")
    ] = None,
    seconds: Annotated[float | None, typer.Option("--seconds", help="Stop after this long.")] = None,
    loop: Annotated[bool, typer.Option("--loop", help="Play a video file again when it ends.")] = False,
    cards: Annotated[
        bool, typer.Option("--cards", help="Read card-reader events from standard input, one 'CAMERA SUBJECT' a line.")
    ] = False,
    json_out: Json = False,
    home: Home = None,
) -> None:
    """Run cameras in the foreground: each face track decided once through the gate; Ctrl-C stops."""
    from facegate.streams.camera import CameraRunner

    gate = open_gate(home)
    chosen = list(names or [c["name"] for c in gate.cameras.list()])
    if not chosen:
        say("no cameras to run: add one with facegate camera add DEPLOYMENT NAME URL")
        return
    runners = [CameraRunner(gate.cameras, name, publish=None if json_out else _say_decision, loop=loop)
               for name in chosen]  # fmt: skip
    threads = [threading.Thread(target=r.run, args=(seconds,), daemon=True) for r in runners]
    for thread in threads:
        thread.start()
    if cards:
        by_name = {r.name: r for r in runners}
        threading.Thread(target=_read_cards, args=(by_name,), daemon=True).start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)
    except KeyboardInterrupt:
        for r in runners:
            r.stop()
        for thread in threads:
            thread.join(15)
    if json_out:
        print_json([{"camera": r.name, "state": r.state, **_counts(r)} for r in runners])


def _read_cards(runners: dict[str, Any]) -> None:
    """Card-reader events from standard input: 'CAMERA SUBJECT' makes that camera's next face a 1:1 check."""
    for line in sys.stdin:
        parts = line.split()
        if len(parts) == 2 and parts[0] in runners:
            runners[parts[0]].card(parts[1])
        elif parts:
            said = f"card event ignored: expected 'CAMERA SUBJECT' with a running camera, got {line.strip()!r}"
            err_console.print(said, markup=False, highlight=False)


def _counts(runner: Any) -> dict[str, Any]:
    c = runner.counts
    return {"frames": c.frames, "decisions": c.decisions, "identified": c.identified, "strangers": c.strangers,
            "refused": c.refused, "decided": runner.decided}  # fmt: skip


def _say_decision(event: dict[str, Any]) -> None:
    who = f" {event['subject']}" if event.get("subject") else ""
    say(f"{event['camera']}: {event['outcome']}{who}" + (f" (audit event {event['event_id']})" if event.get("event_id")
                                                         else ""))  # fmt: skip
