"""The face engine on real photos: detection, quality outcomes, same and different people, bulk embedding."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facegate.engine import quality
from facegate.engine.bulk import embed_files
from facegate.engine.dlib_backend import DlibEngine
from facegate.engine.face import Embedding, Face
from facegate.engine.images import load_image
from facegate.engine.matching import compare, distance
from facegate.engine.protocol import Engine
from facegate.errors import FaceTooSmallError, ModelMismatchError, MultipleFacesError, NoFaceError


@pytest.fixture(scope="module")
def engine() -> DlibEngine:
    return DlibEngine()


@pytest.fixture(scope="module")
def templates(engine: DlibEngine, photos: Path) -> dict[str, Embedding]:
    result = {}
    for name in ("obama.jpg", "obama2.jpg", "biden.jpg", "biden2.jpg", "alex-lacamoire.png", "kit_harington.jpeg"):
        image = load_image(photos / name)
        result[name.split(".")[0]] = engine.embed(image, [quality.single_face(engine.detect(image))])[0]
    return result


def test_default_engine_fulfils_the_protocol(engine: DlibEngine) -> None:
    assert isinstance(engine, Engine)
    assert engine.model_id.startswith("dlib-resnet-v1")


def test_same_person_is_under_the_threshold(engine: DlibEngine, templates: dict[str, Embedding]) -> None:
    assert compare(templates["obama"], templates["obama2"], engine.threshold).same
    assert compare(templates["biden"], templates["biden2"], engine.threshold).same


@pytest.mark.parametrize(("a", "b"), [("obama", "biden"), ("obama2", "biden2"), ("alex-lacamoire", "kit_harington")])
def test_different_people_are_over_the_threshold(
    engine: DlibEngine, templates: dict[str, Embedding], a: str, b: str
) -> None:
    assert not compare(templates[a], templates[b], engine.threshold).same


def test_a_one_pass_probe_matches_the_same_person_at_the_calibrated_threshold(
    engine: DlibEngine, templates: dict[str, Embedding], photos: Path
) -> None:
    probes = {}
    for name in templates:
        path = next(photos.glob(f"{name}.*"))
        image = load_image(path)
        probes[name] = engine.embed_one_pass(image, [quality.single_face(engine.detect(image))])[0]
    for name, probe in probes.items():  # one descriptor pass at unit length, compared with the flip-TTA templates
        assert probe.model_id == templates[name].model_id
        assert abs(float(np.linalg.norm(probe.vector)) - 1) < 1e-5
        assert 0 < distance(templates[name], probe) < 0.15  # its own photo: near, though not described alike
    for a, b in [("obama", "obama2"), ("biden", "biden2")]:
        assert compare(templates[a], probes[b], engine.threshold).same
        assert compare(templates[b], probes[a], engine.threshold).same
    for a in probes:
        for b in probes:
            if a.rstrip("2") != b.rstrip("2"):
                assert not compare(templates[a], probes[b], engine.threshold).same


def test_every_embedding_names_its_model_and_hides_its_vector(templates: dict[str, Embedding]) -> None:
    embedding = templates["obama"]
    assert embedding.vector.shape == (128,) and embedding.vector.dtype == np.float32
    text = repr(embedding) + str(embedding)
    assert embedding.model_id in text
    assert f"{embedding.vector[0]:.3f}"[:5] not in text


def test_embeddings_of_different_models_are_not_compared(templates: dict[str, Embedding]) -> None:
    other = Embedding(templates["obama"].vector, "another-model")
    with pytest.raises(ModelMismatchError):
        distance(templates["obama"], other)


def test_two_people_photo_gives_two_faces_and_is_refused_for_enrollment(engine: DlibEngine, photos: Path) -> None:
    faces = engine.detect(load_image(photos / "two_people.jpg"))
    assert len(faces) == 2
    with pytest.raises(MultipleFacesError, match="2 faces"):
        quality.single_face(faces)


def test_photo_without_face_is_refused(engine: DlibEngine) -> None:
    blank = np.full((300, 300, 3), 128, np.uint8)
    with pytest.raises(NoFaceError, match="no face"):
        quality.single_face(engine.detect(blank))


def test_face_too_small_is_its_own_outcome() -> None:
    tiny = Face(10, 10, 30, 32, 1.0)
    assert quality.verdict(tiny) == "too_small"
    with pytest.raises(FaceTooSmallError, match="20 px"):
        quality.single_face([tiny])


def test_large_photo_is_searched_downscaled_and_boxes_map_back(engine: DlibEngine, photos: Path) -> None:
    image = load_image(photos / "biden.jpg")  # 970x2204: detected at about 1 megapixel
    (face,) = engine.detect(image)
    assert 0 <= face.left < face.right <= image.shape[1] and 0 <= face.top < face.bottom <= image.shape[0]
    assert face.size > 250  # in the original photo's pixels, not the downscaled copy's


def test_small_photo_is_upsampled_only_when_needed(engine: DlibEngine, photos: Path) -> None:
    image = load_image(photos / "obama_small.jpg")
    small = image[::3, ::3].copy()  # 107x80: the face is about 50 px, under HOG's native 80 px
    assert engine.detect(image)
    assert engine._detect_scaled(small, 1.0, upsample=0) == []
    assert len(engine.detect(small)) == 1


def test_rgba_png_face_is_found(engine: DlibEngine, photos: Path) -> None:
    assert len(engine.detect(load_image(photos / "alex-lacamoire.png"))) == 1


@pytest.mark.slow
def test_cnn_detector_is_available(photos: Path) -> None:
    cnn = DlibEngine(detector="cnn")
    (face,) = cnn.detect(load_image(photos / "obama_small.jpg"))
    assert face.size > 50


@pytest.mark.slow
def test_bulk_embedding_over_two_processes_matches_in_process(
    photos: Path, templates: dict[str, Embedding]
) -> None:
    names = ["obama.jpg", "biden.jpg", "LICENSE"]
    results = list(embed_files([photos / n for n in names], workers=2))
    assert [r.path.name for r in results] == names
    assert np.allclose(results[0].vector, templates["obama"].vector, atol=1e-4)
    assert np.allclose(results[1].vector, templates["biden"].vector, atol=1e-4)
    assert results[2].vector is None and "NotAnImageError" in results[2].error


def test_one_engine_serves_several_threads(engine: DlibEngine, photos: Path) -> None:
    images = [load_image(photos / n) for n in ("obama.jpg", "biden2.jpg", "two_people.jpg", "kit_harington.jpeg")]
    expected = [engine.embed(im, engine.detect(im)) for im in images]

    def run(i: int) -> list[Embedding]:
        image = images[i % len(images)]
        return engine.embed(image, engine.detect(image))

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, range(16)))
    for i, got in enumerate(results):
        want = expected[i % len(images)]
        assert len(got) == len(want)
        assert all(np.allclose(g.vector, w.vector, atol=1e-5) for g, w in zip(got, want, strict=True))


def test_sized_search_finds_a_camera_face_and_ignores_smaller_ones(engine: DlibEngine, photos: Path) -> None:
    small = load_image(photos / "obama_small.jpg")  # 320x240
    photo = np.asarray(Image.fromarray(small).resize((640, 480)))
    (face,) = engine.detect(photo)  # about 210 px
    frame = np.full((720, 1280, 3), 96, np.uint8)
    frame[100:580, 300:940] = photo
    (found,) = engine.detect(frame, min_face_px=150)
    assert abs(found.left - (face.left + 300)) < 40 and abs(found.top - (face.top + 100)) < 40
    assert 0.7 < found.size / face.size < 1.4
    same = np.linalg.norm(engine.embed(frame, [found])[0].vector - engine.embed(photo, [face])[0].vector)
    assert same < 0.1  # landmarks at full resolution align the face as a full search would
    assert engine.detect(frame, min_face_px=face.size * 3) == []  # a face much smaller than expected is not sought


@pytest.mark.slow
def test_a_pool_of_engine_processes_gives_the_same_answers(engine: DlibEngine, photos: Path) -> None:
    from facegate.engine.pool import EnginePool

    image = load_image(photos / "obama.jpg")
    want = engine.embed(image, engine.detect(image))[0]
    pool = EnginePool(2)
    try:
        assert pool.model_id == engine.model_id and pool.threshold == engine.threshold
        with ThreadPoolExecutor(4) as threads:
            got = list(threads.map(lambda _: pool.embed(image, pool.detect(image))[0], range(4)))
        assert all(np.allclose(g.vector, want.vector, atol=1e-5) for g in got)
        assert pool.points(image, engine.detect(image)[0]).shape == (5, 2)
    finally:
        pool.close()
