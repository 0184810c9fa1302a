"""The gate end to end on real photos: enroll, verify, identify, and every refusal with its rule IDs."""

import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pyotp
import pytest
from gate_fixtures import Clock, example, offered, shared_engine, wait_for
from passkeys import SoftAuthenticator, b64url
from sqlalchemy import delete, func, select, text

from facegate.api.auth import SUBJECT_ID
from facegate.errors import InputError, MultipleFacesError, NotAnImageError, NotFoundError, RefusedError
from facegate.gate import Caller, Context, Gate
from facegate.store import Database
from facegate.vault.credentials import RelyingParty
from facegate.vault.keystore import Keystore
from facegate.vault.models import RawImageRow, TemplateRow
from facegate.vault.vault import Vault

OFFICE = "hq-lobby"


@pytest.fixture
def photo(photos: Path):
    return lambda name: (photos / name).read_bytes()


def consenting(gate: Gate, deployment: str, subject: str, **subject_facts: object) -> None:
    """A subject who was shown the notice and gave separate consent."""
    gate.add_subject(subject, **subject_facts)
    gate.notice_shown(deployment, subject)
    gate.give_consent(deployment, subject)


def audit_ok(gate: Gate) -> bool:
    """Whether the gate's audit log verifies."""
    with gate.db.session(readonly=True) as session:
        return gate.audit.verify(session).ok


def audit_payloads(gate: Gate) -> list[str]:
    """Every stored audit entry, as its canonical JSON text."""
    from sqlalchemy import text

    with gate.db.session(readonly=True) as session:
        return [p for (p,) in session.execute(text("SELECT payload FROM audit_entry ORDER BY idx"))]


def refused(call, *rule_ids: str) -> RefusedError:
    with pytest.raises(RefusedError) as info:
        call()
    for rule in rule_ids:
        assert rule in info.value.rule_ids, (rule, info.value.rule_ids, str(info.value))
    return info.value


@pytest.fixture
def office(gate: Gate) -> Gate:
    decision = gate.register(example("office-entry"))
    assert decision.outcome == "active"
    return gate


@pytest.fixture
def elsewhere(gate: Gate, database_url: str, clock: Clock) -> Iterator[Gate]:
    """A second gate on the same database and key store, as another server process would have."""
    keystore = Keystore([b"k" * 32], str(gate.vault.keystore.engine.url))
    db = Database.open(database_url)
    yield Gate(Context(db, Vault(keystore), gate.audit, clock=clock), engine_factory=shared_engine)
    db.dispose()
    keystore.engine.dispose()


# ---- the happy path ----


@pytest.mark.parametrize("subject", ["emp:7", "a=b", "-lead", "x" * 65, "李雷", "alice\n"])
def test_a_subject_id_the_api_could_not_address_is_refused_everywhere(gate: Gate, subject: str) -> None:
    with pytest.raises(InputError, match=r"a subject ID is 1 to 64 letters, digits and \. _ @ \+ -"):
        gate.add_subject(subject)
    assert re.fullmatch(SUBJECT_ID, "emp-7.a_b@c+d") and not re.fullmatch(SUBJECT_ID, subject)  # the API's rule


def test_enroll_then_verify_same_and_different_person(office: Gate, photo) -> None:
    consenting(office, OFFICE, "obama")
    consenting(office, OFFICE, "biden")
    assert office.enroll(OFFICE, "obama", photo("obama.jpg")).outcome == "enrolled"
    assert office.enroll(OFFICE, "biden", photo("biden.jpg")).outcome == "enrolled"
    assert office.verify(OFFICE, "obama", photo("obama2.jpg")).outcome == "match"
    assert office.verify(OFFICE, "obama", photo("biden2.jpg")).outcome == "no_match"
    assert office.verify(OFFICE, "biden", photo("biden2.jpg"), purpose="access_control").outcome == "match"
    assert audit_ok(office)


def test_identify_finds_the_right_person(gate: Gate, photo) -> None:
    spec = example("office-entry", id="hq-gallery", modality="identification")
    gate.register(spec)
    for name in ("obama", "biden", "kit"):
        consenting(gate, "hq-gallery", name)
    gate.enroll("hq-gallery", "obama", photo("obama.jpg"))
    gate.enroll("hq-gallery", "biden", photo("biden.jpg"))
    assert gate.identify("hq-gallery", photo("obama2.jpg")).subject == "obama"
    assert gate.identify("hq-gallery", photo("biden2.jpg")).subject == "biden"
    assert gate.identify("hq-gallery", photo("kit_harington.jpeg")).outcome == "no_match"
    gate.enroll("hq-gallery", "kit", photo("kit_harington.jpeg"))  # the index follows enrollments
    assert gate.identify("hq-gallery", photo("kit_harington.jpeg")).subject == "kit"
    gate.withdraw("hq-gallery", "obama")  # ... and deletions
    assert gate.identify("hq-gallery", photo("obama2.jpg")).outcome == "no_match"


def test_enrollment_photo_with_two_faces_or_no_image_changes_nothing(office: Gate, photo) -> None:
    consenting(office, OFFICE, "obama")
    with pytest.raises(MultipleFacesError):
        office.enroll(OFFICE, "obama", photo("two_people.jpg"))
    with pytest.raises(NotAnImageError):
        office.enroll(OFFICE, "obama", b"<html>not a face</html>")
    assert office.access("obama")["facial_data"] == []


# ---- refusals, each with its rule IDs ----


def test_no_consent_is_refused_and_names_the_alternatives(office: Gate, photo) -> None:
    office.add_subject("obama")
    office.notice_shown(OFFICE, "obama")
    error = refused(lambda: office.enroll(OFFICE, "obama", photo("obama.jpg")), "CN25-6a/b", "PIPL-29")
    assert error.alternatives == ["access_card", "pin", "passkey"]
    assert "access_card" in str(error)


def test_notice_not_shown_is_refused(office: Gate, photo) -> None:
    office.add_subject("obama")
    refused(lambda: office.enroll(OFFICE, "obama", photo("obama.jpg")), "CN25-5b")
    refused(lambda: office.give_consent(OFFICE, "obama"), "CN25-5b")


def test_withdrawn_consent_is_refused_and_the_template_is_gone(office: Gate, photo) -> None:
    consenting(office, OFFICE, "obama")
    office.enroll(OFFICE, "obama", photo("obama.jpg"))
    decision = office.withdraw(OFFICE, "obama")
    assert decision.details["templates_deleted"] == 1 and "CN25-6d" in decision.rule_ids
    refused(lambda: office.verify(OFFICE, "obama", photo("obama2.jpg")), "CN25-6d")
    assert office.access("obama")["facial_data"] == []


def test_verification_follows_what_another_process_changed(office: Gate, elsewhere: Gate, photo) -> None:
    consenting(office, OFFICE, "obama")
    consenting(office, OFFICE, "biden")
    office.enroll(OFFICE, "obama", photo("obama.jpg"))
    office.enroll(OFFICE, "biden", photo("biden.jpg"))
    assert office.verify(OFFICE, "obama", photo("obama2.jpg")).outcome == "match"
    assert office.verify(OFFICE, "biden", photo("biden2.jpg")).outcome == "match"
    elsewhere.withdraw(OFFICE, "obama")
    refused(lambda: office.verify(OFFICE, "obama", photo("obama2.jpg")), "CN25-6d")
    elsewhere.give_consent(OFFICE, "obama")
    elsewhere.enroll(OFFICE, "obama", photo("obama2.jpg"))
    assert office.verify(OFFICE, "obama", photo("obama.jpg")).outcome == "match"
    elsewhere.delete_subject("biden")
    with pytest.raises(NotFoundError, match="unknown subject"):
        office.verify(OFFICE, "biden", photo("biden2.jpg"))
    assert (OFFICE, "biden") not in office.galleries.templates  # no decrypted copy of a deleted subject stays in memory
    old = example("office-entry")
    elsewhere.update(example("office-entry", purpose={**old.purpose.model_dump(mode="json"), "category": "attendance"}))
    refused(lambda: office.verify(OFFICE, "obama", photo("obama.jpg")), "CN25-9d")
    assert audit_ok(office)


def test_a_subject_id_recreated_elsewhere_is_never_matched_against_the_deleted_subjects_face(
    office: Gate, elsewhere: Gate, photo
) -> None:
    consenting(office, OFFICE, "biden")
    office.enroll(OFFICE, "biden", photo("biden.jpg"))
    assert office.verify(OFFICE, "biden", photo("biden2.jpg")).outcome == "match"  # office holds the face in memory
    elsewhere.delete_subject("biden")
    consenting(elsewhere, OFFICE, "biden")  # the same steps: the same revision, were revisions counted from 0
    elsewhere.enroll(OFFICE, "biden", photo("obama.jpg"))
    assert office.verify(OFFICE, "biden", photo("biden2.jpg")).outcome == "no_match"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # it notifies each new revision
def test_on_postgresql_a_repeat_verification_reads_nothing_before_the_engine_until_a_change_is_heard(
    office: Gate, elsewhere: Gate, photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    consenting(office, OFFICE, "obama")
    office.enroll(OFFICE, "obama", photo("obama.jpg"))
    reads: list[bool] = []
    embedded: list[bool] = []
    revisions, embed = office.vault.revisions, office.engines.embed
    monkeypatch.setattr(office.vault, "revisions", lambda *a, **k: reads.append(True) or revisions(*a, **k))
    monkeypatch.setattr(office.engines, "embed", lambda *a, **k: embedded.append(True) or embed(*a, **k))

    def verified_without_reading() -> bool:
        reads.clear()
        assert office.verify(OFFICE, "obama", photo("obama2.jpg")).outcome == "match"
        return not reads

    wait_for(verified_without_reading, "the change to be heard")  # from the moment the gate listens
    matched = sum('"outcome":"match"' in p for p in audit_payloads(office))
    elsewhere.withdraw(OFFICE, "obama")

    def refused_before_the_engine() -> bool:
        embedded.clear()
        refused(lambda: office.verify(OFFICE, "obama", photo("obama2.jpg")), "CN25-6d")  # heard or not
        return not embedded

    wait_for(refused_before_the_engine, "the change to be heard")  # once the withdrawal is heard
    assert sum('"outcome":"match"' in p for p in audit_payloads(office)) == matched  # none after the withdrawal


def test_verification_finds_a_template_another_process_enrolled(office: Gate, elsewhere: Gate, photo) -> None:
    consenting(office, OFFICE, "obama")
    with pytest.raises(NotFoundError, match="enroll first"):
        office.verify(OFFICE, "obama", photo("obama2.jpg"))
    elsewhere.enroll(OFFICE, "obama", photo("obama.jpg"))
    with pytest.raises(MultipleFacesError):  # its checks pass at the subject's new revision, nothing changes
        office.enroll(OFFICE, "obama", photo("two_people.jpg"))
    assert office.verify(OFFICE, "obama", photo("obama2.jpg")).outcome == "match"


def test_a_withdrawal_in_flight_is_waited_for_after_the_engine(office: Gate, photo) -> None:
    if office.db.backend != "postgresql":
        pytest.skip("PostgreSQL only: SQLite serialises writers at BEGIN")
    from sqlalchemy import text

    consenting(office, OFFICE, "obama")
    office.enroll(OFFICE, "obama", photo("obama.jpg"))
    for _ in range(2):  # then the audit append writes from the head it left, its check's answer awaited with it
        assert office.verify(OFFICE, "obama", photo("obama2.jpg")).outcome == "match"
    withdrawing = office.db.engine.connect()
    withdrawing.begin()  # another process's withdrawal, not committed yet: it holds the subject's row
    withdrawing.execute(text("UPDATE vault_subject SET revision = revision + 1 WHERE id = 'obama'"))
    withdrawing.execute(text("UPDATE vault_consent SET withdrawn_at = now() WHERE subject_id = 'obama'"))
    holder = withdrawing.execute(text("SELECT pg_backend_pid()")).scalar_one()
    verified, waited = threading.Event(), []

    def commit_once_the_verification_waits() -> None:
        # No timer: the withdrawal commits when the verification is seen waiting for its lock (or has returned).
        with office.db.engine.connect() as watcher:
            blocked = text("SELECT count(*) FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))")
            while not verified.is_set():
                seen = watcher.execute(blocked, {"holder": holder}).scalar_one()
                watcher.rollback()  # pg_stat_activity is read once per transaction: look again in a new one
                if seen:
                    waited.append(True)
                    break
                verified.wait(0.01)
        withdrawing.commit()

    committer = threading.Thread(target=commit_once_the_verification_waits)
    committer.start()
    try:
        refused(lambda: office.verify(OFFICE, "obama", photo("obama2.jpg")), "CN25-6d")
    finally:
        verified.set()
        committer.join()
        withdrawing.close()
    assert waited == [True]  # the verification waited for the withdrawal in flight, then saw it


def test_consent_withdrawn_while_the_engine_runs_voids_the_result(
    office: Gate, elsewhere: Gate, photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    consenting(office, OFFICE, "obama")
    office.enroll(OFFICE, "obama", photo("obama.jpg"))
    assert office.verify(OFFICE, "obama", photo("obama2.jpg")).outcome == "match"
    embed = office.engines.embed

    def withdrawn_meanwhile(image: bytes, enrollment: bool, **options: Any):
        result = embed(image, enrollment, **options)
        elsewhere.withdraw(OFFICE, "obama")
        return result

    monkeypatch.setattr(office.engines, "embed", withdrawn_meanwhile)
    refused(lambda: office.verify(OFFICE, "obama", photo("obama2.jpg")), "CN25-6d")
    assert sum('"outcome":"match"' in p for p in audit_payloads(office)) == 1  # the first verification only


def test_an_expired_template_no_longer_verifies(gate: Gate, photo, clock: Clock) -> None:
    gate.register(example("office-entry", storage={"retention_days": 30}))
    consenting(gate, OFFICE, "obama")
    gate.enroll(OFFICE, "obama", photo("obama.jpg"))
    clock.advance(days=30, hours=-1)
    assert gate.verify(OFFICE, "obama", photo("obama2.jpg")).outcome == "match"
    clock.advance(hours=2)  # the same day, an hour past the template's end
    with pytest.raises(NotFoundError, match="no template"):
        gate.verify(OFFICE, "obama", photo("obama2.jpg"))


def test_consent_goes_stale_after_a_reassessment_trigger(office: Gate, photo, clock: Clock) -> None:
    consenting(office, OFFICE, "obama")
    office.enroll(OFFICE, "obama", photo("obama.jpg"))
    old = example("office-entry")
    changed = example(
        "office-entry",
        purpose={**old.purpose.model_dump(mode="json"), "category": "attendance"},
        notice={**old.notice.model_dump(mode="json"), "version": 2},
    )
    assert office.update(changed).outcome == "needs_reassessment"
    refused(lambda: office.verify(OFFICE, "obama", photo("obama2.jpg")), "CN25-9d")
    clock.advance(days=1)
    reassessed = example(
        "office-entry",
        purpose=changed.purpose.model_dump(mode="json"),
        notice=changed.notice.model_dump(mode="json"),
        impact_assessment={
            **old.impact_assessment.model_dump(mode="json"),
            "approved_on": clock.now.date().isoformat(),
            "version": 2,
        },
    )
    assert office.update(reassessed).outcome == "active"
    office.notice_shown(OFFICE, "obama")
    refused(lambda: office.verify(OFFICE, "obama", photo("obama2.jpg")), "CN25-6e")
    office.give_consent(OFFICE, "obama")
    assert office.verify(OFFICE, "obama", photo("obama2.jpg")).outcome == "match"


def test_new_notice_version_must_be_shown_again(office: Gate, photo) -> None:
    consenting(office, OFFICE, "obama")
    office.enroll(OFFICE, "obama", photo("obama.jpg"))
    old = example("office-entry")
    office.update(
        example(
            "office-entry",
            notice={
                **old.notice.model_dump(mode="json"),
                "version": 2,
                "complaint_channel": "privacy@example.com only",
            },
        )
    )
    refused(lambda: office.verify(OFFICE, "obama", photo("obama2.jpg")), "CN25-5c")


def test_draft_deployment_is_refused(gate: Gate, photo) -> None:
    assert gate.register(example("office-entry"), activate=False).outcome == "draft"
    consenting(gate, OFFICE, "obama")
    refused(lambda: gate.enroll(OFFICE, "obama", photo("obama.jpg")), "CN25-9a/b")
    assert gate.activate(OFFICE).outcome == "active"
    assert gate.enroll(OFFICE, "obama", photo("obama.jpg")).outcome == "enrolled"


def test_blocked_spec_cannot_be_registered(gate: Gate) -> None:
    refused(lambda: gate.register(example("hotel-room-door")), "CN25-13a")
    assert gate.deployments() == []
    (refusal,) = audit_payloads(gate)
    assert '"refuse"' in refusal and "CN25-13a" in refusal


def test_retired_deployment_is_refused_and_its_templates_deleted(office: Gate, photo) -> None:
    consenting(office, OFFICE, "obama")
    office.enroll(OFFICE, "obama", photo("obama.jpg"))
    assert office.retire(OFFICE).outcome == "retired"
    assert office.access("obama")["facial_data"] == []
    refused(lambda: office.verify(OFFICE, "obama", photo("obama2.jpg")), "CN25-15d/e")


def test_under_14_needs_a_guardian(gate: Gate, photo, clock: Clock) -> None:
    minors = {"expected": True, "rules_ref": "https://example.com/minors-rules", "age_floor": 6}
    spec = example("office-entry", minors=minors)
    gate.register(spec)
    fourteenth = date(clock.now.year - 14, clock.now.month, clock.now.day)  # 14 today: still under 14 (Q3)
    gate.add_subject("pupil", birth_date=fourteenth, guardian_ref="guardian-77")
    gate.notice_shown(OFFICE, "pupil")
    gate.give_consent(OFFICE, "pupil")  # the pupil's own consent is not enough
    refused(lambda: gate.enroll(OFFICE, "pupil", photo("obama.jpg")), "CN25-7a/b", "PIPL-31")
    gate.give_consent(OFFICE, "pupil", given_by="guardian")
    assert gate.enroll(OFFICE, "pupil", photo("obama.jpg")).outcome == "enrolled"


def test_at_a_kindergarten_gate_for_parents_an_enrollment_without_a_birth_date_is_refused_as_a_childs(
    gate: Gate, photo, clock: Clock
) -> None:
    """The spec enrolls adults only (age_floor 18, active capture), so it needs no rules for under-14s; the gate
    still treats a subject of unknown age there as under 14 (Q15), refused without those rules, and enrolls an adult
    whose birth date says so."""
    gate.register(example("office-entry", premises_type="kindergarten"))
    consenting(gate, OFFICE, "parent")
    refused(lambda: gate.enroll(OFFICE, "parent", photo("obama.jpg")), "CN25-7c")
    consenting(gate, OFFICE, "adult", birth_date=date(clock.now.year - 35, 1, 1))
    assert gate.enroll(OFFICE, "adult", photo("obama.jpg")).outcome == "enrolled"


def test_under_14_on_a_deployment_without_rules_for_minors(office: Gate, photo) -> None:
    consenting(office, OFFICE, "child", age_band="under_14", guardian_ref="guardian-1")
    office.give_consent(OFFICE, "child", given_by="guardian")
    refused(lambda: office.enroll(OFFICE, "child", photo("obama.jpg")), "CN25-7c")


def test_declined_subject_is_not_prompted_and_uses_pin_or_totp(gate: Gate, photo, clock: Clock) -> None:
    spec = example("office-entry", alternatives=offered("access_card", "pin", "totp"))
    gate.register(spec)
    consenting(gate, OFFICE, "obama")
    gate.enroll(OFFICE, "obama", photo("obama.jpg"))
    decision = gate.decline(OFFICE, "obama")
    assert decision.details["alternatives"] == ["access_card", "pin", "totp"]
    refused(lambda: gate.verify(OFFICE, "obama", photo("obama2.jpg")), "CN25-12b")
    refused(lambda: gate.give_consent(OFFICE, "obama"), "CN25-12b")  # no re-prompt within 48 h
    gate.set_alternative(OFFICE, "obama", "pin", "493817")
    assert gate.verify_alternative(OFFICE, "obama", "pin", "493817").outcome == "verified"
    assert gate.verify_alternative(OFFICE, "obama", "pin", "000000").outcome == "not_verified"
    setup = gate.set_alternative(OFFICE, "obama", "totp")
    secret = pyotp.parse_uri(setup.details["totp_uri"]).secret
    assert setup.details["qr_svg"].startswith("<svg")
    code = pyotp.TOTP(secret).at(clock.now)
    assert gate.verify_alternative(OFFICE, "obama", "totp", code).outcome == "verified"
    clock.advance(hours=49)
    gate.give_consent(OFFICE, "obama")  # after the window the subject may opt back in
    assert gate.verify(OFFICE, "obama", photo("obama2.jpg")).outcome == "match"


def test_a_withdrawal_takes_the_face_and_leaves_the_pin_and_totp_the_subject_now_relies_on(
    gate: Gate, photo, clock: Clock
) -> None:
    gate.register(example("office-entry", alternatives=offered("access_card", "pin", "totp")))
    consenting(gate, OFFICE, "obama")
    gate.enroll(OFFICE, "obama", photo("obama.jpg"))
    gate.set_alternative(OFFICE, "obama", "pin", "493817")
    secret = pyotp.parse_uri(gate.set_alternative(OFFICE, "obama", "totp").details["totp_uri"]).secret
    assert gate.withdraw(OFFICE, "obama").details["templates_deleted"] == 1
    refused(lambda: gate.verify(OFFICE, "obama", photo("obama2.jpg")), "CN25-6d")
    assert gate.verify_alternative(OFFICE, "obama", "pin", "493817").outcome == "verified"
    clock.advance(minutes=1)  # a new TOTP period: the authenticator app the subject set up still works
    assert gate.verify_alternative(OFFICE, "obama", "totp", pyotp.TOTP(secret).at(clock.now)).outcome == "verified"
    gate.delete_subject("obama")  # a deletion takes everything
    with gate.db.session(readonly=True) as session:
        assert session.scalar(text("SELECT count(*) FROM vault_credential")) == 0


def test_checkin_code_works_once(gate: Gate) -> None:
    gate.register(example("office-entry", alternatives=offered("access_card", "qr_code")))
    gate.add_subject("visitor")
    code = gate.set_alternative(OFFICE, "visitor", "checkin_code").details["code"]
    assert gate.verify_alternative(OFFICE, "visitor", "checkin_code", code).outcome == "verified"
    assert gate.verify_alternative(OFFICE, "visitor", "checkin_code", code).outcome == "not_verified"


def test_method_not_offered_by_the_deployment_is_refused(gate: Gate) -> None:
    gate.register(example("office-entry", alternatives=offered("access_card", "pin")))
    gate.add_subject("obama")
    refused(lambda: gate.set_alternative(OFFICE, "obama", "totp"), "CN25-10a")
    refused(lambda: gate.passkey_options(OFFICE, "obama", "register", SITE), "CN25-10a")


# ---- passkeys ----

SITE = RelyingParty("gate.example.com", ("https://gate.example.com",))


@pytest.fixture
def passkeys(gate: Gate) -> Gate:
    gate.register(example("office-entry", alternatives=offered("access_card", "passkey")))
    gate.add_subject("ana")
    gate.decline(OFFICE, "ana")
    return gate


def register(gate: Gate, device: SoftAuthenticator, subject: str = "ana") -> None:
    options = gate.passkey_options(OFFICE, subject, "register", SITE)
    assert options["rp"]["id"] == SITE.id and options["authenticatorSelection"]["userVerification"] == "required"
    assert gate.set_alternative(OFFICE, subject, "passkey", device.create(options), rp=SITE).outcome == "set"


def sign_in(gate: Gate, device: SoftAuthenticator, subject: str = "ana") -> str:
    answer = device.get(gate.passkey_options(OFFICE, subject, "authenticate", SITE))
    return gate.verify_alternative(OFFICE, subject, "passkey", answer, rp=SITE).outcome


def test_a_passkey_still_verifies_after_the_subject_withdraws_consent_to_the_face(gate: Gate, photo) -> None:
    gate.register(example("office-entry", alternatives=offered("access_card", "passkey")))
    consenting(gate, OFFICE, "ana")
    gate.enroll(OFFICE, "ana", photo("obama.jpg"))
    phone = SoftAuthenticator("https://gate.example.com")
    register(gate, phone)
    assert gate.withdraw(OFFICE, "ana").details["templates_deleted"] == 1
    assert sign_in(gate, phone) == "verified"


def test_a_subject_who_declined_verifies_with_a_passkey(passkeys: Gate) -> None:
    phone = SoftAuthenticator("https://gate.example.com")
    register(passkeys, phone)
    assert sign_in(passkeys, phone) == "verified"
    assert sign_in(passkeys, phone) == "verified"
    assert sign_in(passkeys, SoftAuthenticator("https://gate.example.com")) == "not_verified"  # another device
    assert sign_in(passkeys, phone) == "verified"
    assert audit_ok(passkeys)


def test_a_passkey_answer_counts_once_and_only_for_its_site(passkeys: Gate) -> None:
    phone = SoftAuthenticator("https://gate.example.com")
    register(passkeys, phone)
    answer = phone.get(passkeys.passkey_options(OFFICE, "ana", "authenticate", SITE))
    assert passkeys.verify_alternative(OFFICE, "ana", "passkey", answer, rp=SITE).outcome == "verified"
    replayed = passkeys.verify_alternative(OFFICE, "ana", "passkey", answer, rp=SITE)
    assert replayed.outcome == "not_verified" and "no passkey ceremony is pending" in replayed.details["reason"]
    assert '"outcome":"not_verified"' in audit_payloads(passkeys)[-1]
    passkeys.passkey_options(OFFICE, "ana", "authenticate", SITE)
    assert passkeys.verify_alternative(OFFICE, "ana", "passkey", answer, rp=SITE).outcome == "not_verified"
    phishing = SoftAuthenticator("https://gate.example.com.evil.test")
    phishing.key, phishing.credential_id = phone.key, phone.credential_id  # the same passkey, another page
    phishing.counter = phone.counter
    assert sign_in(passkeys, phishing) == "not_verified"


def at_once(gates: tuple[Gate, ...], answer: str) -> list[str]:
    """The outcomes of the same passkey answer sent through each gate at the same moment."""
    together, outcomes = threading.Barrier(len(gates)), []

    def send(gate: Gate) -> None:
        together.wait()
        outcomes.append(gate.verify_alternative(OFFICE, "ana", "passkey", answer, rp=SITE).outcome)

    threads = [threading.Thread(target=send, args=(gate,)) for gate in gates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_one_passkey_answer_sent_twice_at_once_verifies_once(passkeys: Gate, elsewhere: Gate) -> None:
    phone = SoftAuthenticator("https://gate.example.com")
    register(passkeys, phone)
    for _ in range(3):
        answer = phone.get(passkeys.passkey_options(OFFICE, "ana", "authenticate", SITE))
        assert at_once((passkeys, elsewhere), answer) == ["not_verified", "verified"]


def test_registering_again_replaces_the_passkey_on_the_device(passkeys: Gate) -> None:
    phone = SoftAuthenticator("https://gate.example.com")
    first = passkeys.passkey_options(OFFICE, "ana", "register", SITE)
    passkeys.set_alternative(OFFICE, "ana", "passkey", phone.create(first), rp=SITE)
    again = passkeys.passkey_options(OFFICE, "ana", "register", SITE)
    assert again["user"]["id"] == first["user"]["id"]  # the same account on the device
    assert [c["id"] for c in again["excludeCredentials"]] == [b64url(phone.credential_id)]
    laptop = SoftAuthenticator("https://gate.example.com")
    passkeys.set_alternative(OFFICE, "ana", "passkey", laptop.create(again), rp=SITE)
    assert sign_in(passkeys, laptop) == "verified" and sign_in(passkeys, phone) == "not_verified"


def test_a_cloned_passkey_is_caught_by_its_counter(passkeys: Gate) -> None:
    phone = SoftAuthenticator("https://gate.example.com")
    register(passkeys, phone)
    assert sign_in(passkeys, phone) == "verified"
    clone = SoftAuthenticator(phone.origin)
    clone.key, clone.credential_id, clone.counter = phone.key, phone.credential_id, phone.counter  # copied now
    assert sign_in(passkeys, phone) == "verified"
    assert sign_in(passkeys, clone) == "not_verified"


def test_passkey_setup_needs_a_fresh_ceremony_and_a_real_answer(passkeys: Gate, clock: Clock) -> None:
    phone = SoftAuthenticator("https://gate.example.com")
    unasked = phone.create({"challenge": "eA", "rp": {"id": SITE.id}})
    with pytest.raises(InputError, match="no passkey ceremony is pending"):
        passkeys.set_alternative(OFFICE, "ana", "passkey", unasked, rp=SITE)
    options = passkeys.passkey_options(OFFICE, "ana", "register", SITE)
    clock.advance(minutes=4)
    with pytest.raises(InputError, match="took too long"):
        passkeys.set_alternative(OFFICE, "ana", "passkey", phone.create(options), rp=SITE)
    passkeys.passkey_options(OFFICE, "ana", "register", SITE)
    with pytest.raises(InputError, match="not accepted"):
        passkeys.set_alternative(OFFICE, "ana", "passkey", phone.create(options), rp=SITE)  # an older challenge
    for garbage in ('{"id": 1}', "not json", "[]"):
        passkeys.passkey_options(OFFICE, "ana", "register", SITE)
        with pytest.raises(InputError, match="not accepted"):
            passkeys.set_alternative(OFFICE, "ana", "passkey", garbage, rp=SITE)
    with pytest.raises(NotFoundError, match="no passkey set up"):
        passkeys.passkey_options(OFFICE, "ana", "authenticate", SITE)
    with pytest.raises(InputError, match="in a browser"):
        passkeys.set_alternative(OFFICE, "ana", "passkey", "{}")


def test_unknown_subject_and_unknown_deployment(office: Gate, photo) -> None:
    with pytest.raises(NotFoundError, match="unknown subject 'nobody'"):
        office.verify(OFFICE, "nobody", photo("obama.jpg"))
    with pytest.raises(NotFoundError, match="unknown deployment 'nowhere'"):
        office.verify("nowhere", "obama", photo("obama.jpg"))


def test_identification_on_a_verification_deployment_is_refused(office: Gate, photo) -> None:
    refused(lambda: office.identify(OFFICE, photo("obama.jpg")), "CN25-4b")


def test_unregistered_purpose_is_refused(office: Gate, photo) -> None:
    consenting(office, OFFICE, "obama")
    refused(lambda: office.enroll(OFFICE, "obama", photo("obama.jpg"), purpose="marketing"), "CN25-4b")


def test_off_device_storage_needs_transmission_consent(gate: Gate, photo) -> None:
    gate = Gate(replace(gate.context, kind="hub"), engine_factory=shared_engine)  # on-premises storage: a hub
    spec = example("office-entry", storage={"location": "on_premises", "transmission_consent": True})
    gate.register(spec)
    consenting(gate, OFFICE, "obama")
    refused(lambda: gate.enroll(OFFICE, "obama", photo("obama.jpg")), "CN25-8a/b")
    gate.give_consent(OFFICE, "obama", kind="external_transmission")
    assert gate.enroll(OFFICE, "obama", photo("obama.jpg")).outcome == "enrolled"


def test_refusals_are_audited_with_their_rules(office: Gate, photo) -> None:
    office.add_subject("obama")
    refused(lambda: office.enroll(OFFICE, "obama", photo("obama.jpg"), caller=Caller("operator:alice", "req-1")))
    refusal = [p for p in audit_payloads(office) if '"req-1"' in p]
    assert len(refusal) == 1 and '"refuse"' in refusal[0] and "CN25-5b" in refusal[0]


# ---- data-subject rights and retention ----


def test_access_export_and_delete(office: Gate, photo) -> None:
    consenting(office, OFFICE, "obama")
    office.enroll(OFFICE, "obama", photo("obama.jpg"))
    held = office.access("obama")
    assert held["facial_data"][0]["deployment"] == OFFICE and held["facial_data"][0]["templates"] == 1
    assert "vector" not in str(held)
    assert "templates" not in office.export("obama")  # an operator gets no vectors
    export = office.export("obama", Caller("subject:obama"))
    assert len(export["templates"]) == 1 and len(export["templates"][0]["vector"]) == 128
    receipt = office.delete_subject("obama")
    assert receipt.outcome == "deleted" and receipt.event_id
    with pytest.raises(NotFoundError):
        office.access("obama")


def test_purge_deletes_expired_templates(gate: Gate, photo, clock: Clock) -> None:
    spec = example("office-entry", storage={"retention_days": 30})
    gate.register(spec)
    consenting(gate, OFFICE, "obama")
    gate.enroll(OFFICE, "obama", photo("obama.jpg"))
    assert gate.purge()["templates"] == 0
    clock.advance(days=31)
    assert gate.purge()["templates"] == 1
    assert gate.access("obama")["facial_data"] == []


def test_consent_to_raw_images_on_a_discarding_deployment_is_an_error(office: Gate) -> None:
    office.add_subject("obama")
    office.notice_shown(OFFICE, "obama")
    with pytest.raises(InputError, match="discards raw images"):
        office.give_consent(OFFICE, "obama", kind="raw_image_retention")


def test_bipa_needs_a_written_release_and_destroys_within_three_years(gate: Gate, photo, clock: Clock) -> None:
    base = example("office-entry")
    notice = {**base.notice.model_dump(mode="json"), "public_retention_schedule": "https://example.com/retention"}
    spec = example("office-entry", legal_basis="written_consent", notice=notice, storage={"retention_days": 1095})
    gate.register(spec, profiles=("bipa",))
    gate.add_subject("worker")
    gate.notice_shown(OFFICE, "worker")
    gate.give_consent(OFFICE, "worker")  # a separate consent is not a written release
    refused(lambda: gate.enroll(OFFICE, "worker", photo("obama.jpg")), "BIPA-15b3")
    gate.give_consent(OFFICE, "worker", form="written", evidence_ref="release-2026-0042.pdf")
    gate.enroll(OFFICE, "worker", photo("obama.jpg"))
    clock.advance(days=700)
    assert gate.verify(OFFICE, "worker", photo("obama2.jpg")).outcome == "match"
    clock.advance(days=394)
    assert gate.purge()["templates"] == 0
    clock.advance(days=2)  # three years and a day after enrollment (BIPA-15a)
    assert gate.purge()["templates"] == 1


def test_photos_are_kept_only_with_their_own_consent_and_only_for_their_time(
    gate: Gate,
    photo,
    clock: Clock,
) -> None:
    gate.register(example("office-entry", storage={"raw_images": "retain_with_consent", "raw_image_retention_days": 7}))
    consenting(gate, OFFICE, "obama")
    assert gate.enroll(OFFICE, "obama", photo("obama.jpg")).details["raw_image_kept"] is False
    gate.give_consent(OFFICE, "obama", kind="raw_image_retention")
    assert gate.enroll(OFFICE, "obama", photo("obama.jpg")).details["raw_image_kept"] is True
    assert gate.access("obama")["facial_data"][0]["raw_images"] == 1
    clock.advance(days=8)
    assert gate.purge()["raw_images"] == 1
    assert gate.access("obama")["facial_data"][0]["raw_images"] == 0


def test_kept_photos_go_with_the_last_template_and_with_a_retired_deployment(gate: Gate, photo) -> None:
    gate.register(example("office-entry", storage={"raw_images": "retain_with_consent", "raw_image_retention_days": 7}))
    for subject in ("obama", "biden"):
        consenting(gate, OFFICE, subject)
        gate.give_consent(OFFICE, subject, kind="raw_image_retention")
    two = gate.enroll(OFFICE, "obama", [photo("obama.jpg"), photo("obama2.jpg")]).details["template_ids"]
    first = gate.delete_template(OFFICE, "obama", two[0])
    assert first.details["raw_images_deleted"] == 0  # a template is left: its photos may serve it again
    assert gate.access("obama")["facial_data"][0]["raw_images"] == 2
    assert gate.delete_template(OFFICE, "obama", two[1]).details["raw_images_deleted"] == 2
    assert gate.access("obama")["facial_data"] == []
    gate.enroll(OFFICE, "biden", photo("biden.jpg"))
    with gate.db.session() as session:  # a photo kept with no template left (as before this rule)
        session.execute(delete(TemplateRow).filter_by(subject_id="biden"))
    held = gate.access("biden")["facial_data"]
    assert [(d["deployment"], d["templates"], d["raw_images"]) for d in held] == [(OFFICE, 0, 1)]  # shown, not hidden
    gate.retire(OFFICE)
    assert gate.access("biden")["facial_data"] == []
    with gate.db.session(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(RawImageRow)) == 0


def test_subject_ids_are_pseudonyms_without_separators(gate: Gate) -> None:
    with pytest.raises(InputError, match="subject ID"):
        gate.add_subject("data/../other")
    with pytest.raises(InputError, match="subject ID"):
        gate.add_subject("Barack Obama")


# ---- notice on every legal basis (PIPL-18), transfers abroad (PIPL-39) ----

ATTESTED_STATUTE = {
    "claim": "statutory_basis", "reviewer": "Li Ming (counsel)", "attested_on": "2026-11-20",
    "document": "Legal opinion 2026-14",
}  # fmt: skip
HQ_ABROAD = {
    "name": "Example Group HQ Pte. Ltd.", "contact": "dpo@group.example", "purpose": "group access control",
    "method": "template sync", "pi_categories": ["face template"], "separate_consent": True, "country": "SG",
    "rights_procedure": "Write to dpo@group.example.", "cross_border_consent": True,
    "transfer_mechanism": "standard_contract", "transfer_mechanism_ref": "CAC filing 2026-0042", "individuals": 300,
}  # fmt: skip


def test_a_statutory_basis_still_needs_the_notice_before_capture(gate: Gate, photo) -> None:
    spec = example(
        "office-entry", legal_basis="statutory", legal_basis_ref="Regulation X, Art. 5", attestations=[ATTESTED_STATUTE]
    )
    assert gate.register(spec, Caller("api_key:admin")).outcome == "draft"  # the attestation is not recorded yet
    refused(lambda: gate.activate(OFFICE, Caller("api_key:admin")), "PIPL-13")
    gate.attest(OFFICE, "statutory_basis", "Li Ming (counsel)", "Legal opinion 2026-14", Caller("api_key:dpo"))
    assert gate.activate(OFFICE, Caller("api_key:admin")).outcome == "active"
    gate.add_subject("obama")
    refused(lambda: gate.enroll(OFFICE, "obama", photo("obama.jpg")), "CN25-5b", "PIPL-18")
    gate.notice_shown(OFFICE, "obama")
    assert gate.enroll(OFFICE, "obama", photo("obama.jpg")).outcome == "enrolled"


def test_a_foreign_recipient_needs_the_subjects_cross_border_consent(gate: Gate, photo) -> None:
    impact = {**example("office-entry").impact_assessment.model_dump(mode="json"), "cross_border": "Assessed."}
    gate.register(example("office-entry", recipients=[HQ_ABROAD], impact_assessment=impact))
    consenting(gate, OFFICE, "obama")
    refused(lambda: gate.enroll(OFFICE, "obama", photo("obama.jpg")), "PIPL-39")
    gate.give_consent(OFFICE, "obama", kind="cross_border")
    assert gate.enroll(OFFICE, "obama", photo("obama.jpg")).outcome == "enrolled"
    gate.register(example("office-entry", id="hq-local"))
    gate.add_subject("biden")
    gate.notice_shown("hq-local", "biden")
    with pytest.raises(InputError):  # nothing goes abroad from hq-local: nothing to consent to
        gate.give_consent("hq-local", "biden", kind="cross_border")
