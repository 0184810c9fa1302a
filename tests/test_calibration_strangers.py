"""t(N) that knows strangers differ: the FPIR of N templates as the mean over images of 1 - (1 - FMR_i)^N."""

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from facegate.engine import calibration
from facegate.engine.calibration import Calibration
from facegate.errors import CalibrationError


def hub_calibration() -> Calibration:
    """Thirty people of two photos, 0.85 apart from each other, and one stranger 0.6 from every photo: from t = 0.61 the
    hub falsely matches all 60 photos (FMR_hub = 1), each of them only the hub (1 of 59 comparisons). By hand: the
    pair FMR is 60/1,800 = 1/30, and at N = 10 the FPIR of alike strangers 1 - (29/30)^10 = 0.287, of these
    (1 + 60 x 10/59) / 61 = 0.183 (10 of a photo's 59 comparisons drawn hold the hub with chance 10/59)."""
    vectors = np.zeros((61, 128), np.float32)
    for person in range(30):
        vectors[2 * person, person] = 0.6
        vectors[2 * person + 1, person] = 0.6
        vectors[2 * person + 1, 64 + person] = 0.1
    labels = np.array([f"p{i // 2}" for i in range(60)] + ["hub"])
    return calibration.calibrate(vectors, labels, "test-model", "hub", date(2026, 12, 4))


def ring_calibration() -> Calibration:
    """Sixty people on a ring 0.31 apart, two photos each, +-0.05 off the ring in a dimension of their own: every photo
    has the same distances to everyone else's (4 of 118 photos at 0.32, the next 4 at 0.63), so strangers are alike."""
    vectors = np.zeros((120, 128), np.float32)
    for person in range(60):
        angle = 2 * np.pi * person / 60
        for side, sign in enumerate((1, -1)):
            row = vectors[2 * person + side]
            row[0], row[1] = 3 * np.cos(angle), 3 * np.sin(angle)
            row[2 + person] = 0.05 * sign
    return calibration.calibrate(vectors, np.repeat(np.arange(60), 2).astype(str), "test-model", "ring",
                                 date(2026, 12, 4))  # fmt: skip


def test_a_stranger_near_everyone_spends_the_fpir_alone_so_the_threshold_loosens() -> None:
    cal = hub_calibration()
    assert cal.impostor_pairs == 1_800 and cal.fmr(0.75) == pytest.approx(1 / 30)
    assert cal.strangers is not None and cal.strangers.images == 61
    assert cal.strangers.comparisons == 59
    at = cal.thresholds.index(0.75)
    assert cal.strangers.fpir(10)[at] == pytest.approx((1 + 60 * 10 / 59) / 61, rel=0.03)
    assert cal.strangers.fpir(10)[at] >= (1 + 60 * 10 / 59) / 61  # rounded up, never down
    alike = cal.threshold_for(10, 0.25, alike=True)
    assert alike is not None and alike < 0.609  # 0.287 would be over the target past the hub
    assert cal.threshold_for(10, 0.25) == 0.75  # 0.183 is within it
    assert cal.threshold_for(10, 0.15) == alike  # and 0.183 is not
    # The largest gallery at FPIR 0.26 past the hub: 14 as they are (15 gives 0.266), 8 if alike (9 gives 0.263)
    assert cal.strangers.limit(at, 0.26, cap=1_000) == 14
    assert max(n for n in range(1, 100) if 1 - (1 - cal.fmr(0.75)) ** n <= 0.26) == 8
    assert cal.threshold_for(60, 0.99) == cal.threshold_for(60, 0.99, alike=True)  # past 59 comparisons: no estimate


def test_when_every_stranger_is_alike_the_threshold_is_the_independence_formulas() -> None:
    cal = ring_calibration()
    assert cal.strangers is not None
    grid = np.asarray(cal.thresholds[: len(cal.strangers.histograms)])
    assert cal.fmr(float(grid[-1])) == pytest.approx(4 / 118)  # kept past the first neighbours
    for n in (1, 3, 10, 100):
        # 1 - C(114, N) / C(118, N) for each photo: without replacement, the formula's own draws
        each = np.array([1 - math.comb(118 - round(cal.fmr(float(t)) * 118), n) / math.comb(118, n) for t in grid])
        assert cal.strangers.fpir(n) == pytest.approx(each, rel=0.03, abs=1e-12)  # the same up to the rounding
        for target in (0.01, 0.2, 0.5):
            assert cal.threshold_for(n, target) == cal.threshold_for(n, target, alike=True)


def test_the_counts_travel_in_the_file_and_a_file_without_them_decides_as_before(tmp_path: Path) -> None:
    cal = hub_calibration()
    assert Calibration.from_json(cal.to_json()) == cal
    assert json.loads(cal.to_json())["format"] == "facegate-calibration/2"
    data = json.loads(cal.to_json())
    del data["strangers"]
    data["format"] = "facegate-calibration/1"  # as written before the counts existed
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    old = calibration.load(path)
    assert old.strangers is None
    assert old.threshold_for(10, 0.25) == cal.threshold_for(10, 0.25, alike=True) < cal.threshold_for(10, 0.25)
    data["format"] = "facegate-calibration/3"
    path.write_text(json.dumps(data))
    with pytest.raises(CalibrationError, match="not a facegate calibration"):
        calibration.load(path)


def test_a_file_with_more_histograms_than_thresholds_is_refused() -> None:
    data = json.loads(hub_calibration().to_json())
    data["strangers"]["histograms"] += [[0]] * len(data["thresholds"])
    with pytest.raises(CalibrationError, match="inconsistent counts"):
        Calibration.from_json(json.dumps(data))
