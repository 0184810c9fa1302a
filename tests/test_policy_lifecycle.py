"""The lifecycle: draft -> active -> needs_reassessment -> retired, stale consents, filing changes, operations."""

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from facegate.errors import RefusedError, TransitionError
from facegate.policy import (
    Settings,
    Status,
    activate,
    after_change,
    after_incident,
    check_operation,
    children_likely,
    filing_changes,
    needs_guardian_consent,
    reassessment_triggers,
    renotification_needed,
    retire,
    spec_from_data,
    stale_consents,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "deployments"
BASE: dict[str, Any] = yaml.safe_load((EXAMPLES / "office-entry.yaml").read_text(encoding="utf-8"))
TODAY = date(2026, 11, 26)


def spec(**changes: Any):
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    return spec_from_data(data)


def test_a_compliant_draft_with_an_approved_assessment_becomes_active() -> None:
    assert activate(Status.DRAFT, spec(), today=TODAY) == Status.ACTIVE


def test_activation_is_refused_with_the_rule_ids_of_blocking_findings() -> None:
    with pytest.raises(RefusedError) as refused:
        activate(Status.DRAFT, spec(alternatives=[]), today=TODAY)
    assert refused.value.rule_ids[:2] == ["CN25-10a", "PIPL-16"]
    assert "alternatives" in str(refused.value)


def test_activation_needs_an_approved_assessment_under_every_profile() -> None:
    unapproved = spec(impact_assessment__approved_by=None)
    with pytest.raises(RefusedError) as refused:
        activate(Status.DRAFT, unapproved, today=TODAY, profiles=["eu-ai-act"])
    assert "CN25-9a/b" in refused.value.rule_ids


def test_reactivation_needs_an_assessment_approved_after_the_change() -> None:
    with pytest.raises(RefusedError) as refused:
        activate(Status.NEEDS_REASSESSMENT, spec(), today=TODAY, reassessment_since=date(2026, 1, 1))
    assert refused.value.rule_ids[0] == "CN25-9d"
    fresh = spec(impact_assessment__approved_on=date(2026, 2, 1), impact_assessment__version=2)
    assert activate(Status.NEEDS_REASSESSMENT, fresh, today=TODAY, reassessment_since=date(2026, 1, 1)) == "active"


def test_active_and_retired_deployments_cannot_be_activated() -> None:
    for status in (Status.ACTIVE, Status.RETIRED):
        with pytest.raises(TransitionError):
            activate(status, spec(), today=TODAY)


@pytest.mark.parametrize(
    ("changes", "trigger"),
    [
        ({"purpose__category": "attendance"}, "purpose_change"),
        ({"purpose__description": "Staff and visitors pass the turnstiles."}, "purpose_change"),
        ({"modality": "identification"}, "modality_change"),
        ({"storage__location": "cloud", "storage__transmission_consent": True}, "storage_location_change"),
        ({"recipients": [{"name": "Cloud Ltd."}]}, "recipients_change"),
        ({"analyses": ["age"]}, "data_type_change"),
    ],
)
def test_a_section_5_6_change_sends_an_active_deployment_to_reassessment(changes: dict, trigger: str) -> None:
    old, new = spec(), spec(**changes, notice__version=2)  # the notice says what changed, so its version goes up
    assert trigger in {c.trigger for c in reassessment_triggers(old, new)}
    assert after_change(Status.ACTIVE, old, new) == Status.NEEDS_REASSESSMENT
    assert after_change(Status.DRAFT, old, new) == Status.DRAFT


def test_r_and_d_moving_to_production_is_a_method_change() -> None:
    old = spec(context="rnd_algorithm_training", purpose__category="algorithm_training")
    assert [c.trigger for c in reassessment_triggers(old, spec())] == ["purpose_change", "rnd_to_production"]


def test_a_change_outside_the_triggers_keeps_the_deployment_active() -> None:
    new = spec(security__mlps_level=3, name="HQ lobby entry (east)")
    assert reassessment_triggers(spec(), new) == []
    assert after_change(Status.ACTIVE, spec(), new) == Status.ACTIVE


def test_a_changed_notice_without_a_new_version_is_refused() -> None:
    new = spec(notice__rights_exercise_procedure="Ask HR.")
    assert renotification_needed(spec(), new)
    with pytest.raises(RefusedError) as refused:
        after_change(Status.ACTIVE, spec(), new)
    assert refused.value.rule_ids == ["CN25-5c", "PIPL-17"]
    renotified = spec(notice__rights_exercise_procedure="Ask HR.", notice__version=2)
    assert after_change(Status.ACTIVE, spec(), renotified) == Status.ACTIVE  # a new notice version: no reassessment


def test_purpose_method_and_data_type_changes_make_consents_stale() -> None:
    assert not stale_consents(spec(), spec(security__mlps_level=3)).stale
    purpose = stale_consents(spec(), spec(purpose__category="attendance"))
    assert purpose.consents == ("facial_processing",)
    cloud = stale_consents(spec(), spec(storage__location="cloud", storage__transmission_consent=True))
    assert cloud.consents == ("facial_processing", "external_transmission")
    raw = stale_consents(spec(), spec(storage__raw_images="retain_with_consent", storage__raw_image_retention_days=7))
    assert raw.consents == ("facial_processing", "raw_image_retention")
    assert [c.trigger for c in raw.triggers] == ["data_type_change"]


def test_filing_changes_include_rules_security_and_a_new_assessment() -> None:
    new = spec(storage__retention_days=180, security__mlps_level=3, impact_assessment__version=2,
               notice__version=2)  # fmt: skip
    triggers = {c.trigger for c in filing_changes(spec(), new)}
    assert triggers == {"rules_or_procedures_change", "security_measures_change", "pia_new_version"}
    assert {c.trigger for c in filing_changes(spec(), spec(modality="identification"))} == {"method_change"}


def test_a_major_incident_reopens_the_assessment() -> None:
    assert after_incident(Status.ACTIVE, "minor") == Status.ACTIVE
    assert after_incident(Status.ACTIVE, "major") == Status.NEEDS_REASSESSMENT
    assert after_incident(Status.ACTIVE, "minor", off_device_movement=True) == Status.NEEDS_REASSESSMENT
    critical_only = Settings().override("incident.major_threshold", "critical", "Group incident policy v4")
    assert after_incident(Status.ACTIVE, "major", settings=critical_only) == Status.ACTIVE


def test_retiring_is_final() -> None:
    assert retire(Status.ACTIVE) == Status.RETIRED
    with pytest.raises(TransitionError):
        retire(Status.RETIRED)
    with pytest.raises(TransitionError):
        after_change(Status.RETIRED, spec(), spec())


@pytest.mark.parametrize(
    ("status", "rule_id"),
    [(Status.DRAFT, "CN25-9a/b"), (Status.NEEDS_REASSESSMENT, "CN25-9d"), (Status.RETIRED, "CN25-15d/e")],
)
def test_operations_need_an_active_deployment_but_deletion_always_works(status: Status, rule_id: str) -> None:
    with pytest.raises(RefusedError) as refused:
        check_operation(status, spec(), "verify")
    assert refused.value.rule_ids[0] == rule_id
    check_operation(status, spec(), "delete")


def test_operations_stay_within_the_registered_method_and_context() -> None:
    check_operation(Status.ACTIVE, spec(), "verify")
    with pytest.raises(RefusedError, match="1:1") as refused:
        check_operation(Status.ACTIVE, spec(), "identify")
    assert refused.value.rule_ids == ["CN25-4b"]
    rnd = spec(context="rnd_algorithm_training", purpose__category="algorithm_training")
    with pytest.raises(RefusedError) as refused:
        check_operation(Status.ACTIVE, rnd, "enroll")
    assert refused.value.rule_ids == ["CN25-2"]


BORN = date(2012, 6, 15)


@pytest.mark.parametrize(
    ("today", "under_14"),
    [(date(2026, 6, 14), True), (date(2026, 6, 15), True), (date(2026, 6, 16), False), (date(2030, 1, 1), False)],
)
def test_the_14th_birthday_itself_counts_as_under_14(today: date, under_14: bool) -> None:
    assert needs_guardian_consent(BORN, today, children_likely=False) is under_14


def test_the_birthday_boundary_and_unknown_ages_follow_the_settings() -> None:
    day_of = Settings().override("minors.boundary", "adult_from_14th_birthday", "Court guidance 2026-09")
    assert not needs_guardian_consent(BORN, date(2026, 6, 15), children_likely=False, settings=day_of)
    assert needs_guardian_consent(None, TODAY, children_likely=True)
    assert not needs_guardian_consent(None, TODAY, children_likely=False)
    assert needs_guardian_consent(date(2012, 2, 29), date(2026, 3, 1), children_likely=False)
    assert not needs_guardian_consent(date(2012, 2, 29), date(2026, 3, 2), children_likely=False)


def test_a_school_deployment_treats_unknown_ages_as_children() -> None:
    school = spec(premises_type="primary_school")
    assert children_likely(school) and not children_likely(spec())
    assert needs_guardian_consent(None, TODAY, children_likely=children_likely(school))
