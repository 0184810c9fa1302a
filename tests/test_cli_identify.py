"""The calibration and open-set commands as a user runs them, on the sample photos laid out as identities."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from facegate.engine import calibration


def facegate(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "FACEGATE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "facegate", *args], capture_output=True, text=True, env=env, timeout=600
    )


@pytest.fixture
def people(photos: Path, tmp_path: Path) -> Path:
    """obama/ and biden/ with two photos each, kit/ with one: the <identity>/<image> layout."""
    root = tmp_path / "people"
    for person, names in {"obama": ["obama.jpg", "obama2.jpg"], "biden": ["biden.jpg", "biden2.jpg"],
                          "kit": ["kit_harington.jpeg"]}.items():  # fmt: skip
        (root / person).mkdir(parents=True)
        for name in names:
            (root / person / name).write_bytes((photos / name).read_bytes())
    return root


@pytest.mark.slow
def test_calibrate_writes_a_calibration_that_check_can_use(people: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    result = facegate("calibrate", "--images", str(people), "--out", str(out), "--workers", "1", home=tmp_path)
    assert result.returncode == 0, result.stderr
    made = calibration.load(out)
    assert (made.images, made.identities, made.genuine_pairs, made.impostor_pairs) == (5, 3, 2, 8)
    assert made.model_id.endswith("-flip") and made.command.startswith("facegate calibrate")
    assert made.fnmr(0.6) == 0.0 and made.fmr(0.3) == 0.0  # the sample people are easy to tell apart


@pytest.mark.slow
def test_eval_identify_reports_fpir_fnir_groups_and_draws_the_det_curve(people: Path, tmp_path: Path) -> None:
    gallery, probes, groups = tmp_path / "gallery.csv", tmp_path / "probes.csv", tmp_path / "groups.csv"
    gallery.write_text("identity,image\nobama,obama/obama.jpg\nbiden,biden/biden.jpg\n")
    probes.write_text("obama,obama/obama2.jpg\nbiden,biden/biden2.jpg\nkit,kit/kit_harington.jpeg\n")
    groups.write_text("obama/obama2.jpg,a\nbiden/biden2.jpg,b\nkit/kit_harington.jpeg,b\n")
    plot = tmp_path / "det.png"
    args = ["--gallery", str(gallery), "--probes", str(probes), "--images", str(people), "--workers", "1"]
    result = facegate("eval", "identify", *args, "--groups", str(groups), "--plot", str(plot), "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["gallery_size"], report["mated_probes"], report["non_mated_probes"]) == (2, 2, 1)
    assert report["decision"]["fpir"] == 0.0 and report["decision"]["fnir"] == 0.0  # facegate's own decision
    assert report["groups"]["a"]["mated"] == 1 and report["groups"]["b"]["non_mated"] == 1
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_eval_identify_refuses_a_malformed_list_in_one_line(people: Path, tmp_path: Path) -> None:
    bad = tmp_path / "gallery.csv"
    bad.write_text("obama\n")
    result = facegate("eval", "identify", "--gallery", str(bad), "--probes", str(bad), "--images", str(people),
                      home=tmp_path)  # fmt: skip
    assert result.returncode == 2 and "line 1: expected two fields" in result.stderr
    assert "Traceback" not in result.stderr


def test_operating_points_lists_thresholds_that_tighten_with_the_gallery(tmp_path: Path) -> None:
    result = facegate("operating-points", "--sizes", "10,1000", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["operating_points"]
    assert rows[0]["threshold"] > rows[1]["threshold"] and rows[1]["expected_fpir"] <= 0.01


@pytest.mark.slow
def test_eval_identify_compares_one_photo_per_subject_with_several(people: Path, tmp_path: Path) -> None:
    gallery, probes = tmp_path / "gallery.csv", tmp_path / "probes.csv"
    gallery.write_text("obama,obama/obama.jpg\nobama,obama/obama2.jpg\nbiden,biden/biden.jpg\n")
    probes.write_text("biden,biden/biden2.jpg\nkit,kit/kit_harington.jpeg\n")
    args = ["--gallery", str(gallery), "--probes", str(probes), "--images", str(people), "--workers", "1"]
    result = facegate("eval", "identify", *args, "--photos-per-subject", "2", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {(r["photos"], r["method"]): r for r in json.loads(result.stdout)["photos"]}
    assert (rows[1, "best"]["subjects"], rows[1, "best"]["templates"]) == (2, 2)
    assert (rows[2, "best"]["subjects"], rows[2, "best"]["templates"]) == (2, 3)  # obama's two photos, biden's one
    assert (rows[2, "fused"]["subjects"], rows[2, "fused"]["templates"]) == (2, 2)
    assert rows[2, "best"]["threshold"] < rows[1, "best"]["threshold"]  # t(N) tightens with every template held
    assert all(r["fnir"] == 0.0 and r["fpir"] == 0.0 for r in rows.values())
