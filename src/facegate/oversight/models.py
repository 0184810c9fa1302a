"""Oversight's tables: individuals a handler ever stored (keyed hashes), per-handler tallies, filing tasks, receipts.

No subject ID is kept in clear here: `subject_key` is an HMAC-SHA256 of the subject ID under a key of the
key store, so the count survives deletion (regulation.md §8 Q1, cumulative) without keeping who was deleted.
"""

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from facegate.store import Base, UTCDateTime


class IndividualRow(Base):
    """One distinct individual whose facial information the handler stored, and when it first did."""

    __tablename__ = "oversight_individual"

    handler: Mapped[str] = mapped_column(String(255), primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex HMAC-SHA256 of the subject ID
    first_stored_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_oversight_individual_handler_first", "handler", "first_stored_at"),)


class HandlerRow(Base):
    """A handler's running tally of individuals and the filing profiles whose threshold it has latched."""

    __tablename__ = "oversight_handler"

    handler: Mapped[str] = mapped_column(String(255), primary_key=True)
    individuals: Mapped[int] = mapped_column(Integer, default=0)  # rows of oversight_individual for the handler
    latched: Mapped[str] = mapped_column(String(200), default="")  # comma-separated profiles whose threshold latched
    reconciled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # vault scan watermark


class TaskRow(Base):
    """A filing duty: initial filing, change filing or cancellation, with its trigger day and due date."""

    __tablename__ = "oversight_task"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    handler: Mapped[str] = mapped_column(String(255))
    profile: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # filing | change | cancellation
    trigger: Mapped[str] = mapped_column(String(64))  # threshold_reached | public_place | legacy | §5.6 trigger | ...
    rule_ids: Mapped[str] = mapped_column(String(200))  # comma-separated
    trigger_on: Mapped[date] = mapped_column(Date)  # Beijing date; for filings, the latched threshold date
    due_on: Mapped[date] = mapped_column(Date)
    due_basis: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON: what triggered it (counts, changes)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(36), nullable=True)  # the filing receipt's row

    __table_args__ = (Index("ix_oversight_task_handler_closed", "handler", "closed_at"),)


class FilingRow(Base):
    """A filing the handler made (a receipt from the authority), with a snapshot of what was filed."""

    __tablename__ = "oversight_filing"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    handler: Mapped[str] = mapped_column(String(255), index=True)
    profile: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # filing | change | cancellation
    receipt: Mapped[str] = mapped_column(String(200))
    filed_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    snapshot: Mapped[str] = mapped_column(Text)  # JSON: deployments' specs, stored count, count band
