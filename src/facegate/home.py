"""The data directory: every piece of facegate's state lives below one folder."""

import json
import os
from pathlib import Path

from facegate import config
from facegate.errors import InputError


def data_home(explicit: Path | None = None, *, create: bool = True) -> Path:
    """Return the data directory: `explicit`, else $FACEGATE_HOME, else a per-user folder; create it 0700.

    With `create` false, a directory that does not exist is an input error (a command that only reads).
    """
    if explicit is not None:
        home = explicit
    elif (env := config.current()).home:
        home = Path(env.home)
    else:
        base = Path(env.xdg_data_home or Path.home() / ".local" / "share")
        home = base / "facegate"
    home = home.expanduser().resolve()
    if not create and not home.is_dir():
        raise InputError(f"no data directory at {home}: give --home (or $FACEGATE_HOME) of one facegate set up")
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return home


NODE_FILE = "node.json"
NODE_KINDS = ("hub", "device")


def node_kind(home: Path) -> str:
    """The kind of node this data directory is: 'hub' or 'device' (one created without a choice is a device)."""
    path = home / NODE_FILE
    if not path.exists():
        return "device"
    kind = json.loads(path.read_text()).get("kind")
    return kind if kind in NODE_KINDS else "device"


def choose_node_kind(home: Path, kind: str) -> None:
    """Record the data directory's kind once, when it is created; a kind already recorded never changes."""
    path = home / NODE_FILE
    if path.exists() and node_kind(home) != kind:
        raise ValueError(f"{home} is already a {node_kind(home)}; a node's kind is chosen once, when it is created")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # 0600 like every file of the directory
    with os.fdopen(fd, "w") as file:
        file.write(json.dumps({"kind": kind}) + "\n")
