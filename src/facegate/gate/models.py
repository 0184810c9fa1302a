"""The gate's own tables: liveness challenges handed out and failed liveness checks, shared by every replica, the
camera registry (which stream feeds which deployment, and its live status; nothing biometric), and the erasures
under way.

A camera's status columns are written by the process that runs it (`facegate camera run`, or `facegate serve`),
so the console and `/metrics` of another process on the same data directory read them from here.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from facegate.store import Base, UTCDateTime


class LivenessChallengeRow(Base):
    """A challenge handed out and not yet answered: single use (the answer deletes it), until its deadline."""

    __tablename__ = "gate_liveness_challenge"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    deployment_id: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(128))
    actor: Mapped[str] = mapped_column(String(128))
    challenge: Mapped[str] = mapped_column(Text)  # JSON: turns, colours, segment_ms, colour_ms
    deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class LivenessFailureRow(Base):
    """One failed liveness check, counted against a scope: an operator key on a deployment, or a subject."""

    __tablename__ = "gate_liveness_failure"
    __table_args__ = (Index("ix_gate_liveness_failure_scope_at", "scope", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(256))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CameraRow(Base):
    """One camera: its stream URL, the deployment it serves, how it samples, and what it did last."""

    __tablename__ = "camera"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    deployment_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(Text)
    sample_fps: Mapped[float] = mapped_column(Float)
    relay_url: Mapped[str | None] = mapped_column(Text, nullable=True)  # an HTTP door-open call on a match
    created_by: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Live status, written by the running process every few seconds.
    state: Mapped[str] = mapped_column(String(16), default="stopped")  # stopped|connecting|running|refused|ended|...
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)  # why refused, the last connection error
    frames: Mapped[int] = mapped_column(BigInteger, default=0)  # frames searched
    skipped: Mapped[int] = mapped_column(BigInteger, default=0)  # sampled frames dropped under load
    decisions: Mapped[int] = mapped_column(BigInteger, default=0)
    identified: Mapped[int] = mapped_column(BigInteger, default=0)
    strangers: Mapped[int] = mapped_column(BigInteger, default=0)  # tracks decided as no match: counted only
    reconnects: Mapped[int] = mapped_column(BigInteger, default=0)
    last_frame_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ErasureRow(Base):
    """An erasure under way, committed before any key is shredded and deleted in the transaction that finishes it:
    a process killed in between leaves it for `Erasure.resume` (the key may already be gone, the rows not yet)."""

    __tablename__ = "gate_erasure"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))  # consent.withdraw, subject.delete, purge, deployment.retire
    actor: Mapped[str] = mapped_column(String(128))
    request_id: Mapped[str] = mapped_column(String(64))
    deployment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: every deployment
    subject_id: Mapped[str] = mapped_column(String(64))
    rule_ids: Mapped[str] = mapped_column(String(200))  # comma-separated
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
