"""The `facegate audit` commands: verify (exit 4 naming the entry), prove, export, checkpoint."""

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from facegate.audit import AuditLog, Event, merkle
from facegate.audit import standalone_verify as standalone
from facegate.audit.keys import SigningKey
from facegate.cli import main
from facegate.edge import signing
from facegate.events import Op
from facegate.store import Database


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory with 40 logged decisions in its default SQLite database."""
    monkeypatch.delenv("FACEGATE_DATABASE_URL", raising=False)
    path = tmp_path / "home"
    db = Database.open(home=path)
    log = AuditLog.for_home(path)
    with db.session() as s:
        log.append_many(s, [Event(actor="api_key:k1", operation=Op.VERIFY, decision="allow", outcome="match",
                                  deployment="hq-lobby", purpose="access_control", event_id=f"ev-{i}")
                            for i in range(40)])  # fmt: skip
    db.dispose()
    return path


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["facegate", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def test_verify_an_intact_log(home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(capsys, monkeypatch, "audit", "verify", "--home", str(home))
    assert code == 0 and "OK: 40 entries" in out
    code, out, _ = run(capsys, monkeypatch, "audit", "verify", "--home", str(home), "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_verify_a_tampered_log_exits_4_naming_the_entry(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database.open(home=home)
    with db.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET payload = replace(payload, 'allow', 'refus') WHERE idx = 17"))
    db.dispose()
    code, _, err = run(capsys, monkeypatch, "audit", "verify", "--home", str(home))
    assert code == 4 and "entry #17" in err
    code, out, _ = run(capsys, monkeypatch, "audit", "verify", "--home", str(home), "--json")
    report = json.loads(out)
    assert code == 4 and report["ok"] is False and report["problem"]["index"] == 17


def test_checkpoint_then_prove(home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(capsys, monkeypatch, "audit", "checkpoint", "--home", str(home))
    assert code == 0 and out.split("\n")[1] == "40" and "\n\n— " in out
    assert (home / "audit" / "latest-checkpoint").read_text() == out
    code, out, _ = run(capsys, monkeypatch, "audit", "prove", "ev-12", "--home", str(home), "--json")
    proof = json.loads(out)
    assert code == 0 and proof["index"] == 12 and proof["tree_size"] == 40
    assert merkle.verify_inclusion(
        12, 40, standalone.b64(proof["leaf_hash"]), [standalone.b64(h) for h in proof["proof"]],
        standalone.b64(proof["checkpoint"]["root_hash"]),
    )  # fmt: skip
    code, out, _ = run(capsys, monkeypatch, "audit", "prove", "ev-12", "--home", str(home))
    assert code == 0 and "entry #12" in out
    code, _, err = run(capsys, monkeypatch, "audit", "prove", "no-such-event", "--home", str(home))
    assert code == 2 and "no-such-event" in err


def test_export_verifies_with_the_standalone_verifier(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out_file = tmp_path / "export.jsonl"
    code, _, err = run(capsys, monkeypatch, "audit", "export", "--since", "2000-01-01", "--until", "2100-01-01",
                       "--out", str(out_file), "--home", str(home))  # fmt: skip
    assert code == 0 and "audit-ed25519.pub.pem" in err
    key = home / "keys" / "audit-ed25519.pub.pem"
    assert standalone.main([str(out_file), "--public-key", str(key)]) == 0
    code, _, err = run(capsys, monkeypatch, "audit", "export", "--since", "last week", "--until", "2100-01-01",
                       "--home", str(home))  # fmt: skip
    assert code == 2 and "--since" in err


def test_a_hubs_or_devices_own_keys_never_replace_the_logs_public_key(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = signing.hub_key(home)  # made after the log's key, as on a hub
    device = SigningKey.load_or_create(home / "keys" / signing.DEVICE_KEY_FILE)
    out_file = tmp_path / "export.jsonl"
    code, _, err = run(capsys, monkeypatch, "audit", "export", "--since", "2000-01-01", "--until", "2100-01-01",
                       "--out", str(out_file), "--home", str(home))  # fmt: skip
    key = home / "keys" / "audit-ed25519.pub.pem"
    assert code == 0 and str(key) in err
    assert standalone.main([str(out_file), "--public-key", str(key)]) == 0
    assert (home / "keys" / "hub-ed25519.pub.pem").read_text() == hub.public.pem()
    assert (home / "keys" / "device-ed25519.pub.pem").read_text() == device.public.pem()


def test_reading_commands_never_create_a_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FACEGATE_DATABASE_URL", raising=False)
    empty, missing = tmp_path / "empty", tmp_path / "mistyped"
    empty.mkdir()
    for command in (["verify"], ["prove", "ev-1"]):
        code, _, err = run(capsys, monkeypatch, "audit", *command, "--home", str(empty))
        assert code == 2 and "no audit signing key" in err
        code, _, err = run(capsys, monkeypatch, "audit", *command, "--home", str(missing))
        assert code == 2 and "no data directory at" in err
    assert not (empty / "keys" / "audit-ed25519.pem").exists() and not missing.exists()


def test_purge_refuses_records_under_three_years_old(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, monkeypatch, "audit", "purge", "--before", "2099-01-01", "--home", str(home))
    assert code == 3 and "CN25-9c" in err and "younger than 3 years" in err
    code, out, _ = run(capsys, monkeypatch, "audit", "purge", "--before", "2001-01-01", "--home", str(home))
    assert code == 0 and "0 entries" in out
    code, out, _ = run(capsys, monkeypatch, "audit", "verify", "--home", str(home))
    assert code == 0 and "OK: 40 entries" in out
