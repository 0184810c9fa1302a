"""Galleries: the decrypted templates a process keeps in memory, a subject's for 1:1 and a deployment's index for
1:N, kept fresh after this process's own changes and rebuilt when another process changed the store."""

import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session

from facegate.context import Context
from facegate.engine.gallery import Source, SubjectGallery
from facegate.gate.admission import Loaded, bounded
from facegate.vault.vault import StoredTemplate


@dataclass
class Gallery:
    """One deployment's decrypted templates in memory, one fused template per subject."""

    generation: int
    index: SubjectGallery


class Galleries:
    """The template cache (by deployment and subject, with the subject's revision) and each deployment's index."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.templates: dict[tuple[str, str], tuple[int, list[StoredTemplate]]] = {}
        self._indexes: dict[str, Gallery] = {}
        self._lock = threading.Lock()

    def cached(self, deployment_id: str, subject_id: str) -> tuple[int, list[StoredTemplate]] | None:
        """The subject's templates kept in memory, with the subject's revision when they were read."""
        return self.templates.get((deployment_id, subject_id))

    def keep(self, deployment_id: str, subject_id: str, revision: int, templates: list[StoredTemplate]) -> None:
        """Keep the subject's templates as read at the subject's `revision`."""
        bounded(self.templates)[(deployment_id, subject_id)] = (revision, templates)

    def drop(self, deployment_id: str, subject_id: str) -> None:
        """Drop the subject's templates kept in memory (not those in a deployment's index)."""
        self.templates.pop((deployment_id, subject_id), None)

    def gallery(self, session: Session, loaded: Loaded, model_id: str, now: datetime, max_photos: int) -> Gallery:
        """The deployment's in-memory gallery (one fused template per subject, of at most `max_photos`), rebuilt
        from the sealed templates when another process changed it."""
        with self._lock:
            gallery = self._indexes.get(loaded.row.id)
            if gallery is not None and gallery.generation == loaded.row.gallery_generation:
                return gallery
            source = self._source(loaded.row.id, model_id)
            gallery = Gallery(loaded.row.gallery_generation, SubjectGallery(model_id, max_photos, source))
            for batch in self.context.vault.stream_templates(session, loaded.row.id, now=now):
                gallery.index.add_many([(t.subject_id, t.id, t.vector) for t in batch if t.model_id == model_id])
            self._indexes[loaded.row.id] = gallery
            return gallery

    def add(
        self, deployment_id: str, generation: int, subject_id: str, templates: list[tuple[str, np.ndarray]]
    ) -> None:
        """Keep this process's gallery fresh after its own enrollment (a gap in generations means rebuild)."""
        with self._lock:
            gallery = self._indexes.get(deployment_id)
            if gallery is None or gallery.generation != generation - 1:
                self._indexes.pop(deployment_id, None)
                return
            gallery.index.add_many([(subject_id, template_id, vector) for template_id, vector in templates])
            gallery.generation = generation

    def forget(self, deployment_id: str, subject_id: str, generation: int | None = None) -> None:
        """Drop a deleted subject's vectors from memory now; `generation`: the deployment's gallery generation that
        the deletion moved to (the gallery follows it without a rebuild when it was one behind)."""
        self.drop(deployment_id, subject_id)
        with self._lock:
            gallery = self._indexes.get(deployment_id)
            if gallery is None:
                return
            gallery.index.remove_subject(subject_id)
            follows = generation is not None and gallery.generation == generation - 1
            gallery.generation = generation if follows and generation is not None else -1  # -1: rebuild on next use

    def _source(self, deployment_id: str, model_id: str) -> Source:
        """Read subjects' sealed templates from the vault now: what a compressed gallery re-ranks on."""

        def read(subject_ids: list[str]) -> dict[str, dict[str, np.ndarray]]:
            now, vault, found = self.context.clock(), self.context.vault, {}
            with self.context.db.session(readonly=True) as session:
                for subject_id in subject_ids:
                    stored = vault.templates(session, deployment_id, subject_id, now=now)
                    found[subject_id] = {t.id: t.vector for t in stored if t.model_id == model_id}
            return found

        return read
