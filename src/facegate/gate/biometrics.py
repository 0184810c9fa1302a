"""Biometric operations through the gate: enroll, verify, identify. The checks come first, then the engine (through
the engine host), then the decision is recorded with its effect."""

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facegate import oversight
from facegate.context import Context
from facegate.errors import InputError, NotFoundError, RefusedError
from facegate.events import Op
from facegate.gate.admission import Admission, Loaded, Unchanged
from facegate.gate.checks import refusal
from facegate.gate.decisions import Caller, Decision, Recorder
from facegate.gate.engines import MAX_PHOTOS, Embedder, EngineHost, FaceFinder, FoundFace
from facegate.gate.galleries import Galleries
from facegate.gate.liveness import Liveness
from facegate.vault.models import TemplateRow
from facegate.vault.vault import StoredTemplate

REVIEW_CANDIDATES = 5  # at most this many subjects on a reviewer's candidate list (PIPL-24)
REVIEW_FPIR_FACTOR = 10  # a reviewer's list is drawn at ten times the target FPIR: a person, not the gate, decides
DEFAULT_RETENTION_DAYS = 365
RAW_IMAGE_DAYS = 30
BIPA_YEARS = 3
# a face too small to search: listed with its box, no decision about anyone, no audit entry
TOO_SMALL: dict[str, Any] = {
    "outcome": "face_too_small",
    "subject": None,
    "rule_ids": [],
    "event_id": None,
    "match": None,
}
FACE_FIELDS = ("outcome", "subject", "rule_ids", "event_id", "match", "candidates")  # each face's own decision


class Biometrics:
    """Enrollment, 1:1 verification and 1:N identification, each checked before and after the engine runs."""

    def __init__(
        self,
        context: Context,
        recorder: Recorder,
        admission: Admission,
        galleries: Galleries,
        engines: EngineHost,
        liveness: Liveness,
    ) -> None:
        self.context, self.recorder, self.admission = context, recorder, admission
        self.galleries, self.engines, self.liveness = galleries, engines, liveness
        self.db, self.vault = context.db, context.vault

    def _check_photos(self, session: Session, loaded: Loaded, subject_id: str, new: int) -> None:
        """Refuse an enrollment that would give the subject more than MAX_PHOTOS templates in the deployment."""
        count = select(func.count()).select_from(TemplateRow)
        held = session.scalar(count.filter_by(deployment_id=loaded.row.id, subject_id=subject_id)) or 0
        if held + new > MAX_PHOTOS:
            message = f"subject {subject_id} holds {held} of at most {MAX_PHOTOS} photos in {loaded.row.id}: the "
            message += "calibration vouches for no more. Withdraw consent (deleting the templates) and enroll again"
            raise refusal(loaded.spec, message, ["ACC-1"])

    def _check_gallery_limit(self, session: Session, loaded: Loaded, subject_id: str) -> None:
        """Refuse an enrollment that would grow a 1:N gallery past the size at which its targets still hold; the
        gallery counts subjects (one fused template each), so more photos of an enrolled subject do not grow it."""
        if loaded.spec.modality != "identification":
            return
        wanted = loaded.spec.accuracy
        limit = self.engines.calibration_for(loaded).max_gallery(wanted.target_fpir, wanted.fnir_tolerance)
        here = select(TemplateRow.subject_id).filter_by(deployment_id=loaded.row.id)
        if session.scalar(select(here.filter_by(subject_id=subject_id).exists())):
            return
        subjects = select(func.count(func.distinct(TemplateRow.subject_id))).filter_by(deployment_id=loaded.row.id)
        held = session.scalar(subjects) or 0
        if held + 1 > limit:
            raise refusal(
                loaded.spec,
                f"the gallery of {loaded.row.id} holds {held:,} subjects, its limit: beyond {limit:,} a target "
                f"FPIR of {wanted.target_fpir:.2%} leaves more than {wanted.fnir_tolerance:.0%} of enrolled people "
                "unfound. Enroll this person in another deployment, offer them the non-biometric alternative, use 1:1 "
                "verification, or raise accuracy.fnir_tolerance with a new impact assessment",
                ["ACC-1", "PIPL-8", "CN25-3"],
            )

    def _expiry(self, loaded: Loaded, created: datetime, now: datetime) -> datetime:
        days = loaded.spec.storage.retention_days
        expires = created + timedelta(days=DEFAULT_RETENTION_DAYS if days is None else days)
        if "bipa" in loaded.profiles:  # the earlier of purpose end and 3 years after the last interaction
            expires = min(expires, now + timedelta(days=365 * BIPA_YEARS))
        return expires

    def enroll(
        self,
        deployment_id: str,
        subject_id: str,
        image: bytes | Sequence[bytes],
        purpose: str | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """Enroll the one face of each photo (1 to MAX_PHOTOS per subject) as the subject's templates, all passing
        the quality checks or none enrolled; the photos themselves are not kept."""
        caller = caller or Caller()
        photos = [image] if isinstance(image, bytes) else list(image)
        if not 1 <= len(photos) <= MAX_PHOTOS:
            raise InputError(f"enroll takes 1 to {MAX_PHOTOS} photos of the subject, got {len(photos)}")
        self._precheck(deployment_id, Op.ENROLL, purpose, subject_id, caller, len(photos))
        vectors, model_id = self.engines.embed_each(photos)
        return self._store_enrollment(deployment_id, subject_id, vectors, model_id, lambda: photos, purpose, caller)

    def onboard(
        self,
        deployment_id: str,
        subject_id: str,
        photos: Sequence[bytes],
        standing: Callable[[Session], None],
        purpose: str | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """Enroll a subject whose standing (subject, notice, consent) `standing` records in the enrollment's own
        transaction: a bulk import's subject is fully onboarded, or not at all."""
        caller = caller or Caller()
        if not 1 <= len(photos) <= MAX_PHOTOS:
            raise InputError(f"enroll takes 1 to {MAX_PHOTOS} photos of the subject, got {len(photos)}")
        self._precheck(deployment_id, Op.ENROLL, purpose, None, caller)
        vectors, model_id = self.engines.embed_each(photos)
        store = self._store_enrollment
        return store(deployment_id, subject_id, vectors, model_id, lambda: list(photos), purpose, caller, standing)

    def _precheck(
        self,
        deployment_id: str,
        operation: Op,
        purpose: str | None,
        subject_id: str | None,
        caller: Caller,
        photos: int = 1,
    ) -> Loaded:
        """The checks before the engine runs: a refusal is audited and raised, nothing else happens."""
        fields: dict[str, Any] = {"deployment": deployment_id, "subject": subject_id}
        with self.recorder.guarded(caller, operation, **fields), self.db.session(readonly=True) as session:
            loaded, _ = self.admission.checked(session, deployment_id, operation, purpose, subject_id)
            if operation == Op.ENROLL and subject_id is not None:
                self._check_filing(session, loaded)
                self._check_gallery_limit(session, loaded, subject_id)
                self._check_photos(session, loaded, subject_id, photos)
            elif operation == Op.IDENTIFY:
                self.engines.calibration_for(loaded)
        return loaded

    def _check_filing(self, session: Session, loaded: Loaded) -> None:
        """Refuse a new enrollment while the handler's filing is overdue (FG-5 serving CN25-15c, §8 Q7)."""
        block = oversight.enrollment_block(
            session, loaded.spec.handler.name, self.context.clock(), self.context.settings
        )
        if block is not None:
            raise refusal(loaded.spec, str(block.args[0]), block.rule_ids)

    def _store_enrollment(
        self,
        deployment_id: str,
        subject_id: str,
        vectors: list[np.ndarray],
        model_id: str,
        images: Callable[[], list[bytes]],
        purpose: str | None,
        caller: Caller,
        standing: Callable[[Session], None] | None = None,
    ) -> Decision:
        """Check again, then seal the templates and audit the enrollment in one transaction (which records the
        subject's `standing` first, for a bulk import)."""
        fields: dict[str, Any] = {"deployment": deployment_id, "subject": subject_id}
        now = self.context.clock()
        with self.recorder.guarded(caller, Op.ENROLL, **fields), self.db.session() as session:
            if standing is not None:
                standing(session)
                session.flush()
            loaded, _ = self.admission.checked(session, deployment_id, Op.ENROLL, purpose, subject_id, lock=True)
            self._check_filing(session, loaded)
            self._check_gallery_limit(session, loaded, subject_id)
            self._check_photos(session, loaded, subject_id, len(vectors))
            enrolled = self.vault.templates(session, deployment_id, subject_id, now)
            self.engines.check_one_person(vectors, model_id, enrolled)  # one person's photos, or nothing is stored
            expires = self._expiry(loaded, now, now)
            template_ids = [
                self.vault.save_template(session, deployment_id, subject_id, model_id, vector, now, expires)
                for vector in vectors
            ]
            oversight.record_stored(
                session,
                self.vault.keystore,
                loaded.spec.handler.name,
                subject_id,
                now,
                loaded.profiles,
                self.context.settings,
            )
            kept = self._keep_raw_image(session, loaded, subject_id, images, now)
            generation = self.vault.bump_gallery(session, deployment_id)
            if "bipa" in loaded.profiles:
                self._touch_bipa(session, loaded, subject_id, now)
            decision = self.recorder.record(
                session,
                caller,
                Op.ENROLL,
                "enrolled",
                purpose=loaded.spec.purpose.category,
                **fields,
                details={"template_id": template_ids[0], "template_ids": template_ids, "raw_image_kept": kept},
            )
        self.galleries.add(deployment_id, generation, subject_id, list(zip(template_ids, vectors, strict=True)))
        return decision

    def _keep_raw_image(
        self, session: Session, loaded: Loaded, subject_id: str, images: Callable[[], list[bytes]], now: datetime
    ) -> bool:
        storage = loaded.spec.storage
        if storage.raw_images != "retain_with_consent":
            return False
        if self.vault.standing(session, loaded.row.id, subject_id).current("raw_image_retention") is None:
            return False
        days = storage.raw_image_retention_days if storage.raw_image_retention_days is not None else RAW_IMAGE_DAYS
        for image in images():
            self.vault.save_raw_image(session, loaded.row.id, subject_id, image, now, now + timedelta(days=days))
        return True

    def verify(
        self,
        deployment_id: str,
        subject_id: str,
        image: bytes,
        purpose: str | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """1:1: is the face in `image` the enrolled subject? Only match or no_match comes back, never a distance."""
        caller = caller or Caller()
        return self.verify_by(deployment_id, subject_id, self._photo(image, caller, subject_id), purpose, caller)

    def verify_live(
        self,
        deployment_id: str,
        subject_id: str,
        nonce: str,
        frames: Sequence[tuple[float, bytes]],
        device: str,
        purpose: str | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """1:1 on camera frames that answer the liveness challenge `nonce`; the match runs on a frontal frame."""
        caller = caller or Caller()
        embed = self.liveness.embedder(nonce, frames, device, caller, Op.VERIFY, subject_id)
        return self.verify_by(deployment_id, subject_id, embed, purpose, caller)

    def _photo(self, image: bytes, caller: Caller, subject_id: str | None = None) -> Embedder:
        """The embedder of one photo, refused where the deployment requires the liveness challenge."""

        def embed(loaded: Loaded) -> tuple[np.ndarray, str]:
            self._refuse_single_photo(loaded, caller, subject_id)
            camera = loaded.spec.camera
            # 1:1 compares the probe with the subject's own templates: one descriptor pass is as accurate at the
            # threshold; 1:N keeps flip TTA, which misses fewer members (docs/engine.md#one-pass-probes)
            one_pass = subject_id is not None
            min_face_px = camera.min_face_px if camera is not None else None
            return self.engines.embed(image, enrollment=False, min_face_px=min_face_px, one_pass=one_pass)

        return embed

    def _refuse_single_photo(self, loaded: Loaded, caller: Caller, subject_id: str | None) -> None:
        """Refuse (audited) a single photo where the deployment requires the liveness challenge (CN25-10b)."""
        camera = loaded.spec.camera
        if camera is not None and camera.liveness_required:
            operation = Op.VERIFY if subject_id else Op.IDENTIFY
            fields: dict[str, Any] = {"deployment": loaded.row.id, "subject": subject_id}
            with self.recorder.guarded(caller, operation, **fields):
                message = "this deployment requires the liveness challenge: capture at the kiosk (camera.liveness)"
                raise refusal(loaded.spec, message, ["CN25-10b"])

    def verify_by(
        self, deployment_id: str, subject_id: str, embed: Embedder, purpose: str | None, caller: Caller
    ) -> Decision:
        """1:1 on the face an embedder gives, once the deployment and subject are checked (photo, frames, camera)."""
        fields: dict[str, Any] = {"deployment": deployment_id, "subject": subject_id}
        with self.recorder.guarded(caller, Op.VERIFY, **fields):
            loaded, subject, templates = self._admit(deployment_id, subject_id, purpose)
        vector, model_id = embed(loaded)
        now = self.context.clock()
        templates = [t for t in templates if t.model_id == model_id and t.expires_at > now]
        if not templates:
            raise NotFoundError(f"subject {subject_id} has no template for deployment {deployment_id}; enroll first")
        nearest = self.engines.nearest(vector, model_id, templates)
        outcome = "match" if nearest < self.engines.engine.threshold else "no_match"
        details = {"match": outcome == "match"}
        with self.recorder.guarded(caller, Op.VERIFY, **fields):
            # Check again: consent may have been withdrawn (and the template shredded) while the engine ran.
            # When nothing moved, the audit event is the whole transaction, shared with concurrent ones.
            if "bipa" not in loaded.profiles:
                decided = self.recorder.record_checked(
                    Unchanged(self.admission, loaded, subject, now),
                    caller,
                    Op.VERIFY,
                    outcome,
                    purpose=loaded.spec.purpose.category,
                    **fields,
                    details=details,
                )
                if decided is not None:
                    return decided
            with self.db.session() as session:
                if not self.admission.unchanged(session, loaded, subject, now):
                    self.galleries.drop(deployment_id, subject_id)  # perhaps deleted: no stale copy in memory
                    loaded, _ = self.admission.checked(session, deployment_id, Op.VERIFY, purpose, subject_id)
                if "bipa" in loaded.profiles:
                    self._touch_bipa(session, loaded, subject_id, now)
                category = loaded.spec.purpose.category
                return self.recorder.record(
                    session, caller, Op.VERIFY, outcome, purpose=category, **fields, details=details
                )

    def _admit(
        self, deployment_id: str, subject_id: str, purpose: str | None
    ) -> tuple[Loaded, Any, list[StoredTemplate]]:
        """The checks before a verification, and the subject's templates: one query when nothing has changed (none on
        PostgreSQL while no change to either row has been notified: facegate.store.watch)."""
        now = self.context.clock()

        def read() -> tuple[int | None, int | None]:
            with self.db.quick() as db:
                return self.vault.revisions(db, deployment_id, subject_id)

        revisions = self.db.remembered((f"vault_deployment:{deployment_id}", f"vault_subject:{subject_id}"), read)
        passed = self.admission.passed.get(
            (deployment_id, revisions[0], subject_id, revisions[1], now.date())
        )  # pass_key
        cached = self.galleries.cached(deployment_id, subject_id)
        if passed and cached and cached[0] == revisions[1] and all(t.expires_at > now for t in cached[1]):
            self.admission.check_deployment(passed[0], Op.VERIFY, purpose)
            return *passed, cached[1]
        if cached and cached[0] != revisions[1]:  # changed elsewhere, perhaps deleted: keep no stale copy in memory
            self.galleries.drop(deployment_id, subject_id)
        with self.db.session(readonly=True) as session:
            loaded, subject = self.admission.checked(session, deployment_id, Op.VERIFY, purpose, subject_id)
            templates = self.vault.templates(session, deployment_id, subject_id, now)
        self.galleries.keep(deployment_id, subject_id, subject.revision, templates)
        return loaded, subject, templates

    def _touch_bipa(self, session: Session, loaded: Loaded, subject_id: str, now: datetime) -> None:
        """BIPA: a new interaction moves the destruction date to 3 years from now (within the retention)."""
        self.vault.subject(session, subject_id).last_interaction_at = now
        for row in session.scalars(select(TemplateRow).filter_by(deployment_id=loaded.row.id, subject_id=subject_id)):
            row.expires_at = self._expiry(loaded, row.created_at, now)

    def identify(
        self,
        deployment_id: str,
        image: bytes,
        purpose: str | None = None,
        caller: Caller | None = None,
        faces: Literal["all", "largest"] = "all",
    ) -> Decision:
        """1:N: which enrolled subject of the deployment is each face in `image`, if any (`faces="largest"`: the
        largest face only). Each face is decided on its own, with its own audit entry; the Decision is the largest
        face's, with its `box` and every face (largest first, a face too small to search included) in `faces`.

        The decision is taken at the threshold t(N) set for the gallery's size N from the model's calibration, so
        that a stranger is named as someone with at most the deployment's target FPIR (ACC-1). With
        `human_review`, a reviewer gets a candidate list (subject IDs only) instead of a decision (PIPL-24).
        """
        caller = caller or Caller()

        def find(loaded: Loaded) -> tuple[list[FoundFace], str]:
            self._refuse_single_photo(loaded, caller, None)
            camera = loaded.spec.camera
            return self.engines.embed_faces(image, camera.min_face_px if camera else None, faces == "largest")

        return self._identify_faces(deployment_id, find, purpose, caller, boxes=True)

    def identify_live(
        self,
        deployment_id: str,
        nonce: str,
        frames: Sequence[tuple[float, bytes]],
        device: str,
        purpose: str | None = None,
        caller: Caller | None = None,
    ) -> Decision:
        """1:N on camera frames that answer the liveness challenge `nonce`; the search runs on a frontal frame."""
        caller = caller or Caller()
        return self.identify_by(
            deployment_id, self.liveness.embedder(nonce, frames, device, caller, Op.IDENTIFY), purpose, caller
        )

    def identify_by(self, deployment_id: str, embed: Embedder, purpose: str | None, caller: Caller) -> Decision:
        """1:N on the one face an embedder gives (a liveness capture, a door camera's best look)."""

        def one(loaded: Loaded) -> tuple[list[FoundFace], str]:
            vector, model_id = embed(loaded)
            return [FoundFace(None, vector)], model_id

        return self._identify_faces(deployment_id, one, purpose, caller, boxes=False)

    def _identify_faces(
        self, deployment_id: str, find: FaceFinder, purpose: str | None, caller: Caller, boxes: bool
    ) -> Decision:
        loaded = self._precheck(deployment_id, Op.IDENTIFY, purpose, None, caller)
        found, model_id = find(loaded)  # the largest face first, always large enough to search
        now = self.context.clock()
        with self.recorder.guarded(caller, Op.IDENTIFY, deployment=deployment_id), self.db.session() as session:
            loaded, _ = self.admission.checked(session, deployment_id, Op.IDENTIFY, purpose, None)
            points = self.engines.calibration_for(loaded)
            gallery = self.galleries.gallery(session, loaded, model_id, now, points.fused_photos())
            size, target = len(gallery.index), loaded.spec.accuracy.target_fpir
            wanted = min(1.0, target * REVIEW_FPIR_FACTOR) if loaded.spec.human_review else target
            threshold = points.threshold_for_gallery(gallery.index.photos(), wanted)
            if threshold is None:
                raise refusal(
                    loaded.spec,
                    f"no threshold of model {model_id} keeps a search over {size:,} subjects within the target FPIR "
                    f"of {target:.2%}: shrink the gallery or use 1:1 verification",
                    ["ACC-1", "PIPL-8"],
                )
            operating = {"gallery_size": size, "target_fpir": target, "threshold": threshold}
            decide = partial(self._decide_face, session, caller, loaded, gallery.index, operating, now)
            decisions = [decide(face.vector) if face.vector is not None else None for face in found]
        first = decisions[0]
        assert first is not None  # embed_faces raises when the largest face is too small
        if not boxes:
            return first
        answers = [_face_answer(face, decision) for face, decision in zip(found, decisions, strict=True)]
        return replace(first, details={**first.details, "box": answers[0]["box"], "faces": answers})

    def _decide_face(
        self,
        session: Session,
        caller: Caller,
        loaded: Loaded,
        index: Any,
        operating: dict[str, Any],
        now: datetime,
        vector: np.ndarray,
    ) -> Decision:
        """Search one face at the gallery's threshold and record its decision in `session`."""
        deployment_id, threshold = loaded.row.id, operating["threshold"]
        ppm, milli = round(operating["target_fpir"] * 1_000_000), round(threshold * 1000)
        audit_point = {"gallery_size": operating["gallery_size"], "target_fpir_ppm": ppm, "threshold_milli": milli}
        review = loaded.spec.human_review
        found = index.search(vector, k=REVIEW_CANDIDATES if review else 1)
        ranked = [subject_id for subject_id, d in found if d < threshold]
        if review:
            candidates = []
            for candidate in ranked[:REVIEW_CANDIDATES]:
                with suppress(RefusedError, NotFoundError):  # only people the rules let us recognise
                    self.admission.check_subject(session, loaded, self.admission.subject(session, candidate), now)
                    candidates.append(candidate)
            outcome, listed = ("candidates" if candidates else "no_match"), {"candidates": candidates}
            return self.recorder.record(
                session, caller, Op.IDENTIFY, outcome, deployment=deployment_id, rule_ids=("PIPL-24",),
                purpose=loaded.spec.purpose.category, details={"match": None, **listed, **operating},
                audit_fields={**audit_point, "candidates": len(candidates)},
            )  # fmt: skip
        subject_id: str | None = ranked[0] if ranked else None
        rules: tuple[str, ...] = ()
        if subject_id:
            try:  # the person found must still be someone the rules let us recognise
                self.admission.check_subject(session, loaded, self.admission.subject(session, subject_id), now)
            except (RefusedError, NotFoundError) as exc:
                subject_id, rules = None, tuple(getattr(exc, "rule_ids", ()))
        if subject_id and "bipa" in loaded.profiles:
            self._touch_bipa(session, loaded, subject_id, now)
        return self.recorder.record(
            session,
            caller,
            Op.IDENTIFY,
            "identified" if subject_id else "no_match",
            deployment=deployment_id,
            subject=subject_id,
            rule_ids=rules,
            purpose=loaded.spec.purpose.category,
            details={"match": subject_id is not None, **operating},
            audit_fields=audit_point,
        )

    def liveness_challenge(
        self, deployment_id: str, device: str, purpose: str | None = None, caller: Caller | None = None
    ) -> dict[str, Any]:
        """A new random challenge for `device`: head turns and screen colours on one timeline, a nonce, a deadline."""
        return self.liveness.challenge(deployment_id, device, purpose, caller or Caller())


def _face_answer(face: FoundFace, decision: Decision | None) -> dict[str, Any]:
    """One face of an identification: its box and its own decision (a face too small to search has none)."""
    box = list(face.box) if face.box else None
    if decision is None:
        return TOO_SMALL | {"box": box}
    return {k: v for k, v in decision.to_dict().items() if k in FACE_FIELDS} | {"box": box}
