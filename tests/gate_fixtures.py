"""Building blocks for the gate tests: specs from the examples, a gate on a fresh database, a movable clock."""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from facegate import policy
from facegate.audit import AuditLog, SigningKey
from facegate.engine.dlib_backend import DlibEngine
from facegate.gate import Context, Gate
from facegate.store import Database
from facegate.vault.keystore import Keystore
from facegate.vault.vault import Vault

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "deployments"
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
_engine: DlibEngine | None = None


def shared_engine() -> DlibEngine:
    """One engine for the whole test session: the models load once."""
    global _engine
    if _engine is None:
        _engine = DlibEngine()
    return _engine


def offered(*methods: str) -> list[dict[str, object]]:
    """Alternatives as a spec states them (FG-12: fee and wait stated): each free and without a wait."""
    return [{"method": method, "fee": 0, "wait": 0} for method in methods]


def example(name: str, **changes: object) -> policy.Deployment:
    """An example deployment spec, with top-level fields replaced (nested ones as dicts)."""
    spec = policy.parse_spec((EXAMPLES / f"{name}.yaml").read_text())
    if not changes:
        return spec
    data = spec.model_dump(mode="json")
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return policy.spec_from_data(data)


@dataclass
class Clock:
    """A clock the tests move by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_gate(database_url: str, folder: Path, clock: Clock) -> Iterator[Gate]:
    """A gate on a fresh database, with its key store and signing key under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    keystore = Keystore([b"k" * 32], f"sqlite:///{folder / 'keystore.db'}")
    audit = AuditLog(SigningKey.generate(), checkpoint_every=1000)
    db = Database.open(database_url)
    gate = Gate(Context(db, Vault(keystore), audit, clock=clock), engine_factory=shared_engine)
    yield gate
    db.dispose()
    keystore.engine.dispose()



def wait_for(condition: Callable[[], object], what: str, rounds: int = 300, pause: float = 0.1) -> object:
    """Poll `condition` until it is truthy (bounded: `rounds` tries); fail naming `what` otherwise."""
    for _ in range(rounds):
        value = condition()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError(f"gave up waiting for {what}")
