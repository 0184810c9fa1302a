"""The gate's own tables: liveness challenges handed out and failed liveness checks, shared by every replica."""

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
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
