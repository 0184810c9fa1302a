"""facegate writes nothing outside its data directory (no onnxruntime telemetry under the user's ~/.cache), and only a
command that sets something up creates that directory: a mistyped --home is an error that leaves no folder behind."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from facegate.cli import main

SRC = Path(__file__).resolve().parents[1] / "src"
DATA = Path(__file__).parent / "data"


@pytest.mark.slow
def test_enrolling_writes_only_inside_the_data_directory(tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACEGATE_", "XDG_", "ORT_"))}
    env.update(HOME=str(user), PYTHONPATH=str(SRC), FACEGATE_HOME=str(tmp_path / "home"))
    check = subprocess.run(
        [sys.executable, "-m", "facegate", "detect", str(DATA / "obama.jpg")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 0, check.stderr
    assert sorted(p.relative_to(user).as_posix() for p in user.rglob("*")) == []


def test_status_reads_and_never_creates_the_data_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACEGATE_", "XDG_"))}
    env.update(HOME=str(tmp_path / "user"), PYTHONPATH=str(SRC))
    status = subprocess.run([sys.executable, "-m", "facegate", "status"], env=env, capture_output=True, text=True)
    assert status.returncode == 2 and "no data directory at" in status.stderr and "Traceback" not in status.stderr
    assert not (tmp_path / "user").exists()


MISTYPED_HOME_COMMANDS = [
    ["verify", "hq-lobby", "obama", str(DATA / "obama.jpg")],
    ["deployment", "list"],
    ["subject", "show", "obama"],
    ["consent", "withdraw", "hq-lobby", "obama"],
    ["purge"],
    ["doctor"],
    ["keys", "list"],
    ["webhooks", "list"],
    ["device", "list"],
    ["camera", "list"],
    ["oversight", "status"],
]


@pytest.mark.parametrize("command", MISTYPED_HOME_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_mistyped_home_is_an_error_that_creates_nothing(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "mistyped"
    monkeypatch.setattr(sys, "argv", ["facegate", *command, "--home", str(missing)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2 and "no data directory at" in capsys.readouterr().err
    assert not missing.exists()


def test_the_commands_that_set_up_create_the_data_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "new"
    monkeypatch.setattr(sys, "argv", ["facegate", "subject", "add", "obama", "--home", str(home)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code in (0, None) and (home / "facegate.db").exists()
