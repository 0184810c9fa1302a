"""1:N over subjects: each subject's templates fused into one (`calibration.fused`), searched in a FaceIndex.

A subject enrolled with one photo is searched by that template; with several, by their fusion, which finds more
people at the same FPIR than the nearest of the separate templates (bench/identify.py --photos 3). The calibration
counts fused templates apart, so the threshold comes from `photos()`: how many subjects have each number of photos.
A subject's templates beyond `max_photos` (enrolled before the limit existed) are left out of its fusion.
"""

import threading

import numpy as np

from facegate.engine.calibration import fused
from facegate.engine.index import FaceIndex


class SubjectGallery:
    """One deployment's subjects in memory, one fused template each; never written to disk."""

    def __init__(self, model_id: str, max_photos: int) -> None:
        self.index = FaceIndex(model_id)
        self.max_photos = max(1, max_photos)
        self._lock = threading.Lock()
        self._members: dict[str, dict[str, np.ndarray]] = {}  # subject -> template ID -> vector

    def __len__(self) -> int:
        """The number of subjects held (each searched as one template)."""
        return len(self.index)

    def add_many(self, items: list[tuple[str, str, np.ndarray]]) -> None:
        """Hold (subject, template ID, vector) triples; each subject touched is fused again from all it holds."""
        with self._lock:
            touched = []
            for subject_id, template_id, vector in items:
                self._members.setdefault(subject_id, {})[template_id] = np.asarray(vector, np.float32)
                touched.append(subject_id)
            subjects = list(dict.fromkeys(touched))
            if subjects:
                self.index.add_many(subjects, np.stack([self._fused(s) for s in subjects]))

    def add(self, subject_id: str, template_id: str, vector: np.ndarray) -> None:
        """Hold one more template of a subject."""
        self.add_many([(subject_id, template_id, vector)])

    def remove_subject(self, subject_id: str) -> None:
        """Drop a subject and every template of theirs."""
        with self._lock:
            members = self._members.pop(subject_id, {})
            for vector in members.values():
                vector.fill(0)
            self.index.remove(subject_id)

    def search(self, vector: np.ndarray, k: int = 1) -> list[tuple[str, float]]:
        """The `k` nearest subjects as (subject ID, distance to their fused template), nearest first."""
        return self.index.search(vector, k)

    def photos(self) -> dict[int, int]:
        """How many subjects are searched by a template fused from each number of photos."""
        counts: dict[int, int] = {}
        with self._lock:
            for members in self._members.values():
                k = min(len(members), self.max_photos)
                counts[k] = counts.get(k, 0) + 1
        return counts

    def _fused(self, subject_id: str) -> np.ndarray:
        vectors = list(self._members[subject_id].values())[: self.max_photos]
        return vectors[0] if len(vectors) == 1 else fused(np.stack(vectors))
