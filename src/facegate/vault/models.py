"""The vault's tables: deployments, subjects, notices shown, consents, declines, templates, raw images, credentials.

Templates, raw images and TOTP secrets are stored sealed (AES-256-GCM) under the subject's data key, which
lives in the key store, not here.
"""

from datetime import date, datetime
from typing import Protocol

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from facegate.store import Base, UTCDateTime


def subject_fk() -> ForeignKey:
    """A foreign key to the subject; the subject's rows go with it."""
    return ForeignKey("vault_subject.id", ondelete="CASCADE")


def deployment_fk() -> ForeignKey:
    """A foreign key to the deployment."""
    return ForeignKey("vault_deployment.id", ondelete="CASCADE")


class DeploymentRow(Base):
    """A registered deployment: its spec (JSON), lifecycle status and the generation of its gallery."""

    __tablename__ = "vault_deployment"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[str] = mapped_column(Text)
    profiles: Mapped[str] = mapped_column(String(200))  # comma-separated profile names
    status: Mapped[str] = mapped_column(String(32))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reassessment_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    gallery_generation: Mapped[int] = mapped_column(Integer, default=0)  # bumped on enroll and delete
    revision: Mapped[int] = mapped_column(Integer, default=0)  # bumped on every change of spec or status


class DeploymentFacts(Protocol):
    """A deployment's row as the gate reads it plain (`select(DeploymentRow.__table__)`): the columns it uses."""

    @property
    def id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def revision(self) -> int: ...

    @property
    def reassessment_since(self) -> date | None: ...

    @property
    def gallery_generation(self) -> int: ...


class SubjectFacts(Protocol):
    """A subject's row as the gate reads it plain (`select(SubjectRow.__table__)`): the columns it uses, read-only."""

    @property
    def id(self) -> str: ...

    @property
    def revision(self) -> int: ...

    @property
    def birth_date(self) -> date | None: ...

    @property
    def age_band(self) -> str | None: ...

    @property
    def guardian_ref(self) -> str | None: ...


class SubjectRow(Base):
    """A data subject under a pseudonymous ID: age facts for the guardian rules, and a guardian link."""

    __tablename__ = "vault_subject"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    age_band: Mapped[str | None] = mapped_column(String(16), nullable=True)  # under_14 | 14_plus | None
    guardian_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_interaction_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)  # bumped on every change to notices, consents, declines
    # Random, set at creation and replaced on revocation: a portal link names it, so a link opens only the
    # subject record it was made for (not a later subject under the same ID) until revoked.
    link_nonce: Mapped[str | None] = mapped_column(String(32), nullable=True)


class NoticeShownRow(Base):
    """The event that a subject was shown a version of a deployment's notice (CN25-5b)."""

    __tablename__ = "vault_notice_shown"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(String(64), subject_fk(), index=True)
    deployment_id: Mapped[str] = mapped_column(String(64), deployment_fk())
    notice_version: Mapped[int] = mapped_column(Integer)
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsentRow(Base):
    """A consent of one kind, bound to a notice version; withdrawn or stale ones are kept as records."""

    __tablename__ = "vault_consent"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), subject_fk())
    deployment_id: Mapped[str] = mapped_column(String(64), deployment_fk())
    kind: Mapped[str] = mapped_column(String(32))  # facial_processing, external_transmission, raw_image_retention, ...
    form: Mapped[str] = mapped_column(String(16))  # separate | written
    given_by: Mapped[str] = mapped_column(String(16))  # subject | guardian
    guardian_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    evidence_ref: Mapped[str | None] = mapped_column(String(256), nullable=True)  # the signed artefact (Q16)
    notice_version: Mapped[int] = mapped_column(Integer)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    stale_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_vault_consent_subject_deployment", "subject_id", "deployment_id"),)


class DeclineRow(Base):
    """A subject chose a non-biometric method instead of face recognition (CN25-10b, CN25-12b)."""

    __tablename__ = "vault_decline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject_id: Mapped[str] = mapped_column(String(64), subject_fk(), index=True)
    deployment_id: Mapped[str] = mapped_column(String(64), deployment_fk())
    declined_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TemplateRow(Base):
    """A face template sealed under the subject's data key, with deployment, subject and model bound in."""

    __tablename__ = "vault_template"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), subject_fk())
    deployment_id: Mapped[str] = mapped_column(String(64), deployment_fk())
    model_id: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (Index("ix_vault_template_deployment_subject", "deployment_id", "subject_id"),)


class RawImageRow(Base):
    """An enrollment photo kept only under retain_with_consent and the subject's separate consent, sealed."""

    __tablename__ = "vault_raw_image"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), subject_fk())
    deployment_id: Mapped[str] = mapped_column(String(64), deployment_fk())
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class CredentialRow(Base):
    """A non-biometric credential: an argon2 PIN hash, a sealed TOTP secret, or a one-time check-in code hash."""

    __tablename__ = "vault_credential"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), subject_fk())
    deployment_id: Mapped[str] = mapped_column(String(64), deployment_fk())
    method: Mapped[str] = mapped_column(String(16))  # pin | totp | checkin_code
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_vault_credential_subject_deployment", "subject_id", "deployment_id"),)


class AttemptRow(Base):
    """Failed secret-based checks (PIN, TOTP, check-in code, passkey) of a subject at a deployment, and its lock-out."""

    __tablename__ = "vault_attempt"

    subject_id: Mapped[str] = mapped_column(String(64), subject_fk(), primary_key=True)
    deployment_id: Mapped[str] = mapped_column(String(64), deployment_fk(), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # since the last success
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
