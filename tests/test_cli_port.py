"""`facegate demo --port` and `facegate serve` stop at once, seeding nothing, when the port is taken."""

import socket
import sys
from pathlib import Path

import pytest

from facegate.cli import main


def test_a_taken_port_stops_the_demo_before_it_seeds(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for args in (["demo", "--no-walkthrough", "--port", port], ["serve", "--port", port]):
            monkeypatch.setattr(sys, "argv", ["facegate", *args, "--home", str(tmp_path / "demo")])
            with pytest.raises(SystemExit) as exited:
                main()
            assert exited.value.code == 2
            assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    assert not (tmp_path / "demo").exists()  # nothing seeded, not even the data directory
