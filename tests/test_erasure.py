"""Erasure leaves nothing recoverable: after a deletion, withdrawal or purge returns, no file under the data
directory holds the subject's wrapped key or sealed template, while the server keeps running."""

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from gate_fixtures import Clock, example, shared_engine
from test_api_fixtures import serving

from facegate.context import Context
from facegate.gate import Gate
from facegate.server import create_app
from facegate.store.database import checkpoint_truncate
from facegate.vault.keystore import MASTER_FILE_ENV

DATA = Path(__file__).parent / "data"
OFFICE = "hq-lobby"
pytestmark = pytest.mark.slow


@dataclass
class Server:
    """A facegate server on loopback over a data directory, with an operator key."""

    home: Path
    url: str
    gate: Gate
    clock: Clock
    headers: dict[str, str]

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.post(self.url + path, headers=self.headers, timeout=60, **kwargs)  # type: ignore[arg-type]

    def consenting_enrolled(self, subject: str, photo: str) -> None:
        """Add, notify, consent and enroll `subject` over HTTP."""
        assert self.post("/api/v1/subjects", json={"id": subject}).status_code == 201
        base = f"/api/v1/deployments/{OFFICE}/subjects/{subject}"
        assert self.post(base + "/notice").status_code == 200
        assert self.post(base + "/consents", json={}).status_code == 201
        image = {"image": (photo, (DATA / photo).read_bytes(), "image/jpeg")}
        assert self.post(base + "/enroll", files=image).status_code == 201, self.post

    def verify(self, subject: str, photo: str) -> httpx.Response:
        image = {"image": (photo, (DATA / photo).read_bytes(), "image/jpeg")}
        return self.post(f"/api/v1/deployments/{OFFICE}/subjects/{subject}/verify", files=image)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    home = tmp_path / "home"
    monkeypatch.setenv(MASTER_FILE_ENV, str(tmp_path / "secrets" / "master.key"))
    monkeypatch.delenv("FACEGATE_MASTER_KEY", raising=False)
    monkeypatch.delenv("FACEGATE_KEYSTORE_URL", raising=False)
    monkeypatch.delenv("FACEGATE_DATABASE_URL", raising=False)
    clock = Clock()
    context = Context.open(home)
    context.clock = clock
    gate = Gate(context, engine_factory=shared_engine)
    app = create_app(home, gate=gate, purge_every=None)
    svc = app.state.service
    gate.register(example("office-entry"))
    secret = svc.keys.create("operator", clock(), "operator", [OFFICE])[1]
    with serving(app) as url:
        yield Server(home, url, gate, clock, {"Authorization": f"Bearer {secret}"})
    gate.db.dispose()
    gate.vault.keystore.engine.dispose()


def _secrets_of(home: Path, subject: str) -> list[bytes]:
    """The subject's wrapped data keys and sealed templates, read from the files as they are now."""
    found = []
    for path, query in (
        (home / "keys" / "keystore.db", "SELECT blob FROM wrapped_keys WHERE name LIKE ?"),
        (home / "facegate.db", "SELECT sealed FROM vault_template WHERE subject_id = ?"),
    ):
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            arg = f"data/%/{subject}" if "wrapped" in query else subject
            found += [bytes(row[0]) for row in conn.execute(query, (arg,))]
        finally:
            conn.close()
    assert found, "the subject should have had a key and templates"
    return found


def _remnants(home: Path, blobs: list[bytes]) -> list[str]:
    """Every file under `home` holding any 24-byte stretch of any blob (a whole copy or a partial one)."""
    probes = {blob[i : i + 24] for blob in blobs for i in range(0, len(blob) - 24, 24)}
    hits = []
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if any(probe in data for probe in probes):
            hits.append(str(path.relative_to(home)))
    return hits


def _traffic(server: Server, subject: str, photo: str, stop: threading.Event, errors: list[str]) -> None:
    while not stop.is_set():
        answer = server.verify(subject, photo)
        if answer.status_code != 200:
            errors.append(answer.text)


def test_deletion_leaves_no_key_or_template_in_any_file_while_serving(server: Server) -> None:
    server.consenting_enrolled("alice", "obama.jpg")
    server.consenting_enrolled("bob", "biden.jpg")
    for _ in range(3):  # more frames of the same pages in the WAL
        assert server.verify("alice", "obama2.jpg").status_code == 200
    blobs = _secrets_of(server.home, "alice")
    assert _remnants(server.home, blobs), "the blobs are in the files before the deletion"
    stop, errors = threading.Event(), []
    readers = threading.Thread(target=_traffic, args=(server, "bob", "biden2.jpg", stop, errors))
    readers.start()  # other requests keep reading the databases while the deletion runs
    try:
        answer = httpx.delete(f"{server.url}/api/v1/subjects/alice", headers=server.headers, timeout=60)
        assert answer.status_code == 200
        assert _remnants(server.home, blobs) == []
    finally:
        stop.set()
        readers.join()
    assert errors == []
    assert server.verify("bob", "biden2.jpg").status_code == 200  # the service still serves


def test_the_data_directory_is_0700_and_its_files_0600_while_serving(server: Server) -> None:
    server.consenting_enrolled("gina", "obama.jpg")
    assert server.verify("gina", "obama2.jpg").status_code == 200
    files = {p.relative_to(server.home).as_posix(): p.stat().st_mode & 0o777 for p in server.home.rglob("*")}
    assert {"facegate.db", "facegate.db-wal", "facegate.db-shm", "keys/keystore.db"} <= set(files)
    loose = {name: oct(mode) for name, mode in files.items() if mode not in (0o600, 0o700)}
    assert loose == {"keys/audit-ed25519.pub.pem": "0o644"}  # a public key
    assert server.home.stat().st_mode & 0o777 == 0o700


def test_withdrawal_leaves_no_key_or_template_in_any_file(server: Server) -> None:
    server.consenting_enrolled("carol", "obama.jpg")
    server.consenting_enrolled("dave", "biden.jpg")
    blobs = _secrets_of(server.home, "carol")
    assert server.post(f"/api/v1/deployments/{OFFICE}/subjects/carol/withdraw").status_code == 200
    assert _remnants(server.home, blobs) == []
    assert server.verify("dave", "biden2.jpg").status_code == 200


def test_retention_purge_leaves_no_key_or_template_in_any_file(server: Server) -> None:
    server.consenting_enrolled("erin", "obama.jpg")
    blobs = _secrets_of(server.home, "erin")
    server.clock.advance(days=example("office-entry").storage.retention_days + 1)
    server.consenting_enrolled("frank", "biden.jpg")  # enrolled after the clock moved: still held
    assert server.gate.purge()["templates"] == 1
    assert _remnants(server.home, blobs) == []
    assert server.verify("frank", "biden2.jpg").status_code == 200


def test_checkpoint_waits_for_a_reader_then_truncates(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (randomblob(5000))")
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()  # holds a snapshot in the WAL
    threading.Timer(0.5, lambda: reader.execute("COMMIT")).start()
    checkpoint_truncate(path, deadline_s=timedelta(minutes=1).total_seconds())
    assert os.path.getsize(str(path) + "-wal") == 0
    reader.close()
    conn.close()


def test_a_refusal_is_recorded_with_no_snapshot_held_so_an_erasure_never_waits_on_it(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A refusal written while its request still held a read snapshot made a concurrent erasure's truncating
    # checkpoint and that write wait on each other until the busy timeout: the erasure stalled for 30 s and
    # the refused enrollment became a 500 with no audit entry.
    writer = server.gate.recorder.writer
    record, held = writer.append_alone, []

    def checkpoint_first(event: object) -> object:
        conn = sqlite3.connect(server.home / "facegate.db", timeout=0, isolation_level=None)
        try:
            held.append(conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0])  # 1: a reader holds the WAL
        finally:
            conn.close()
        return record(event)  # type: ignore[arg-type]

    monkeypatch.setattr(writer, "append_alone", checkpoint_first)
    assert server.post("/api/v1/subjects", json={"id": "hana"}).status_code == 201
    image = {"image": ("obama.jpg", (DATA / "obama.jpg").read_bytes(), "image/jpeg")}
    refused = server.post(f"/api/v1/deployments/{OFFICE}/subjects/hana/enroll", files=image)
    assert refused.status_code == 403 and refused.json()["code"] == "notice_not_shown"
    asked = {"device": "k1", "purpose": "marketing"}
    challenge = server.post(f"/api/v1/deployments/{OFFICE}/liveness/challenge", json=asked)
    assert challenge.status_code == 403, challenge.text
    assert held and held == [0] * len(held)


KILLED_AFTER_SHRED = """
import os, signal, sys
from pathlib import Path
from typing import Any
from datetime import datetime
from facegate.context import Context
from facegate.gate import Caller, Gate
from facegate.vault.keystore import Keystore

shred = Keystore.shred
def shred_then_die(self, deployment_id, subject_id):
    shred(self, deployment_id, subject_id)  # the key store has committed: the key is gone
    os.kill(os.getpid(), signal.SIGKILL)  # before the data store commits
Keystore.shred = shred_then_die
context = Context.open(Path(sys.argv[1]))
context.clock = lambda: datetime.fromisoformat(sys.argv[2])
gate = Gate(context)
if sys.argv[3] == "withdraw":
    gate.withdraw("hq-lobby", "ivan", Caller("subject:ivan"))
else:
    gate.delete_subject("ivan", Caller("operator:kim"))
"""


@pytest.mark.parametrize("operation", ["withdraw", "delete"])
def test_an_erasure_killed_after_its_key_is_shredded_is_reported_then_finished(
    server: Server, operation: str, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from facegate import doctor
    from facegate.errors import NotFoundError, RefusedError

    server.consenting_enrolled("ivan", "obama.jpg")
    blobs = _secrets_of(server.home, "ivan")
    script = tmp_path / "killed.py"
    script.write_text(KILLED_AFTER_SHRED)
    child = subprocess.run(
        [sys.executable, str(script), str(server.home), server.clock().isoformat(), operation], timeout=120
    )
    assert child.returncode == -9  # killed between the key's shred and the rows' deletion
    findings = [f for f in doctor.examine(server.home) if f.check == "erasures"]
    assert [f.level for f in findings] == ["warn"] and "1 erasure(s) interrupted" in findings[0].message

    assert server.gate.purge()["erasures_resumed"] == 1  # the server's start runs this too

    assert [f.level for f in doctor.examine(server.home) if f.check == "erasures"] == ["ok"]
    assert _remnants(server.home, blobs) == []
    receipts = [p for p in _audit_payloads(server) if '"deleted"' in p and '"ivan"' in p]
    expected = ("consent.withdraw", "subject:ivan") if operation == "withdraw" else ("subject.delete", "operator:kim")
    assert len(receipts) == 1 and all(word in receipts[0] for word in expected)
    if operation == "delete":
        with pytest.raises(NotFoundError):
            server.gate.access("ivan")
        return
    assert server.gate.access("ivan")["facial_data"] == []
    image = (DATA / "biden.jpg").read_bytes()  # another face, and the consent is withdrawn: refused
    with pytest.raises(RefusedError) as refused:
        server.gate.enroll(OFFICE, "ivan", image)
    assert "consent" in str(refused.value).lower()


def _audit_payloads(server: Server) -> list[str]:
    from sqlalchemy import text

    with server.gate.db.session(readonly=True) as session:
        return [p for (p,) in session.execute(text("SELECT payload FROM audit_entry ORDER BY idx"))]


def quiet_autovacuum(conn: Any) -> None:
    """Keep autovacuum off this database's tables and wait out any snapshot another backend holds in it (an
    autovacuum's ANALYZE takes one): a dead row some snapshot may still see is one VACUUM FULL copies
    (docs/protection.md says so)."""
    from sqlalchemy import text

    for (table,) in conn.execute(text("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = "
                                      "'public'::regnamespace")):  # fmt: skip
        conn.execute(text(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)'))
    busy = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
                "pg_backend_pid() AND (backend_type = 'autovacuum worker' OR backend_xmin IS NOT NULL)")  # fmt: skip
    for _ in range(300):
        if not conn.execute(busy).scalar_one():
            return
        time.sleep(0.1)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    "erase", [lambda gate: gate.withdraw(OFFICE, "ivan"), lambda gate: gate.delete_subject("ivan")],
    ids=["withdrawal", "deletion"],
)
def test_an_erasure_leaves_no_copy_of_the_key_in_a_postgresql_key_table_shared_with_the_data(
    database_url: str, erase: Callable[[Gate], object], tmp_path: Path
) -> None:
    # The shred's own VACUUM cannot prune the key's dead row version while the erasing transaction, on the same
    # database, is open, and a VACUUM leaves a pruned row's bytes in the page's free space; the VACUUM FULL after
    # its commit rewrites the table without them, once no transaction older than the erasure runs on the server
    # (one that does, even in another database, makes VACUUM FULL copy the row).
    from sqlalchemy import create_engine, text

    from facegate.audit import AuditLog, SigningKey
    from facegate.store import Database
    from facegate.vault.keystore import Keystore
    from facegate.vault.vault import Vault

    keystore = Keystore([b"k" * 32], database_url)
    db = Database.open(database_url)
    context = Context(db, Vault(keystore), AuditLog(SigningKey.generate(), checkpoint_every=1000), clock=Clock())
    gate = Gate(context, engine_factory=shared_engine)
    raw = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with raw.connect() as conn:
            try:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            except Exception:
                pytest.skip("needs PostgreSQL's pageinspect extension (postgresql-contrib) to read the table's pages")
        gate.register(example("office-entry"))
        for subject in ("jill", "ivan"):  # ivan's key is written after jill's, below it on the page: no live row
            # is moved over its bytes when the page is compacted
            gate.add_subject(subject)
            gate.notice_shown(OFFICE, subject)
            gate.give_consent(OFFICE, subject)
            gate.enroll(OFFICE, subject, (DATA / "obama.jpg").read_bytes())
        with raw.connect() as conn:
            key = bytes(conn.execute(text("SELECT blob FROM wrapped_keys WHERE name LIKE 'data/%/ivan'")).scalar_one())
            quiet_autovacuum(conn)
        elsewhere = create_engine(database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with elsewhere.connect() as other:  # a write under way in another database of the server, for half a second
            other.execute(text("BEGIN"))
            other.execute(text("SELECT pg_current_xact_id()"))
            commit = threading.Timer(0.5, lambda: other.execute(text("COMMIT")))
            commit.start()
            erase(gate)
            commit.join()
        elsewhere.dispose()
        with raw.connect() as conn:
            pages = conn.execute(text("SELECT pg_relation_size('wrapped_keys') / 8192")).scalar_one()
            page = text("SELECT get_raw_page('wrapped_keys', :i)")
            held = [i for i in range(pages) if key[:24] in conn.execute(page, {"i": i}).scalar_one()]
        assert held == []
    finally:
        raw.dispose()
        db.dispose()
        keystore.engine.dispose()
