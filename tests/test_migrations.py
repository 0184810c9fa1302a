"""The migration scripts build exactly the schema the models declare, on SQLite and PostgreSQL."""

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import facegate
from facegate.events import Op
from facegate.store import Base, Database


def load_models() -> list[str]:
    """Import every room's `models` module (as scripts/migration.py does before writing a revision)."""
    names = [m.name for m in pkgutil.walk_packages(facegate.__path__, "facegate.") if m.name.endswith(".models")]
    for name in names:
        importlib.import_module(name)
    return names


def test_migrations_match_the_models(database: Database) -> None:
    assert {"facegate.audit.models", "facegate.vault.models", "facegate.api.models"} <= set(load_models())
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_the_change_feed_is_filled_from_the_audit_log_at_its_upgrade(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A hub upgraded to 0012 has each earlier change in its feed at its audit entry's index (devices' cursors stay
    valid); refusals and operations devices do not follow are left out."""
    from sqlalchemy import create_engine, select

    from facegate.audit import AuditLog, Event, SigningKey
    from facegate.changes import ChangeRow
    from facegate.store.migrate import upgrade

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0011_edge_fleet")
    log = AuditLog(SigningKey.generate())

    def event(operation: Op, decision: str = "allow", **fields: str) -> Event:
        return Event(actor="operator:t", operation=operation, decision=decision, outcome="x", **fields)

    with engine.begin() as conn:  # appended as the code before 0012 did: no feed rows
        log.append_many(conn, [
            event(Op.CONSENT_GIVE, deployment="hq", subject="s1"),
            event(Op.VERIFY, deployment="hq", subject="s1"),
            event(Op.CONSENT_GIVE, "refuse", deployment="hq", subject="s2"),
            event(Op.CONSENT_WITHDRAW, deployment="hq", subject="s1"),
            event(Op.SUBJECT_DELETE, subject="s3"),
            event(Op.DEVICE_LOST, deployment="hq", request_id="dev-1"),
        ])  # fmt: skip
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(ChangeRow.idx, ChangeRow.kind, ChangeRow.subject, ChangeRow.device)).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        (0, "standing", "s1", None), (3, "withdrawal", "s1", None), (4, "deletion", "s3", None),
        (5, "device", None, "dev-1"),
    ]  # fmt: skip
