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


@pytest.mark.parametrize("bad", ["24h-smart-store", "HQ-Lobby", "hq_lobby"])
def test_an_id_that_breaks_its_pattern_is_told_what_an_id_may_contain(bad: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_spec(DESIGN_EXAMPLE.replace("id: hq-lobby", f"id: {bad}"))
    message = str(refused.value)
    assert f"id: {bad!r} is not a valid id" in message and "lowercase letters a-z, digits and hyphens" in message
    assert "starts with a letter" in message and "pattern" not in message and "^[a-z]" not in message


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


# --- probes written from the law by an outside reviewer --------------------------------------------------------------

TODAY = date(2026, 11, 26)


def _office(**changes: object) -> dict:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for part in parents:
            node = node[part]
        node[last] = value
    return data


def _report(data: dict):  # type: ignore[no-untyped-def]
    from facegate.policy import evaluate

    return evaluate(parse_spec(json.dumps(data, default=str), "json"), ["cn2025"], today=TODAY)


@pytest.mark.parametrize(
    "words",
    ["Half a year of history for seasonal comparison.", "Stored on the device for comparisons with last season."],
)
def test_a_city_inside_another_word_is_no_transfer_abroad(words: str) -> None:
    report = _report(_office(storage__retention_justification=words))
    assert not [f for f in report.findings if f.rule == "FG-9"], [f.to_dict() for f in report.findings]


def test_a_city_named_as_a_word_is_still_read() -> None:
    report = _report(_office(storage__retention_justification="Backups are kept on our servers in Paris for 365 days."))
    assert any(f.rule == "FG-9" for f in report.blocking)


@pytest.mark.parametrize(
    ("description", "rules"),
    [
        ("Cameras at the door match faces so that we can track shoppers across stores.", {"FG-11"}),
        ("Door cameras recognise returning VIPs when they enter another store.", {"FG-14"}),
        ("门口摄像头比对人脸，以便跨店追踪顾客的行动轨迹。", {"FG-11"}),
    ],
)
def test_a_description_that_tracks_shoppers_behind_access_control_is_blocked(description: str, rules: set) -> None:
    report = _report(_office(purpose__description=description))
    assert report.verdict == "blocked"
    assert rules <= {f.rule for f in report.blocking}


@pytest.mark.parametrize(
    "reference",
    [
        "Measures for the Public Security Administration of the Hotel Industry, Art. 6",
        "Article 6 of the Measures for the Public Security Administration of the Hotel Industry",
    ],
)
def test_a_hotel_registration_rule_cited_by_its_title_is_named_as_requiring_documents_only(reference: str) -> None:
    report = _report(_office(legal_basis="statutory", legal_basis_ref=reference))
    finding = next(f for f in report.blocking if f.rule == "PIPL-13")
    assert "requires checking identity documents" in finding.message and "not a provision" not in finding.message


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("People's Police Law of the PRC, Art. 6", {"PRC-PPL-6"}),
        ("Article 7 of the Exit and Entry Administration Law", {"PRC-EEAL-7"}),
        ("Personal Information Protection Law Art. 26; Cybersecurity Law Art. 13", {"PRC-PIPL-26"}),
    ],
)
def test_a_provision_is_found_by_its_own_title_and_article(reference: str, expected: set) -> None:
    from facegate.policy.provisions import cited

    assert {p.id for p in cited(reference)} == expected


def test_a_deletion_period_counted_within_days_of_an_event_is_not_read_as_the_retention_period() -> None:
    words = "Templates are deleted within 30 days of account closure."
    report = _report(_office(storage__retention_justification=words))
    assert not [f for f in report.findings if f.rule == "FG-13"], [f.to_dict() for f in report.findings]
    short = _report(_office(storage__retention_justification="Templates are kept 30 days."))
    assert any(f.rule == "FG-13" for f in short.blocking)


def test_an_identity_check_against_an_enrolled_template_may_keep_it_a_year() -> None:
    driver = _office(purpose__category="identity_verification", storage__retention_days=365)
    assert not [f for f in _report(driver).findings if f.rule == "FG-13"]
    longer = _office(purpose__category="identity_verification", storage__retention_days=730)
    assert any(f.rule == "FG-13" for f in _report(longer).blocking)


def _police_watchlist(**changes: object) -> dict:
    data = _office(
        handler={"name": "Example City Public Security Bureau", "kind": "public_security_organ", "contact": "110"},
        purpose__category="public_security",
        purpose__description="Cameras at the station square search passers-by against a watchlist of wanted persons.",
        purpose__least_impact="Only watchlist matches are kept; other faces are discarded at once.",
        modality="identification", capture="passive", legal_basis="statutory",
        legal_basis_ref="People's Police Law of the PRC, Art. 6", alternatives=[],
        location={"setting": "public_place", "type": "public square", "signage": True,
                  "collection_area": "The north square of the railway station, six cameras, per the attached map."},
        premises_type="station", accuracy={"expected_gallery_size": 200}, human_review=True,
        watchlist={"legal_basis_ref": "People's Police Law of the PRC, Art. 6", "target_cap": 200,
                   "time_window": "2026-12-01 to 2027-02-28", "geofence": "North square polygon per the attached map"},
        storage={"location": "device", "retention_days": 30,
                 "retention_justification": "Match records are kept 30 days for the case file."},
    )
    data.update(changes)
    return data


def test_a_police_watchlist_with_face_the_only_way_must_cite_the_state_provision_that_says_so() -> None:
    """CN25-10a: state provisions prevail, but a statutory duty to search is not by itself one making face the only
    way; the spec cites one in sole_method_ref (supported by the registry or attested)."""
    bare = _report(_police_watchlist())
    assert [f.rule for f in bare.blocking] == ["CN25-10a"] and "sole_method_ref" in bare.blocking[0].message


@pytest.mark.parametrize("words", ["medical insurance card", "社保卡", "医保卡"])
def test_a_hospital_insurance_card_is_an_identity_document_alternative(words: str) -> None:
    data = _office(alternatives=[{"method": words, "fee": 0, "wait": 0}])
    assert parse_spec(json.dumps(data, default=str), "json").alternatives == ["id_document"]


@pytest.mark.parametrize(
    ("size", "said"),
    [(350_000, "must file with the provincial-level cyberspace administration within 30 working days"),
     (85_000, "near the filing threshold of 100,000"), (100_000, "must file"), (79_999, None)],
)  # fmt: skip
def test_a_gallery_expected_at_or_near_the_filing_threshold_is_told_of_the_filing_before_anyone_is_enrolled(
    size: int, said: str | None
) -> None:
    report = _report(_office(accuracy={"expected_gallery_size": size}))
    filing = [(f.severity, f.message) for f in report.findings if f.rule == "CN25-15a/b"]
    if said is None:
        assert filing == []
    else:
        assert len(filing) == 1 and filing[0][0] == "WARN" and said in filing[0][1], filing


@pytest.mark.parametrize(
    ("capture", "age_floor", "blocked"),
    [("active", 18, False), ("active", None, True), ("active", 6, True), ("passive", 18, True)],
)
def test_parents_verified_at_a_kindergarten_gate_are_not_children_of_unknown_age(
    capture: str, age_floor: int | None, blocked: bool
) -> None:
    """Q15 treats unknown ages as under 14 where children are likely; adults who each present their own face to be
    matched with their enrolled adult template are of known age, but a camera that captures everyone is not."""
    minors = {"expected": False, "share": 0, "age_floor": age_floor}
    report = _report(_office(premises_type="kindergarten", capture=capture, minors=minors))
    assert ("CN25-7c" in {f.rule for f in report.blocking}) is blocked, [f.to_dict() for f in report.blocking]


def test_chinese_setting_and_risk_levels_are_read_like_other_chinese_values() -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["location"]["setting"] = "私人场所"  # private (non-public) premises, like 非公共场所 and 内部场所
    data["impact_assessment"]["risks"] = [{"harm": "leak", "likelihood": "低", "severity": "中"},
                                          {"harm": "illegal_sale", "likelihood": "低", "severity": "高"}]  # fmt: skip
    spec = parse_spec(json.dumps(data, default=str), "json")
    assert spec.location.setting == "private_premises"
    assert spec.impact_assessment is not None
    assert [(r.likelihood, r.severity) for r in spec.impact_assessment.risks] == [("low", "medium"), ("low", "high")]


def test_a_wrong_value_on_every_list_item_is_one_error_naming_the_items() -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["impact_assessment"]["risks"] = [{"harm": h, "likelihood": "maybe", "severity": "maybe"} for h in "abc"]
    with pytest.raises(InputError) as raised:
        parse_spec(json.dumps(data, default=str), "json")
    message = str(raised.value)
    assert message.count("is not a known level") == 2, message  # likelihood and severity, not once per risk
    assert "impact_assessment.risks[0, 1, 2].likelihood: 'maybe' is not a known level" in message


def test_an_unquoted_hotline_is_kept_as_text_and_other_numbers_are_asked_to_be_quoted() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "complaint_channel: privacy@example.com or the staff hotline 6000", "complaint_channel: 12367"
    )
    assert parse_spec(text).notice.complaint_channel == "12367"
    with pytest.raises(InputError, match=r"name: Input should be a valid string \(YAML reads 12345 .* quotes"):
        parse_spec(text.replace("name: HQ lobby staff entry", "name: 12345"))
