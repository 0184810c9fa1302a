"""`facegate doctor`: where the master key is, file modes and what weakens erasure, with exit codes."""

import json
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from facegate.cli import main
from facegate.events import Op
from facegate.store import Database
from facegate.vault.keystore import MASTER_ENV, MASTER_FILE_ENV, Keystore

POSTGRES = os.environ.get("FACEGATE_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (MASTER_ENV, MASTER_ENV + "_OLD", MASTER_FILE_ENV, "FACEGATE_KEYSTORE_URL", "FACEGATE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def make_home(path: Path) -> Path:
    """A data directory with its database and key store, as `facegate` leaves them."""
    Database.open(home=path).dispose()
    Keystore.open(path).engine.dispose()
    return path


def doctor(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, home: Path, *args: str) -> tuple:
    monkeypatch.setattr(sys, "argv", ["facegate", "doctor", "--json", "--home", str(home), *args])
    with pytest.raises(SystemExit) as exited:
        main()
    report = json.loads(capsys.readouterr().out)
    return int(exited.value.code or 0), {(f["level"], f["check"]) for f in report["findings"]}, report


def test_a_master_key_beside_the_data_weakens_erasure(tmp_path, capsys, monkeypatch) -> None:
    home = make_home(tmp_path / "home")
    code, levels, report = doctor(capsys, monkeypatch, home)
    assert code == 5
    assert ("warn", "master key") in levels
    assert any("inside the data directory" in f["message"] for f in report["findings"])


def test_a_key_file_elsewhere_and_tight_modes_pass(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv(MASTER_FILE_ENV, str(tmp_path / "secrets" / "master.key"))
    home = make_home(tmp_path / "home")
    assert (tmp_path / "secrets" / "master.key").stat().st_mode & 0o777 == 0o600
    assert not (home / "keys" / "master.key").exists()
    code, levels, _ = doctor(capsys, monkeypatch, home)
    assert code == 0, levels
    checks = {"master key", "modes", "key store", "data store", "erasures"}
    assert levels <= {("ok", check) for check in checks}


def test_the_key_from_the_environment_is_not_in_any_file(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv(MASTER_ENV, "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U=")
    home = make_home(tmp_path / "home")
    assert not (home / "keys" / "master.key").exists()
    code, _, report = doctor(capsys, monkeypatch, home)
    assert code == 0
    assert any(f"${MASTER_ENV}" in f["message"] for f in report["findings"])


def test_a_master_key_others_can_read_is_a_failure(tmp_path, capsys, monkeypatch) -> None:
    key = tmp_path / "secrets" / "master.key"
    monkeypatch.setenv(MASTER_FILE_ENV, str(key))
    home = make_home(tmp_path / "home")
    key.chmod(0o644)
    code, levels, _ = doctor(capsys, monkeypatch, home)
    assert code == 6
    assert ("fail", "master key") in levels


def test_the_databases_are_0600_in_a_0700_folder_and_loose_modes_are_reported(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv(MASTER_FILE_ENV, str(tmp_path / "secrets" / "master.key"))
    home = make_home(tmp_path / "home")
    for name in ("facegate.db", "facegate.db-wal", "facegate.db-shm", "keys/keystore.db"):
        if (home / name).exists():
            assert (home / name).stat().st_mode & 0o777 == 0o600, name
    assert home.stat().st_mode & 0o777 == 0o700
    (home / "facegate.db").chmod(0o644)
    code, levels, report = doctor(capsys, monkeypatch, home)
    assert code == 5
    assert ("warn", "modes") in levels
    assert any("facegate.db 0644" in f["message"] for f in report["findings"])


def test_rows_deleted_without_secure_delete_are_found_and_scrubbed(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv(MASTER_FILE_ENV, str(tmp_path / "secrets" / "master.key"))
    home = make_home(tmp_path / "home")
    marker = b"remnant-of-a-template" * 200
    conn = sqlite3.connect(home / "facegate.db", isolation_level=None)
    conn.execute("PRAGMA secure_delete=OFF")  # as an older facegate (or another tool) left it
    conn.execute("CREATE TABLE old (x BLOB)")
    conn.executemany("INSERT INTO old VALUES (?)", [(marker,)] * 20)
    conn.execute("DELETE FROM old")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert marker[:64] in (home / "facegate.db").read_bytes()
    code, levels, _ = doctor(capsys, monkeypatch, home)
    assert code == 5 and ("warn", "data store") in levels
    code, levels, report = doctor(capsys, monkeypatch, home, "--scrub")
    assert code == 0, report
    assert "facegate.db: vacuumed" in report["scrubbed"]
    assert all(marker[:64] not in p.read_bytes() for p in home.rglob("*") if p.is_file())


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL tests need FACEGATE_TEST_POSTGRES_URL")
def test_a_key_store_in_the_data_database_is_reported(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv(MASTER_FILE_ENV, str(tmp_path / "secrets" / "master.key"))
    monkeypatch.setenv("FACEGATE_DATABASE_URL", POSTGRES)
    monkeypatch.setenv("FACEGATE_KEYSTORE_URL", POSTGRES)
    home = make_home(tmp_path / "home")
    code, levels, report = doctor(capsys, monkeypatch, home)
    assert ("warn", "key store") in levels
    assert any("shares the data database" in f["message"] for f in report["findings"])
    assert code == 5


def test_a_signed_checkpoint_keeps_the_data_directory_tight(tmp_path, capsys, monkeypatch) -> None:
    from datetime import UTC, datetime

    from facegate.audit import AuditLog, Event

    monkeypatch.setenv(MASTER_FILE_ENV, str(tmp_path / "secrets" / "master.key"))
    home = make_home(tmp_path / "home")
    db, log = Database.open(home=home), AuditLog.for_home(home)
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    with db.session() as s:
        log.append(s, Event(actor="api_key:k1", operation=Op.VERIFY, decision="allow", outcome="match",
                                 deployment="hq-lobby", subject="s1", event_id="ev-1"), now=now)
        log.save_witness(log.checkpoint(s, now=now))
    db.dispose()
    assert (home / "audit" / "latest-checkpoint").stat().st_mode & 0o777 == 0o600
    code, levels, _ = doctor(capsys, monkeypatch, home)
    assert ("ok", "modes") in levels and code == 0
