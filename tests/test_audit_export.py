"""Exports of a time range verify offline with the standalone verifier, and tampered exports do not."""

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from facegate.audit import AuditLog, Event
from facegate.audit import standalone_verify as standalone
from facegate.audit.export import time_range
from facegate.errors import InputError
from facegate.events import Op
from facegate.store import Database

VERIFIER = Path(standalone.__file__)
DAY = datetime(2026, 5, 1, tzinfo=UTC)


def event(i: int, at: datetime) -> Event:
    return Event(actor="operator:desk-3", operation=Op.IDENTIFY, decision="allow", outcome="match",
                 deployment="hotel-checkin", purpose="identity_verification", request_id=f"r-{i}", at=at)  # fmt: skip


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def log(home: Path) -> AuditLog:
    return AuditLog.for_home(home, checkpoint_every=64)


@pytest.fixture
def three_days(database: Database, log: AuditLog) -> Database:
    """Entries on 1, 2 and 3 May: 150 per day, appended in batches."""
    for day in range(3):
        with database.session() as s:
            start = DAY + timedelta(days=day)
            log.append_many(s, [event(day * 1000 + i, start + timedelta(minutes=i)) for i in range(150)])
    with database.session() as s:
        log.checkpoint(s)
    return database


def export(db: Database, log: AuditLog, since: str, until: str, path: Path) -> list[dict]:
    start, end = time_range(since, until)
    with db.session(readonly=True) as s:
        lines = list(log.export(s, start, end))
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    return lines


def run_verifier(export_file: Path, key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(VERIFIER), str(export_file), "--public-key", key, "--json"],
        capture_output=True, text=True, check=False, cwd=export_file.parent,
    )  # fmt: skip


def test_an_exported_range_verifies_offline(three_days: Database, log: AuditLog, home: Path, tmp_path: Path) -> None:
    out = tmp_path / "may-2.jsonl"
    lines = export(three_days, log, "2026-05-02", "2026-05-02", out)
    entries = [line for line in lines if line["type"] == "entry"]
    assert [e["index"] for e in entries] == list(range(150, 300))
    assert all(e["entry"]["at"].startswith("2026-05-02") for e in entries)
    sizes = [line["tree_size"] for line in lines if line["type"] == "checkpoint"]
    assert sizes == sorted(sizes) and sizes[-1] == 450 and len(sizes) >= 2
    assert sum(line["type"] == "consistency" for line in lines) == len(sizes) - 1

    result = run_verifier(out, str(home / "keys" / "audit-ed25519.pub.pem"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["entries"] == 150

    vkey = lines[0]["public_key"]  # the verifier key string works too
    assert run_verifier(out, vkey).returncode == 0


def test_the_verifier_runs_without_facegate(three_days: Database, log: AuditLog, home: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    export(three_days, log, "2026-05-01", "2026-05-03", out)
    isolated = tmp_path / "isolated"
    isolated.mkdir()
    copy = isolated / "standalone_verify.py"
    copy.write_text(VERIFIER.read_text())
    assert "facegate" not in "".join(
        line for line in VERIFIER.read_text().splitlines() if line.startswith(("import", "from"))
    )
    result = subprocess.run(
        [sys.executable, "-I", str(copy), str(out), "--public-key", str(home / "keys" / "audit-ed25519.pub.pem")],
        capture_output=True, text=True, check=False, cwd=isolated,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: 450 entries")


DEBIAN_PYTHON = Path("/usr/bin/python3")


def test_the_verifier_runs_on_debians_python_and_cryptography(
    three_days: Database, log: AuditLog, home: Path, tmp_path: Path
) -> None:
    has_cryptography = DEBIAN_PYTHON.exists() and subprocess.run(
        [str(DEBIAN_PYTHON), "-I", "-c", "import cryptography"], capture_output=True, check=False
    ).returncode == 0  # fmt: skip
    if not has_cryptography:
        pytest.skip("needs Debian's python3 with python3-cryptography (apt install python3-cryptography)")
    out = tmp_path / "all.jsonl"
    export(three_days, log, "2026-05-01", "2026-05-03", out)
    key = home / "keys" / "audit-ed25519.pub.pem"
    ok = subprocess.run([str(DEBIAN_PYTHON), "-I", str(VERIFIER), str(out), "--public-key", str(key)],
                        capture_output=True, text=True, check=False)  # fmt: skip
    assert ok.returncode == 0 and ok.stdout.startswith("OK: 450 entries"), ok.stdout + ok.stderr


def test_a_missing_key_file_is_named_as_missing(three_days: Database, log: AuditLog, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    export(three_days, log, "2026-05-01", "2026-05-03", out)
    result = run_verifier(out, str(tmp_path / "keys" / "audit-ed25519.pub.pem"))
    assert result.returncode == 2 and "no public key file at" in result.stderr and "FAILED" not in result.stdout


def tampered(lines: list[dict], change: Callable[[list[dict]], None]) -> list[dict]:
    copy = json.loads(json.dumps(lines))
    change(copy)
    return copy


def entry_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["type"] == "entry"]


def flip_first_proof_hash(lines: list[dict]) -> None:
    line = entry_lines(lines)[3]
    line["proof"][0] = "A" + line["proof"][0][1:] if line["proof"][0][0] != "A" else "B" + line["proof"][0][1:]


def change_checkpoint_size(lines: list[dict]) -> None:
    cp = next(line for line in lines if line["type"] == "checkpoint")
    origin, size, rest = cp["note"].split("\n", 2)
    cp["note"] = f"{origin}\n{int(size) + 1}\n{rest}"


def drop_consistency(lines: list[dict]) -> None:
    lines.remove(next(line for line in lines if line["type"] == "consistency"))


@pytest.mark.parametrize(
    "change",
    [
        lambda lines: entry_lines(lines)[5]["entry"].update(decision="refuse"),
        lambda lines: entry_lines(lines)[5].update(index=entry_lines(lines)[5]["index"] + 1),
        lambda lines: lines.remove(entry_lines(lines)[7]),
        flip_first_proof_hash,
        change_checkpoint_size,
        drop_consistency,
        lambda lines: lines[0].update(origin="someone-else"),
    ],
    ids=[
        "entry-altered", "index-changed", "entry-removed", "proof-altered", "checkpoint-altered",
        "consistency-dropped", "origin-changed",
    ],
)
def test_a_tampered_export_fails(
    three_days: Database, log: AuditLog, tmp_path: Path, change: Callable[[list[dict]], None]
) -> None:
    lines = export(three_days, log, "2026-05-01", "2026-05-02", tmp_path / "x.jsonl")
    key, name = standalone.load_key(log.key.public.pem())
    assert standalone.check(lines, key, name)["ok"]
    with pytest.raises(standalone.Invalid):
        standalone.check(tampered(lines, change), key, name)


def test_an_export_checked_with_another_key_fails(three_days: Database, log: AuditLog, tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    export(three_days, log, "2026-05-01", "2026-05-01", out)
    other = AuditLog.for_home(tmp_path / "other")
    result = run_verifier(out, other.key.public.pem())
    assert result.returncode == 1 and "not signed by this key" in json.loads(result.stdout)["error"]


def test_an_empty_range_exports_the_latest_checkpoint(three_days: Database, log: AuditLog, tmp_path: Path) -> None:
    lines = export(three_days, log, "2027-01-01", "2027-01-31", tmp_path / "x.jsonl")
    assert [line["type"] for line in lines] == ["header", "checkpoint"]
    key, name = standalone.load_key(log.key.public.pem())
    assert standalone.check(lines, key, name)["entries"] == 0


def test_purged_entries_export_as_leaf_hashes(database: Database, log: AuditLog, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=5 * 366)
    with database.session() as s:
        log.append_many(s, [event(i, long_ago + timedelta(seconds=i)) for i in range(10)])
        log.append_many(s, [event(100 + i, now - timedelta(days=1)) for i in range(5)])
    with database.session() as s:
        log.purge_before(s, now - timedelta(days=4 * 366), actor="operator:dpo")
    lines = export(database, log, (long_ago - timedelta(days=1)).date().isoformat(), now.date().isoformat(),
                   tmp_path / "x.jsonl")  # fmt: skip
    key, name = standalone.load_key(log.key.public.pem())
    summary = standalone.check(lines, key, name)
    assert summary["purged"] == 10 and summary["entries"] == 16


@pytest.mark.parametrize(
    ("since", "until", "start", "end"),
    [
        ("2026-05-01", "2026-05-01", DAY, DAY + timedelta(days=1)),
        ("2026-05-01T06:00", "2026-05-01T07:00:00+00:00", DAY + timedelta(hours=6), DAY + timedelta(hours=7)),
    ],
)
def test_time_range(since: str, until: str, start: datetime, end: datetime) -> None:
    assert time_range(since, until) == (start, end)


@pytest.mark.parametrize(("since", "until"), [("yesterday", "2026-05-01"), ("2026-05-02", "2026-05-01")])
def test_bad_time_ranges(since: str, until: str) -> None:
    with pytest.raises(InputError):
        time_range(since, until)
