"""Stored-individual counts and filing tasks on SQLite and PostgreSQL: the thresholds at their boundaries, one
person counted once, deletions (Q1), overdue filings refusing enrollments (Q7), change filings (Q8), cancellation."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from gate_fixtures import START, Clock, example
from sqlalchemy import func, select

from facegate import oversight, policy
from facegate.errors import InputError, NotFoundError, RefusedError
from facegate.gate import Gate
from facegate.oversight import Oversight
from facegate.oversight.models import HandlerRow, IndividualRow, TaskRow
from facegate.oversight.synthetic import enroll_synthetic
from facegate.oversight.tasks import open_filing, working_calendar
from facegate.oversight.thresholds import filing_duty

HANDLER = "Example Technology (Shanghai) Co., Ltd."
OFFICE = "hq-lobby"
BOTH = ("cn2025", "cn2023-draft")


@pytest.fixture
def office(gate: Gate) -> Oversight:
    """The office deployment under cn2025 only, and its oversight."""
    gate.register(example("office-entry"))
    return Oversight(gate.context)


@pytest.fixture
def draft_office(gate: Gate) -> Oversight:
    """The office deployment under cn2025 and the stricter cn2023-draft, and its oversight."""
    gate.register(example("office-entry"), profiles=BOTH)
    return Oversight(gate.context)


@pytest.fixture
def photo(photos: Path):
    return lambda name: (photos / name).read_bytes()


def synthetic(gate: Gate, n: int, prefix: str = "s", deployment: str = OFFICE) -> None:
    """n subjects with a random template each, stored through the vault's sealing (bypassing the gate)."""
    enroll_synthetic(gate.db, gate.vault, deployment, [f"{prefix}{i}" for i in range(n)], gate.clock())


def consenting(gate: Gate, deployment: str, subject: str, new: bool = True) -> None:
    if new:
        gate.add_subject(subject)
    gate.notice_shown(deployment, subject)
    gate.give_consent(deployment, subject)


def handler(report: dict, name: str = HANDLER) -> dict:
    return next(h for h in report["handlers"] if h["handler"] == name)


def threshold(h: dict, profile: str) -> dict:
    return next(t for t in h["thresholds"] if t["profile"] == profile)


def stored_tasks(gate: Gate) -> list[TaskRow]:
    """The tasks in the database as they are, without any refresh."""
    with gate.db.session(readonly=True) as session:
        return list(session.scalars(select(TaskRow).order_by(TaskRow.opened_at)))


# ---- thresholds at their boundaries ----


@pytest.mark.slow
def test_cn2025_99999_open_no_task_and_the_100000th_opens_the_filing(office: Oversight, gate: Gate, photo) -> None:
    synthetic(gate, 99_999)
    h = handler(office.status())
    assert h["stored_individuals"] == 99_999
    assert h["open_tasks"] == []
    assert threshold(h, "cn2025")["remaining"] == 1 and not threshold(h, "cn2025")["reached"]
    assert any("95,000" in w["message"] for w in h["warnings"]), "early warning at 95,000"

    consenting(gate, OFFICE, "obama")
    gate.enroll(OFFICE, "obama", photo("obama.jpg"))
    [task] = stored_tasks(gate)  # opened by the enrollment itself, before any refresh
    assert (task.profile, task.kind, task.trigger) == ("cn2025", "filing", "threshold_reached")
    assert {"CN25-15a/b", "CN25-15c"} <= set(task.rule_ids.split(","))
    assert task.trigger_on == date(2026, 11, 20)
    # 30 working days counted from 21 Nov (CC-201: the day after the trigger); 2027 has no published schedule, so
    # 1 Jan 2027 counts as a calendar day
    assert task.due_on == date(2027, 1, 1)

    h = handler(office.status())
    assert h["stored_individuals"] == 100_000
    assert threshold(h, "cn2025")["reached_on"] == "2026-11-20"
    assert [t["id"] for t in h["open_tasks"]] == [task.id]


def test_cn2023_draft_10000_open_no_task_and_10001_opens_one(draft_office: Oversight, gate: Gate) -> None:
    synthetic(gate, 10_000)
    h = handler(draft_office.status())
    assert h["stored_individuals"] == 10_000
    assert h["open_tasks"] == []
    assert threshold(h, "cn2023-draft")["remaining"] == 1

    synthetic(gate, 1, prefix="extra")
    h = handler(draft_office.status())
    assert h["stored_individuals"] == 10_001
    [task] = h["open_tasks"]
    assert (task["profile"], task["kind"], task["trigger"]) == ("cn2023-draft", "filing", "threshold_reached")
    assert task["rule_ids"] == ["CN23-T13"]
    assert threshold(h, "cn2025")["reached_on"] is None


def test_the_enrollment_that_passes_10000_latches_its_beijing_date_at_once(
    draft_office: Oversight, gate: Gate, clock: Clock, photo
) -> None:
    clock.now = datetime(2026, 9, 30, 16, 30, tzinfo=UTC)  # 00:30 on 1 October in Beijing: National Day
    synthetic(gate, 10_000)
    draft_office.refresh()
    assert stored_tasks(gate) == []
    consenting(gate, OFFICE, "biden")
    gate.enroll(OFFICE, "biden", photo("biden.jpg"))
    [task] = stored_tasks(gate)
    assert task.trigger_on == date(2026, 10, 1)
    # 1-7 Oct off; 8, 9 and Sat 10 Oct (make-up) are days 1-3; the 30th working day is 17 Nov.
    assert task.due_on == date(2026, 11, 17)


# ---- one individual, counted once ----


def test_one_person_enrolled_in_two_deployments_counts_once(office: Oversight, gate: Gate, photo) -> None:
    gate.register(example("office-entry", id="hq-side-door"))
    other = "Other Trading (Beijing) Co., Ltd."
    gate.register(example("office-entry", id="other-lobby", handler={"name": other, "region": "CN-BJ"}))
    consenting(gate, OFFICE, "obama")
    consenting(gate, "hq-side-door", "obama", new=False)
    consenting(gate, "other-lobby", "obama", new=False)
    for deployment in (OFFICE, "hq-side-door", "other-lobby"):
        gate.enroll(deployment, "obama", photo("obama.jpg"))
    gate.enroll(OFFICE, "obama", photo("obama2.jpg"))  # a second template of the same person
    with gate.db.session(readonly=True) as session:
        assert session.get(HandlerRow, HANDLER).individuals == 1
        assert session.scalar(select(func.count()).select_from(IndividualRow)) == 2  # one per handler
        keys = session.scalars(select(IndividualRow.subject_key)).all()
    assert "obama" not in "".join(keys)  # a keyed hash, not the ID
    report = office.status()
    assert handler(report)["counts"] == {"cumulative": 1, "currently_stored": 1}
    assert handler(report, other)["counts"] == {"cumulative": 1, "currently_stored": 1}


def test_handler_names_are_compared_with_white_space_collapsed(office: Oversight, gate: Gate) -> None:
    gate.register(example("office-entry", id="hq-annex", handler={"name": "Example  Technology (Shanghai) Co., Ltd. "}))
    synthetic(gate, 3)
    synthetic(gate, 3, deployment="hq-annex")
    report = office.status()
    assert [h["handler"] for h in report["handlers"]] == [HANDLER]
    assert handler(report)["stored_individuals"] == 3


# ---- Q1: deletions ----


def test_deleting_subjects_never_lowers_the_cumulative_count_nor_closes_a_task(
    draft_office: Oversight, gate: Gate
) -> None:
    synthetic(gate, 10_001)
    [task] = handler(draft_office.status())["open_tasks"]
    gate.delete_subject("s0")
    h = handler(draft_office.status())
    assert h["counts"] == {"cumulative": 10_001, "currently_stored": 10_000}
    assert [t["id"] for t in h["open_tasks"]] == [task["id"]]
    current = Oversight(gate.context)
    current.settings = policy.Settings().override("filing.count_mode", "currently_stored", "test of Q1's other mode")
    h = handler(current.status())
    assert h["stored_individuals"] == 10_000
    assert [t["id"] for t in h["open_tasks"]] == [task["id"]], "a deletion never closes an open task"


def test_currently_stored_mode_counts_what_is_stored_now(gate: Gate, clock: Clock) -> None:
    gate.register(example("office-entry"), profiles=BOTH)
    office = Oversight(gate.context)
    office.settings = policy.Settings().override("filing.count_mode", "currently_stored", "practitioner reading")
    synthetic(gate, 10_000)
    gate.delete_subject("s0")
    clock.advance(days=3)
    synthetic(gate, 1, prefix="late")
    assert handler(office.status())["open_tasks"] == []  # 10,000 stored now
    clock.advance(days=4)
    synthetic(gate, 1, prefix="later")
    [task] = handler(office.status())["open_tasks"]
    assert task["trigger_on"] == (START.date().replace(day=27)).isoformat()  # when the 10,001st now stored came


# ---- Q7: an overdue filing refuses new enrollments; verification goes on ----


def test_an_overdue_filing_refuses_new_enrollments_and_verification_goes_on(
    draft_office: Oversight, gate: Gate, clock: Clock, photo
) -> None:
    synthetic(gate, 10_000)
    draft_office.refresh()  # the daily run finds the templates stored before (they bypassed the gate)
    consenting(gate, OFFICE, "biden")
    consenting(gate, OFFICE, "obama")
    gate.enroll(OFFICE, "biden", photo("biden.jpg"))
    [task] = stored_tasks(gate)
    assert task.due_on == date(2027, 1, 1)
    clock.now = datetime(2027, 1, 1, 15, 0, tzinfo=UTC)  # 23:00 on the due day in Beijing: not overdue yet
    with gate.db.session(readonly=True) as session:
        assert oversight.enrollment_block(session, HANDLER, clock.now) is None
    clock.now = datetime(2027, 1, 1, 16, 0, tzinfo=UTC)  # midnight in Beijing: one day late
    with pytest.raises(RefusedError) as refused:
        gate.enroll(OFFICE, "obama", photo("obama.jpg"))
    assert refused.value.rule_ids[0] == "FG-5" and {"CN25-15c", "CN23-T13"} <= set(refused.value.rule_ids)
    assert "2027-01-01" in str(refused.value) and "verification" in str(refused.value)
    assert gate.verify(OFFICE, "biden", photo("biden2.jpg")).outcome == "match"
    h = handler(draft_office.status())
    assert h["enrollment"]["blocked"] and "CN25-15c" in h["enrollment"]["rule_ids"]
    assert any("overdue" in w["message"] for w in h["warnings"])
    with gate.db.session(readonly=True) as session:
        warn_only = policy.Settings().override("filing.on_overdue", "warn_only", "regulator agreed a grace period")
        assert oversight.enrollment_block(session, HANDLER, clock.now, warn_only) is None

    [recorded] = draft_office.record_filing(HANDLER, "CAC-SH-2027-0001", date(2026, 12, 30))
    assert recorded["kind"] == "filing" and recorded["closed_tasks"] == [task.id]
    assert gate.enroll(OFFICE, "obama", photo("obama.jpg")).outcome == "enrolled"
    h = handler(draft_office.status())
    assert not h["enrollment"]["blocked"] and h["open_tasks"] == []
    assert h["closed_tasks"][0]["receipt"] == "CAC-SH-2027-0001"


# ---- Q8: changes after a filing; the end of face recognition ----


def test_a_change_after_filing_opens_one_change_filing_due_in_30_working_days(
    office: Oversight, gate: Gate, clock: Clock
) -> None:
    office.record_filing(HANDLER, "CAC-SH-2026-0007", date(2026, 11, 20))  # filed before reaching the threshold
    assert handler(office.status())["open_tasks"] == []
    clock.now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    purpose = {"description": "Staff and contractors pass the lobby turnstiles."}
    gate.update(example("office-entry", purpose=purpose, notice={"version": 2}))
    [task] = handler(office.status())["open_tasks"]
    assert (task["kind"], task["trigger"], task["rule_ids"]) == ("change", "purpose_change", ["CN25-15d/e"])
    assert task["trigger_on"] == "2026-11-24"
    # 24 Nov (Tue) is day 1; 31 Dec is day 28; 2027 has no schedule, so 1 and 2 Jan count as calendar days.
    assert task["due_on"] == "2027-01-03" and "2027" in task["due_basis"]
    clock.advance(days=1)
    gate.update(example("office-entry", purpose=purpose, notice={"version": 2}, security={"mlps_level": 3}))
    [same] = handler(office.status())["open_tasks"]
    assert same["id"] == task["id"] and same["due_on"] == task["due_on"]
    assert {c["trigger"] for c in same["details"]["changes"]} == {"purpose_change", "security_measures_change"}
    [recorded] = office.record_filing(HANDLER, "CAC-SH-2026-0099", date(2026, 11, 25))
    assert recorded["kind"] == "change"
    assert handler(office.status())["open_tasks"] == []


def test_a_move_into_another_count_band_is_a_change_to_file(office: Oversight, gate: Gate) -> None:
    banded = Oversight(gate.context, count_band=5)
    banded.record_filing(HANDLER, "CAC-SH-2026-0008", date(2026, 11, 20))
    synthetic(gate, 4)
    assert handler(banded.status())["open_tasks"] == []
    synthetic(gate, 1, prefix="fifth")
    [task] = handler(banded.status())["open_tasks"]
    assert task["trigger"] == "stored_count_band_change"
    assert task["details"]["changes"][0]["new"] == "5+"


def test_retiring_every_deployment_opens_the_cancellation(office: Oversight, gate: Gate, clock: Clock) -> None:
    synthetic(gate, 3)
    office.record_filing(HANDLER, "CAC-SH-2026-0009", date(2026, 11, 20))
    clock.advance(days=2)
    gate.retire(OFFICE)
    [task] = handler(office.status())["open_tasks"]
    assert (task["kind"], task["trigger"], task["rule_ids"]) == ("cancellation", "fr_use_ended", ["CN25-15d/e"])
    assert task["trigger_on"] == "2026-11-22"
    assert task["details"]["deletion_evidence"] == {"templates_remaining": 0, "deployments_retired": [OFFICE]}
    [recorded] = office.record_filing(HANDLER, "CAC-SH-2026-0010", date(2026, 11, 22))
    assert recorded["kind"] == "cancellation"
    h = handler(office.status())
    assert h["open_tasks"] == [] and [f["kind"] for f in h["filings"]] == ["filing", "cancellation"]


def test_a_public_place_deployment_opens_a_filing_under_the_draft_only(gate: Gate) -> None:
    gate.register(example("station-public-security"))
    gate.register(example("station-public-security", id="north-station-gates"), profiles=BOTH)
    office = Oversight(gate.context)
    [h] = office.status()["handlers"]
    [task] = h["open_tasks"]
    assert (task["profile"], task["trigger"], task["rule_ids"]) == ("cn2023-draft", "public_place", ["CN23-T13"])
    assert task["details"] == {"deployments": ["north-station-gates"]}
    assert threshold(h, "cn2025")["reached"] is False


def test_concurrent_refreshes_open_one_task(gate: Gate) -> None:
    gate.register(example("station-public-security"), profiles=BOTH)
    offices = [Oversight(gate.context) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda o: o.refresh(), offices))
    assert len(stored_tasks(gate)) == 1


# ---- CN25-FA-1 and errors ----


def test_a_threshold_reached_before_the_measures_is_due_on_14_july_2025(database) -> None:
    duty = filing_duty("cn2025")
    assert duty is not None
    now = datetime(2025, 6, 2, tzinfo=UTC)
    with database.session() as session:
        legacy = open_filing(session, "A", duty, datetime(2025, 5, 31, 15, 59, tzinfo=UTC), "threshold_reached", {},
                             working_calendar(), now)  # fmt: skip
        first_day = open_filing(session, "B", duty, datetime(2025, 5, 31, 16, 0, tzinfo=UTC), "threshold_reached",
                                {}, working_calendar(), now)  # fmt: skip
    assert (legacy.trigger, legacy.due_on) == ("legacy", date(2025, 7, 14))
    assert legacy.rule_ids.split(",")[0] == "CN25-FA-1"
    # From 1 June (Sunday; 2 June is Dragon Boat): 3 June is day 1 and 14 July day 30.
    assert (first_day.trigger, first_day.trigger_on, first_day.due_on) == (
        "threshold_reached", date(2025, 6, 1), date(2025, 7, 14),
    )  # fmt: skip


def test_recording_a_filing_checks_its_input(office: Oversight) -> None:
    with pytest.raises(NotFoundError):
        office.record_filing("Nobody Ltd.", "R-1", date(2026, 11, 20))
    with pytest.raises(InputError):
        office.record_filing(HANDLER, "R-1", date(2026, 11, 30))  # in the future
    with pytest.raises(InputError):
        office.record_filing(HANDLER, " ", date(2026, 11, 20))
    with pytest.raises(NotFoundError):
        office.record_filing(HANDLER, "R-1", date(2026, 11, 20), task_id="no-such-task")


def test_after_a_cancellation_no_filing_reopens_while_nothing_is_in_use(gate: Gate, clock: Clock) -> None:
    station = example("station-public-security")
    gate.register(station, profiles=("cn2023-draft",))
    oversight = Oversight(gate.context)
    name = station.handler.name
    [task] = handler(oversight.status(), name)["open_tasks"]
    assert (task["kind"], task["trigger"]) == ("filing", "public_place")
    oversight.record_filing(name, "CAC-BJ-2026-0001", clock.now.date())
    clock.advance(days=3)
    gate.retire(station.id)
    [task] = handler(oversight.status(), name)["open_tasks"]
    assert task["kind"] == "cancellation"
    oversight.record_filing(name, "CAC-BJ-2026-0002", clock.now.date())
    clock.advance(days=60)
    h = handler(oversight.status(), name)
    assert h["open_tasks"] == [] and h["enrollment"]["blocked"] is False
