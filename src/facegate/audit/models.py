"""The audit log's tables: entries (leaf hashes kept forever), stored tree nodes, checkpoints, the log head."""

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from facegate.store import BigId, UTCDateTime
from facegate.store.base import Base


class AuditHead(Base):
    """The one row (id 1) describing the log's current state; appends lock it to stay linear."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    # Roots of the perfect subtrees along the right edge, largest first, 32 bytes each.
    frontier: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    checkpoint_size: Mapped[int] = mapped_column(BigInteger, default=0)
    checkpoint_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purge_event: Mapped[int | None] = mapped_column(BigInteger)


class AuditEntry(Base):
    """One logged event: its index (leaf position), canonical JSON payload and leaf hash."""

    __tablename__ = "audit_entry"

    idx: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # NULL once purged after the retention period; the leaf hash stays so the tree still verifies.
    payload: Mapped[str | None] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditNode(Base):
    """A stored perfect subtree hash (levels >= 8 only), so proofs need no full-tree recomputation."""

    __tablename__ = "audit_node"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditCheckpoint(Base):
    """A signed checkpoint note committing to the tree of the first `tree_size` entries."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text)
