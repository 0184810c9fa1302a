"""ACC-1 in `check`: a 1:N spec's expected gallery is held against the model's calibrated error rates."""

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from facegate.cli import app
from facegate.engine import calibration
from facegate.engine.dlib_backend import default_model_id
from facegate.policy import evaluate, spec_from_data

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "deployments"
BASE = yaml.safe_load((EXAMPLES / "office-entry.yaml").read_text(encoding="utf-8"))
TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def points() -> calibration.Calibration:
    found = calibration.shipped(default_model_id())
    assert found is not None
    return found


def acc1(accuracy: dict | None, points: calibration.Calibration | None) -> list:
    data = {**BASE, "modality": "identification", **({"accuracy": accuracy} if accuracy is not None else {})}
    report = evaluate(spec_from_data(data), ["cn2025"], today=TODAY, accuracy=points)
    return [f for f in report.findings if f.rule == "ACC-1"]


def test_a_gallery_too_large_for_the_targets_is_blocked_citing_pipl_8(points: calibration.Calibration) -> None:
    [finding] = acc1({"expected_gallery_size": 1_000_000}, points)
    assert finding.severity == "BLOCK"
    assert {"ACC-1", "PIPL-8", "CN25-3"} <= set(finding.cites)
    assert "1.00%" in finding.message and "FNIR" in finding.message and "largest gallery" in finding.message


def test_a_gallery_within_the_targets_gets_both_predicted_numbers(points: calibration.Calibration) -> None:
    [finding] = acc1({"expected_gallery_size": 100}, points)
    assert finding.severity == "INFO"
    assert "FPIR 1.00%" in finding.message and "FNIR" in finding.message


def test_the_tolerance_decides_what_blocks(points: calibration.Calibration) -> None:
    strict = acc1({"expected_gallery_size": 1000, "fnir_tolerance": 0.05}, points)
    lenient = acc1({"expected_gallery_size": 1000, "fnir_tolerance": 0.9}, points)
    assert [f.severity for f in strict] == ["BLOCK"] and [f.severity for f in lenient] == ["INFO"]


def test_no_stated_gallery_warns_with_the_limit_and_no_calibration_only_informs(
    points: calibration.Calibration,
) -> None:
    [warning] = acc1(None, points)
    assert warning.severity == "WARN" and warning.field == "accuracy.expected_gallery_size"
    assert [f.severity for f in acc1({"expected_gallery_size": 10}, None)] == ["INFO"]


def test_verification_is_not_held_to_a_gallery(points: calibration.Calibration) -> None:
    report = evaluate(spec_from_data(BASE), ["cn2025"], today=TODAY, accuracy=points)
    assert not [f for f in report.findings if f.rule == "ACC-1"]


def test_check_blocks_the_spec_and_says_both_numbers(tmp_path: Path) -> None:
    spec = tmp_path / "lobby.yaml"
    spec.write_text(
        yaml.safe_dump({**BASE, "modality": "identification", "accuracy": {"expected_gallery_size": 50_000}})
    )
    result = CliRunner().invoke(app, ["check", str(spec), "--json"])
    assert result.exit_code == 3, result.output
    [finding] = [f for f in json.loads(result.output)["findings"] if f["rule"] == "ACC-1"]
    assert finding["severity"] == "BLOCK" and "PIPL-8" in finding["rule_ids"]
