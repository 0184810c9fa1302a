"""The audit log: appends in the caller's transaction, event validation, checkpoints, keys, proofs, retention."""

import base64
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from facegate.audit import AuditLog, Event, SigningKey, merkle, open_checkpoint
from facegate.audit.event import canonical
from facegate.errors import InputError, NotFoundError, RefusedError
from facegate.events import Op
from facegate.store import Database

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def event(i: int = 0, **fields: object) -> Event:
    """A typical gate decision."""
    base: dict[str, object] = {
        "actor": "api_key:k1",
        "operation": Op.VERIFY,
        "decision": "allow",
        "outcome": "match",
        "deployment": "hq-lobby",
        "purpose": "access_control",
        "rule_ids": ["CN25-4b", "CN25-9a/b"],
        "request_id": f"req-{i}",
        "subject": f"s-{i % 7}",
    }
    base.update(fields)
    return Event(**base)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def log(home: Path) -> AuditLog:
    return AuditLog.for_home(home, checkpoint_every=16)


def count(db: Database, table: str) -> int:
    with db.session(readonly=True) as s:
        return s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_append_returns_receipts_and_stores_canonical_entries(database: Database, log: AuditLog) -> None:
    with database.session() as s:
        receipts = [log.append(s, event(i), now=NOW) for i in range(3)]
    assert [r.index for r in receipts] == [0, 1, 2]
    with database.session(readonly=True) as s:
        payload, leaf = s.execute(text("SELECT payload, leaf_hash FROM audit_entry WHERE idx = 1")).one()
    entry = json.loads(payload)
    assert payload.encode() == canonical(entry)  # sorted keys, compact
    assert leaf == merkle.leaf_hash(payload.encode()) == receipts[1].leaf_hash
    assert entry["index"] == 1 and entry["at"] == "2026-03-01T12:00:00.000000Z"
    assert entry["rule_ids"] == ["CN25-4b", "CN25-9a/b"] and entry["decision"] == "allow"


def test_append_commits_and_rolls_back_with_the_callers_transaction(database: Database, log: AuditLog) -> None:
    with database.session() as s:
        log.append(s, event(0))
    with pytest.raises(RuntimeError), database.session() as s:
        log.append(s, event(1))
        raise RuntimeError("the operation it records failed")
    with database.begin() as conn:
        log.append(conn, event(2))
    assert count(database, "audit_entry") == 2
    with database.session(readonly=True) as s:
        assert log.verify(s).ok


def test_append_many_keeps_order(database: Database, log: AuditLog) -> None:
    with database.session() as s:
        receipts = log.append_many(s, [event(i) for i in range(40)])
    assert [r.index for r in receipts] == list(range(40))
    with database.session(readonly=True) as s:
        report = log.verify(s)
    assert report.ok and report.size == 40


def test_a_duplicate_event_id_is_refused(database: Database, log: AuditLog) -> None:
    with database.session() as s:
        log.append(s, event(0, event_id="e-1"))
    with pytest.raises(InputError, match="already"), database.session() as s:
        log.append(s, event(1, event_id="e-1"))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"embedding": [0.1, 0.2, 0.3]}, "embedding"),
        ({"image": b"\xff\xd8\xff"}, "image"),
        ({"distance": 0.42}, "distance"),
        ({"subject": b"s-1"}, "subject"),
        ({"rule_ids": [0.12, 0.5]}, "rule_ids"),
        ({"request_id": 0.5}, "request_id"),
        ({"subject": "[0.1, 0.2, 0.3]"}, "subject"),
        ({"outcome": "match distance=0.31"}, "outcome"),
        ({"actor": "alice"}, "actor"),
        ({"decision": "maybe"}, "decision"),
        ({"at": datetime(2026, 1, 1)}, "at"),  # naive time: refused
    ],
)
def test_events_refuse_biometric_and_unknown_fields(fields: dict[str, object], field: str) -> None:
    from facegate.audit import event_from

    raw = {
        "actor": "api_key:k1", "operation": Op.VERIFY, "decision": "allow", "outcome": "match", **fields,
    }  # fmt: skip
    with pytest.raises(InputError) as caught:
        event_from(raw)
    message = str(caught.value)
    assert field in message
    assert "0.1" not in message and "xff" not in message  # the refused value is never echoed


def catalogue_rule_ids() -> list[str]:
    """The IDs in the first column of regulation.md's rule tables (those headed `| ID |`)."""
    path = Path(__file__).resolve().parents[2] / "shared" / "regulation.md"
    if not path.is_file():
        pytest.skip(f"needs the rule catalogue at {path}, which is absent here")
    ids, in_table = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("| ID |"):
            in_table = True
        elif not line.startswith("|"):
            in_table = False
        elif in_table and not line.startswith("|---"):
            ids.append(line.split("|")[1].strip())
    return ids


def test_every_rule_id_of_the_catalogue_can_be_logged() -> None:
    from facegate.audit import event_from

    ids = catalogue_rule_ids()
    assert len(ids) > 100
    for rule_id in ids:
        event_from({"actor": "system:test", "operation": Op.VERIFY, "decision": "refuse", "outcome": "refused",
                    "rule_ids": [rule_id]})  # fmt: skip


def test_an_operation_is_an_op_never_a_string(database: Database, log: AuditLog) -> None:
    from pydantic import ValidationError

    from facegate.audit import event_from

    with pytest.raises(ValidationError, match=r"member of facegate\.events\.Op"):
        Event(actor="api_key:k1", operation="verify", decision="allow", outcome="match")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"operation: .*member of facegate\.events\.Op"):
        event_from({"actor": "api_key:k1", "operation": "verify", "decision": "allow", "outcome": "match"})
    with pytest.raises(InputError), database.session() as s:
        log.append(s, {"actor": "api_key:k1", "operation": "made.up", "decision": "allow", "outcome": "match"})
    with database.session(readonly=True) as s:
        assert log.recent(s)[0] == 0
    assert Event(actor="api_key:k1", operation=Op.VERIFY, decision="allow", outcome="match").operation is Op.VERIFY


def test_a_stored_entry_reads_back_typed_and_a_newer_format_is_refused(database: Database, log: AuditLog) -> None:
    from facegate import events

    with database.session() as s:
        log.append(s, event(1))
    with database.session(readonly=True) as s:
        _, (stored,) = log.recent(s)
    recorded = events.read(json.dumps(stored))
    assert recorded.op is Op.VERIFY and recorded.decision == "allow" and stored["v"] == events.ENTRY_VERSION
    with pytest.raises(InputError, match="newer than this facegate reads"):
        events.read({**stored, "v": events.ENTRY_VERSION + 1})
    assert events.read({**stored, "operation": "from.a.newer.version"}).op is None


def test_events_must_be_mappings() -> None:
    from facegate.audit import event_from

    with pytest.raises(InputError):
        event_from([("actor", "api_key:k1")])  # type: ignore[arg-type]


def test_a_refused_event_changes_nothing(database: Database, log: AuditLog) -> None:
    with pytest.raises(InputError), database.session() as s:
        log.append(s, {"actor": "api_key:k1", "operation": Op.VERIFY, "decision": "allow", "outcome": "match",
                       "template": [1, 2, 3]})  # fmt: skip
    assert count(database, "audit_entry") == 0


def test_checkpoint_every_n_entries(database: Database, log: AuditLog) -> None:
    with database.session() as s:
        for i in range(40):
            log.append(s, event(i), now=NOW)
    with database.session(readonly=True) as s:
        sizes = s.execute(text("SELECT tree_size FROM audit_checkpoint ORDER BY tree_size")).scalars().all()
    assert sizes == [1, 17, 33]  # the first entry is signed at once (nothing was due before it)


def test_append_many_signs_every_n_entries_too(database: Database, log: AuditLog) -> None:
    with database.session() as s:
        log.append_many(s, [event(i) for i in range(40)], now=NOW)
    with database.session(readonly=True) as s:
        sizes = s.execute(text("SELECT tree_size FROM audit_checkpoint ORDER BY tree_size")).scalars().all()
        assert log.verify(s).checkpoints == 3
    assert sizes == [1, 17, 33]


def test_checkpoint_after_t_seconds(database: Database, home: Path) -> None:
    log = AuditLog.for_home(home, checkpoint_every=1000, checkpoint_seconds=60)
    with database.session() as s:
        log.append(s, event(0), now=NOW)
        log.append(s, event(1), now=NOW + timedelta(seconds=30))
        log.append(s, event(2), now=NOW + timedelta(seconds=61))
        log.append(s, event(3), now=NOW + timedelta(seconds=62))
    with database.session(readonly=True) as s:
        sizes = s.execute(text("SELECT tree_size FROM audit_checkpoint ORDER BY tree_size")).scalars().all()
    assert sizes == [1, 3]


def test_checkpoint_on_demand(database: Database, log: AuditLog) -> None:
    with pytest.raises(InputError, match="empty"), database.session() as s:
        log.checkpoint(s)
    with database.session() as s:
        for i in range(5):
            log.append(s, event(i), now=NOW)
        cp = log.checkpoint(s, now=NOW)
        again = log.checkpoint(s, now=NOW)
    assert cp.size == 5 and again == cp
    assert open_checkpoint(cp.note, log.key.public) == cp
    with database.session(readonly=True) as s:
        assert log.latest_checkpoint(s) == cp


def test_checkpoint_note_format(database: Database, log: AuditLog) -> None:
    with database.session() as s:
        receipt = log.append(s, event(0))
        cp = log.checkpoint(s)
    body, signature = cp.note.split("\n\n")
    origin, size, root = body.split("\n")
    assert (origin, size, base64.b64decode(root)) == (cp.origin, "1", receipt.leaf_hash)  # MTH of one leaf
    assert signature.startswith(f"— {origin} ") and signature.endswith("\n")
    blob = base64.b64decode(signature.split(" ")[2])
    assert blob[:4] == log.key.public.key_hash(origin) and len(blob) == 4 + 64


def test_the_key_lives_in_a_private_file_outside_the_database(database: Database, home: Path) -> None:
    log = AuditLog.for_home(home)
    key_file = home / "keys" / "audit-ed25519.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert (home / "keys" / "audit-ed25519.pub.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert AuditLog.for_home(home).key.public.raw == log.key.public.raw  # loaded, not recreated
    with database.session() as s:
        log.append(s, event(0))
        tables = s.execute(text("SELECT note FROM audit_checkpoint")).scalars().all()
    assert all("PRIVATE" not in note for note in tables)


def test_a_key_readable_by_others_is_refused(home: Path) -> None:
    AuditLog.for_home(home)
    (home / "keys" / "audit-ed25519.pem").chmod(0o644)
    with pytest.raises(InputError, match="chmod 600"):
        AuditLog.for_home(home)


def test_prove_gives_an_inclusion_proof_against_the_latest_checkpoint(database: Database, log: AuditLog) -> None:
    with database.session() as s:
        receipts = log.append_many(s, [event(i) for i in range(300)])  # crosses a stored node (256 leaves)
        log.checkpoint(s)
    with database.session(readonly=True) as s:
        for r in (receipts[0], receipts[137], receipts[255], receipts[299]):
            proof = log.prove(s, r.event_id)
            assert proof.index == r.index and proof.entry is not None and proof.entry["index"] == r.index
            cp = proof.checkpoint
            assert merkle.verify_inclusion(r.index, cp.size, r.leaf_hash, proof.proof, cp.root)
            assert json.dumps(proof.to_json())
        with pytest.raises(NotFoundError):
            log.prove(s, "no-such-event")


def test_prove_an_entry_newer_than_the_latest_checkpoint(database: Database, log: AuditLog) -> None:
    with database.session() as s:
        log.append(s, event(0))
        late = log.append(s, event(1))
    with pytest.raises(InputError, match="checkpoint"), database.session(readonly=True) as s:
        log.prove(s, late.event_id)


# ---- retention (CN25-9c) ----


def test_retention_shorter_than_three_years_is_refused(home: Path) -> None:
    with pytest.raises(RefusedError) as caught:
        AuditLog.for_home(home, retention_years=2)
    assert caught.value.rule_ids == ["CN25-9c"]


def test_purging_records_younger_than_the_retention_period_is_refused(database: Database, log: AuditLog) -> None:
    with database.session() as s:
        log.append(s, event(0))
    now = datetime.now(UTC)
    for cutoff in (now, now - timedelta(days=3 * 365 - 2)):
        with pytest.raises(RefusedError) as caught, database.session() as s:
            log.purge_before(s, cutoff, actor="operator:dpo")
        assert caught.value.rule_ids == ["CN25-9c"]
    with pytest.raises(RefusedError, match="future"), database.session() as s:
        log.purge_before(s, now - timedelta(days=3 * 366), actor="operator:dpo", now=now + timedelta(days=4 * 366))
    assert count(database, "audit_entry") == 1


def test_purge_drops_old_payloads_and_the_log_still_verifies(database: Database, log: AuditLog) -> None:
    now = datetime.now(UTC)
    old, young = now - timedelta(days=5 * 366), now - timedelta(days=365)
    with database.session() as s:
        log.append_many(s, [event(i, at=old + timedelta(minutes=i)) for i in range(20)])
        log.append_many(s, [event(100 + i, at=young) for i in range(5)])
    cutoff = now - timedelta(days=4 * 366)
    with database.session() as s:
        dropped = log.purge_before(s, cutoff, actor="operator:dpo")
    assert dropped == 20
    with database.session() as s:
        assert log.purge_before(s, cutoff, actor="operator:dpo") == 0  # nothing left to drop
    with database.session(readonly=True) as s:
        report = log.verify(s)
        rows = s.execute(text("SELECT idx, payload FROM audit_entry ORDER BY idx")).all()
    assert report.ok, report.problem
    assert report.purged == 20 and report.size == 26
    assert all(p is None for i, p in rows[:20]) and all(p is not None for i, p in rows[20:])
    purge = json.loads(rows[-1][1])
    assert purge["operation"] == "audit.purge" and purge["purged_before"] == 20 and purge["actor"] == "operator:dpo"
    assert purge["rule_ids"] == ["CN25-9c"]


def test_payloads_removed_outside_a_purge_are_reported(database: Database, log: AuditLog) -> None:
    with database.session() as s:
        log.append_many(s, [event(i) for i in range(10)])
    with database.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET payload = NULL WHERE idx = 4"))
    with database.session(readonly=True) as s:
        report = log.verify(s)
    assert report.problem is not None and report.problem.index == 4 and report.problem.kind == "deleted"


def test_signing_key_can_be_generated_in_memory() -> None:
    key = SigningKey.generate()
    assert key.public.verify(key.sign(b"note"), b"note")
    assert not key.public.verify(key.sign(b"note"), b"other")


def test_the_audit_room_imports_no_engine_policy_or_vault() -> None:
    import ast

    import facegate.audit

    forbidden = ("facegate.engine", "facegate.policy", "facegate.vault", "facegate.gate")
    for path in Path(facegate.audit.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            assert not [n for n in names if n.startswith(forbidden)], f"{path.name} imports {names}"
