"""Deployment specs are parsed from YAML or JSON text; an invalid one is refused naming each offending field."""

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from facegate.errors import InputError
from facegate.policy import parse_spec
from facegate.policy.spec import stated

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "deployments" / "office-entry.yaml"

DESIGN_EXAMPLE = """
id: hq-lobby
name: HQ lobby staff entry
handler: {name: "Example Co., Ltd.", contact: privacy@example.com, region: CN-SH}
context: production
purpose:
  category: access_control
  description: Staff pass the lobby turnstiles.
  necessity: why face recognition is necessary here
  least_impact: why this modality and storage are the least intrusive choice
modality: verification
location:
  setting: private_premises
  type: office_lobby
  signage: false
  collection_area: null
premises_type: office
legal_basis: separate_consent
legal_basis_ref: null
alternatives: [access_card, pin]
sole_method_ref: null
storage:
  location: device
  transmission_consent: false
  raw_images: discard
  retention_days: 365
minors: {expected: false, rules_ref: null}
analyses: []
impact_assessment:
  approved_by: J. Doe (DPO)
  approved_on: 2026-11-01
  lawfulness_necessity: ...
  rights_impact: ...
  security_risks: ...
  protection_measures: ...
notice: {version: 1, accessible: true}
"""


def test_the_design_contract_example_parses() -> None:
    spec = parse_spec(DESIGN_EXAMPLE)
    assert spec.id == "hq-lobby" and spec.modality == "verification" and spec.storage.retention_days == 365
    assert spec.impact_assessment is not None and spec.impact_assessment.approved_on == date(2026, 11, 1)
    assert not spec.off_device and spec.consent_based


def test_an_unquoted_comma_in_a_flow_mapping_is_caught_not_truncated() -> None:
    text = DESIGN_EXAMPLE.replace('"Example Co., Ltd."', "Example Co., Ltd.")
    with pytest.raises(InputError, match=r"handler\.Ltd\.: unknown field \(if it is part of a value, quote"):
        parse_spec(text)


def test_json_and_yaml_give_the_same_spec() -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    from_json = parse_spec(json.dumps(data, default=str), "json")
    assert from_json == parse_spec(EXAMPLE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("modality: verification", "modality: face_scan"),
        ("setting: private_premises", "setting: mall"),
        ("retention_days: 365", "retention_days: a year"),
        ("retention_days: 365", "retention_days: -1"),
        ("id: hq-lobby", "id: HQ Lobby!"),
    ],
)
def test_a_bad_value_names_its_field(change: str, field: str) -> None:
    text = DESIGN_EXAMPLE.replace(change, field)
    path = {"modality": "modality", "setting": "location.setting", "retention_days": "storage.retention_days",
            "id": "id"}[change.split(":")[0]]  # fmt: skip
    with pytest.raises(InputError, match=rf"invalid deployment spec: {path}:"):
        parse_spec(text)


@pytest.mark.parametrize("terms", [{"fee": -1, "wait": 0}, {"fee": 0, "wait": -5}])
def test_a_negative_fee_or_wait_is_refused_not_read_as_a_fee(terms: dict) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["alternatives"] = [{"method": "pin", **terms}]
    with pytest.raises(InputError, match=r"alternatives\[0\]: a fee or a wait is not negative"):
        parse_spec(json.dumps(data, default=str), "json")


def test_every_offending_field_is_named_at_once() -> None:
    text = DESIGN_EXAMPLE.replace("modality: verification\n", "").replace("retension_days", "x")
    text = text.replace("  retention_days: 365", "  retension_days: 365").replace("legal_basis: separate_consent", "")
    with pytest.raises(InputError) as raised:
        parse_spec(text)
    message = str(raised.value)
    assert "modality: required field is missing" in message
    assert "legal_basis: required field is missing" in message
    assert "storage.retension_days: unknown field" in message


def test_a_list_item_is_named_by_its_index() -> None:
    text = DESIGN_EXAMPLE + "recipients:\n  - {name: A, commercial: maybe}\n"
    with pytest.raises(InputError, match=r"recipients\[0\]\.commercial"):
        parse_spec(text)


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("id: [unclosed", "yaml", "not valid YAML"),
        ("{\"id\": ", "json", "not valid JSON"),
        ("- just\n- a list\n", "yaml", "top level must be a mapping"),
        ("", "yaml", "top level must be a mapping"),
    ],
)
def test_text_that_is_not_a_spec_is_refused(text: str, fmt: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_spec(text, fmt)  # type: ignore[arg-type]


def test_placeholders_count_as_not_stated() -> None:
    for text in (None, "", "  ", "...", "TBD", "n/a", "None.", "待定"):
        assert not stated(text)
    assert stated("Badges are lent; matching stops it.")
