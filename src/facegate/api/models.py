"""The service's tables: API keys (only a hash of each secret), specs submitted but blocked by findings, and console
sessions ended by signing out."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from facegate.store import Base, UTCDateTime


class ApiKeyRow(Base):
    """An API key: its public ID, role, granted deployments and the SHA-256 of its secret (never the secret)."""

    __tablename__ = "api_key"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # admin | operator | auditor | reviewer | metrics
    deployments: Mapped[str] = mapped_column(Text, default="")  # comma-separated; operators only
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SubmissionRow(Base):
    """A deployment spec submitted through the service whose findings block it: kept so the DPO sees why."""

    __tablename__ = "api_blocked_submission"

    deployment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    spec: Mapped[str] = mapped_column(Text)  # JSON
    profiles: Mapped[str] = mapped_column(String(200))
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SessionEndRow(Base):
    """A console session ended by signing out: its random ID, kept until the session would have expired anyway."""

    __tablename__ = "api_console_session_end"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
