"""LFW pairs evaluation: parsing both views, thresholds, 10-fold accuracy, and a run on real LFW images."""

from pathlib import Path

import numpy as np
import pytest

from facegate.engine import evaluation
from facegate.engine.dlib_backend import DEFAULT_THRESHOLD
from facegate.engine.evaluation import Pair, parse_pairs
from facegate.errors import InputError

VIEW1 = "2\nA 1 2\nB 1 3\nA 1 B 2\nC 1 D 1\n"
VIEW2 = "2 1\nA 1 2\nA 1 B 1\nC 1 2\nC 1 D 4\n"


def test_view1_and_view2_formats() -> None:
    (fold,) = parse_pairs(VIEW1)
    assert [p.same for p in fold] == [True, True, False, False]
    assert fold[2] == Pair(("A", 1), ("B", 2), False)
    folds = parse_pairs(VIEW2)
    assert len(folds) == 2 and folds[1][1] == Pair(("C", 1), ("D", 4), False)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("two\nA 1 2\n", "line 1"),
        ("2\nA 1 2\n", "promises 4 pairs but 1"),
        ("1\nA 1\nA 1 B 2\n", "line 2: expected NAME I J"),
        ("1\nA 1 2\nA x B 2\n", "line 3: expected NAME1 I NAME2 J"),
    ],
)
def test_malformed_pairs_files_name_the_line(text: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_pairs(text, "pairs.txt")


def test_threshold_accuracy_and_error_rates() -> None:
    distances = np.array([0.2, 0.3, 0.5, 0.7, 0.8, 0.4])
    same = np.array([True, True, True, False, False, False])
    threshold = evaluation.best_threshold(distances, same)
    assert evaluation.accuracy(distances, same, threshold) == pytest.approx(5 / 6)
    assert evaluation.error_rates(distances, same, 0.6) == (pytest.approx(1 / 3), 0.0)


def test_tar_at_far_takes_the_loosest_threshold_within_the_far() -> None:
    rng = np.random.default_rng(1)
    impostors = rng.uniform(0.5, 1.5, 2000)
    genuine = rng.uniform(0.0, 1.0, 1000)
    distances = np.concatenate([genuine, impostors])
    same = np.concatenate([np.ones(1000, bool), np.zeros(2000, bool)])
    tar, threshold = evaluation.tar_at_far(distances, same, 1e-3)
    assert np.sum(impostors < threshold) <= 2  # at most 0.1% of 2000 impostors accepted
    assert tar == pytest.approx(np.mean(genuine < threshold))


def test_ten_folds_report_mean_and_spread() -> None:
    rng = np.random.default_rng(2)
    folds, distance_of = [], {}
    for k in range(10):
        fold = [Pair((f"P{k}_{i}", 1), (f"P{k}_{i}", 2), True) for i in range(30)]
        fold += [Pair((f"P{k}_{i}", 1), (f"Q{k}_{i}", 1), False) for i in range(30)]
        for p in fold:
            distance_of[p] = rng.normal(0.4 if p.same else 0.8, 0.08)
        folds.append(fold)
    report = evaluation.evaluate(folds, distance_of, None)
    assert report.folds == 10 and report.pairs == 600
    assert 0.95 < report.accuracy <= 1.0 and report.accuracy_std is not None
    assert 0.5 < report.threshold < 0.7


def test_failures_to_enroll_count_as_wrong_for_same_person_pairs() -> None:
    fold = [Pair(("A", 1), ("A", 2), True), Pair(("A", 1), ("B", 1), False)]
    report = evaluation.evaluate([fold], {fold[0]: float("inf"), fold[1]: float("inf")}, 0.6)
    assert report.accuracy == 0.5 and report.pairs_with_failure == 2


@pytest.mark.slow
def test_real_lfw_subset_is_accurate(shared_data: Path, tmp_path: Path) -> None:
    lfw = shared_data / "lfw"
    lines = (lfw / "pairsDevTest.txt").read_text().splitlines()
    count = int(lines[0])
    subset = tmp_path / "pairs.txt"
    subset.write_text("\n".join(["40", *lines[1:41], *lines[1 + count : 41 + count]]) + "\n")
    report = evaluation.run_pairs(subset, lfw / "images", workers=2, threshold=DEFAULT_THRESHOLD)
    assert report.pairs == 80 and report.failures_to_enroll == 0
    assert report.accuracy >= 0.95
    assert report.model_id.startswith("dlib-resnet-v1")
