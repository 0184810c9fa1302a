"""Killing facegate with SIGKILL in the middle of a bulk enrollment leaves consistent data and a log that verifies."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gate_fixtures import example

from facegate.gate import Gate

PHOTOS = ["obama.jpg", "obama2.jpg", "biden.jpg", "biden2.jpg", "alex-lacamoire.png", "kit_harington.jpeg"]
SUBJECTS = 48


def templates_stored(db_file: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM vault_template").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_sigkill_during_bulk_enrollment(tmp_path: Path, photos: Path) -> None:
    home, batch = tmp_path / "home", tmp_path / "batch"
    batch.mkdir()
    gate = Gate.open(home)
    gate.register(example("office-entry"))
    for i in range(SUBJECTS):
        subject = f"s{i:03d}"
        gate.add_subject(subject)
        gate.notice_shown("hq-lobby", subject)
        gate.give_consent("hq-lobby", subject)
        name = PHOTOS[i % len(PHOTOS)]
        shutil.copy(photos / name, batch / f"{subject}{Path(name).suffix}")
    gate.db.dispose()

    env = {**os.environ, "FACEGATE_HOME": str(home)}
    command = [sys.executable, "-m", "facegate", "enroll", "hq-lobby", "--batch", str(batch), "--workers", "2"]
    process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 240
    while templates_stored(home / "facegate.db") < 5 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    stored = templates_stored(home / "facegate.db")
    assert 5 <= stored < SUBJECTS, "the kill should land in the middle of the batch"

    with sqlite3.connect(home / "facegate.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        enroll_events = conn.execute(
            'SELECT count(*) FROM audit_entry WHERE payload LIKE \'%"operation":"enroll"%\' '
            'AND payload LIKE \'%"outcome":"enrolled"%\''
        ).fetchone()[0]
    assert enroll_events == stored  # every template has its audit event, and no event lacks its template

    gate = Gate.open(home)
    with gate.db.session(readonly=True) as session:
        assert gate.audit.verify(session).ok
        assert len(gate.vault.templates(session, "hq-lobby")) == stored  # every stored template opens
    done = {s for s in (f"s{i:03d}" for i in range(SUBJECTS)) if gate.access(s)["facial_data"]}
    rest = [s for s in (f"s{i:03d}" for i in range(SUBJECTS)) if s not in done]
    gate.enroll("hq-lobby", rest[0], (photos / "obama.jpg").read_bytes())  # the service carries on
    with gate.db.session(readonly=True) as session:
        assert gate.audit.verify(session).ok
