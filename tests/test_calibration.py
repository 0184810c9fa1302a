"""Calibrated error rates: counting pairs, 1:N thresholds that follow the gallery, files and their provenance."""

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from facegate.engine import calibration
from facegate.engine.calibration import Calibration, per_comparison_fmr
from facegate.engine.dlib_backend import default_model_id
from facegate.errors import CalibrationError, MissingCalibrationError


def line_calibration() -> Calibration:
    """Six people on a line, two images each 0.1 apart, people 1.0 apart: every distance known by hand."""
    vectors = np.zeros((12, 128), np.float32)
    for person in range(6):
        vectors[2 * person, 0] = person
        vectors[2 * person + 1, 0] = person + 0.1
    labels = np.repeat(np.arange(6), 2).astype(str)
    return calibration.calibrate(vectors, labels, "test-model", "line", date(2026, 11, 27))


def test_every_pair_is_counted_once_on_the_grid() -> None:
    cal = line_calibration()
    assert (cal.genuine_pairs, cal.impostor_pairs) == (6, 60)
    assert cal.fnmr(0.1) == 1.0 and cal.fnmr(0.2) == 0.0  # genuine distances are all 0.1
    assert cal.fmr(0.7) == 0.0  # the nearest impostors are 0.9 apart, beyond the grid's end
    assert cal.threshold_for_fmr(0.0) == cal.thresholds[-1]


def test_one_pass_probes_against_templates_count_every_pair_both_ways() -> None:
    vectors = np.zeros((12, 128), np.float32)
    for person in range(6):
        vectors[2 * person, 0] = person
        vectors[2 * person + 1, 0] = person + 0.1
    probes = vectors.copy()
    probes[:, 1] = 0.3  # each probe 0.3 from its own image's template
    labels = np.repeat(np.arange(6), 2).astype(str)
    cal = calibration.calibrate(vectors, labels, "test-model", "line", date(2026, 11, 27), one_pass=probes)
    assert (cal.genuine_pairs, cal.impostor_pairs) == (6, 60)  # 1:N: template against template, as before
    assert cal.verification is not None
    assert (cal.verification.genuine_pairs, cal.verification.impostor_pairs) == (12, 120)
    assert cal.verification_rates(0.3)[1] == 1.0 and cal.verification_rates(0.32) == (0.0, 0.0)  # 0.316, never 0.1
    assert cal.fnmr(0.2) == 0.0
    assert Calibration.from_json(cal.to_json()) == cal


def test_the_threshold_tightens_as_the_gallery_grows() -> None:
    cal = calibration.shipped(default_model_id())
    assert cal is not None
    thresholds = [cal.threshold_for(n, 0.01) for n in (10, 100, 1_000, 10_000)]
    assert thresholds == sorted(thresholds, reverse=True) and len(set(thresholds)) == 4
    for n, t in zip((10, 100, 1_000, 10_000), thresholds, strict=True):
        assert cal.expected_fpir(t, n) <= 0.01  # the expected FPIR at t(N) is within the target
        alike = cal.threshold_for(n, 0.01, alike=True)
        assert alike is not None and 1 - (1 - cal.fmr(alike)) ** n <= 0.01 and alike <= t  # strangers alike: tighter
    assert cal.predicted_fnir(10_000, 0.01) > cal.predicted_fnir(100, 0.01)


def test_the_largest_gallery_meets_the_tolerance_and_one_more_does_not() -> None:
    cal = calibration.shipped(default_model_id())
    limit = cal.max_gallery(0.01, 0.5)
    assert limit > 100
    assert cal.predicted_fnir(limit, 0.01) <= 0.5
    assert cal.predicted_fnir(limit * 2, 0.01) > 0.5


def test_per_comparison_fmr_inverts_the_fpir_formula() -> None:
    fmr = per_comparison_fmr(1000, 0.01)
    assert 1 - (1 - fmr) ** 1000 == pytest.approx(0.01)
    assert per_comparison_fmr(1, 0.01) == pytest.approx(0.01)


def test_the_shipped_calibration_is_small_and_says_where_it_comes_from() -> None:
    model = default_model_id()
    path = Path(calibration.__file__).parent / "calibrations" / f"{model}.json"
    assert path.stat().st_size <= 200_000
    data = json.loads(path.read_text())
    assert data["model_id"] == model and "LFW" in data["dataset"]
    assert data["impostor_pairs"] >= 1_000_000 * 10 and data["genuine_pairs"] > 100_000
    assert data["created"] and data["command"].startswith("facegate calibrate")


def test_a_file_round_trips_and_a_foreign_file_is_refused(tmp_path: Path) -> None:
    cal = line_calibration()
    path = tmp_path / "c.json"
    path.write_text(cal.to_json())
    assert calibration.load(path) == cal
    path.write_text('{"thresholds": []}')
    with pytest.raises(CalibrationError, match="not a facegate calibration"):
        calibration.load(path)
    with pytest.raises(CalibrationError, match="cannot read"):
        calibration.load(tmp_path / "absent.json")


def test_a_model_without_calibration_is_refused_with_the_way_forward() -> None:
    with pytest.raises(MissingCalibrationError, match=r"no calibration for model other-model.*facegate calibrate"):
        calibration.for_model("other-model")


def test_fused_templates_are_counted_against_everyone_else_and_held_out_photos() -> None:
    vectors = np.zeros((12, 128), np.float32)  # three people of four photos on a line, 0.1 apart; people 10 apart
    for person in range(3):
        vectors[4 * person : 4 * person + 4, 0] = 10 * person + np.arange(4) * 0.1
    labels = np.repeat(np.arange(3), 4).astype(str)
    cal = calibration.calibrate(vectors, labels, "test-model", "line", date(2026, 11, 27))
    by_photos = {f.photos: f for f in cal.fused}
    assert (by_photos[2].impostor_pairs, by_photos[2].genuine_pairs) == (3 * 8, 12)  # each fused vs 8 others
    assert (by_photos[3].impostor_pairs, by_photos[3].genuine_pairs) == (3 * 8, 12)
    assert cal.fnmr(0.4, photos=3) == 0.0 and cal.fmr(0.75, photos=3) == 0.0
    assert cal.fused_photos() == 3


def test_a_fused_template_is_decided_at_the_same_fmr_as_one_photo_and_finds_more_people() -> None:
    cal = calibration.shipped(default_model_id())
    assert cal is not None and cal.fused_photos() == 3
    t = cal.threshold_for(1_000, 0.01)
    assert t is not None
    assert cal.threshold_for_gallery({1: 1_000}, 0.01) == cal.threshold_for_gallery({1: 500, 3: 500}, 0.01) == t
    grid = np.asarray(cal.thresholds)
    assert (cal.one_photo_scale(grid, 1) == grid).all()
    for photos in (2, 3):
        scaled = cal.one_photo_scale(grid, photos)
        assert (scaled >= grid).all() and (np.diff(scaled) >= 0).all()  # never nearer, order kept
        # The loosest fused distance decided as a match: a fused template lies nearer to strangers, so it is
        # tighter than t, and its own FMR stays within what a one-photo template spends at t.
        under = float(grid[scaled < t][-1])
        assert under < t - 0.005
        assert cal.fmr(under, photos) <= 1.3 * cal.fmr(t)
        assert cal.fmr(t, photos) > 2 * cal.fmr(t)  # deciding fused templates on raw distances would spend more
    mixed = {1: 500, 2: 200, 3: 300}
    assert cal.predicted_fnir_for_gallery(mixed, 0.01) < cal.predicted_fnir(1_000, 0.01)
    assert cal.predicted_fnir_for_gallery({3: 1_000}, 0.01) < cal.predicted_fnir_for_gallery(mixed, 0.01)
    assert cal.threshold_for_gallery({4: 10}, 0.01) is None  # more photos than the calibration vouches for


def test_a_calibration_without_fused_counts_still_loads_and_vouches_for_one_photo(tmp_path: Path) -> None:
    data = json.loads(calibration.shipped(default_model_id()).to_json())
    del data["fused"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    old = calibration.load(path)
    assert old.fused_photos() == 1 and old.threshold_for_gallery({2: 10}, 0.01) is None
    with pytest.raises(CalibrationError, match="fused from 2"):
        old.fmr(0.3, photos=2)
