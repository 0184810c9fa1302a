"""`facegate check`, `rules`, `notice` and `pia`: exit codes, JSON shape and output a user relies on."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from facegate.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "deployments"


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["facegate", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, " ".join(err.split())  # stderr is wrapped to the terminal width


def test_check_allowed_exits_0(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "check", str(EXAMPLES / "office-entry.yaml"))
    assert code == 0
    assert "verdict: allowed" in out


def test_check_blocked_exits_3_and_cites_rule_ids(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "check", str(EXAMPLES / "hotel-room-door.yaml"))
    assert code == 3
    assert "verdict: blocked" in out
    assert "BLOCK CN25-13a location.type:" in out


def test_check_json_has_the_contract_shape(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "check", str(EXAMPLES / "residential-face-only.yaml"), "--json",
                       "--profile", "cn2025", "--profile", "cn2023-draft")  # fmt: skip
    assert code == 3
    report = json.loads(out)
    assert report["deployment"] == "lakeside-garden-gates"
    assert report["profiles"] == ["cn2025", "cn2023-draft"]
    assert report["verdict"] == "blocked"
    finding = report["findings"][0]
    assert {"rule", "severity", "field", "message"} <= set(finding)
    assert finding["severity"] == "BLOCK" and finding["rule"] in finding["rule_ids"]
    blocks = [f for f in report["findings"] if f["severity"] == "BLOCK"]
    assert {"CN25-10a", "SPC21-10"} <= {f["rule"] for f in blocks}
    assert any("CN23-T07" in f["rule_ids"] for f in blocks)


def test_check_warnings_exit_0(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "check", str(EXAMPLES / "bank-cloud-identity.yaml"), "--json")
    assert code == 0
    assert json.loads(out)["verdict"] == "allowed_with_warnings"


def test_an_invalid_spec_exits_2_naming_the_field(monkeypatch, capsys, tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    text = (EXAMPLES / "office-entry.yaml").read_text(encoding="utf-8")
    text = text.replace("setting: private_premises", "setting: x")
    spec.write_text(text, encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "check", str(spec))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and "location.setting: 'x' is not a known setting" in err and "public_place" in err


def test_a_refusal_in_json_cites_profile_severity_and_status(monkeypatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setenv("FACEGATE_HOME", str(tmp_path))
    spec = str(EXAMPLES / "hotel-room-door.yaml")
    code, out, _ = run(monkeypatch, capsys, "deployment", "register", spec, "--json", "--actor", "admin:test")
    refusal = json.loads(out)
    assert code == 3 and refusal["decision"] == "refuse" and refusal["rule_ids"][0] == "CN25-13a"
    assert (refusal["profile"], refusal["severity"], refusal["status"]) == ("cn2025", "BLOCK", "S")
    assert [r["id"] for r in refusal["rules"]] == refusal["rule_ids"]


def test_a_json_spec_is_read_as_json(monkeypatch, capsys, tmp_path: Path) -> None:
    spec = tmp_path / "broken.json"
    spec.write_text('{"id": "x",', encoding="utf-8")
    code, _, err = run(monkeypatch, capsys, "check", str(spec))
    assert code == 2 and "not valid JSON" in err


def test_a_missing_file_or_unknown_profile_exits_2(monkeypatch, capsys) -> None:
    code, _, err = run(monkeypatch, capsys, "check", "no-such-spec.yaml")
    assert code == 2 and "no such file" in err
    code, _, err = run(monkeypatch, capsys, "check", str(EXAMPLES / "office-entry.yaml"), "-p", "cn2099")
    assert code == 2 and "unknown profile" in err


def test_rules_lists_every_rule_with_where_it_is_enforced(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "rules", "--json", "--profile", "cn2025")
    assert code == 0
    rules = {r["id"]: r for r in json.loads(out)["rules"]}
    assert rules["CN25-12b"]["enforced_at"] == ["gate"]
    assert rules["CN25-13a"]["enforced_at"] == ["check"]
    assert rules["PIPL-29"]["enforced_at"] == ["via CN25-6a/b"]
    assert rules["CN25-15c"]["severity"] == "WARN" and rules["CN25-15c"]["status"] == "C"
    code, out, _ = run(monkeypatch, capsys, "rules")
    assert code == 0 and "EUAI-5-1f" in out and "enforced at" in out


def test_notice_and_pia_write_markdown_or_html(monkeypatch, capsys, tmp_path: Path) -> None:
    code, out, err = run(monkeypatch, capsys, "notice", str(EXAMPLES / "plaza-returning-shoppers.yaml"))
    assert code == 0 and out.startswith("# 人脸识别告知书 / Notice on facial recognition")
    assert "the spec does not fill" in err and "notice.rights_exercise_procedure" in err
    target = tmp_path / "pia.html"
    code, out, err = run(monkeypatch, capsys, "pia", str(EXAMPLES / "office-entry.yaml"), "--format", "html",
                         "--out", str(target))  # fmt: skip
    assert code == 0 and out == "" and "wrote" in err
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    code, _, err = run(monkeypatch, capsys, "notice", str(EXAMPLES / "office-entry.yaml"), "--format", "pdf")
    assert code == 2 and "md or html" in err


def test_the_installed_command_exits_3_on_a_blocked_spec() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "facegate", "check", str(EXAMPLES / "school-gate-under-14.yaml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 3
    assert "CN25-7c" in result.stdout
