"""1:N over subjects: each subject's templates fused into one (`calibration.fused`) and searched.

A subject enrolled with one photo is searched by that template; with several, by their fusion, which finds more
people at the same FPIR than the nearest of the separate templates (bench/identify.py --photos 3). The calibration
counts fused templates apart: a search gives each subject's distance on the one-photo scale
(`Calibration.one_photo_scale`, the one-photo distance with the same FMR), so one threshold t(N) gives every subject
the same FMR, and subjects are ranked on it. `photos()` says how many subjects have each number of photos. A
subject's templates beyond `max_photos` (enrolled before the limit existed) are left out of its fusion.

Up to `EXACT_UP_TO` subjects the fused templates are held as float32 and searched by exact brute force (FaceIndex).
Past it, when the gallery has a `source` of the stored templates (the vault), it turns into the compressed index
(engine/approximate.py): 8-bit codes in memory, the few candidates of each search re-ranked on exact fused
templates read from the source, so no float template is held at all. It stays compressed until it is rebuilt.
"""

import threading
from collections.abc import Callable

import numpy as np

from facegate.engine.approximate import ApproximateIndex
from facegate.engine.calibration import Calibration, fused, shipped
from facegate.engine.index import FaceIndex

EXACT_UP_TO = 100_000  # subjects searched by exact brute force; beyond, the compressed index
_TRAINING = 200_000  # fused templates the compressed index's lists are trained on, at most
_MORE = 4  # candidates searched beyond k when some subject is fused: the one-photo scale may reorder them

# Each subject's stored templates by template ID, in the store's order; a subject with none is left out.
Source = Callable[[list[str]], dict[str, dict[str, np.ndarray]]]


class SubjectGallery:
    """One deployment's subjects in memory, one fused template each; never written to disk."""

    def __init__(
        self,
        model_id: str,
        max_photos: int,
        source: Source | None = None,
        exact_up_to: int | None = None,
        points: Calibration | None = None,
    ) -> None:
        self.model_id = model_id
        self.points = points or shipped(model_id)  # the one-photo scale; None: distances as they are
        self.index = FaceIndex(model_id)
        self.max_photos = max(1, max_photos)
        self.exact_up_to = EXACT_UP_TO if exact_up_to is None else exact_up_to
        self._source = source
        self._lock = threading.Lock()
        self._members: dict[str, dict[str, np.ndarray]] = {}  # subject -> template ID -> vector (exact mode only)
        self._compressed: ApproximateIndex | None = None
        self._any_fused = False  # some subject held more than one photo (stays set after an erasure: no harm)

    def __len__(self) -> int:
        """The number of subjects held (each searched as one template)."""
        return len(self._compressed) if self._compressed is not None else len(self.index)

    @property
    def compressed(self) -> bool:
        """Whether the gallery is searched through the compressed index."""
        return self._compressed is not None

    def add_many(self, items: list[tuple[str, str, np.ndarray]]) -> None:
        """Hold (subject, template ID, vector) triples; each subject touched is fused again from all it holds."""
        grouped: dict[str, dict[str, np.ndarray]] = {}
        for subject_id, template_id, vector in items:
            grouped.setdefault(subject_id, {})[template_id] = np.array(vector, np.float32)  # ours to zero later
        with self._lock:
            crossing = self._compressed is None and len(set(self._members) | set(grouped)) > self.exact_up_to
            if crossing and self._source is not None:
                self._compress(grouped)
                return
            if self._compressed is not None:
                self._add_compressed(grouped)
                return
            for subject_id, templates in grouped.items():
                self._members.setdefault(subject_id, {}).update(templates)
                self._any_fused |= len(self._members[subject_id]) > 1
            if grouped:
                self.index.add_many(list(grouped), np.stack([self._fused(self._members[s]) for s in grouped]))

    def add(self, subject_id: str, template_id: str, vector: np.ndarray) -> None:
        """Hold one more template of a subject."""
        self.add_many([(subject_id, template_id, vector)])

    def remove_subject(self, subject_id: str) -> None:
        """Drop a subject and every template of theirs."""
        with self._lock:
            if self._compressed is not None:
                self._compressed.remove(subject_id)
                return
            members = self._members.pop(subject_id, {})
            for vector in members.values():
                vector.fill(0)
            self.index.remove(subject_id)

    def search(self, vector: np.ndarray, k: int = 1) -> list[tuple[str, float]]:
        """The `k` nearest subjects as (subject ID, exact distance to their fused template on the one-photo scale),
        nearest first on that scale."""
        if self.points is None or not self._any_fused:
            return [(subject, distance) for subject, distance, _ in self._search(vector, k)]
        wanted = k + _MORE
        while True:
            found = self._search(vector, wanted)
            scale = self.points.one_photo_scale
            scaled = sorted((float(scale(np.array(d), max(photos, 1))), subject) for subject, d, photos in found)
            # The scale never brings a subject nearer: one not found is at least as far as the last one found.
            if len(found) < wanted or (len(scaled) >= k and scaled[k - 1][0] <= found[-1][1]):
                return [(subject, distance) for distance, subject in scaled[:k]]
            wanted *= 4

    def _search(self, vector: np.ndarray, k: int) -> list[tuple[str, float, int]]:
        """The `k` nearest subjects on raw distances, each with the number of photos fused into its template."""
        compressed = self._compressed
        if compressed is not None:
            return compressed.search_tagged(vector, k, self._exact)
        found = self.index.search(vector, k)
        with self._lock:
            return [(s, d, min(len(self._members.get(s, ())), self.max_photos) or 1) for s, d in found]

    def photos(self) -> dict[int, int]:
        """How many subjects are searched by a template fused from each number of photos."""
        with self._lock:
            if self._compressed is not None:
                return self._compressed.tag_counts()
            counts: dict[int, int] = {}
            for members in self._members.values():
                k = min(len(members), self.max_photos)
                counts[k] = counts.get(k, 0) + 1
            return counts

    def _fused(self, templates: dict[str, np.ndarray]) -> np.ndarray:
        vectors = list(templates.values())[: self.max_photos]
        return vectors[0] if len(vectors) == 1 else fused(np.stack(vectors))

    def _exact(self, subjects: list[str]) -> dict[str, np.ndarray]:
        assert self._source is not None  # only a gallery with a source is compressed
        return {s: self._fused(templates) for s, templates in self._source(subjects).items() if templates}

    def _compress(self, grouped: dict[str, dict[str, np.ndarray]]) -> None:
        """Move every subject held and those of `grouped` into a compressed index trained on them."""
        for subject_id, templates in grouped.items():
            self._members.setdefault(subject_id, {}).update(templates)
        subjects = list(self._members)
        vectors = np.stack([self._fused(self._members[s]) for s in subjects])
        tags = np.array([min(len(self._members[s]), self.max_photos) for s in subjects], np.uint8)
        self._any_fused |= bool((tags > 1).any())
        sample = np.random.default_rng(0).permutation(len(vectors))[:_TRAINING]
        compressed = ApproximateIndex(self.model_id, vectors[np.sort(sample)])
        compressed.add_many(subjects, vectors, tags)
        vectors.fill(0)
        for templates in self._members.values():
            for vector in templates.values():
                vector.fill(0)
        self._members.clear()
        for subject_id in subjects:
            self.index.remove(subject_id)
        self._compressed = compressed

    def _add_compressed(self, grouped: dict[str, dict[str, np.ndarray]]) -> None:
        assert self._compressed is not None and self._source is not None
        held = [s for s, kept in zip(grouped, self._compressed.holds(list(grouped)), strict=True) if kept]
        stored = self._source(held) if held else {}
        for subject_id in held:  # the store holds the new templates too when they were committed first
            grouped[subject_id] = {**stored.get(subject_id, {}), **grouped[subject_id]}
        subjects = list(grouped)
        if not subjects:
            return
        vectors = np.stack([self._fused(grouped[s]) for s in subjects])
        tags = np.array([min(len(grouped[s]), self.max_photos) for s in subjects], np.uint8)
        self._any_fused |= bool((tags > 1).any())
        self._compressed.add_many(subjects, vectors, tags)
        vectors.fill(0)
