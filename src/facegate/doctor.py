"""What weakens erasure in a data directory: where the master key is, file modes, WALs, free pages, archives.

`facegate doctor` prints these findings. It reads; it changes nothing unless asked to `scrub` (checkpoint and
truncate the SQLite WALs, VACUUM databases whose free pages may hold rows deleted before secure_delete).
"""

import sqlite3
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from facegate import config
from facegate.store.database import checkpoint_truncate, database_url, make_engine
from facegate.vault.keystore import MASTER_ENV, MASTER_FILE_ENV, master_key_path

OK, WARN, FAIL = "ok", "warn", "fail"
EXIT_CODES = {OK: 0, WARN: 5, FAIL: 6}  # the worst finding decides the exit code of `facegate doctor`
PUBLIC_SUFFIXES = (".pub.pem",)  # public keys may be readable by others


@dataclass(frozen=True)
class Diagnosis:
    """One check of `facegate doctor` (not a policy Finding): its level (ok, warn, fail), what it looked at, and
    what it found."""

    level: str
    check: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """The finding as JSON data."""
        return asdict(self)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def master_key(home: Path) -> list[Diagnosis]:
    """Where the master key is, whether it sits beside the data it protects, and who can read its file."""
    env = config.current()
    if env.master_key:
        found = [Diagnosis(OK, "master key", f"from ${MASTER_ENV} (not stored in the data directory)")]
        if env.master_key_old:
            found.append(Diagnosis(WARN, "master key", f"${MASTER_ENV}_OLD is set: finish the rotation and unset it"))
        return found
    path = master_key_path(home)
    where = f"${MASTER_FILE_ENV}" if env.master_key_file else "the default place"
    if not path.exists():
        return [Diagnosis(WARN, "master key", f"{path} ({where}) does not exist yet: it is created at first use")]
    found = []
    if _inside(path, home):
        found.append(
            Diagnosis(
                WARN,
                "master key",
                f"{path} is inside the data directory: a copy or backup of the folder holds the key with what it "
                f"protects, and a deleted subject's template opens from an old backup; set ${MASTER_FILE_ENV} to "
                f"a file elsewhere (or ${MASTER_ENV})",
            )
        )
    else:
        found.append(Diagnosis(OK, "master key", f"{path} ({where}), outside the data directory"))
    mode = _mode(path)
    if mode & 0o077:
        found.append(Diagnosis(FAIL, "master key", f"{path} has mode {mode:04o}: others can read it; chmod 600"))
    for sibling in (path.with_name(path.name + ".new"), path.with_name(path.name + ".old")):
        if sibling.exists():
            found.append(Diagnosis(WARN, "master key", f"{sibling} exists: a rotation did not finish; run it again"))
    return found


def file_modes(home: Path) -> list[Diagnosis]:
    """The data directory 0700 and every file in it 0600 (public keys aside)."""
    found = []
    mode = _mode(home)
    if mode & 0o077:
        found.append(Diagnosis(WARN, "modes", f"{home} has mode {mode:04o}: make it 0700"))
    loose = []
    for path in sorted(home.rglob("*")):
        if path.is_symlink() or path.name.endswith(PUBLIC_SUFFIXES):
            continue
        if (path.is_dir() or path.is_file()) and _mode(path) & 0o077:
            loose.append(f"{path.relative_to(home)} {_mode(path):04o}")
    if loose:
        wanted = "readable by others (want 0600 files, 0700 folders): "
        found.append(Diagnosis(WARN, "modes", wanted + ", ".join(loose)))
    if not found:
        found.append(Diagnosis(OK, "modes", f"{home} is 0700 and every file in it 0600"))
    return found


def dirty_free_pages(path: Path) -> int:
    """How many free pages of a SQLite file hold anything but zeros (rows deleted without secure_delete).

    Reads the file as it is on disk: pages still in the WAL are not seen (a truncated WAL has none).
    """
    with path.open("rb") as file:
        header = file.read(100)
        if len(header) < 100:
            return 0
        size = int.from_bytes(header[16:18], "big")
        size = 65536 if size == 1 else size
        trunk, dirty, seen = int.from_bytes(header[32:36], "big"), 0, set()
        while trunk and trunk not in seen:
            seen.add(trunk)
            file.seek((trunk - 1) * size)
            page = file.read(size)
            count = int.from_bytes(page[4:8], "big")
            dirty += any(page[8 + 4 * count :])
            for i in range(count):
                leaf = int.from_bytes(page[8 + 4 * i : 12 + 4 * i], "big")
                file.seek((leaf - 1) * size)
                dirty += any(file.read(size))
            trunk = int.from_bytes(page[:4], "big")
    return dirty


def _sqlite(path: Path, label: str) -> list[Diagnosis]:
    found = []
    for suffix in ("-journal",):
        if path.with_name(path.name + suffix).exists():
            found.append(Diagnosis(WARN, label, f"{path.name}{suffix} exists: a rollback journal holds old pages"))
    wal = path.with_name(path.name + "-wal")
    size = wal.stat().st_size if wal.exists() else 0
    free = dirty_free_pages(path)
    if free:
        found.append(
            Diagnosis(
                WARN,
                label,
                f"{path.name} has {free} free page(s) holding rows deleted before secure_delete was on: "
                "run `facegate doctor --scrub` (VACUUM)",
            )
        )
    note = f"WAL {size} bytes (truncated after each erasure)" if size else "WAL empty"
    found.append(Diagnosis(OK, label, f"{path}: secure_delete on every connection; {note}"))
    return found


def _postgresql(url: str, label: str, keys: bool) -> list[Diagnosis]:
    found = []
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            archive = conn.execute(text("SHOW archive_mode")).scalar()
            dead = None
            if keys:
                dead = conn.execute(
                    text("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'wrapped_keys'")
                ).scalar()
    finally:
        engine.dispose()
    if archive != "off":
        level = WARN if keys else OK
        what = (
            "every wrapped key ever written, shredded ones included, stays in the archive: a deleted subject's "
            "template opens with the archive and the master key; keep the key store on a server without archiving"
            if keys
            else "archived WAL holds sealed templates, unreadable once their keys are shredded"
        )
        found.append(Diagnosis(level, label, f"archive_mode is {archive}: {what}"))
    if dead:
        found.append(Diagnosis(WARN, label, f"{dead} dead row version(s) in wrapped_keys await VACUUM"))
    found.append(
        Diagnosis(
            OK,
            label,
            f"PostgreSQL {make_url(url).render_as_string(hide_password=True)}: deleted rows stay in its WAL segments "
            "until the server recycles them" + ("; the key table is vacuumed after each shred" if keys else ""),
        )
    )
    return found


def databases(home: Path) -> list[Diagnosis]:
    """The data store and the key store: where they are and what of a deleted row their files may keep."""
    data_url = database_url(home)
    key_url = config.current().keystore_url or f"sqlite:///{home / 'keys' / 'keystore.db'}"
    found = []
    if make_url(data_url) == make_url(key_url) or (
        make_url(key_url).get_backend_name() == "postgresql"
        and make_url(data_url).set(drivername="postgresql") == make_url(key_url).set(drivername="postgresql")
    ):
        found.append(
            Diagnosis(WARN, "key store", "the key store shares the data database: a backup of the data holds the keys")
        )
    for url, label, keys in ((key_url, "key store", True), (data_url, "data store", False)):
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            path = Path(parsed.database or "")
            if path.exists():
                found += _sqlite(path, label)
            else:
                found.append(Diagnosis(OK, label, f"{path} does not exist yet"))
        else:
            try:
                found += _postgresql(url, label, keys)
            except Exception as exc:  # a server down is a finding, not a traceback
                found.append(Diagnosis(FAIL, label, f"cannot reach the database ({type(exc).__name__})"))
    return found


def erasures(home: Path) -> list[Diagnosis]:
    """Erasures journaled and not finished: a process killed after shredding a key, before deleting the rows."""
    url = make_url(database_url(home))
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
        return []  # opening it would create it
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            pending = conn.execute(text("SELECT count(*) FROM gate_erasure")).scalar() or 0
    except Exception:  # no data store yet, an older schema, or a server down (reported by `databases`)
        return []
    finally:
        engine.dispose()
    if not pending:
        return [Diagnosis(OK, "erasures", "no erasure left unfinished")]
    return [
        Diagnosis(
            WARN,
            "erasures",
            f"{pending} erasure(s) interrupted (or running now): keys may be shredded with rows and consents left; "
            "`facegate purge` or the server's start finishes them",
        )
    ]


def examine(home: Path) -> list[Diagnosis]:
    """Every finding for the data directory `home`."""
    return master_key(home) + file_modes(home) + databases(home) + erasures(home)


def exit_code(findings: list[Diagnosis]) -> int:
    """0 when nothing weakens erasure, 5 when something does (warn), 6 when something breaks it (fail)."""
    return max((EXIT_CODES[f.level] for f in findings), default=0)


def scrub(home: Path) -> list[str]:
    """Checkpoint and truncate the SQLite WALs (key store first), VACUUM those with free pages; what was done."""
    done = []
    key_url = config.current().keystore_url or f"sqlite:///{home / 'keys' / 'keystore.db'}"
    for url in (key_url, database_url(home)):
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite" or not Path(parsed.database or "").exists():
            continue
        path = Path(parsed.database or "")
        checkpoint_truncate(path)
        if dirty_free_pages(path):
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            try:
                conn.execute("PRAGMA secure_delete=ON")
                conn.execute("VACUUM")
            finally:
                conn.close()
            done.append(f"{path.name}: vacuumed")
            checkpoint_truncate(path)
        done.append(f"{path.name}: WAL checkpointed and truncated")
    return done
