"""`facegate import` as an operator runs it: bad input exits 2 and records nothing; each subject's notice, consent
and photos go in one transaction, so a process killed by SIGKILL mid-import leaves every subject fully imported or
not at all, an intact database and a log that verifies; a re-run finishes the job without recording anything
twice; refusals exit 3 with their codes in the report."""

import csv
import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from gate_fixtures import example

from facegate.cli.bulk_import import read_consents, read_folder
from facegate.errors import InputError, NotFoundError
from facegate.gate import MAX_PHOTOS, Gate

ROOT = Path(__file__).resolve().parents[1]
LOBBY = "hq-lobby"
HEADER = "subject,given_at,notice_version,channel\n"


def facegate(*args: str, home: Path) -> list[str]:
    return [sys.executable, "-m", "facegate", *args, "--home", str(home)]


def run(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(facegate(*args, home=home), capture_output=True, text=True, timeout=600, cwd=home.parent)


def folder(root: Path, photos: Path, people: dict[str, list[str]]) -> Path:
    for subject, names in people.items():
        (root / subject).mkdir(parents=True)
        for name in names:
            (root / subject / name).write_bytes((photos / name).read_bytes())
    return root


def consents(path: Path, subjects: list[str], header: str = HEADER) -> Path:
    path.write_text(
        header + "".join(f"{s},2026-11-20T09:30:00+08:00,1,paper form {i}\n" for i, s in enumerate(subjects))
    )
    return path


def entries(home: Path, operation: str) -> list[dict]:
    """The audit entries of `operation` (every one for "")."""
    with sqlite3.connect(home / "facegate.db") as db:
        payloads = [json.loads(p) for (p,) in db.execute("SELECT payload FROM audit_entry ORDER BY idx")]
    return [e for e in payloads if operation in ("", e.get("operation"))]


def test_bad_input_exits_2_naming_the_problem_and_records_nothing(tmp_path: Path, photos: Path) -> None:
    people = folder(tmp_path / "people", photos, {"obama": ["obama.jpg"]})
    crowded = folder(tmp_path / "crowded", photos, {"obama": ["obama.jpg", "obama2.jpg", "biden.jpg", "biden2.jpg"]})
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "obama.jpg").write_bytes(b"")
    for bad, named in {tmp_path / "nowhere": "photo folder", crowded: f"a subject has 1 to {MAX_PHOTOS}",
                       tmp_path / "flat": "one folder per subject"}.items():  # fmt: skip
        with pytest.raises(InputError, match=named):
            read_folder(bad)
    for text, named in {
        HEADER.strip() + ",email\n": "unknown column.s. email",
        "subject,given_at\nobama,2026-11-20\n": "missing column.s. notice_version, channel",
        HEADER + "obama,20 Nov,1,paper\n": ":2: given_at '20 Nov' is not an ISO 8601",
        HEADER + "obama,2026-11-20,first,paper\n": ":2: notice_version 'first'",
        HEADER + "obama,2026-11-20,1,\n": ":2: no channel",
        HEADER + "obama,2026-11-20,1\n": ":2: fewer values than columns",
        HEADER + "obama,2026-11-20,1,a\nobama,2026-11-21,1,b\n": ":3: a second row for subject obama",
    }.items():
        with pytest.raises(InputError, match=named):
            read_consents(_write(tmp_path / "consents.csv", text))
    assert read_folder(people) == {"obama": [people / "obama" / "obama.jpg"]}

    home = tmp_path / "home"
    gate = Gate.open(home)
    gate.register(example("office-entry"))
    before = len(entries(home, ""))
    unknown = _write(tmp_path / "unknown.csv", HEADER.strip() + ",email\n")
    for deployment, csv_file, named in ((LOBBY, unknown, "email"), ("nope", consents(tmp_path / "c.csv", ["obama"]),
                                                                     "nope")):  # fmt: skip
        result = run("import", deployment, str(people), "--consents", str(csv_file), home=home)
        assert result.returncode == 2 and named in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert len(entries(home, "")) == before


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.slow
def test_a_killed_import_leaves_whole_subjects_and_a_rerun_finishes_without_duplicates(
    tmp_path: Path, photos: Path
) -> None:
    home = tmp_path / "home"
    Gate.open(home).register(example("office-entry"))
    people = {f"p{i}": [name] for i, name in enumerate(["obama.jpg", "biden.jpg", "obama2.jpg", "biden2.jpg"] * 2)}
    people |= {"obama": ["obama.jpg", "obama2.jpg"], "kit": ["kit_harington.jpeg"], "group": ["two_people.jpg"]}
    root = folder(tmp_path / "people", photos, people)
    csv_file = consents(tmp_path / "consents.csv", [s for s in people if s != "kit"] + ["carol"])
    args = facegate("import", LOBBY, str(root), "--consents", str(csv_file), "--report", "report.csv", home=home)
    importing = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=tmp_path)
    assert importing.stderr is not None
    for line in importing.stderr:  # progress lines (not on a terminal): kill once some subjects are in
        if line.startswith("importing: ") and int(line.split()[1].split("/")[0]) >= 3:
            importing.send_signal(signal.SIGKILL)
            break
    assert importing.wait(timeout=600) == -signal.SIGKILL

    gate = Gate.open(home)
    known = {row["subject"]: row for row in gate.enrollments(LOBBY, 500)}
    assert known, "killed before any subject was imported"
    for subject, row in known.items():  # every subject the deployment knows is whole: consent and every photo
        assert row["consent"] == "given" and len(row["templates"]) == len(people[subject]), row
    for subject in set(people) - set(known):  # every other one left no trace at all
        with pytest.raises(NotFoundError):
            gate.access(subject)
    with sqlite3.connect(home / "facegate.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with gate.db.session(readonly=True) as session:  # the log verifies and every template stored opens
        assert gate.audit.verify(session).ok
        assert len(gate.vault.templates(session, LOBBY)) == sum(len(people[s]) for s in known)
    assert sorted(e["subject"] for e in entries(home, "enroll")) == sorted(known)  # one event per subject, each

    result = subprocess.run([*args, "--json"], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 3, result.stderr  # kit has no consent row: refused
    answer = json.loads(result.stdout)
    done = answer["summary"]
    assert (done["refused"], done["invalid"], done["imported"] + done["already_enrolled"]) == (1, 1, len(people) - 2)
    assert done["already_enrolled"] == len(known) and answer["consents_without_photos"] == ["carol"]
    given = [e["subject"] for e in entries(home, "consent.give")]
    assert sorted(given) == sorted(s for s in people if s not in ("kit", "group"))  # each once, none for refusals
    with (tmp_path / "report.csv").open() as handle:
        report = {row["subject"]: row for row in csv.DictReader(handle)}
    assert report["kit"]["code"] == "consent_missing" and report["kit"]["rule_ids"] == "CN25-6a/b"
    assert report["group"]["code"] == "several_faces" and set(report) == {"kit", "group"}
