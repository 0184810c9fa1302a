"""The key store: master key -> deployment keys -> per-subject data keys, kept apart from the data database.

The master key comes from $FACEGATE_MASTER_KEY (base64 of 32 bytes), or from the key file named by
$FACEGATE_MASTER_KEY_FILE (outside the data directory, in production), or from `<home>/keys/master.key`
(created 0600 on first run: convenient, but then the key sits beside what it protects).
Wrapped keys live in their own database (default `<home>/keys/keystore.db`,
or $FACEGATE_KEYSTORE_URL), never in the data database or its backups, so deleting a subject's data key
(crypto-shredding) makes the live copies of that subject's templates unreadable. A backup of the key store taken
before the deletion still holds the wrapped data key, which opens with the master key: see docs/protection.md.
"""

import base64
import hashlib
import logging
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import ColumnElement, LargeBinary, MetaData, String, delete, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from facegate import config
from facegate.clock import utc_now
from facegate.config import Config
from facegate.errors import InputError, KeyUnavailableError
from facegate.store import UTCDateTime, make_engine, rowcount
from facegate.store.database import SQLITE_BEGIN, checkpoint_truncate

MASTER_ENV = "FACEGATE_MASTER_KEY"
MASTER_FILE_ENV = "FACEGATE_MASTER_KEY_FILE"
KEYSTORE_ENV = "FACEGATE_KEYSTORE_URL"
NONCE = 12
FULL_VACUUM_WAIT_MS = 5000
log = logging.getLogger(__name__)


class KeystoreBase(DeclarativeBase):
    """Tables of the key store; a metadata of their own, so they never land in the data database."""

    metadata = MetaData()


class WrappedKey(KeystoreBase):
    """A key wrapped by its parent: a deployment key by the master key, a data key by its deployment key."""

    __tablename__ = "wrapped_keys"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)  # "deployment/<id>" or "data/<dep>/<subject>"
    parent: Mapped[str] = mapped_column(String(300))  # "master/<key id>" or "deployment/<id>"
    blob: Mapped[bytes] = mapped_column(LargeBinary)  # nonce || AES-256-GCM(key), the name bound as AAD
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM: a random nonce followed by the ciphertext and tag."""
    nonce = secrets.token_bytes(NONCE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Open what `seal` made with the same key and associated data; refuse anything else."""
    try:
        return AESGCM(key).decrypt(blob[:NONCE], blob[NONCE:], aad)
    except (InvalidTag, ValueError):
        raise KeyUnavailableError("a sealed value does not open with its key (altered, moved, or wrong key)") from None


def master_key_id(master: bytes) -> str:
    """A short public identifier of a master key (a hash, never the key)."""
    return hashlib.sha256(b"facegate master key id" + master).hexdigest()[:16]


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise InputError(f"{where} is not base64") from None
    if len(key) != 32:
        raise InputError(f"{where} must hold a 32-byte key (base64), got {len(key)} bytes")
    return key


def _write_key_file(path: Path, key: bytes) -> None:
    """Create `path` (0600) holding `key`, atomically: other processes see no file or the whole key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(key).decode() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(draft, path)  # fails with FileExistsError when another process made it first
    finally:
        draft.unlink()


def master_key_path(home: Path, env: Config | None = None) -> Path:
    """The master key file: $FACEGATE_MASTER_KEY_FILE, else `<home>/keys/master.key`."""
    env = env or config.current()
    if env.master_key_file:
        return Path(env.master_key_file).expanduser().resolve()
    return home / "keys" / "master.key"


def load_master_keys(home: Path, env: Config | None = None) -> list[bytes]:
    """The master key (first) and any keys of an unfinished rotation, from the environment or a key file.

    $FACEGATE_MASTER_KEY (and $FACEGATE_MASTER_KEY_OLD during a rotation) win; otherwise the key file
    (`master_key_path`) is used, created 0600 on first run, with its `.new` / `.old` siblings if present.
    """
    env = env or config.current()
    if env.master_key:
        keys = [_decode_key(env.master_key, f"${MASTER_ENV}")]
        if env.master_key_old:
            keys.append(_decode_key(env.master_key_old, f"${MASTER_ENV}_OLD"))
        return keys
    current = master_key_path(home, env)
    if not current.exists():
        with suppress(FileExistsError):
            _write_key_file(current, secrets.token_bytes(32))
    paths = [current, current.with_name(current.name + ".new"), current.with_name(current.name + ".old")]
    return [_decode_key(p.read_text(), str(p)) for p in paths if p.exists()]


def rotate_master_key_file(home: Path, keystore: "Keystore") -> int:
    """Rotate the master key; every key it wrapped is rewrapped, no template is re-encrypted.

    Key file: write `master.key.new`, rewrap, keep the old key as `master.key.old` while `master.key` is
    swapped atomically, rewrap again (catching keys another process wrapped meanwhile), then drop the old
    key. Killed at any point, every key still opens. Environment: put the new key in $FACEGATE_MASTER_KEY
    and the old one in $FACEGATE_MASTER_KEY_OLD; this rewraps everything under the new one.
    """
    env = config.current()
    if env.master_key:
        return keystore.rotate_master(_decode_key(env.master_key, f"${MASTER_ENV}"))
    current = master_key_path(home, env)
    new_path, old_path = current.with_name(current.name + ".new"), current.with_name(current.name + ".old")
    if not new_path.exists():
        _write_key_file(new_path, secrets.token_bytes(32))
    new_key = _decode_key(new_path.read_text(), str(new_path))
    count = keystore.rotate_master(new_key)
    with suppress(FileExistsError):
        os.link(current, old_path)
    os.replace(new_path, current)
    count += keystore.rotate_master(new_key)
    old_path.unlink()
    return count


class Keystore:
    """Creates, unwraps, rewraps and shreds the keys of the hierarchy."""

    def __init__(self, masters: list[bytes], url: str, home: Path | None = None) -> None:
        self.home = home  # where the master key files are (re-read after another process rotated them)
        self._use_masters(masters)
        self.engine = make_engine(url)
        self._reader = self.engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})  # reads take no write lock
        KeystoreBase.metadata.create_all(self.engine)
        self._cache: dict[str, bytes] = {}

    def _use_masters(self, masters: list[bytes]) -> None:
        self._masters = {master_key_id(k): k for k in masters}
        self._master, self.master_id = masters[0], master_key_id(masters[0])

    def _reload_masters(self) -> None:
        """Pick up a master key that another process rotated in (key files only)."""
        if self.home is not None and not config.current().master_key:
            self._use_masters(load_master_keys(self.home))

    @classmethod
    def open(cls, home: Path, env: Config | None = None) -> "Keystore":
        """The key store of a data directory (`env`: the configuration; default: the environment now)."""
        env = env or config.current()
        masters = load_master_keys(home, env)
        if env.keystore_url:
            return cls(masters, env.keystore_url, home)
        path = home / "keys" / "keystore.db"
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.touch(mode=0o600, exist_ok=True)
        return cls(masters, f"sqlite:///{path}", home)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def _unwrap(self, row: Any) -> bytes:
        if row.parent.startswith("master/"):
            master_id = row.parent.removeprefix("master/")
            if master_id not in self._masters:
                self._reload_masters()
            parent = self._masters.get(master_id)
            if parent is None:
                raise KeyUnavailableError(f"{row.name} is wrapped by a master key that is not available")
        else:
            parent = self.key(row.parent)
        return unseal(parent, row.blob, row.name.encode())

    def key(self, name: str) -> bytes:
        """The unwrapped key `name`; raise KeyUnavailableError when it does not exist (never created, or shredded)."""
        if name in self._cache:
            return self._cache[name]
        with self._reader.connect() as conn:
            row = conn.execute(select(WrappedKey.__table__).filter_by(name=name)).first()
        if row is None:
            raise KeyUnavailableError(f"no key {name} (never created, or shredded)")
        key = self._unwrap(row)
        if name.startswith("deployment/"):  # deployment keys are few and hot; data keys are never cached
            self._cache[name] = key
        return key

    def ensure(self, name: str, parent: str = "master") -> bytes:
        """The key `name`, created when absent, wrapped by the key `parent` (default: the current master key)."""
        try:
            return self.key(name)
        except KeyUnavailableError:
            pass
        key = secrets.token_bytes(32)
        if parent == "master":
            self._reload_masters()  # never wrap with a master key that another process has rotated out
            parent, parent_key = f"master/{self.master_id}", self._master
        else:
            parent_key = self.key(parent)
        blob = seal(parent_key, key, name.encode())
        try:
            with self._session() as session:
                session.add(WrappedKey(name=name, parent=parent, blob=blob, created_at=utc_now()))
        except IntegrityError:
            pass  # another process created it first: use theirs
        return self.key(name)

    def deployment_key(self, deployment_id: str) -> bytes:
        """The deployment's key, created on first use."""
        return self.ensure(f"deployment/{deployment_id}")

    def data_key(self, deployment_id: str, subject_id: str, create: bool = False) -> bytes:
        """A subject's data key under a deployment; created only when `create` (enrollment)."""
        name = f"data/{deployment_id}/{subject_id}"
        if create:
            self.deployment_key(deployment_id)
            return self.ensure(name, f"deployment/{deployment_id}")
        return self.key(name)

    def shred(self, deployment_id: str, subject_id: str) -> bool:
        """Delete a subject's data key and scrub the key store's files of it: what it sealed becomes unreadable.

        True if it existed. When this returns, no file of a SQLite key store holds the wrapped key (see `scrub`).
        """
        with self._session() as session:
            result = session.execute(delete(WrappedKey).where(WrappedKey.name == f"data/{deployment_id}/{subject_id}"))
        if rowcount(result):
            self.scrub()
        return rowcount(result) > 0

    def shred_deployments(self, deployment_ids: list[str] | None = None) -> int:
        """Delete the keys of these deployments (every deployment's when None) and all their data keys, and scrub:
        a device's wipe. How many keys were deleted; the master key and keys of other kinds stay."""
        doomed: ColumnElement[bool]
        if deployment_ids is None:
            doomed = WrappedKey.name.startswith("deployment/") | WrappedKey.name.startswith("data/")
        else:
            doomed = WrappedKey.name.in_([f"deployment/{d}" for d in deployment_ids])
            for d in deployment_ids:
                doomed = doomed | WrappedKey.name.startswith(f"data/{d}/", autoescape=True)
        with self._session() as session:
            count = rowcount(session.execute(delete(WrappedKey).where(doomed)))
        self._cache.clear()
        self.scrub(full=True)
        return int(count or 0)

    def scrub(self, full: bool = False) -> None:
        """Leave no old copy of deleted keys in the key store's files.

        SQLite: deleted rows are zeroed (secure_delete), then the WAL is checkpointed and truncated.
        PostgreSQL: VACUUM of the key table, so the dead row versions are pruned; with `full` (no erasing
        transaction open any more), VACUUM FULL, which rewrites the table: VACUUM frees a pruned row's space but
        leaves its bytes in the page. WAL segments and archives are the server's (see docs/protection.md).
        """
        if self.engine.dialect.name == "sqlite":
            checkpoint_truncate(self.engine.url.database)
            return
        table = WrappedKey.__tablename__
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if not full:
                conn.exec_driver_sql(f"VACUUM {table}")
                return
            self._outlive_snapshots(conn)
            # A rewrite locks the table: waiting behind a long transaction would stall every key read behind it.
            conn.exec_driver_sql(f"SET lock_timeout = '{FULL_VACUUM_WAIT_MS}ms'")
            try:
                conn.exec_driver_sql(f"VACUUM FULL {table}")
                return
            except OperationalError:  # the lock was not had in time: prune now; `facegate doctor` names what waits
                log.warning("VACUUM FULL %s waited past %d ms for its lock: ran VACUUM", table, FULL_VACUUM_WAIT_MS)
            finally:
                conn.exec_driver_sql("RESET lock_timeout")  # the connection goes back to the pool
            conn.exec_driver_sql(f"VACUUM {table}")

    @staticmethod
    def _outlive_snapshots(conn: Any) -> None:
        """Wait (at most FULL_VACUUM_WAIT_MS) until no transaction on the server began before now: VACUUM FULL copies
        a deleted row that a snapshot might still see, and a snapshot's horizon is the oldest transaction still
        running in any database (a write elsewhere on the server keeps a shredded key's row otherwise)."""
        now = conn.exec_driver_sql("SELECT pg_snapshot_xmax(pg_current_snapshot())").scalar()
        oldest = "SELECT pg_snapshot_xmin(pg_current_snapshot()) >= %(now)s::text::xid8"
        for _ in range(FULL_VACUUM_WAIT_MS // 10):
            if conn.exec_driver_sql(oldest, {"now": str(now)}).scalar():
                return
            time.sleep(0.01)
        log.warning("a transaction older than the erasure still runs on the server: VACUUM FULL may keep the key's row")

    def subject_keys(self, subject_id: str) -> list[str]:
        """Names of the data keys a subject has, across deployments."""
        mine = WrappedKey.name.startswith("data/", autoescape=True) & WrappedKey.name.endswith(
            f"/{subject_id}", autoescape=True
        )
        with self._session() as session:
            return list(session.scalars(select(WrappedKey.name).where(mine)))

    def rotate_master(self, new_master: bytes) -> int:
        """Rewrap under `new_master` every key another master wrapped; how many. Templates and data keys stay."""
        new_id = master_key_id(new_master)
        count = 0
        wrapped_by_another = WrappedKey.parent.startswith("master/") & (WrappedKey.parent != f"master/{new_id}")
        with self._session() as session:
            for row in session.scalars(select(WrappedKey).where(wrapped_by_another)).all():
                key = self._unwrap(row)
                row.blob, row.parent = seal(new_master, key, row.name.encode()), f"master/{new_id}"
                count += 1
        self._masters[new_id] = new_master
        self._master, self.master_id = new_master, new_id
        self._cache.clear()
        return count
