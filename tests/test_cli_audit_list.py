"""`facegate audit list` (the event IDs `audit prove` takes), `--version`, counts said in the singular, and due
checkpoints signed without waiting for the next append."""

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from facegate.audit import AuditLog, Event
from facegate.cli import main
from facegate.events import Op
from facegate.store import Database

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def event(i: int, **fields: str) -> Event:
    base = {"actor": "api_key:k1", "operation": Op.VERIFY, "decision": "allow", "outcome": "match",
            "deployment": "hq-lobby", "subject": f"s{i % 3}", "event_id": f"ev-{i:04d}"}  # fmt: skip
    return Event(**{**base, **fields})


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory with 30 decisions over three days: every fifth refused."""
    monkeypatch.delenv("FACEGATE_DATABASE_URL", raising=False)
    path = tmp_path / "home"
    db = Database.open(home=path)
    log = AuditLog.for_home(path)
    with db.session() as s:
        for i in range(30):
            refused = {"decision": "refuse", "outcome": "refused"} if i % 5 == 0 else {}
            log.append(s, event(i, **refused), now=NOW + timedelta(days=i // 10, minutes=i))
    db.dispose()
    return path


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["facegate", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def test_audit_list_names_the_newest_entries_and_pages_back(home: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, monkeypatch, "audit", "list", "--home", str(home), "--limit", "5")
    lines = out.splitlines()
    assert code == 0 and [line.split()[0] for line in lines[:5]] == ["#29", "#28", "#27", "#26", "#25"]
    assert "ev-0029" in lines[0] and lines[-1] == "5 entries shown, newest first; older ones: --before 25"
    code, out, _ = run(capsys, monkeypatch, "audit", "list", "--home", str(home), "--before", "2", "--limit", "5")
    assert out.splitlines()[0].startswith("#1 ") and out.splitlines()[-1] == "2 entries shown, newest first"
    code, out, _ = run(capsys, monkeypatch, "audit", "prove", "ev-0003", "--home", str(home))
    assert code == 0 and out.startswith("entry #3 (ev-0003)")
    code, out, _ = run(capsys, monkeypatch, "audit", "prove", "#3", "--home", str(home))
    assert code == 0 and out.startswith("entry #3 (ev-0003)")
    code, _, err = run(capsys, monkeypatch, "audit", "prove", "#99", "--home", str(home))
    assert code == 2 and "no entry #99" in err


def test_audit_indexes_past_any_database_integer_are_answered_not_crashed(home: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    args = ("audit", "list", "--home", str(home), "--before", str(2**63), "--limit", "1")
    code, out, err = run(capsys, monkeypatch, *args)
    assert code == 0 and out.startswith("#29 ") and "Error" not in err
    for big in ("#99999999999999999999", "#" + "9" * 5000):
        code, _, err = run(capsys, monkeypatch, "audit", "prove", big, "--home", str(home))
        assert code == 2 and "the audit log has no entry" in err and "Error" not in err


def test_audit_list_filters(home: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    args = ("audit", "list", "--home", str(home), "--limit", "100")
    _, out, _ = run(capsys, monkeypatch, *args, "--decision", "refuse")
    assert [line.split()[0] for line in out.splitlines()[:-1]] == ["#25", "#20", "#15", "#10", "#5", "#0"]
    _, out, _ = run(capsys, monkeypatch, *args, "--decision", "refuse", "--subject", "s1")
    assert [line.split()[0] for line in out.splitlines()[:-1]] == ["#25", "#10"]
    _, out, _ = run(capsys, monkeypatch, *args, "--since", "2026-11-21", "--until", "2026-11-21")
    assert out.splitlines()[-1] == "10 entries shown, newest first" and "#10 " in out and "#20 " not in out
    _, out, _ = run(capsys, monkeypatch, *args, "--operation", "enroll")
    assert out.strip() == "no entries match"
    code, _, err = run(capsys, monkeypatch, *args, "--decision", "maybe")
    assert code == 2 and "allow or refuse" in err


def test_version_and_counts_in_the_singular(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, monkeypatch, "--version")
    assert code == 0 and out.startswith("facegate ") and out.split()[1][0].isdigit()
    path = tmp_path / "one"
    db = Database.open(home=path)
    with db.session() as s:
        AuditLog.for_home(path).append(s, event(0))
    db.dispose()
    _, out, _ = run(capsys, monkeypatch, "audit", "verify", "--home", str(path))
    assert out.strip() == "audit log OK: 1 entry, 1 signed checkpoint verified, the latest covering 1 entry"
    _, out, _ = run(capsys, monkeypatch, "audit", "list", "--home", str(path))
    assert out.splitlines()[-1] == "1 entry shown, newest first"


def test_a_due_checkpoint_is_signed_without_waiting_for_the_next_append(tmp_path: Path) -> None:
    db = Database.open(home=tmp_path)
    log = AuditLog.for_home(tmp_path, checkpoint_every=1000, checkpoint_seconds=60)
    with db.session() as s:
        log.append(s, event(0), now=NOW)  # the first append signs
        log.append(s, event(1), now=NOW + timedelta(seconds=10))  # within the interval: waits
    with db.session() as s:
        assert log.latest_checkpoint(s).size == 1
        assert log.sign_if_due(s, now=NOW + timedelta(seconds=59)) is None  # not yet due
    with db.session() as s:
        signed = log.sign_if_due(s, now=NOW + timedelta(seconds=60))
    assert signed is not None and signed.size == 2
    with db.session() as s:
        assert log.latest_checkpoint(s).size == 2
        assert log.sign_if_due(s, now=NOW + timedelta(hours=1)) is None  # nothing new to sign
        assert log.verify(s).ok
    db.dispose()


def test_the_server_signs_due_checkpoints(tmp_path: Path) -> None:
    from facegate.api.schedule import sign_due_checkpoint
    from facegate.gate import Caller, Gate

    gate = Gate.open(tmp_path)
    gate.add_subject("obama", caller=Caller("operator:test"))
    gate.add_subject("biden", caller=Caller("operator:test"))  # within a minute of the first: not signed yet
    with gate.db.session(readonly=True) as s:
        assert gate.audit.latest_checkpoint(s).size == 1
    assert sign_due_checkpoint(gate) is False  # the interval has not passed
    later = gate.clock() + timedelta(minutes=2)
    gate.clock = lambda: later  # type: ignore[method-assign]
    assert sign_due_checkpoint(gate) is True
    with gate.db.session(readonly=True) as s:
        assert gate.audit.latest_checkpoint(s).size == 2
