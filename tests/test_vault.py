"""Protection of data: no plaintext templates or images on disk, crypto-shredding, the key hierarchy."""

import base64
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gate_fixtures import Clock, example, make_gate, shared_engine
from sqlalchemy import text, update

from facegate.audit import AuditLog, SigningKey
from facegate.errors import InputError, KeyUnavailableError
from facegate.gate import Caller, Context, Gate
from facegate.store import Database
from facegate.vault.keystore import Keystore, load_master_keys, rotate_master_key_file
from facegate.vault.models import TemplateRow
from facegate.vault.vault import Vault

OFFICE = "hq-lobby"


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[Gate]:
    yield from make_gate(f"sqlite:///{tmp_path / 'facegate.db'}", tmp_path / "keys", Clock())


def enrolled(gate: Gate, photos: Path, *names: str) -> None:
    gate.register(example("office-entry"))
    for name in names:
        gate.add_subject(name)
        gate.notice_shown(OFFICE, name)
        gate.give_consent(OFFICE, name)
        gate.enroll(OFFICE, name, (photos / f"{name}.jpg").read_bytes())


def windows(vector: np.ndarray, width: int = 4) -> list[bytes]:
    """Every run of `width` consecutive float32 values of a vector, as the bytes a file would hold."""
    raw = vector.astype("<f4").tobytes()
    return [raw[i : i + 4 * width] for i in range(0, len(raw) - 4 * width + 1, 4)]


def test_no_plaintext_template_or_image_bytes_in_any_file(gate: Gate, photos: Path, tmp_path: Path) -> None:
    enrolled(gate, photos, "obama", "biden")
    export = gate.export("obama", Caller("subject:obama"))
    vector = np.array(export["templates"][0]["vector"], dtype=np.float32)
    with gate.db.session(readonly=True) as session:
        stored = gate.vault.templates(session, OFFICE, "obama")[0].vector
        batches = list(gate.vault.stream_templates(session, OFFICE, batch=1))  # a gallery's rebuild reads these
    assert [[t.subject_id for t in b] for b in batches] == [["biden"], ["obama"]]
    assert np.array_equal(batches[1][0].vector, stored)
    image = (photos / "obama.jpg").read_bytes()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "keystore.db" for p in files) and any(p.name == "facegate.db" for p in files)
    for path in files:
        content = path.read_bytes()
        for chunk in windows(stored) + windows(vector.astype(np.float64).astype(np.float32)):
            assert chunk not in content, f"template bytes found in {path.name}"
        for start in range(0, len(image) - 64, 4096):  # any 64-byte piece of the photo
            assert image[start : start + 64] not in content, f"image bytes found in {path.name}"


def test_a_backup_taken_before_deletion_no_longer_yields_the_template(gate: Gate, photos: Path, tmp_path: Path) -> None:
    enrolled(gate, photos, "obama")
    backup = tmp_path / "backup.db"
    with sqlite3.connect(tmp_path / "facegate.db") as live, sqlite3.connect(backup) as copy:
        live.backup(copy)  # an online backup, as an operator's backup job takes it
    gate.delete_subject("obama")
    restored = Database.open(f"sqlite:///{backup}")
    with restored.session(readonly=True) as session:
        assert session.query(TemplateRow).count() == 1  # the sealed row is still in the backup ...
        assert gate.vault.templates(session, OFFICE, "obama") == []  # ... but its data key is gone
        assert list(gate.vault.stream_templates(session, OFFICE)) == []
        with pytest.raises(KeyUnavailableError):
            gate.vault.keystore.data_key(OFFICE, "obama")
    restored.dispose()


def test_a_template_moved_to_another_subject_does_not_open(gate: Gate, photos: Path) -> None:
    enrolled(gate, photos, "obama", "biden")
    with gate.db.session() as session:
        session.execute(update(TemplateRow).where(TemplateRow.subject_id == "obama").values(subject_id="biden"))
    with gate.db.session(readonly=True) as session, pytest.raises(KeyUnavailableError, match="does not open"):
        gate.vault.templates(session, OFFICE, "biden")


def test_master_key_rotation_rewraps_keys_without_touching_templates(tmp_path: Path, photos: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    keystore = Keystore.open(home)
    db = Database.open(f"sqlite:///{home / 'facegate.db'}")
    context = Context(db, Vault(keystore), AuditLog(SigningKey.generate()), clock=Clock())
    gate = Gate(context, engine_factory=shared_engine)
    enrolled(gate, photos, "obama")
    with gate.db.session(readonly=True) as session:
        before = session.query(TemplateRow.sealed).scalar()
    old_master = (home / "keys" / "master.key").read_text()
    with keystore.engine.connect() as conn:
        query = text("SELECT count(*) FROM wrapped_keys WHERE parent LIKE 'master/%'")
        wrapped_by_master = conn.execute(query).scalar()
    assert rotate_master_key_file(home, keystore) == wrapped_by_master >= 1
    assert (home / "keys" / "master.key").read_text() != old_master
    assert stat.S_IMODE((home / "keys" / "master.key").stat().st_mode) == 0o600
    reopened = Vault(Keystore.open(home))
    with gate.db.session(readonly=True) as session:
        assert session.query(TemplateRow.sealed).scalar() == before
        assert len(reopened.templates(session, OFFICE, "obama")) == 1


def test_an_interrupted_rotation_still_opens_every_key(tmp_path: Path) -> None:
    keystore = Keystore.open(tmp_path)
    key = keystore.deployment_key("d1")
    (tmp_path / "keys" / "master.key.new").write_text("bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmU=\n")
    new = load_master_keys(tmp_path)[1]
    keystore.rotate_master(new)  # rewrapped, but killed before the key files were swapped
    assert Keystore.open(tmp_path).deployment_key("d1") == key


def test_key_files_are_private(tmp_path: Path) -> None:
    Keystore.open(tmp_path)
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    for name in ("master.key", "keystore.db"):
        assert stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode) == 0o600


def test_a_bad_master_key_in_the_environment_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEGATE_MASTER_KEY", "not base64!")
    with pytest.raises(InputError, match="FACEGATE_MASTER_KEY is not base64"):
        load_master_keys(tmp_path)
    monkeypatch.setenv("FACEGATE_MASTER_KEY", "c2hvcnQ=")
    with pytest.raises(InputError, match="32-byte"):
        load_master_keys(tmp_path)


def test_the_wrong_master_key_opens_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ks.db'}"
    Keystore([b"a" * 32], url).deployment_key("d1")
    with pytest.raises(KeyUnavailableError, match="not available"):
        Keystore([b"b" * 32], url).deployment_key("d1")


def test_a_running_process_follows_a_rotation_made_by_another(tmp_path: Path) -> None:
    server = Keystore.open(tmp_path)  # e.g. the API server, with the old master key in memory
    first = server.deployment_key("d1")
    operator = Keystore.open(tmp_path)
    rotate_master_key_file(tmp_path, operator)
    second = server.deployment_key("d2")  # created after the rotation: wrapped by the new master key
    assert Keystore.open(tmp_path).deployment_key("d1") == first  # after a restart both still open
    assert Keystore.open(tmp_path).deployment_key("d2") == second
    assert not (tmp_path / "keys" / "master.key.old").exists()


def test_a_rotation_killed_before_the_swap_still_opens_every_key(tmp_path: Path) -> None:
    keystore = Keystore.open(tmp_path)
    key = keystore.deployment_key("d1")
    (tmp_path / "keys" / "master.key.new").write_text(base64.b64encode(b"n" * 32).decode())
    keystore.rotate_master(b"n" * 32)  # rewrapped, then killed before master.key was replaced
    assert Keystore.open(tmp_path).deployment_key("d1") == key
    assert rotate_master_key_file(tmp_path, Keystore.open(tmp_path)) == 0  # finishing it later is safe
    assert Keystore.open(tmp_path).deployment_key("d1") == key


def test_rotation_with_the_master_key_in_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = base64.b64encode(b"o" * 32).decode(), base64.b64encode(b"w" * 32).decode()
    monkeypatch.setenv("FACEGATE_MASTER_KEY", old)
    key = Keystore.open(tmp_path).deployment_key("d1")  # a fresh data directory with an environment key
    monkeypatch.setenv("FACEGATE_MASTER_KEY", new)
    monkeypatch.setenv("FACEGATE_MASTER_KEY_OLD", old)
    assert rotate_master_key_file(tmp_path, Keystore.open(tmp_path)) == 1
    monkeypatch.delenv("FACEGATE_MASTER_KEY_OLD")
    assert Keystore.open(tmp_path).deployment_key("d1") == key


def test_keys_created_at_once_by_two_writers_are_one_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'ks.db'}"
    a, b = Keystore([b"a" * 32], url), Keystore([b"a" * 32], url)
    looked, real = [], a.key

    def absent_at_first_look(name: str) -> bytes:
        if not looked:  # a looked before b wrote ...
            looked.append(name)
            b.deployment_key("d1")  # ... and b wins the race
            raise KeyUnavailableError("absent")
        return real(name)

    monkeypatch.setattr(a, "key", absent_at_first_look)
    assert a.ensure("deployment/d1") == b.deployment_key("d1")


def test_rotating_through_the_gate_is_audited_and_keeps_templates_open(tmp_path: Path, photos: Path) -> None:
    gate = Gate.open(tmp_path, engine_factory=shared_engine)
    enrolled(gate, photos, "obama")
    decision = gate.rotate_master_key()
    assert decision.outcome == "rotated" and decision.details["keys_rewrapped"] >= 2  # deployment and oversight
    assert gate.verify(OFFICE, "obama", (photos / "obama2.jpg").read_bytes()).outcome == "match"
    with gate.db.session(readonly=True) as session:
        assert gate.audit.verify(session).ok
