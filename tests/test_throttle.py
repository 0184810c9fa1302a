"""Secret-based alternatives resist guessing: failures counted per subject and deployment, an exponential
lock-out (each one audited), and a check-in code used exactly once when two submissions race."""

import json
import threading
from collections.abc import Iterator

import pyotp
import pytest
from gate_fixtures import Clock, example, offered, shared_engine
from sqlalchemy import text

from facegate.context import Context
from facegate.errors import RefusedError
from facegate.gate import Gate
from facegate.gate.checks import FIRST_LOCKOUT, FREE_FAILURES, lockout
from facegate.store import Database
from facegate.vault.keystore import Keystore
from facegate.vault.vault import Vault

OFFICE = "hq-lobby"
OTHER = "hq-annex"


@pytest.fixture
def offices(gate: Gate) -> Gate:
    alternatives = offered("access_card", "pin", "totp", "qr_code")
    gate.register(example("office-entry", alternatives=alternatives))
    gate.register(example("office-entry", id=OTHER, alternatives=alternatives))
    gate.add_subject("ana")
    gate.set_alternative(OFFICE, "ana", "pin", "493817")
    gate.set_alternative(OTHER, "ana", "pin", "493817")
    return gate


@pytest.fixture
def elsewhere(gate: Gate, database_url: str, clock: Clock) -> Iterator[Gate]:
    """A second gate on the same database and key store, as another server process would have."""
    keystore = Keystore([b"k" * 32], str(gate.vault.keystore.engine.url))
    db = Database.open(database_url)
    yield Gate(Context(db, Vault(keystore), gate.audit, clock=clock), engine_factory=shared_engine)
    db.dispose()
    keystore.engine.dispose()


def lockouts(gate: Gate) -> list[dict]:
    with gate.db.session(readonly=True) as session:
        payloads = [json.loads(p) for (p,) in session.execute(text("SELECT payload FROM audit_entry ORDER BY idx"))]
    return [p for p in payloads if p.get("operation") == "alternative.lockout"]


def pin(gate: Gate, guess: str, deployment: str = OFFICE) -> str:
    try:
        return gate.verify_alternative(deployment, "ana", "pin", guess).outcome
    except RefusedError as exc:
        assert "CN25-14a–d" in exc.rule_ids
        return "locked"


def test_the_lockout_doubles_and_is_capped() -> None:
    assert [lockout(n) for n in range(FREE_FAILURES)] == [None] * FREE_FAILURES
    assert lockout(FREE_FAILURES) == FIRST_LOCKOUT
    assert lockout(FREE_FAILURES + 3) == FIRST_LOCKOUT * 8
    assert lockout(10_000).days == 1


def test_wrong_pins_lock_the_subject_out_even_with_the_right_one(offices: Gate, clock: Clock) -> None:
    assert [pin(offices, "000000") for _ in range(FREE_FAILURES)] == ["not_verified"] * FREE_FAILURES
    assert pin(offices, "493817") == "locked"  # the right PIN no longer helps
    assert len(lockouts(offices)) == 1
    clock.advance(seconds=FIRST_LOCKOUT.total_seconds() + 1)
    assert pin(offices, "000000") == "not_verified"  # one more failure: locked twice as long
    clock.advance(seconds=FIRST_LOCKOUT.total_seconds() + 1)
    assert pin(offices, "493817") == "locked"
    clock.advance(seconds=FIRST_LOCKOUT.total_seconds() + 1)
    assert pin(offices, "493817") == "verified"  # and a success starts the count again
    assert [pin(offices, "000000") for _ in range(FREE_FAILURES - 1)] == ["not_verified"] * (FREE_FAILURES - 1)
    assert pin(offices, "493817") == "verified"
    first, second = lockouts(offices)
    assert (first["subject"], first["deployment"]) == ("ana", OFFICE)
    said = [json.dumps({k: v for k, v in e.items() if k != "at"}) for e in (first, second)]  # a time may hold 000000
    assert "493817" not in said[0] and "000000" not in said[1]


def test_failures_count_across_methods_per_deployment(offices: Gate, clock: Clock) -> None:
    secret = pyotp.parse_uri(offices.set_alternative(OFFICE, "ana", "totp").details["totp_uri"]).secret
    for _ in range(FREE_FAILURES - 1):
        assert offices.verify_alternative(OFFICE, "ana", "totp", "000000").outcome == "not_verified"
    assert pin(offices, "000000") == "not_verified"
    code = pyotp.TOTP(secret).at(clock.now)
    with pytest.raises(RefusedError):
        offices.verify_alternative(OFFICE, "ana", "totp", code)
    assert pin(offices, "493817", OTHER) == "verified"  # another deployment keeps its own count


def at_once(gates: tuple[Gate, ...], subject: str, code: str) -> list[str]:
    """The outcomes of the same check-in code submitted through each gate at the same moment."""
    together, outcomes = threading.Barrier(len(gates)), []

    def send(through: Gate) -> None:
        together.wait()
        outcomes.append(through.verify_alternative(OFFICE, subject, "checkin_code", code).outcome)

    threads = [threading.Thread(target=send, args=(g,)) for g in gates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_a_checkin_code_is_used_exactly_once_by_two_submissions_at_once(gate: Gate, elsewhere: Gate) -> None:
    gate.register(example("office-entry", alternatives=offered("access_card", "qr_code")))
    for round_ in range(5):
        gate.add_subject(f"visitor-{round_}")
        code = gate.set_alternative(OFFICE, f"visitor-{round_}", "checkin_code").details["code"]
        assert at_once((gate, elsewhere), f"visitor-{round_}", code) == ["not_verified", "verified"]
