"""Readiness of a node: whether its database, key store and face engine answer (what `/readyz` reports)."""

from collections.abc import Callable
from typing import Literal

from sqlalchemy import text

from facegate.context import Context

Check = Literal["ok", "failing", "loading", "on_first_use"]
READY: tuple[Check, ...] = ("ok", "on_first_use")


def _answers(run: Callable[[], object]) -> Check:
    try:
        run()
    except Exception:  # any failure means "not ready"; the cause is for the server log, not the probe
        return "failing"
    return "ok"


def database(context: Context) -> Check:
    """The data store answers a query."""

    def ask() -> None:
        with context.db.session(readonly=True) as session:
            session.execute(text("SELECT 1"))

    return _answers(ask)


def keystore(context: Context) -> Check:
    """The key store answers a query and a master key is loaded."""

    def ask() -> None:
        store = context.keystore
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        if not store.master_id:
            raise LookupError("no master key")

    return _answers(ask)


def checks(context: Context, engine: Check) -> dict[str, Check]:
    """Each dependency's state; `engine` is the server's own knowledge of its models (loaded, loading, lazy)."""
    return {"database": database(context), "keystore": keystore(context), "engine": engine}


def ready(states: dict[str, Check]) -> bool:
    """Whether every dependency can serve a request now."""
    return all(state in READY for state in states.values())
