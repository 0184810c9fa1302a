"""The filing package and the inspection export: every required item, verifiable offline, nothing biometric; and
the `facegate oversight` commands."""

import hashlib
import json
import subprocess
import sys
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from gate_fixtures import EXAMPLES, Clock, example
from typer.testing import CliRunner

from facegate.audit.export import time_range
from facegate.cli import app
from facegate.errors import NotFoundError
from facegate.gate import Caller, Gate
from facegate.oversight import Oversight
from facegate.oversight.package import ATTACHMENTS, PORTAL_FORMS, STATUTORY_ITEMS

HANDLER = "Example Technology (Shanghai) Co., Ltd."
OFFICE = "hq-lobby"
REGULATION = Path(__file__).resolve().parents[2] / "shared" / "regulation.md"


@pytest.fixture
def enrolled(gate: Gate, photos: Path) -> tuple[Oversight, list[str]]:
    """The office with obama enrolled and consenting; returns the oversight and obama's template as text."""
    gate.register(example("office-entry"))
    gate.add_subject("obama")
    gate.notice_shown(OFFICE, "obama")
    gate.give_consent(OFFICE, "obama")
    gate.enroll(OFFICE, "obama", (photos / "obama.jpg").read_bytes())
    vector = gate.export("obama", Caller("subject:obama"))["templates"][0]["vector"]
    return Oversight(gate.context), [f"{x:.6f}"[:8] for x in vector if abs(x) >= 0.01][:8]


def biometric_free(texts: dict[str, str], fragments: list[str]) -> None:
    """No file holds any of the template's numbers (eight leading digits each), nor a 'vector' field."""
    for name, text in texts.items():
        assert '"vector"' not in text, name
        for fragment in fragments:
            assert fragment not in text, (name, fragment)


def section_5_5() -> dict[str, list[str]]:
    """regulation.md §5 `filing_package`, when the shared folder is here; else the lists as the code has them."""
    if not REGULATION.exists():
        return {"statutory_items": list(STATUTORY_ITEMS), "portal_forms": list(PORTAL_FORMS),
                "attachments": list(ATTACHMENTS)}  # fmt: skip
    text = REGULATION.read_text()
    block = text[text.index("filing_package:") : text.index("reassessment_triggers:")]
    return yaml.safe_load(block)["filing_package"]


def test_the_filing_package_has_every_item_of_section_5_5(enrolled: tuple[Oversight, list[str]], tmp_path: Path):
    office, fragments = enrolled
    package = office.filing_package(HANDLER, tmp_path / "filing")
    wanted = section_5_5()
    assert list(package["statutory_items"]) == wanted["statutory_items"]
    assert set(package["portal_forms"]) == set(wanted["portal_forms"])
    assert [a["item"] for a in package["attachments"]] == wanted["attachments"]
    files = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "filing").iterdir()}
    for item, entry in package["statutory_items"].items():
        assert entry["files"], item
        for name in entry["files"]:
            assert name in files and len(files[name]) > 200, name
        assert {Path(n).suffix for n in entry["files"]} == {".md", ".html"}, item
        assert item in package["data"]
    assert package["data"]["stored_individuals_count"]["stored_individuals"] == 1
    assert package["portal"] == "https://grxxbh.cacdtsc.cn" and "CN25-FA-2" in package["rule_ids"]
    assert package["authority"].startswith("上海市互联网信息办公室") and "provincial" in package["authority"]
    assert json.loads(files["package.json"])["handler"] == HANDLER
    assert "06-pia-report-hq-lobby.md" in files and "00-index.html" in files
    assert "<script" not in files["02-processing-purposes-and-methods.html"]
    biometric_free(files, fragments)


def test_the_inspection_export_verifies_offline_and_holds_no_biometric_data(
    enrolled: tuple[Oversight, list[str]], gate: Gate, tmp_path: Path, clock: Clock
) -> None:
    office, fragments = enrolled
    office.record_filing(HANDLER, "CAC-SH-2026-0001", date(2026, 11, 20))
    clock.advance(hours=1)
    gate.update(example("office-entry", impact_assessment={"version": 2, "approved_on": "2026-11-20"}))
    since, until = time_range("2026-11-01", "2026-11-30")
    manifest = office.inspection_export(since, until, tmp_path / "inspection.zip")
    with zipfile.ZipFile(tmp_path / "inspection.zip") as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "x")
    for required in ("README.txt", "manifest.json", "SHA256SUMS", "audit/audit-log.jsonl",
                     "audit/standalone_verify.py", "audit/audit-ed25519.pub.pem", "consents/consents.jsonl",
                     "deployments/deployments.json", "filing/status.json", "filing/filings.json",
                     "impact-assessments/hq-lobby.md", "impact-assessments/hq-lobby.html"):  # fmt: skip
        assert required in names, required
    folder = tmp_path / "x"
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == entry["sha256"], name
    assert set(manifest["files"]) == names - {"manifest.json", "SHA256SUMS"}
    run = subprocess.run(
        [sys.executable, "audit/standalone_verify.py", "audit/audit-log.jsonl", "--public-key",
         "audit/audit-ed25519.pub.pem"],
        cwd=folder, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    entries = [json.loads(line) for line in (folder / "audit/audit-log.jsonl").read_text().splitlines()]
    operations = [e["entry"]["operation"] for e in entries if e["type"] == "entry"]
    assert {"deployment.register", "consent.give", "enroll", "oversight.filed", "oversight.export"} <= set(operations)
    [consent] = [json.loads(line) for line in (folder / "consents/consents.jsonl").read_text().splitlines()]
    assert (consent["subject"], consent["kind"], consent["form"]) == ("obama", "facial_processing", "separate")
    [deployment] = json.loads((folder / "deployments/deployments.json").read_text())
    assert deployment["id"] == OFFICE and deployment["verdict"] == "allowed" and "findings" in deployment
    filings = json.loads((folder / "filing/filings.json").read_text())
    assert filings["filings"][0]["receipt"] == "CAC-SH-2026-0001"
    assert {"impact-assessments/filed/hq-lobby-v1.md", "impact-assessments/filed/hq-lobby-v1.html"} <= names
    assert "Assessment version:** 2" in (folder / "impact-assessments/hq-lobby.md").read_text()
    readme = (folder / "README.txt").read_text()
    assert "standalone_verify.py" in readme and "sha256sum -c SHA256SUMS" in readme
    assert manifest["public_key_sha256"] in readme
    texts = {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()}
    biometric_free(texts, fragments)


def test_the_export_holds_only_the_records_of_its_period(
    enrolled: tuple[Oversight, list[str]], tmp_path: Path, clock: Clock
) -> None:
    office, _ = enrolled
    clock.advance(days=40)  # 2026-12-30: the export itself is recorded now, after the period it covers
    since, until = time_range("2026-12-20", "2026-12-28")
    manifest = office.inspection_export(since, until, tmp_path / "later.zip")
    with zipfile.ZipFile(tmp_path / "later.zip") as archive:
        lines = archive.read("audit/audit-log.jsonl").decode().splitlines()
        consents = archive.read("consents/consents.jsonl").decode().splitlines()
    assert manifest["audit_entries"] == 0 and len(lines) >= 2  # the header and the checkpoint, no entries
    assert len(consents) == 1  # given before the period and still valid in it


# ---- the commands ----


def test_the_oversight_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(tmp_path / "home")]

    def run(*args: str) -> str:
        result = runner.invoke(app, [*args, *home], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("deployment", "register", str(EXAMPLES / "office-entry.yaml"))
    run("deployment", "register", str(EXAMPLES / "station-public-security.yaml"), "-p", "cn2025", "-p", "cn2023-draft")
    report = json.loads(run("oversight", "status", "--json"))
    station = next(h for h in report["handlers"] if h["handler"].startswith("East Railway"))
    [task] = station["open_tasks"]
    assert task["trigger"] == "public_place" and task["rule_ids"] == ["CN23-T13"]
    text = run("oversight", "status", "--handler", HANDLER)
    assert "cn2025: at least 100,000 individuals -> 100,000 to go" in text
    out = run("oversight", "filing", "--handler", HANDLER, "--out", str(tmp_path / "filing"))
    assert "grxxbh.cacdtsc.cn" in out and (tmp_path / "filing" / "package.json").exists()
    today = datetime.now().date()
    run("oversight", "export", "--since", str(today - timedelta(days=1)), "--until", str(today),
        "--out", str(tmp_path / "inspection.zip"))  # fmt: skip
    assert zipfile.is_zipfile(tmp_path / "inspection.zip")
    filed = run("oversight", "filed", "--handler", station["handler"], "--receipt", "GD-2026-7", "--date",
                str(today - timedelta(days=1)))  # fmt: skip
    assert "1 task closed" in filed
    report = json.loads(run("oversight", "status", "--json", "--handler", station["handler"]))
    assert report["handlers"][0]["open_tasks"] == []
    result = runner.invoke(app, ["oversight", "status", "--handler", "Nobody Ltd.", *home])
    assert isinstance(result.exception, NotFoundError)  # `facegate` prints it on one line and exits 2
    assert "unknown handler 'Nobody Ltd.'" in str(result.exception) and station["handler"] in str(result.exception)


def test_the_package_shows_labels_counts_every_gap_and_says_no_filing_is_due(
    enrolled: tuple[Oversight, list[str]], tmp_path: Path
) -> None:
    from test_policy_documents import raw_enum_tokens, unmarked_gaps

    office, _ = enrolled
    package = office.filing_package(HANDLER, tmp_path / "filing")
    files = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "filing").iterdir() if p.suffix != ".json"}
    for name, text in files.items():
        assert not raw_enum_tokens(text), (name, raw_enum_tokens(text))
        assert not unmarked_gaps(text), (name, unmarked_gaps(text))
        assert package["as_of"] in text, name  # every document is dated
    index = files["00-index.md"]
    handler_blanks = [g for g in package["gaps"] if g["handler_fills"]]
    assert handler_blanks and f"{len(package['gaps'])} 项" in index  # 待处理者填写 blanks are counted as gaps
    assert "Gaps: none" not in index and "无 / none" not in index.split("缺失 / Gaps to fill")[1]
    assert not package["filing_due"] and "No filing is due" in index and "尚无备案义务" in index
    assert "人脸识别设备内" in files["04-security-measures.md"]  # storage where the spec says the templates are
