"""The engine's command line as a user runs it: JSON output, the demo, and one-line errors on bad input."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


def facegate(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "FACEGATE_HOME": str(home)}
    env.pop("FACEGATE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "facegate", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_detect_json_lists_two_faces_without_embeddings(photos: Path, tmp_path: Path) -> None:
    result = facegate("detect", str(photos / "two_people.jpg"), "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["faces"]) == 2
    assert set(report["faces"][0]) == {"box", "width", "height", "score", "quality"}
    assert report["faces"][0]["quality"] == "ok"


def test_detect_table(photos: Path, tmp_path: Path) -> None:
    result = facegate("detect", str(photos / "obama.jpg"), home=tmp_path)
    assert result.returncode == 0 and "1 face" in result.stdout


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"just some words\n", "text file"), (b"", "empty"), (b"\x89PNG\r\n\x1a\n" + bytes(40), "corrupt")],
)
def test_bad_image_is_one_line_and_no_traceback(tmp_path: Path, content: bytes, words: str) -> None:
    bad = tmp_path / "face.jpg"
    bad.write_bytes(content)
    result = facegate("detect", str(bad), home=tmp_path)
    assert result.returncode == 2
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_pairs_file_is_a_clear_error(tmp_path: Path) -> None:
    result = facegate("eval", "pairs", "--pairs", str(tmp_path / "none.txt"), "--images", str(tmp_path), home=tmp_path)
    assert result.returncode == 2 and "cannot read the pairs file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_eval_pairs_json_reports_accuracy_as_a_fraction(shared_data: Path, tmp_path: Path) -> None:
    lfw = shared_data / "lfw"
    lines = (lfw / "pairs.txt").read_text().splitlines()
    subset = tmp_path / "pairs.txt"  # two folds of 10 matched and 10 mismatched pairs
    body = lines[1:11] + lines[301:311] + lines[601:611] + lines[901:911]
    subset.write_text("2 10\n" + "\n".join(body) + "\n")
    result = facegate("eval", "pairs", "--pairs", str(subset), "--images", str(lfw / "images"), "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert 0.9 <= report["accuracy"] <= 1.0
    assert report["folds"] == 2 and report["accuracy_std"] is not None
    assert {"threshold", "tar_at_far_1e3", "failures_to_enroll", "images_per_second"} <= set(report)


@pytest.mark.slow
def test_demo_compares_the_sample_photos(tmp_path: Path) -> None:
    result = facegate("demo", "--home", str(tmp_path / "demo"), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"facegate serve --home {tmp_path / 'demo'}" in result.stdout  # the restart hint finds the same data
    doctor = facegate("doctor", "--json", "--home", str(tmp_path / "demo"), home=tmp_path)
    assert {f["check"] for f in json.loads(doctor.stdout)["findings"] if f["level"] != "ok"} <= {"master key"}
    assert "same person" in result.stdout and "different people" in result.stdout
    # Naming who is in the two-person photo is 1:N, which runs only through the gate: the demo detects them only.
    assert re.search(r"detect\s+two_people\.jpg\s+1126x661\s+faces: \d+x\d+, \d+x\d+", result.stdout)
    assert "two_people.jpg face 1" not in result.stdout


def test_calibrate_says_its_progress_in_lines_when_not_on_a_terminal(photos: Path, tmp_path: Path) -> None:
    for person in ("obama", "biden"):
        (tmp_path / "faces" / person).mkdir(parents=True)
        for name in (f"{person}.jpg", f"{person}2.jpg"):
            (tmp_path / "faces" / person / name).write_bytes((photos / name).read_bytes())
    args = ("--images", str(tmp_path / "faces"), "--out", str(tmp_path / "c.json"), "--workers", "1")
    result = facegate("calibrate", *args, home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()  # 4 templates, then the same 4 images as one-pass probes (the 1:1 counts)
    assert "embedding: 4/8 (50%)" in lines and "embedding: 8/8 (100%)" in lines
