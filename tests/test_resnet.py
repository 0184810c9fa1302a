"""ResNetDescriptor against dlib's own face descriptor on the sample photos."""

from pathlib import Path

import dlib
import face_recognition_models
import numpy as np
import pytest
from PIL import Image

from facegate.engine.resnet import ResNetDescriptor
from facegate.errors import InputError

NAMES = ["obama.jpg", "obama2.jpg", "biden.jpg", "alex-lacamoire.png", "kit_harington.jpeg"]


@pytest.fixture(scope="module")
def chips(photos: Path) -> np.ndarray:
    """One aligned 150x150 chip per photo, made the way dlib's face recognition expects."""
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location())
    out = []
    for name in NAMES:
        image = np.asarray(Image.open(photos / name).convert("RGB"))
        face = max(detector(image, 1), key=lambda rect: rect.area())
        out.append(dlib.get_face_chip(image, predictor(image, face), size=150, padding=0.25))
    return np.stack(out)


@pytest.fixture(scope="module")
def reference(chips: np.ndarray) -> np.ndarray:
    """dlib's descriptors for the chips."""
    model = dlib.face_recognition_model_v1(face_recognition_models.face_recognition_model_location())
    return np.array([np.array(model.compute_face_descriptor(chip)) for chip in chips])


@pytest.fixture(scope="module")
def net() -> ResNetDescriptor:
    """The onnxruntime network built from the packaged weights."""
    return ResNetDescriptor()


def test_batch_matches_dlib(net: ResNetDescriptor, chips: np.ndarray, reference: np.ndarray) -> None:
    out = net.compute(chips)
    assert out.shape == (len(NAMES), 128)
    assert out.dtype == np.float32
    assert np.abs(out - reference).max() < 1e-4


def test_single_chip_matches_dlib(net: ResNetDescriptor, chips: np.ndarray, reference: np.ndarray) -> None:
    for chip, expected in zip(chips, reference, strict=True):
        assert np.abs(net.compute(chip[None])[0] - expected).max() < 1e-4


def test_two_threads_match_one(chips: np.ndarray, net: ResNetDescriptor) -> None:
    assert np.abs(ResNetDescriptor(threads=2).compute(chips) - net.compute(chips)).max() < 1e-5


def test_same_person_is_close_and_others_far(net: ResNetDescriptor, chips: np.ndarray) -> None:
    obama, obama2, biden = net.compute(chips[:3])
    assert np.linalg.norm(obama - obama2) < 0.6
    assert np.linalg.norm(obama - biden) > 0.6


def test_model_id_names_the_weights(net: ResNetDescriptor) -> None:
    assert net.model_id.startswith("dlib-resnet-v1-")
    assert len(net.model_id) > len("dlib-resnet-v1-")


def test_empty_batch(net: ResNetDescriptor) -> None:
    assert net.compute(np.zeros((0, 150, 150, 3), np.uint8)).shape == (0, 128)


@pytest.mark.parametrize(
    "bad", [np.zeros((150, 150, 3), np.uint8), np.zeros((1, 150, 150, 3), np.float32), np.zeros((1, 75, 75, 3))]
)
def test_wrong_chip_shape_or_type_is_refused(net: ResNetDescriptor, bad: np.ndarray) -> None:
    with pytest.raises(InputError, match="uint8 RGB"):
        net.compute(bad)


def test_non_dlib_file_is_refused(photos: Path, tmp_path: Path) -> None:
    fake = tmp_path / "model.dat"
    fake.write_bytes((photos / "obama.jpg").read_bytes())
    with pytest.raises(InputError, match="not dlib's face recognition ResNet model file"):
        ResNetDescriptor(fake)


def test_other_dlib_model_is_refused() -> None:
    shape_model = Path(face_recognition_models.pose_predictor_five_point_model_location())
    with pytest.raises(InputError, match="not dlib's face recognition ResNet model file"):
        ResNetDescriptor(shape_model)


def test_truncated_model_is_refused(tmp_path: Path) -> None:
    data = Path(face_recognition_models.face_recognition_model_location()).read_bytes()
    cut = tmp_path / "cut.dat"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="unexpected end of file"):
        ResNetDescriptor(cut)


def test_missing_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        ResNetDescriptor(tmp_path / "absent.dat")
