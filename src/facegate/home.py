"""The data directory: every piece of facegate's state lives below one folder."""

import os
from pathlib import Path


def data_home(explicit: Path | None = None) -> Path:
    """Return the data directory: `explicit`, else $FACEGATE_HOME, else a per-user folder; create it 0700."""
    if explicit is not None:
        home = explicit
    elif os.environ.get("FACEGATE_HOME"):
        home = Path(os.environ["FACEGATE_HOME"])
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        home = base / "facegate"
    home = home.expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return home
