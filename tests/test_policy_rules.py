"""Every rule with a spec check: a change that trips it, and the change its message asks for, which passes it."""

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from facegate.engine import calibration
from facegate.engine.dlib_backend import default_model_id
from facegate.policy import RULES, Settings, evaluate, get_rule, rules_for, spec_from_data
from facegate.policy.evaluation import Evaluation

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "deployments"
TODAY = date(2026, 11, 26)
BASE: dict[str, Any] = yaml.safe_load((EXAMPLES / "office-entry.yaml").read_text(encoding="utf-8"))
POINTS = calibration.shipped(default_model_id())  # the shipped model's calibrated error rates, for ACC-1
BIPA_BASE = {"legal_basis": "written_consent", "notice.public_retention_schedule": "https://example.com/retention"}
PUBLIC = {
    "handler.kind": "public_security_organ",
    "location.setting": "public_place",
    "location.type": "station entrance",
    "purpose.category": "public_security",
}
FOREIGN = {
    "name": "Example Group HQ Pte. Ltd.", "contact": "dpo@group.example", "purpose": "group access control",
    "method": "template sync", "pi_categories": ["face template"], "separate_consent": True, "country": "新加坡",
    "rights_procedure": "Write to dpo@group.example; the handler forwards requests within 15 days.",
    "cross_border_consent": True,
}  # fmt: skip


def attested(claim: str) -> dict[str, str]:
    """A reviewer's attestation of `claim`, as a spec carries it."""
    return {
        "claim": claim, "reviewer": "Li Ming (counsel)", "attested_on": "2026-11-20",
        "document": "Legal opinion 2026-14",
    }  # fmt: skip


RECIPIENT = {
    "name": "Example Cloud Ltd.",
    "contact": "dpo@cloud.example",
    "purpose": "hosting",
    "method": "storage",
    "pi_categories": ["face template"],
}


def spec_with(changes: dict[str, Any], base: dict[str, Any] = BASE) -> dict[str, Any]:
    """The base spec with dotted paths set (None removes nothing: it sets null)."""
    data = copy.deepcopy(base)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return data


def check(changes: dict[str, Any], profile: str, today: date = TODAY, settings: Settings | None = None) -> Evaluation:
    base = spec_with(BIPA_BASE) if profile == "bipa" else BASE
    spec = spec_from_data(spec_with(changes, base))
    return evaluate(spec, [profile], today=today, settings=settings, accuracy=POINTS)


def found(report: Evaluation, rule_id: str) -> list:
    return [f for f in report.findings if f.rule == rule_id]


# (rule, profile, change that trips it, field the finding names, change that fixes it)
CASES: list[tuple[str, str, dict[str, Any], str | None, dict[str, Any]]] = [
    ("CN25-2", "cn2025", {"context": "rnd_algorithm_training"}, "context", {"context": "production"}),
    ("ACC-1", "cn2025", {"modality": "identification", "accuracy": {"expected_gallery_size": 1_000_000}},
     "accuracy.expected_gallery_size", {"modality": "verification"}),
    ("CN25-3", "cn2025", {"analyses": ["ethnicity"]}, "analyses",
     {"analysis_exception": {"basis": "public_security", "ref": "Public Security Bureau order 2026-17"}}),
    ("CN25-4a", "cn2025", {"purpose.necessity": "TBD"}, "purpose.necessity",
     {"purpose.necessity": "Badges are lent; matching stops it."}),
    ("CN25-4c", "cn2025", {"storage.raw_images": "retain_with_consent", "storage.raw_image_retention_days": 7},
     "storage.raw_images", {"storage.raw_images": "discard"}),
    ("CN25-5a", "cn2025", {"notice.rights_exercise_procedure": None}, "notice.rights_exercise_procedure",
     {"notice.rights_exercise_procedure": "Write to privacy@example.com."}),
    ("CN25-5d", "cn2025", {"notice.accessible": False, "premises_type": "bank"}, "notice.accessible",
     {"notice.accessible": True}),
    ("CN25-7c", "cn2025", {"minors.expected": True}, "minors.rules_ref",
     {"minors.rules_ref": "https://example.com/children-face-rules"}),
    ("CN25-6a/b", "cn2025", {"notice.consent_text": "By entering the lobby you agree to face recognition."},
     "notice.consent_text", {"notice.consent_text": "I agree, separately, to face recognition at the turnstiles."}),
    ("CN25-8a/b", "cn2025", {"storage.location": "cloud"}, "storage.location", {"storage.transmission_consent": True}),
    ("CN25-8c", "cn2025", {"storage.retention_days": None}, "storage.retention_days", {"storage.retention_days": 90}),
    ("CN25-9a/b", "cn2025", {"impact_assessment": None}, "impact_assessment",
     {"impact_assessment": BASE["impact_assessment"]}),
    ("CN25-10a", "cn2025", {"alternatives": []}, "alternatives", {"alternatives": ["access card"]}),
    ("CN25-10a", "cn2025", {"alternatives": [{"method": "fingerprint", "fee": 0, "wait": 0}]}, "alternatives",
     {"alternatives": [{"method": "fingerprint", "fee": 0, "wait": 0}, {"method": "PIN", "fee": 0, "wait": 0}]}),
    ("CN25-12a", "cn2025", {"alternatives": [{"method": "access card", "fee": "RMB 20 deposit"}]}, "alternative_fees",
     {"alternatives": [{"method": "access card", "fee": "none"}]}),
    ("CN25-12c", "cn2025", {"purpose.description": "不同意人脸识别的员工，不予办理入职。"}, "purpose.description",
     {"purpose.description": "不同意人脸识别的员工，可凭工卡办理入职。"}),
    ("CN25-11", "cn2025", {"purpose.category": "identity_verification"}, "identity_provider",
     {"identity_provider": "National Network Identity Authentication Public Service"}),
    ("CN25-13a", "cn2025", {"location.type": "Public toilet"}, "location.type", {"location.type": "office lobby"}),
    # The spec's own words against its tokens (tests/test_policy_consistency.py holds the zh/en table).
    ("FG-6", "cn2025", {"location.collection_area": "The camera hangs inside the changing room."},
     "location.collection_area", {"location.collection_area": "The three lobby turnstiles."}),
    ("FG-7", "cn2025", {"purpose.description": "Staff and their children pass."}, "purpose.description",
     {"purpose.description": "Staff pass the turnstiles."}),
    ("FG-8", "cn2025", {"purpose.description": "The turnstile estimates mood."}, "purpose.description",
     {"purpose.description": "The turnstile matches 1:1."}),
    ("FG-9", "cn2025", {"recipients": [{**RECIPIENT, "country": "CN", "method": "sync to Frankfurt"}]},
     "recipients[0].method", {"recipients": [{**RECIPIENT, "country": "CN", "method": "sync to Shanghai"}]}),
    ("FG-10", "cn2025", {"alternatives": [{"method": "pin", "fee": 0, "wait": 0, "note": "Out of service."}]},
     "alternatives[pin].note", {"alternatives": [{"method": "pin", "fee": 0, "wait": 0, "note": "Always on."}]}),
    ("FG-11", "cn2025", {"purpose.description": "Access and any other purposes."}, "purpose.description",
     {"purpose.description": "Staff pass the turnstiles."}),
    ("FG-12", "cn2025", {"alternatives": ["pin"]}, "alternatives[pin]",
     {"alternatives": [{"method": "pin", "fee": 0, "wait": 0}]}),
    ("FG-13", "cn2025", {"storage.retention_days": 36500}, "storage.retention_days", {"storage.retention_days": 365}),
    ("FG-14", "cn2025", {"purpose.description": "The camera searches the gallery."}, "purpose.description",
     {"purpose.description": "The camera matches the badge holder."}),
    ("CN25-13b", "cn2025", {"location.setting": "public_place"}, "purpose.category",
     {"location.setting": "private_premises"}),
    ("CN25-14e", "cn2025", {"security.mlps_level": None}, "security.mlps_level", {"security.mlps_level": 2}),
    ("CN25-15a/b", "cn2025", {"accuracy.expected_gallery_size": 150_000}, "accuracy.expected_gallery_size",
     {"accuracy.expected_gallery_size": 5_000}),
    ("CN25-16–18", "cn2025", {"notice.complaint_channel": ""}, "notice.complaint_channel",
     {"notice.complaint_channel": "hotline 6000"}),
    ("CN23-4a", "cn2023-draft", {"purpose.alternatives_analysis": None}, "purpose.alternatives_analysis",
     {"purpose.alternatives_analysis": "Badges alone were tried and are lent."}),
    ("CN23-11", "cn2023-draft", {"analyses": ["Religious belief"]}, "analyses", {"analyses": ["age"]}),
    ("CN23-T01", "cn2023-draft", {"legal_basis": "contract", "legal_basis_ref": "Employment contract s. 4"},
     "legal_basis", {"legal_basis": "separate_consent"}),
    ("CN23-T03", "cn2023-draft", {**PUBLIC, "recipients": [RECIPIENT]}, "recipients[0]", {"recipients": []}),
    ("CN23-T04", "cn2023-draft", {"location.collection_area": None}, "location.collection_area",
     {"location.collection_area": "The three turnstiles."}),
    ("CN23-T05", "cn2023-draft", {"premises_type": "hotel", "alternatives": []}, "alternatives",
     {"alternatives": ["id_card_at_front_desk"]}),
    ("CN23-T06", "cn2023-draft", {"notice.realtime_purpose_prompt": False}, "notice.realtime_purpose_prompt",
     {"notice.realtime_purpose_prompt": True}),
    ("CN23-T08", "cn2023-draft", {"modality": "identification", "capture": "passive", "premises_type": "airport"},
     "capture", {"capture": "active"}),
    ("CN23-T09", "cn2023-draft", {"sector": "Social assistance"}, "human_review", {"human_review": True}),
    ("CN23-T10", "cn2025", {"storage.raw_images": "retain_by_law", "storage.raw_image_retention_days": 7},
     "storage.raw_images_ref", {"storage.raw_images": "retain_with_consent"}),
    ("CN23-T13", "cn2023-draft", PUBLIC, "location.setting", {"location.setting": "private_premises"}),
    ("CN23-T14", "cn2023-draft", {"device_certification_ref": None}, "device_certification_ref",
     {"device_certification_ref": "CCC 2025010901234567"}),
    ("PIPL-13", "cn2025", {"legal_basis": "statutory"}, "legal_basis_ref",
     {"legal_basis_ref": "Regulation on X, Art. 5", "attestations": [attested("statutory_basis")]}),
    ("PIPL-18", "cn2025", {"notice.exemption_ref": "internal policy"}, "notice.exemption_ref",
     {"notice.exemption_ref": None}),
    ("PIPL-38", "cn2025", {"recipients": [FOREIGN]}, "recipients[0].transfer_mechanism",
     {"recipients": [{**FOREIGN, "transfer_mechanism": "standard contract", "individuals": 800,
                      "transfer_mechanism_ref": "CAC filing 2026-0042"}]}),
    ("PIPL-39", "cn2025", {"recipients": [{**FOREIGN, "cross_border_consent": False}]},
     "recipients[0].cross_border_consent", {"recipients": [FOREIGN]}),
    ("PIPL-40", "cn2025", {"ciio": True, "recipients": [{**FOREIGN, "transfer_mechanism": "standard_contract"}]},
     "recipients[0].transfer_mechanism", {"ciio": False}),
    ("PIPL-48", "cn2025", {"notice.rights_exercise_procedure": None}, "notice.explanation_channel",
     {"notice.explanation_channel": "Ask the DPO at privacy@example.com to explain these rules."}),
    ("PIPL-55-4", "cn2025", {"recipients": [FOREIGN]}, "impact_assessment.cross_border",
     {"impact_assessment.cross_border": "Group HQ in Singapore: PDPA regime, contract, audit rights."}),
    ("FG-1", "cn2025", {"minors.expected": True, "minors.rules_ref": "https://example.com/rules",
                        "modality": "identification"}, "modality", {"modality": "verification"}),
    ("FG-2", "cn2025", {"minors.expected": True, "minors.rules_ref": "https://example.com/rules",
                        "storage.location": "cloud", "storage.transmission_consent": True}, "storage.location",
     {"storage.location": "device"}),
    ("PIPL-23", "cn2025", {"recipients": [RECIPIENT]}, "recipients[0].separate_consent",
     {"recipients": [{**RECIPIENT, "separate_consent": True}]}),
    ("SPC21-10", "cn2025", {"premises_type": "residential_property", "alternatives": [],
                            "sole_method_ref": "some provision"}, "alternatives", {"alternatives": ["access_card"]}),
    ("SPC21-11", "cn2025", {"notice.consent_text": "I grant an irrevocable, perpetual licence to my face."},
     "notice.consent_text", {"notice.consent_text": "I agree; I may withdraw at any time."}),
    ("GBT41819", "cn2025", {"storage.raw_images": "retain_with_consent", "storage.raw_image_retention_days": 7},
     "storage.raw_images", {"storage.raw_images": "discard"}),
    ("BIPA-15a", "bipa", {"storage.retention_days": 1096}, "storage.retention_days", {"storage.retention_days": 1095}),
    ("BIPA-15b1/b2", "bipa", {"purpose.description": None}, "purpose.description",
     {"purpose.description": "Staff pass the turnstiles."}),
    ("BIPA-15b3", "bipa", {"legal_basis": "separate_consent"}, "legal_basis", {"legal_basis": "written_consent"}),
    ("BIPA-15c", "bipa", {"recipients": [{**RECIPIENT, "separate_consent": True, "commercial": True}]},
     "recipients[0].commercial", {"recipients": [{**RECIPIENT, "separate_consent": True}]}),
    ("BIPA-15d", "bipa", {"recipients": [RECIPIENT]}, "recipients[0].separate_consent",
     {"recipients": [{**RECIPIENT, "separate_consent": True}]}),
    ("EUAI-5-1e", "eu-ai-act", {"gallery": {"source": "internet_scrape"}}, "gallery.source",
     {"gallery": {"source": "enrollment"}}),
    ("EUAI-5-1f", "eu-ai-act", {"analyses": ["emotion"]}, "analyses",
     {"analysis_exception": {"basis": "safety", "ref": "Crane operators' fatigue detection, safety case 12"}}),
    ("EUAI-5-1g", "eu-ai-act", {"analyses": ["political opinions"]}, "analyses", {"analyses": []}),
    ("EUAI-5-1h", "eu-ai-act", {**PUBLIC, "modality": "identification", "capture": "passive"},
     "law_enforcement_exception",
     {"law_enforcement_exception": {"ground": "serious_offence_suspect", "offence_max_sentence_years": 4}}),
    ("EUAI-15/27/49/50", "eu-ai-act", {"analyses": ["age"]}, "analyses", {"analyses": []}),
    ("GDPR-9-1", "eu-ai-act", {"legal_basis": "contract", "legal_basis_ref": "Employment contract"}, "legal_basis",
     {"legal_basis": "separate_consent"}),
    ("GDPR-5/8/13/32/35", "eu-ai-act", {"minors.expected": True}, "minors.expected", {"minors.expected": False}),
]  # fmt: skip
DATED = {"CN25-20": date(2025, 5, 31), "EUAI-5-DATE": date(2025, 2, 1)}


@pytest.mark.parametrize(("rule_id", "profile", "trip", "field", "fix"), CASES, ids=[c[0] for c in CASES])
def test_rule_trips_and_its_fix_passes(rule_id: str, profile: str, trip: dict, field: str | None, fix: dict) -> None:
    assert not found(check({}, profile), rule_id), "the compliant base must pass"
    findings = found(check(trip, profile), rule_id)
    assert findings, f"{rule_id} did not trip"
    assert field in {f.field for f in findings}
    rule = get_rule(rule_id)
    assert all(f.status == rule.status and rule_id in f.cites and f.message for f in findings)
    assert not found(check({**trip, **fix}, profile), rule_id), f"the fix did not clear {rule_id}"


@pytest.mark.parametrize("rule_id", sorted(DATED))
def test_dated_rules_tell_when_not_yet_in_force(rule_id: str) -> None:
    profile = "cn2025" if rule_id == "CN25-20" else "eu-ai-act"
    assert [f.severity for f in found(check({}, profile, today=DATED[rule_id]), rule_id)] == ["INFO"]
    assert not found(check({}, profile, today=TODAY), rule_id)


def test_every_rule_with_a_check_has_a_trip_case() -> None:
    checked = {r.id for r in RULES if r.check is not None}
    assert checked == {c[0] for c in CASES} | set(DATED)


def test_findings_name_the_field_and_what_to_change() -> None:
    report = check({"storage.location": "cloud"}, "cn2025")
    (finding,) = [f for f in report.findings if f.rule == "CN25-8a/b"]
    assert finding.severity == "BLOCK"
    assert finding.cites == ("CN25-8a/b", "PIPL-29")
    assert "transmission_consent: true" in finding.message
    assert finding.questions == ("Q5",)


def test_a_block_finding_blocks_and_a_warning_does_not() -> None:
    assert check({"storage.location": "cloud"}, "cn2025").verdict == "blocked"
    report = check({"storage.location": "cloud", "storage.transmission_consent": True}, "cn2025")
    assert report.verdict == "allowed_with_warnings"
    assert {f.rule for f in report.findings} == {"CN25-4c"}
    assert check({}, "cn2025").verdict == "allowed"


def test_accessibility_blocks_only_where_the_public_meets_the_device() -> None:
    private = found(check({"notice.accessible": False}, "cn2025"), "CN25-5d")
    public = found(check({"notice.accessible": False, **PUBLIC}, "cn2025"), "CN25-5d")
    assert [f.severity for f in private] == ["WARN"]
    assert [f.severity for f in public] == ["BLOCK"]


def test_children_likely_premises_count_as_minors_unless_overridden() -> None:
    unknown = {"premises_type": "kindergarten", "minors.age_floor": None}  # the base enrolls adults only
    report = check(unknown, "cn2025")
    assert {f.field for f in found(report, "CN25-7c")} == {"minors.expected", "minors.rules_ref"}
    assert found(report, "CN25-7c")[0].questions == ("Q15",)
    adults = Settings().override("minors.unknown_age", "treat_as_adult", "Staff-only area of the kindergarten")
    assert not found(check(unknown, "cn2025", settings=adults), "CN25-7c")


def test_under_14s_identification_and_transmission_are_facegate_policies_not_cn25_7c() -> None:
    changes = {"minors.expected": True, "minors.rules_ref": "https://example.com/rules", "modality": "identification",
               "storage.location": "cloud", "storage.transmission_consent": True}  # fmt: skip
    report = check(changes, "cn2025")
    assert not found(report, "CN25-7c")
    assert [f.field for f in found(report, "FG-1")] == ["modality"]
    assert [f.field for f in found(report, "FG-2")] == ["storage.location"]
    assert all(f.cites == (f.rule,) and "facegate policy" in f.message for f in report.findings if f.rule[:3] == "FG-")
    off = Settings().override("fg.minors_no_identification", False, "Pupils' gallery of 40, guardian-approved")
    assert not found(check(changes, "cn2025", settings=off), "FG-1")


def test_a_statutory_basis_moves_data_off_the_device_only_with_evidence() -> None:
    changes = {"storage.location": "cloud", "legal_basis": "statutory", "legal_basis_ref": "Law X art. 5"}
    assert found(check(changes, "cn2025"), "CN25-8a/b")
    backed = {**changes, "attestations": [attested("statutory_basis")]}
    assert not found(check(backed, "cn2025"), "CN25-8a/b")


def test_q5_override_counts_the_handlers_own_server_as_the_device() -> None:
    server = Settings().override("storage.device_definition", "capture_endpoint_and_on_premises_server", "Legal memo 7")
    assert found(check({"storage.location": "on_premises"}, "cn2025"), "CN25-8a/b")
    report = check({"storage.location": "on_premises"}, "cn2025", settings=server)
    assert not found(report, "CN25-8a/b")
    assert report.to_dict()["interpretations"][0]["question"] == "Q5"


def test_private_space_blocklist_follows_the_profile() -> None:
    ward = {"location.type": "inpatient ward"}  # a private space: the cn2025 catch-all covers it
    assert "other_private_space" in found(check(ward, "cn2025"), "CN25-13a")[0].message
    treatment = {"location.type": "treatment room"}  # named only by the conservative extras
    assert not found(check(treatment, "cn2025"), "CN25-13a")
    draft = found(check(treatment, "cn2023-draft"), "CN25-13a")
    assert draft and "CN23-T02" in draft[0].cites
    for place in ("hotel_room", "public bathhouse", "changing room", "restroom", "fitting room", "dormitory"):
        assert found(check({"location.type": place}, "cn2025"), "CN25-13a"), place


def test_public_place_needs_public_security_area_and_signs() -> None:
    report = check({**PUBLIC, "location.signage": False, "location.collection_area": None}, "cn2025")
    assert {f.field for f in found(report, "CN25-13b")} == {"location.signage", "location.collection_area"}
    assert "PIPL-26" in found(report, "CN25-13b")[0].cites
    assert not found(check(PUBLIC, "cn2025"), "CN25-13b")


@pytest.mark.parametrize("where", [{"location.type": "pedestrian street"}, {"premises_type": "public street"}])
def test_a_street_is_a_public_place_whatever_the_setting_says(where: dict[str, str]) -> None:
    street = {"location.setting": "private_premises", "location.signage": False, **where}
    (purpose, signs) = found(check(street, "cn2025"), "CN25-13b")
    assert (purpose.field, signs.field) == ("purpose.category", "location.signage")
    assert "location.setting says private_premises, but a public" in purpose.message
    assert not found(check({**street, "location.type": "lobby", "premises_type": "office"}, "cn2025"), "CN25-13b")


def test_impact_assessment_must_be_approved_before_today_with_four_sections() -> None:
    future = found(check({"impact_assessment.approved_on": date(2026, 12, 1)}, "cn2025"), "CN25-9a/b")
    assert [f.field for f in future] == ["impact_assessment.approved_on"]
    sections = found(check({"impact_assessment.rights_impact": None, "impact_assessment.approved_by": ""}, "cn2025"),
                     "CN25-9a/b")  # fmt: skip
    assert {f.field for f in sections} == {"impact_assessment.rights_impact", "impact_assessment.approved_by"}


def test_emotion_outside_work_and_education_is_not_art5_but_is_disclosed() -> None:
    report = check({"analyses": ["emotion"], "premises_type": "museum"}, "eu-ai-act")
    assert not found(report, "EUAI-5-1f")
    assert found(report, "EUAI-15/27/49/50")


def test_real_time_identification_for_a_minor_offence_is_refused() -> None:
    changes = {**PUBLIC, "modality": "identification", "capture": "passive", "law_enforcement_exception":
               {"ground": "serious_offence_suspect", "offence_max_sentence_years": 3}}  # fmt: skip
    (finding,) = found(check(changes, "eu-ai-act"), "EUAI-5-1h")
    assert finding.field == "law_enforcement_exception.offence_max_sentence_years"


def test_several_profiles_merge_findings_and_name_each_profile() -> None:
    spec = spec_from_data(spec_with({"alternatives": [], "premises_type": "hotel"}))
    report = evaluate(spec, ["cn2025", "cn2023-draft"], today=TODAY)
    (alternatives,) = [f for f in report.findings if f.rule == "CN25-10a"]
    assert alternatives.profiles == ("cn2025", "cn2023-draft")
    assert {"CN23-T05"} <= {f.rule for f in report.findings}
    assert report.to_dict()["profiles"] == ["cn2025", "cn2023-draft"]


def test_raw_image_hardening_flag_can_be_turned_off_with_a_justification() -> None:
    changes = {"storage.raw_images": "retain_by_law", "storage.raw_image_retention_days": 7}
    off = Settings().override("storage.raw_image_discard", False, "Counsel's opinion 2026-03: draft-only rule")
    assert "CN23-T10" not in {r.id for r in rules_for(["cn2025"], off)}
    assert not found(check(changes, "cn2025", settings=off), "CN23-T10")


def test_raw_images_are_kept_no_longer_than_templates() -> None:
    changes = {"storage.raw_images": "retain_with_consent", "storage.raw_image_retention_days": 400}
    (finding,) = found(check(changes, "cn2025"), "CN25-8c")
    assert finding.field == "storage.raw_image_retention_days"
