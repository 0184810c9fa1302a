"""The tables of the hub and device roles: pairing tokens, paired devices, their audit logs, acks and holdings.

A hub keeps `edge_*` rows for each device; a device keeps one `edge_link` row naming its hub (`HubLinkRow`, in
facegate/placement.py, below the gate that reads it). None of these
tables holds biometric data: subjects appear under their pseudonymous IDs only.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from facegate.placement import HubLinkRow
from facegate.store import Base, BigId, UTCDateTime


class PairingTokenRow(Base):
    """A one-time pairing token minted by an admin on the hub for some deployments (its secret hashed)."""

    __tablename__ = "edge_pairing_token"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    deployments: Mapped[str] = mapped_column(Text)  # comma-separated deployment IDs
    created_by: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # when its last pairing was used
    device_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the last device it paired
    site: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the devices it pairs are grouped by site
    max_uses: Mapped[int] = mapped_column(Integer, default=1)  # how many devices it may pair
    uses: Mapped[int] = mapped_column(Integer, default=0)


class DeviceRow(Base):
    """A device paired to this hub: its public keys, deployments, sync cursor and the state of its audit log."""

    __tablename__ = "edge_device"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    deployments: Mapped[str] = mapped_column(Text)
    device_key: Mapped[str] = mapped_column(Text)  # PEM: signs the device's requests
    audit_key: Mapped[str] = mapped_column(Text)  # PEM: signs the device's audit checkpoints
    status: Mapped[str] = mapped_column(String(16))  # active | suspended | unpaired | lost
    site: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    paired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    applied: Mapped[int] = mapped_column(BigInteger, default=0)  # hub audit entries the device has applied
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    log_size: Mapped[int] = mapped_column(BigInteger, default=0)  # the device log's last verified checkpoint
    log_root: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    log_frontier: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    flag: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A wipe the hub ordered (unpair | suspend | lost), and when the device acknowledged it had shredded its keys.
    wipe_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    wipe_ordered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    wipe_acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Last contact plus the longest offline bound of its deployments: by then it has shredded its keys by itself.
    holds_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NonceRow(Base):
    """A nonce of a device's signed request, kept while its time is within the hub's window: a replay is refused."""

    __tablename__ = "edge_nonce"

    device_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeviceEntryRow(Base):
    """One entry of a device's audit log as pushed to the hub (never biometric: the audit schema forbids it)."""

    __tablename__ = "edge_device_entry"

    device_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class DeviceCheckpointRow(Base):
    """A device's signed checkpoint, kept once verified against the one before it."""

    __tablename__ = "edge_device_checkpoint"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(32), index=True)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    proof: Mapped[str] = mapped_column(Text)  # the consistency proof from the previous one, base64 hashes as JSON
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShredAckRow(Base):
    """A device's confirmation that it holds none of a subject's templates after a withdrawal or deletion at the hub."""

    __tablename__ = "edge_shred_ack"

    device_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # hub audit index
    subject_id: Mapped[str] = mapped_column(String(64))
    deployment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    device_event_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    acked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HoldingRow(Base):
    """A subject a device holds templates of for a deployment, as the device last reported (for counting)."""

    __tablename__ = "edge_holding"

    device_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    deployment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = ["DeviceCheckpointRow", "DeviceEntryRow", "DeviceRow", "HoldingRow", "HubLinkRow", "NonceRow",
           "PairingTokenRow", "ShredAckRow"]  # fmt: skip
