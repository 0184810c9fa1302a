"""The default engine: dlib's HOG (or CNN) detector, 5-point alignment and 128-d ResNet descriptor."""

import hashlib
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import dlib
import face_recognition_models
import numpy as np
from PIL import Image

from facegate.engine.face import Embedding, Face

CHIP_SIZE = 150
CHIP_PADDING = 0.25
MAX_DETECT_PIXELS = 1_000_000  # larger photos are downscaled for detection, then boxes mapped back
# A frame whose expected faces are larger is searched at the scale that brings them down to this size: dlib's HOG
# window is 80x80 and finds most faces down to about 56 px; the few it loses there are found by a second look at
# 1.5 times the scale (recall 100% on bench/frames.py, 2 ms a frame less than at 64 px).
HOG_MIN_FACE = 56
DEFAULT_THRESHOLD = 0.42  # with flip TTA, calibrated on LFW pairsDevTrain.txt (best 0.4204); see docs/engine.md


@cache
def model_digest(path: str) -> str:
    """A short SHA-256 prefix of a model file, so an embedding names the exact weights that made it."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def default_model_id(flip: bool = True) -> str:
    """The model ID of the default engine's embeddings, without loading the network."""
    digest = model_digest(face_recognition_models.face_recognition_model_location())
    return f"dlib-resnet-v1-{digest}" + ("-flip" if flip else "")


class DlibDescriptor:
    """dlib's own implementation of the ResNet descriptor: the reference, slower than the ONNX runtime."""

    def __init__(self, model_path: Path | None = None) -> None:
        path = str(model_path or face_recognition_models.face_recognition_model_location())
        self.net = dlib.face_recognition_model_v1(path)
        self.model_id = f"dlib-resnet-v1-{model_digest(path)}"

    def compute(self, chips: np.ndarray) -> np.ndarray:
        """Descriptors (N, 128) float32 for aligned RGB uint8 chips (N, 150, 150, 3)."""
        if len(chips) == 0:
            return np.zeros((0, 128), np.float32)
        return np.asarray(self.net.compute_face_descriptor(list(chips)), dtype=np.float32)


class DlibEngine:
    """Detect with HOG (default) or CNN, align on 5 landmarks, describe with dlib's ResNet."""

    threshold = DEFAULT_THRESHOLD

    def __init__(
        self, detector: str = "hog", runtime: str = "onnx", threads: int = 1, flip: bool = True, one_pass: bool = False
    ) -> None:
        if detector not in ("hog", "cnn"):
            raise ValueError(f"unknown detector {detector!r}: use 'hog' or 'cnn'")
        self.detector_name = detector
        if detector == "hog":
            self.hog = dlib.get_frontal_face_detector()
        else:
            self.cnn = dlib.cnn_face_detection_model_v1(face_recognition_models.cnn_face_detector_model_location())
        # dlib documents its detectors as unsafe under concurrent use; the service calls from several threads.
        self._dlib = threading.Lock()
        self.landmarks = dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location())
        if runtime == "onnx":
            from facegate.engine.resnet import ResNetDescriptor

            self.descriptor: ResNetDescriptor | DlibDescriptor = ResNetDescriptor(threads=threads)
        elif runtime == "dlib":
            self.descriptor = DlibDescriptor()
        else:
            raise ValueError(f"unknown runtime {runtime!r}: use 'onnx' or 'dlib'")
        # Flip test-time augmentation: the descriptor of the chip and of its mirror image, summed and normalised.
        # Its embeddings are not comparable with plain ones, so it has its own model ID (and calibration).
        self.flip = flip
        # `one_pass`: `embed` describes faces as `embed_one_pass` does (to measure 1:1 probes in bulk).
        self.one_pass = one_pass
        self.model_id = self.descriptor.model_id + ("-flip" if flip else "")

    def detect(self, image: np.ndarray, min_face_px: int | None = None) -> list[Face]:
        """Faces in an RGB image, highest score first; large photos are searched downscaled.

        With `min_face_px` (the smallest face box the caller expects, e.g. a camera's), the frame is searched
        at the scale that brings such a face down to the smallest size HOG finds, on one grey channel, and once
        more at 1.5 times that scale when nothing is found; smaller faces are not looked for. The landmarks that
        align the face are found at full resolution.
        """
        if min_face_px is not None and self.detector_name == "hog" and min_face_px > HOG_MIN_FACE:
            scale = HOG_MIN_FACE / min_face_px
            faces = self._detect_scaled(image, scale, upsample=0, gray=True)
            if not faces:  # a borderline face the coarse copy lost: look once more at a finer scale
                faces = self._detect_scaled(image, min(1.0, 1.5 * scale), upsample=0, gray=True)
            return sorted(faces, key=lambda f: f.score, reverse=True)
        height, width = image.shape[:2]
        scale = min(1.0, (MAX_DETECT_PIXELS / (height * width)) ** 0.5)
        faces = self._detect_scaled(image, scale, upsample=0)
        if not faces and scale < 1.0:  # only now pay for a finer search, for small faces in a big photo
            faces = self._detect_scaled(image, min(1.0, 2 * scale), upsample=0)
        elif not faces:  # a small photo: let dlib upsample once to find faces under 80 px
            faces = self._detect_scaled(image, 1.0, upsample=1)
        return sorted(faces, key=lambda f: f.score, reverse=True)

    def _detect_scaled(self, image: np.ndarray, scale: float, upsample: int, gray: bool = False) -> list[Face]:
        height, width = image.shape[:2]
        if scale < 1.0 or gray:
            # HOG on one grey channel costs about 3/4 of HOG on three (dlib takes the strongest channel's
            # gradient), and resizing one channel half of resizing three.
            picture = Image.fromarray(image).convert("L") if gray else Image.fromarray(image)
            if scale < 1.0:
                size = (max(1, round(width * scale)), max(1, round(height * scale)))
                picture = picture.resize(size, Image.Resampling.BILINEAR)
            image = np.asarray(picture)
        with self._dlib:
            if self.detector_name == "hog":
                rects, scores, _ = self.hog.run(image, upsample, 0.0)
            else:
                found = self.cnn(image, upsample)
                rects, scores = [d.rect for d in found], [d.confidence for d in found]
        faces = []
        for rect, score in zip(rects, scores, strict=True):
            left, top = max(0, round(rect.left() / scale)), max(0, round(rect.top() / scale))
            right = min(width, round((rect.right() + 1) / scale))
            bottom = min(height, round((rect.bottom() + 1) / scale))
            if right > left and bottom > top:
                faces.append(Face(left, top, right, bottom, float(score)))
        return faces

    def points(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The 5 landmarks of a face (5, 2) in image pixels: eye corners on the image's right, left, nose base."""
        with self._dlib:
            shape = self.landmarks(image, dlib.rectangle(face.left, face.top, face.right - 1, face.bottom - 1))
        return np.array([[shape.part(i).x, shape.part(i).y] for i in range(5)], np.float64)

    def chips(self, image: np.ndarray, faces: list[Face]) -> np.ndarray:
        """Aligned 150x150 RGB chips, one per face, from the 5-point landmarks."""
        if not faces:
            return np.zeros((0, CHIP_SIZE, CHIP_SIZE, 3), np.uint8)
        shapes = dlib.full_object_detections()
        with self._dlib:
            for face in faces:
                box = dlib.rectangle(face.left, face.top, face.right - 1, face.bottom - 1)
                shapes.append(self.landmarks(image, box))
        return np.stack(dlib.get_face_chips(image, shapes, size=CHIP_SIZE, padding=CHIP_PADDING))

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(self, *args)` in the calling thread (a pool runs it in a worker instead)."""
        return fn(self, *args)

    def embed(self, image: np.ndarray, faces: list[Face]) -> list[Embedding]:
        """One 128-d embedding per face, in the order given (with flip TTA: two descriptor passes a face)."""
        return self.embed_chips(self.chips(image, faces), one_pass=self.one_pass)

    def embed_one_pass(self, image: np.ndarray, faces: list[Face]) -> list[Embedding]:
        """One 128-d embedding per face from one descriptor pass, at unit length: a 1:1 verification's probe."""
        return self.embed_chips(self.chips(image, faces), one_pass=True)

    def embed_chips(self, chips: np.ndarray, one_pass: bool = False) -> list[Embedding]:
        """One 128-d embedding per aligned 150x150 chip (from `chips`), in the order given.

        With flip TTA an embedding is the normalised sum of the descriptors of the chip and of its mirror image.
        `one_pass` skips the mirror image, half the descriptor's time: the probe of a 1:1 verification, compared
        with a TTA template at the threshold calibrated for exactly those pairs (docs/engine.md#one-pass-probes).
        """
        if self.flip and not one_pass:
            both = self.descriptor.compute(np.ascontiguousarray(np.concatenate([chips, chips[:, :, ::-1]])))
            vectors = both[: len(chips)] + both[len(chips) :]
        else:
            vectors = self.descriptor.compute(chips)
        if self.flip:
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return [Embedding(v, self.model_id) for v in vectors]
