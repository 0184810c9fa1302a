"""The webhook tables: hooks (URL, events, secret), the outbox of deliveries, and how far the audit log was read."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from facegate.store import Base, BigId, UTCDateTime


class WebhookRow(Base):
    """A registered receiver: its URL, the events it wants and the sealed secret its deliveries are signed with."""

    __tablename__ = "webhook"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[str] = mapped_column(Text)  # comma-separated event names
    secret: Mapped[str] = mapped_column(String(64), default="")  # empty; a plain secret only before it was sealed
    # The whsec_ secret sealed (AES-256-GCM) under the key store's webhook key, the hook's ID bound: see sealing.py
    sealed_secret: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))


class DeliveryRow(Base):
    """One message to one hook: written with the event (the outbox), then sent until delivered or given up."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hook_id: Mapped[str] = mapped_column(String(32), ForeignKey("webhook.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str] = mapped_column(String(64))  # the webhook-id header: the same on every retry
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # the JSON body, exactly as signed and sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), index=True)  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CursorRow(Base):
    """The one row (id 1): the next audit log index to turn into events."""

    __tablename__ = "webhook_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    audit_index: Mapped[int] = mapped_column(BigInteger)
