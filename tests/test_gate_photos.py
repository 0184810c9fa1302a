"""Several photos per subject: enrolled together or not at all, at most three, searched as one fused template."""

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from gate_fixtures import example
from test_gate_identification import TinyLimit

from facegate.engine import gallery as engine_gallery
from facegate.errors import DifferentPeopleError, InputError, MultipleFacesError, RefusedError
from facegate.gate import MAX_PHOTOS, Gate

GALLERY = "hq-gallery"


@pytest.fixture
def photo(photos: Path):
    return lambda name: (photos / name).read_bytes()


def templates(gate: Gate, subject: str) -> int:
    return sum(row["templates"] for row in gate.access(subject)["facial_data"])


@pytest.fixture
def gallery(gate: Gate) -> Gate:
    gate.register(example("office-entry", id=GALLERY, modality="identification"))
    for subject in ("obama", "biden"):
        gate.add_subject(subject)
        gate.notice_shown(GALLERY, subject)
        gate.give_consent(GALLERY, subject)
    return gate


def test_two_photos_make_two_templates_searched_as_one_subject(gallery: Gate, photo) -> None:
    decision = gallery.enroll(GALLERY, "obama", [photo("obama.jpg"), photo("obama2.jpg")])
    assert decision.outcome == "enrolled" and len(decision.details["template_ids"]) == 2
    gallery.enroll(GALLERY, "biden", photo("biden.jpg"))
    assert templates(gallery, "obama") == 2
    found = gallery.identify(GALLERY, photo("obama_small.jpg"))
    points = gallery.operating_points()
    assert found.subject == "obama" and found.details["gallery_size"] == 2  # two subjects, one fused template each
    assert found.details["threshold"] == points.threshold_for_gallery({2: 1, 1: 1}, 0.01)
    assert gallery.identify(GALLERY, photo("biden2.jpg")).subject == "biden"


def test_one_bad_photo_enrolls_none_and_says_which(gallery: Gate, photo) -> None:
    with pytest.raises(MultipleFacesError, match=r"^photo 2 of 2: 2 faces found"):
        gallery.enroll(GALLERY, "obama", [photo("obama.jpg"), photo("two_people.jpg")])
    assert templates(gallery, "obama") == 0


def test_photos_of_another_person_are_refused_and_nothing_is_stored(gallery: Gate, photo) -> None:
    with pytest.raises(DifferentPeopleError, match=r"^the two photos do not show the same"):
        gallery.enroll(GALLERY, "obama", [photo("obama.jpg"), photo("biden.jpg")])
    with pytest.raises(DifferentPeopleError, match=r"^photo 3 does not show the same person as the other photos"):
        gallery.enroll(GALLERY, "obama", [photo("obama.jpg"), photo("obama2.jpg"), photo("biden2.jpg")])
    assert templates(gallery, "obama") == 0
    gallery.enroll(GALLERY, "obama", photo("obama.jpg"))
    with pytest.raises(DifferentPeopleError, match=r"^the photo does not show the same person as the subject's"):
        gallery.enroll(GALLERY, "obama", photo("biden2.jpg"))
    assert templates(gallery, "obama") == 1
    gallery.enroll(GALLERY, "obama", photo("obama2.jpg"))  # the same person again is welcome
    assert templates(gallery, "obama") == 2


def test_no_subject_holds_more_photos_than_the_calibration_vouches_for(gallery: Gate, photo) -> None:
    assert MAX_PHOTOS == gallery.operating_points().fused_photos() == 3
    gallery.enroll(GALLERY, "obama", [photo("obama.jpg"), photo("obama2.jpg")])
    with pytest.raises(RefusedError, match=r"holds 2 of at most 3 photos") as info:
        gallery.enroll(GALLERY, "obama", [photo("obama_small.jpg"), photo("obama.jpg")])
    assert "ACC-1" in info.value.rule_ids
    gallery.enroll(GALLERY, "obama", photo("obama_small.jpg"))  # the third still fits
    assert templates(gallery, "obama") == 3
    with pytest.raises(InputError, match="1 to 3 photos"):
        gallery.enroll(GALLERY, "biden", [photo("biden.jpg")] * 4)


def test_a_subject_erased_leaves_the_fused_gallery_at_once(gallery: Gate, photo) -> None:
    gallery.enroll(GALLERY, "obama", [photo("obama.jpg"), photo("obama2.jpg")])
    gallery.enroll(GALLERY, "biden", photo("biden.jpg"))
    assert gallery.identify(GALLERY, photo("obama_small.jpg")).subject == "obama"
    gallery.withdraw(GALLERY, "obama")
    decision = gallery.identify(GALLERY, photo("obama_small.jpg"))
    assert decision.subject is None and decision.details["gallery_size"] == 1
    assert np.isfinite(decision.details["threshold"])


def test_a_compressed_gallery_follows_enrollment_and_erasure_through_the_vault(
    gallery: Gate, photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_gallery, "EXACT_UP_TO", 1)  # past one subject: the compressed index
    gallery.enroll(GALLERY, "obama", photo("obama.jpg"))
    gallery.enroll(GALLERY, "biden", photo("biden.jpg"))
    found = gallery.identify(GALLERY, photo("obama_small.jpg"))
    kept = gallery.galleries._indexes[GALLERY]
    assert kept.index.compressed and found.subject == "obama" and found.details["gallery_size"] == 2
    gallery.enroll(GALLERY, "obama", photo("obama2.jpg"))  # fused again from the vault's two templates
    found = gallery.identify(GALLERY, photo("obama_small.jpg"))
    points = gallery.operating_points()
    assert found.subject == "obama" and found.details["threshold"] == points.threshold_for_gallery({2: 1, 1: 1}, 0.01)
    gallery.withdraw(GALLERY, "obama")
    assert gallery.identify(GALLERY, photo("obama_small.jpg")).subject is None
    assert gallery.galleries._indexes[GALLERY] is kept  # followed, not rebuilt
    assert kept.index.photos() == {1: 1} and gallery.identify(GALLERY, photo("biden2.jpg")).subject == "biden"


def test_the_gallery_limit_counts_subjects_not_photos(gallery: Gate, photo) -> None:
    real = gallery.operating_points()
    gallery.engines.operating_points = lambda: TinyLimit(real)  # type: ignore[method-assign]
    gallery.enroll(GALLERY, "obama", photo("obama.jpg"))
    gallery.enroll(GALLERY, "biden", photo("biden.jpg"))
    gallery.enroll(GALLERY, "obama", [photo("obama2.jpg"), photo("obama_small.jpg")])  # more photos: no new subject
    assert templates(gallery, "obama") == 3
    gallery.add_subject("kit")
    gallery.notice_shown(GALLERY, "kit")
    gallery.give_consent(GALLERY, "kit")
    with pytest.raises(RefusedError, match="holds 2 subjects, its limit"):
        gallery.enroll(GALLERY, "kit", photo("kit_harington.jpeg"))


def test_the_api_takes_the_image_field_up_to_three_times(tmp_path: Path) -> None:
    from test_api_fixtures import DATA, consenting, make_env

    env_gen = make_env(tmp_path)
    env = next(env_gen)
    try:
        consenting(env, "obama", GALLERY)
        url, h = f"/api/v1/deployments/{GALLERY}/subjects/obama/enroll", env.auth("operator")
        files = [("image", (n, (DATA / n).read_bytes(), "image/jpeg")) for n in ("obama.jpg", "obama2.jpg")]
        enrolled = env.client.post(url, files=files, headers=h)
        assert enrolled.status_code == 201, enrolled.text
        assert (
            len(enrolled.json()["template_ids"]) == 2
            and enrolled.json()["template_id"] in enrolled.json()["template_ids"]
        )
        too_many = env.client.post(url, files=files * 2, headers=h)
        assert too_many.status_code == 422 and "1 to 3 photos" in too_many.json()["detail"]
    finally:
        next(env_gen, None)


def test_the_cli_enrolls_several_photos_and_a_folder_per_subject(tmp_path: Path, photos: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from facegate.cli.app import app

    home = tmp_path / "home"
    monkeypatch.setenv("FACEGATE_HOME", str(home))
    gate = Gate.open(home)
    gate.register(example("office-entry", id=GALLERY, modality="identification"))
    gate.add_subject("obama")
    gate.notice_shown(GALLERY, "obama")
    gate.give_consent(GALLERY, "obama")
    gate.db.dispose()
    folder = tmp_path / "batch" / "biden"
    folder.mkdir(parents=True)
    for name in ("biden.jpg", "biden2.jpg"):
        (folder / name).write_bytes((photos / name).read_bytes())
    consents = tmp_path / "consents.csv"
    consents.write_text("subject,given_at,notice_version,channel\nbiden,2026-11-20,1,paper\n")
    runner = CliRunner()
    two = runner.invoke(app, ["enroll", GALLERY, "obama", str(photos / "obama.jpg"), str(photos / "obama2.jpg")])
    assert two.exit_code == 0 and "obama enrolled in hq-gallery from 2 photos" in two.output, two.output
    report = str(tmp_path / "report.csv")
    batch = runner.invoke(app, ["import", GALLERY, str(tmp_path / "batch"), "--consents", str(consents), "--report",
                                report, "--json"])  # fmt: skip
    assert batch.exit_code == 0 and '"imported": 1' in batch.output, batch.output


def test_the_gate_decides_at_the_threshold_that_knows_strangers_differ(gallery: Gate, photo) -> None:
    real = gallery.operating_points()
    assert real is not None and real.strangers is not None  # the shipped calibration counts each image's FMR
    # A calibration whose strangers are one face in 200 that matches everyone, and 199 that match no one: a gallery
    # of any size (up to 200) names 0.5% of them, so t(N) is the loosest threshold kept, past the alike formula's.
    everyone = math.ceil(math.log(1 / real.strangers.first_edge) / math.log(real.strangers.ratio))
    one_in_200 = tuple((everyone, 1) for _ in real.strangers.histograms)
    differ = replace(real, strangers=replace(real.strangers, images=200, comparisons=200, histograms=one_in_200))
    gallery.engines.operating_points = lambda: differ  # type: ignore[method-assign]
    gallery.enroll(GALLERY, "obama", [photo("obama.jpg"), photo("obama2.jpg")])
    gallery.enroll(GALLERY, "biden", photo("biden.jpg"))
    found = gallery.identify(GALLERY, photo("obama_small.jpg"))
    alike = differ.threshold_for_gallery({2: 1, 1: 1}, 0.01, alike=True)
    assert alike is not None and found.details["threshold"] == differ.thresholds[len(one_in_200) - 1] > alike
