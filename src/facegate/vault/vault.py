"""Data operations on subjects, consents, templates, raw images and credentials, inside the caller's session.

The vault makes no decisions: the gate checks the rules, then calls these. Sealing binds the deployment,
subject and model into the associated data, so a template copied to another deployment or subject does
not open.
"""

import re
import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import delete, event, func, literal, null, select, union, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from facegate.clock import beijing_date
from facegate.errors import ConflictError, InputError, KeyUnavailableError, NotFoundError
from facegate.store import Statements, rowcount
from facegate.store.database import checkpoint_truncate
from facegate.vault.keystore import Keystore, rotate_master_key_file, seal, unseal
from facegate.vault.models import (
    AttemptRow,
    ConsentRow,
    CredentialRow,
    DeclineRow,
    DeploymentRow,
    NoticeShownRow,
    RawImageRow,
    SubjectRow,
    TemplateRow,
)
from facegate.vault.standing import Consent, Standing

SUBJECT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$"  # one rule for the CLI, the API and the audit's actors
CONSENT_KINDS = ("facial_processing", "external_transmission", "raw_image_retention", "cross_border")
REVISIONS_SQL = (
    "SELECT (SELECT revision FROM vault_deployment WHERE id = ?), (SELECT revision FROM vault_subject WHERE id = ?)"
)
PG_REVISIONS = REVISIONS_SQL.replace("?", "%s")
PG_LOCKED = "SELECT d.revision, s.revision FROM vault_deployment d, vault_subject s WHERE d.id = %s AND s.id = %s "
PG_LOCKED += "FOR SHARE"


@dataclass(frozen=True)
class StoredTemplate:
    """A decrypted template as the gate uses it in memory; never returned to a caller but the subject."""

    id: str
    subject_id: str
    model_id: str
    vector: np.ndarray
    expires_at: datetime

    def __repr__(self) -> str:
        return f"StoredTemplate(id={self.id!r}, subject_id={self.subject_id!r}, model_id={self.model_id!r})"


def template_aad(deployment_id: str, subject_id: str, model_id: str, template_id: str) -> bytes:
    """The associated data that binds a sealed template to its deployment, subject, model and row."""
    return f"facegate/template/v1/{deployment_id}/{subject_id}/{model_id}/{template_id}".encode()


class Vault:
    """Subjects, consents, sealed templates and credentials of one data directory."""

    def __init__(self, keystore: Keystore) -> None:
        self.keystore = keystore

    def rotate_master_key(self) -> int:
        """Rotate the key store's master key; how many keys were rewrapped."""
        if self.keystore.home is None:
            raise InputError("this key store was opened without its data directory: its master key cannot rotate")
        return rotate_master_key_file(self.keystore.home, self.keystore)

    # ---- deployments and subjects ----

    def deployment(self, session: Session, deployment_id: str) -> DeploymentRow:
        """The registered deployment, or NotFoundError."""
        row = session.get(DeploymentRow, deployment_id)
        if row is None:
            raise NotFoundError(f"unknown deployment {deployment_id!r}")
        return row

    def subject(self, session: Session, subject_id: str) -> SubjectRow:
        """The subject, or NotFoundError."""
        row = session.get(SubjectRow, subject_id)
        if row is None:
            raise NotFoundError(f"unknown subject {subject_id!r}")
        return row

    def add_subject(
        self,
        session: Session,
        now: datetime,
        subject_id: str | None = None,
        birth_date: date | None = None,
        age_band: str | None = None,
        guardian_ref: str | None = None,
    ) -> SubjectRow:
        """Create a subject under a pseudonymous ID (generated when not given)."""
        if age_band not in (None, "under_14", "14_plus"):
            raise InputError("age band must be under_14 or 14_plus")
        if birth_date is not None and birth_date > beijing_date(now):
            raise InputError("the date of birth is in the future")
        subject_id = subject_id or f"s-{uuid.uuid4().hex[:16]}"
        if not re.fullmatch(SUBJECT_ID_PATTERN, subject_id):
            raise InputError("a subject ID is 1 to 64 letters, digits and . _ @ + - (a pseudonym, not a name)")
        if session.get(SubjectRow, subject_id) is not None:
            raise ConflictError(f"subject {subject_id!r} already exists")
        row = SubjectRow(
            id=subject_id,
            birth_date=birth_date,
            age_band=age_band,
            guardian_ref=guardian_ref,
            created_at=now,
            link_nonce=secrets.token_hex(16),
            revision=secrets.randbelow(1 << 30),  # a re-created ID never repeats a deleted one's, which caches trust
        )
        session.add(row)
        return row

    def link_nonce(self, session: Session, subject_id: str, renew: bool = False) -> str:
        """The subject record's portal-link nonce (made when missing); `renew` replaces it: older links stop."""
        row = self.subject(session, subject_id)
        if renew or not row.link_nonce:
            row.link_nonce = secrets.token_hex(16)
        return row.link_nonce

    def deployments_of(self, session: Session, subject_id: str) -> set[str]:
        """Every deployment where the subject has a record: notice, consent, decline, template, photo, credential."""
        tables = (NoticeShownRow, ConsentRow, DeclineRow, TemplateRow, RawImageRow, CredentialRow)
        query = union(*(select(t.deployment_id).filter_by(subject_id=subject_id) for t in tables))
        return set(session.scalars(query))

    # ---- a change to a subject's notices, consents, declines or templates bumps its revision (caches follow) ----

    def revisions(
        self, db: Statements, deployment_id: str, subject_id: str, lock: bool = False
    ) -> tuple[int | None, int | None]:
        """The deployment's and the subject's revisions in one round trip (None for one that does not exist).

        `lock` (in a write transaction, after the engine) holds both rows FOR SHARE on PostgreSQL: a withdrawal
        or a spec change in flight is waited for and its new revision seen. SQLite's writers are serialised.
        """
        if isinstance(db, sqlite3.Connection):
            return tuple(db.execute(REVISIONS_SQL, (deployment_id, subject_id)).fetchone())
        if isinstance(db, psycopg.Connection):  # from `Database.quick` on PostgreSQL
            row = db.execute(PG_LOCKED if lock else PG_REVISIONS, (deployment_id, subject_id)).fetchone()
            return (row[0], row[1]) if row else (None, None)
        if lock:
            both = (
                select(DeploymentRow.revision, SubjectRow.revision)
                .join(SubjectRow, SubjectRow.id == subject_id)
                .where(DeploymentRow.id == deployment_id)
            )
            row = db.execute(both.with_for_update(read=True)).first()
            return (row[0], row[1]) if row else (None, None)
        query = select(
            select(DeploymentRow.revision).filter_by(id=deployment_id).scalar_subquery(),
            select(SubjectRow.revision).filter_by(id=subject_id).scalar_subquery(),
        )
        return tuple(db.execute(query).one())

    def touch(self, session: Session, *subject_ids: str) -> None:
        """Bump the subjects' revisions: what any process cached of them is stale."""
        bumped = update(SubjectRow).where(SubjectRow.id.in_(subject_ids)).values(revision=SubjectRow.revision + 1)
        session.execute(bumped)

    def record_notice_shown(
        self, session: Session, deployment_id: str, subject_id: str, version: int, now: datetime
    ) -> None:
        """Record that the subject was shown this version of the deployment's notice."""
        session.add(
            NoticeShownRow(subject_id=subject_id, deployment_id=deployment_id, notice_version=version, shown_at=now)
        )
        self.touch(session, subject_id)

    def standing(self, session: Session, deployment_id: str, subject_id: str) -> Standing:
        """The subject's notices, consents and last decline for the deployment, in one round trip (the hot path)."""
        c, n, d = ConsentRow, NoticeShownRow, DeclineRow
        consents = select(
            literal("consent"), c.kind, c.form, c.given_by, c.notice_version, c.given_at, c.withdrawn_at, c.stale_at
        ).filter_by(subject_id=subject_id, deployment_id=deployment_id)
        notices = select(literal("notice"), null(), null(), null(), n.notice_version, null(), null(), null()).filter_by(
            subject_id=subject_id, deployment_id=deployment_id
        )
        declines = select(
            literal("decline"), null(), null(), null(), null(), func.max(d.declined_at), null(), null()
        ).filter_by(subject_id=subject_id, deployment_id=deployment_id)
        rows: list[Any] = list(session.execute(union_all(consents, notices, declines)).all())
        versions = frozenset(r[4] for r in rows if r[0] == "notice")
        found = sorted((r[1:] for r in rows if r[0] == "consent"), key=lambda r: r[4], reverse=True)
        declined = next((r[5] for r in rows if r[0] == "decline"), None)
        return Standing(versions, tuple(Consent(*r) for r in found), declined)

    def add_consent(self, session: Session, **fields: object) -> ConsentRow:
        """Record a consent (fields of ConsentRow but id)."""
        if fields.get("kind") not in CONSENT_KINDS:
            raise InputError(f"unknown consent kind {fields.get('kind')!r}: use one of {', '.join(CONSENT_KINDS)}")
        row = ConsentRow(id=str(uuid.uuid4()), **fields)
        session.add(row)
        self.touch(session, str(fields["subject_id"]))
        return row

    def withdraw_consents(self, session: Session, deployment_id: str, subject_id: str, now: datetime) -> int:
        """Withdraw every open consent of the subject for the deployment; the number withdrawn."""
        result = session.execute(
            update(ConsentRow)
            .where(
                ConsentRow.subject_id == subject_id,
                ConsentRow.deployment_id == deployment_id,
                ConsentRow.withdrawn_at.is_(None),
            )
            .values(withdrawn_at=now)
        )
        self.touch(session, subject_id)
        return rowcount(result)

    def mark_consents_stale(self, session: Session, deployment_id: str, kinds: tuple[str, ...], now: datetime) -> int:
        """Mark the deployment's open consents of these kinds stale (CN25-6e); the number marked."""
        open_ones = (
            ConsentRow.deployment_id == deployment_id,
            ConsentRow.kind.in_(kinds),
            ConsentRow.withdrawn_at.is_(None),
            ConsentRow.stale_at.is_(None),
        )
        subjects = session.scalars(select(ConsentRow.subject_id).where(*open_ones).distinct()).all()
        result = session.execute(update(ConsentRow).where(*open_ones).values(stale_at=now))
        if subjects:
            self.touch(session, *subjects)
        return rowcount(result)

    def record_decline(self, session: Session, deployment_id: str, subject_id: str, now: datetime) -> None:
        """Record that the subject declined face recognition here."""
        session.add(DeclineRow(subject_id=subject_id, deployment_id=deployment_id, declined_at=now))
        self.touch(session, subject_id)

    def save_template(
        self,
        session: Session,
        deployment_id: str,
        subject_id: str,
        model_id: str,
        vector: np.ndarray,
        now: datetime,
        expires_at: datetime,
    ) -> str:
        """Seal and store a template under the subject's data key (created on first enrollment)."""
        key = self.keystore.data_key(deployment_id, subject_id, create=True)
        self.touch(session, subject_id)
        template_id = str(uuid.uuid4())
        aad = template_aad(deployment_id, subject_id, model_id, template_id)
        session.add(
            TemplateRow(
                id=template_id,
                subject_id=subject_id,
                deployment_id=deployment_id,
                model_id=model_id,
                sealed=seal(key, np.asarray(vector, "<f4").tobytes(), aad),
                created_at=now,
                expires_at=expires_at,
            )
        )
        return template_id

    def templates(
        self, session: Session, deployment_id: str, subject_id: str | None = None, now: datetime | None = None
    ) -> list[StoredTemplate]:
        """Decrypt the deployment's templates (one subject's, or all); expired and shredded ones are skipped."""
        t = TemplateRow
        query = select(t.id, t.subject_id, t.model_id, t.sealed, t.expires_at).where(t.deployment_id == deployment_id)
        if subject_id is not None:
            query = query.where(TemplateRow.subject_id == subject_id)
        if now is not None:
            query = query.where(TemplateRow.expires_at > now)
        result: list[StoredTemplate] = []
        keys: dict[str, bytes | None] = {}
        for row in session.execute(query):
            if row.subject_id not in keys:
                try:
                    keys[row.subject_id] = self.keystore.data_key(deployment_id, row.subject_id)
                except KeyUnavailableError:
                    keys[row.subject_id] = None  # shredded: the rows are garbage awaiting purge
            key = keys[row.subject_id]
            if key is None:
                continue
            plain = unseal(key, row.sealed, template_aad(deployment_id, row.subject_id, row.model_id, row.id))
            vector = np.frombuffer(plain, "<f4").copy()
            result.append(StoredTemplate(row.id, row.subject_id, row.model_id, vector, row.expires_at))
        return result

    def stream_templates(
        self, session: Session, deployment_id: str, now: datetime | None = None, batch: int = 50_000
    ) -> Iterator[list[StoredTemplate]]:
        """Decrypt the deployment's templates in batches, subject by subject (a rebuild of a large gallery never
        holds them all at once); expired and shredded ones are skipped."""
        t = TemplateRow
        query = select(t.id, t.subject_id, t.model_id, t.sealed, t.expires_at).where(t.deployment_id == deployment_id)
        if now is not None:
            query = query.where(t.expires_at > now)
        subject, key, result = None, None, []
        for row in session.execute(query.order_by(t.subject_id).execution_options(yield_per=batch)):
            if row.subject_id != subject:
                subject = row.subject_id
                try:
                    key = self.keystore.data_key(deployment_id, subject)
                except KeyUnavailableError:
                    key = None  # shredded: the rows are garbage awaiting purge
            if key is None:
                continue
            plain = unseal(key, row.sealed, template_aad(deployment_id, row.subject_id, row.model_id, row.id))
            result.append(StoredTemplate(row.id, row.subject_id, row.model_id, np.frombuffer(plain, "<f4").copy(),
                                         row.expires_at))  # fmt: skip
            if len(result) >= batch:
                yield result
                result = []
        if result:
            yield result

    def save_raw_image(
        self, session: Session, deployment_id: str, subject_id: str, image: bytes, now: datetime, expires_at: datetime
    ) -> str:
        """Seal and keep an enrollment photo (only under retain_with_consent and the subject's consent)."""
        key = self.keystore.data_key(deployment_id, subject_id, create=True)
        image_id = str(uuid.uuid4())
        sealed = seal(key, image, f"facegate/raw-image/v1/{deployment_id}/{subject_id}/{image_id}".encode())
        session.add(
            RawImageRow(
                id=image_id,
                subject_id=subject_id,
                deployment_id=deployment_id,
                sealed=sealed,
                created_at=now,
                expires_at=expires_at,
            )
        )
        return image_id

    def has_templates(self, session: Session, deployment_id: str, subject_id: str, after: datetime) -> bool:
        """Whether the subject still has a template in the deployment that expires after `after`."""
        live = select(TemplateRow.id).filter_by(deployment_id=deployment_id, subject_id=subject_id)
        return session.execute(live.where(TemplateRow.expires_at > after).limit(1)).first() is not None

    def delete_templates(self, session: Session, deployment_id: str, subject_id: str, expired_at: datetime) -> int:
        """Delete the subject's templates in the deployment that expired by `expired_at`; how many."""
        removed = rowcount(session.execute(
            delete(TemplateRow)
            .filter_by(deployment_id=deployment_id, subject_id=subject_id)
            .where(TemplateRow.expires_at <= expired_at)
        ))
        if removed:
            self.bump_gallery(session, deployment_id)
            self.touch(session, subject_id)
            self.scrub_after_commit(session)
        return removed

    def delete_expired(self, session: Session, now: datetime) -> tuple[int, int]:
        """Delete kept photos and one-time codes past their time to live; how many of each."""
        images = rowcount(session.execute(delete(RawImageRow).where(RawImageRow.expires_at <= now)))
        codes = rowcount(session.execute(
            delete(CredentialRow).where(CredentialRow.expires_at.is_not(None), CredentialRow.expires_at <= now)
        ))
        if images or codes:
            self.scrub_after_commit(session)
        return images, codes

    def bump_gallery(self, session: Session, deployment_id: str) -> int:
        """Count one more change to the deployment's gallery; the new generation (what the 1:N indexes follow)."""
        column = DeploymentRow.gallery_generation
        return session.execute(
            update(DeploymentRow)
            .where(DeploymentRow.id == deployment_id)
            .values({column: column + 1})
            .returning(column)
        ).scalar_one()

    def scrub_after_commit(self, session: Session, keys: bool = False) -> None:
        """Once the transaction commits, scrub the files of what it erased (docs/protection.md): a SQLite data store's
        WAL is truncated; with `keys` (a key shredded while it was open, which kept the shred's vacuum from pruning
        the key where both stores share a PostgreSQL database) a PostgreSQL key table is rewritten (VACUUM FULL)."""
        bind = session.get_bind()
        wal = bind.engine.url.database if bind.dialect.name == "sqlite" else None
        vacuum = keys and self.keystore.engine.dialect.name == "postgresql"
        asked = session.info.get("facegate_scrub")
        if asked is not None:  # a call after the first adds what it needs
            asked.update(wal=asked["wal"] or wal, keys=asked["keys"] or vacuum)
        if asked is not None or not (wal or vacuum):
            return
        session.info["facegate_scrub"] = asked = {"wal": wal, "keys": vacuum}

        def scrub(done: Session) -> None:
            done.info.pop("facegate_scrub", None)
            if asked["wal"]:
                checkpoint_truncate(asked["wal"])
            if asked["keys"]:
                self.keystore.scrub(full=True)

        event.listen(session, "after_commit", scrub, once=True)  # a session rolled back is dropped, listener and all

    def erase(self, session: Session, deployment_id: str, subject_id: str) -> int:
        """Crypto-shred the subject's data key for the deployment (first: what is left cannot be read), then delete
        templates and kept photos; how many templates. Once committed, no file of either store holds them."""
        self.keystore.shred(deployment_id, subject_id)
        self.scrub_after_commit(session, keys=True)
        where = {"subject_id": subject_id, "deployment_id": deployment_id}
        removed = rowcount(session.execute(delete(TemplateRow).filter_by(**where)))
        session.execute(delete(RawImageRow).filter_by(**where))
        self.touch(session, subject_id)
        if removed:
            self.bump_gallery(session, deployment_id)
        return removed

    # ---- non-biometric credentials ----

    def set_credential(
        self,
        session: Session,
        deployment_id: str,
        subject_id: str,
        method: str,
        secret: bytes,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> None:
        """Store a credential, replacing the subject's previous one of the same method."""
        session.execute(
            delete(CredentialRow).filter_by(subject_id=subject_id, deployment_id=deployment_id, method=method)
        )
        session.add(
            CredentialRow(
                id=str(uuid.uuid4()),
                subject_id=subject_id,
                deployment_id=deployment_id,
                method=method,
                secret=secret,
                created_at=now,
                expires_at=expires_at,
            )
        )

    def credential(self, session: Session, deployment_id: str, subject_id: str, method: str) -> CredentialRow | None:
        """The subject's credential of a method for the deployment, if any."""
        return session.scalars(
            select(CredentialRow).filter_by(subject_id=subject_id, deployment_id=deployment_id, method=method)
        ).first()

    def take_credential(
        self, session: Session, deployment_id: str, subject_id: str, method: str, now: datetime
    ) -> bytes | None:
        """Delete and return an unexpired one-time credential in one statement (two takers: one gets it)."""
        taken = session.execute(
            delete(CredentialRow)
            .filter_by(subject_id=subject_id, deployment_id=deployment_id, method=method)
            .where(CredentialRow.expires_at >= now)
            .returning(CredentialRow.secret)
        ).first()
        return taken[0] if taken else None

    def use_credential(self, session: Session, credential: CredentialRow, now: datetime) -> bool:
        """Mark a one-time credential used, unless another transaction did first; whether this one did."""
        used = rowcount(session.execute(
            update(CredentialRow).where(CredentialRow.id == credential.id, CredentialRow.used_at.is_(None)).values(
                used_at=now
            )
        ))
        return used == 1

    def attempts(self, session: Session, deployment_id: str, subject_id: str) -> AttemptRow:
        """The subject's failed-check counter at the deployment, created at zero, locked until the transaction ends.

        Locked (FOR UPDATE on PostgreSQL; SQLite serialises writers): concurrent checks of one subject and
        deployment run one after the other, each seeing the failures and lock-out the previous one left.
        """
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(
            dialect.insert(AttemptRow)
            .values(subject_id=subject_id, deployment_id=deployment_id, failures=0)
            .on_conflict_do_nothing()
        )
        mine = select(AttemptRow).filter_by(subject_id=subject_id, deployment_id=deployment_id)
        return session.scalars(mine.with_for_update().execution_options(populate_existing=True)).one()

    def seal_secret(self, deployment_id: str, subject_id: str, secret: str) -> bytes:
        """Seal a TOTP secret under the subject's data key."""
        key = self.keystore.data_key(deployment_id, subject_id, create=True)
        return seal(key, secret.encode(), f"facegate/totp/v1/{deployment_id}/{subject_id}".encode())

    def open_secret(self, deployment_id: str, subject_id: str, sealed: bytes) -> str:
        """Open a sealed TOTP secret."""
        key = self.keystore.data_key(deployment_id, subject_id)
        return unseal(key, sealed, f"facegate/totp/v1/{deployment_id}/{subject_id}".encode()).decode()


