"""Verdicts follow the facts, not the wording: each rule trips and clears alike in Chinese and in English.

Every row is (rule, field the finding names, Chinese trip, English trip, Chinese fix, English fix), applied to the
compliant office example; the cases of issue 12 are among them.
"""

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from facegate.errors import InputError
from facegate.policy import evaluate, spec_from_data

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "deployments"
BASE: dict[str, Any] = yaml.safe_load((EXAMPLES / "office-entry.yaml").read_text(encoding="utf-8"))
TODAY = date(2026, 11, 26)
REVIEWED = {"claim": "statutory_basis", "reviewer": "李明（法律顾问）", "attested_on": "2026-11-20",
            "document": "法律意见书 2026-14"}  # fmt: skip
HQ = {"name": "Group HQ", "contact": "dpo@group.example", "purpose": "group access control", "method": "sync",
      "pi_categories": ["face template"], "separate_consent": True, "rights_procedure": "Write to the DPO.",
      "cross_border_consent": True}  # fmt: skip
AGREED = {"transfer_mechanism": "standard_contract", "transfer_mechanism_ref": "CAC filing 2026-0042",
          "individuals": 900}  # fmt: skip


def spec_with(changes: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return data


def findings(changes: dict[str, Any], rule: str) -> list:
    report = evaluate(spec_from_data(spec_with(changes)), ["cn2025"], today=TODAY)
    return [f for f in report.findings if f.rule == rule]


CASES: list[tuple[str, str, dict, dict, dict, dict]] = [
    ("CN25-13a", "location.type", {"location.type": "浴室"}, {"location.type": "public bathhouse"},
     {"location.type": "大堂"}, {"location.type": "office lobby"}),
    ("CN25-13a", "location.type", {"location.type": "酒店客房"}, {"location.type": "hotel room"},
     {"location.type": "客房旁的电梯厅"}, {"location.type": "lift lobby by the guest room"}),
    ("CN25-13a", "location.type", {"location.type": "公共卫生间"}, {"location.type": "Public toilets"},
     {"location.type": "卫生间外的走廊"}, {"location.type": "corridor outside the washrooms"}),
    ("CN25-13a", "location.type", {"location.type": "更衣室"}, {"location.type": "staff changing room"},
     {"location.type": "员工通道"}, {"location.type": "staff entrance"}),
    ("CN25-13a", "location.type", {"location.type": "住院病房"}, {"location.type": "inpatient ward"},
     {"location.type": "护士站"}, {"location.type": "nurses' station"}),
    ("CN25-3", "analyses", {"analyses": ["疼痛程度"]}, {"analyses": ["pain_level"]},
     {"analyses": ["活体检测"]}, {"analyses": ["liveness"]}),
    # The base enrolls adults only (age_floor 18) who present their own faces: a camera that takes everyone is not.
    ("CN25-7c", "minors.expected", {"premises_type": "初中", "capture": "passive"},
     {"premises_type": "junior high school", "capture": "passive"},
     {"premises_type": "初中", "minors.expected": True, "minors.rules_ref": "https://example.cn/儿童规则"},
     {"premises_type": "junior high school", "minors.expected": True, "minors.rules_ref": "https://example.com/r"}),
    ("CN25-7c", "minors.expected", {"premises_type": "幼儿园", "minors.age_floor": None},
     {"premises_type": "kindergarten", "minors.age_floor": None},
     {"premises_type": "大学"}, {"premises_type": "university"}),
    ("SPC21-10", "alternatives",
     {"premises_type": "住宅小区", "alternatives": [], "sole_method_ref": "业主大会决议"},
     {"premises_type": "residential compound", "alternatives": [], "sole_method_ref": "Owners' general meeting"},
     {"premises_type": "住宅小区", "alternatives": ["门禁卡"]},
     {"premises_type": "residential compound", "alternatives": ["resident card"]}),
    ("CN25-10a", "sole_method_ref", {"alternatives": [], "sole_method_ref": "业主大会决议"},
     {"alternatives": [], "sole_method_ref": "Owners' resolution of 2025"},
     {"alternatives": ["人工核验"]}, {"alternatives": ["staff check"]}),
    ("CN25-13b", "purpose.category",
     {"purpose.category": "公共安全", "purpose.description": "商场防盗黑名单"},
     {"purpose.category": "public security", "purpose.description": "Shoplifter watchlist"},
     {"purpose.category": "公共安全", "handler.kind": "公安机关"},
     {"purpose.category": "public security", "handler.kind": "police"}),
    ("PIPL-13", "legal_basis_ref",
     {"legal_basis": "法定", "legal_basis_ref": "《旅馆业治安管理办法》第六条"},
     {"legal_basis": "statutory", "legal_basis_ref": "Hotel guest registration rules, Art. 6"},
     {"legal_basis": "法定", "legal_basis_ref": "某行政法规第五条", "attestations": [REVIEWED]},
     {"legal_basis": "statutory", "legal_basis_ref": "Regulation X, Art. 5", "attestations": [REVIEWED]}),
    ("PIPL-13", "legal_basis_ref",
     {"legal_basis": "法定", "legal_basis_ref": "个人信息保护法第二十六条"},
     {"legal_basis": "statutory", "legal_basis_ref": "PIPL Art. 26"},
     {"legal_basis": "单独同意", "legal_basis_ref": None},
     {"legal_basis": "separate consent", "legal_basis_ref": None}),
    ("CN25-5a", "notice.other_legal_matters", {"notice.other_legal_matters": "待定"},
     {"notice.other_legal_matters": "TBD"}, {"notice.other_legal_matters": "无。"},
     {"notice.other_legal_matters": "None."}),
    ("PIPL-38", "recipients[0].transfer_mechanism", {"recipients": [{**HQ, "country": "美国"}]},
     {"recipients": [{**HQ, "country": "United States"}]}, {"recipients": [{**HQ, "country": "美国", **AGREED}]},
     {"recipients": [{**HQ, "country": "United States", **AGREED}]}),
    ("PIPL-38", "recipients[0].transfer_mechanism",
     {"recipients": [{**HQ, "country": "新加坡", **AGREED, "individuals": 20000}]},
     {"recipients": [{**HQ, "country": "Singapore", **AGREED, "individuals": 20000}]},
     {"recipients": [{**HQ, "country": "中国", "transfer_mechanism": None}]},
     {"recipients": [{**HQ, "country": "China", "transfer_mechanism": None}]}),
    ("CN25-12a", "alternative_fees", {"alternatives": [{"method": "门禁卡", "fee": "押金 20 元"}]},
     {"alternatives": [{"method": "access card", "fee": "RMB 20 deposit"}]},
     {"alternatives": [{"method": "门禁卡", "fee": "无"}]}, {"alternatives": [{"method": "access card"}]}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "field", "zh_trip", "en_trip", "zh_fix", "en_fix"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_the_rule_trips_and_clears_alike_in_chinese_and_english(
    rule: str, field: str, zh_trip: dict, en_trip: dict, zh_fix: dict, en_fix: dict
) -> None:
    assert not findings({}, rule), "the compliant base must pass"
    for trip, fix in ((zh_trip, zh_fix), (en_trip, en_fix)):
        tripped = findings(trip, rule)
        assert tripped and field in {f.field for f in tripped}, (trip, [f.message for f in tripped])
        assert all(f.severity == "BLOCK" for f in tripped if f.field == field)
        assert not findings({**trip, **fix}, rule), (fix, [f.message for f in findings({**trip, **fix}, rule)])


def test_a_self_labelled_watchlist_is_blocked_naming_the_claim() -> None:
    [claim] = [f for f in findings({"purpose.category": "public_security"}, "CN25-13b") if "claim" in f.message]
    assert "public security" in claim.message and "not a public security organ" in claim.message


def test_a_hotel_id_document_provision_is_no_basis_for_face_recognition() -> None:
    [finding] = findings({"legal_basis": "statutory", "legal_basis_ref": "旅馆业治安管理办法第六条"}, "PIPL-13")
    assert "identity documents, not face recognition" in finding.message


@pytest.mark.parametrize(
    ("path", "value", "nearest"),
    [("location.type", "宇宙飞船舱", "location type"), ("premises_type", "spaceport", "premises type"),
     ("analyses", ["mind reading"], "analysis"), ("alternatives", ["telepathy"], "alternative"),
     ("recipients", [{**HQ, "country": "Atlantis"}], "country")],
)  # fmt: skip
def test_an_unknown_value_is_a_spec_error_naming_the_nearest_allowed_values(path: str, value: Any, nearest: str):
    with pytest.raises(InputError) as error:
        spec_from_data(spec_with({path: value}))
    assert f"not a known {nearest}" in str(error.value) and "nearest allowed values" in str(error.value)


def test_synonyms_resolve_to_canonical_values_and_descriptions_stay_free_text() -> None:
    spec = spec_from_data(spec_with({"premises_type": "住宅小区", "location.type": "单元门", "analyses": ["疼痛程度"],
                                     "purpose.description": "任意文字 free text"}))  # fmt: skip
    assert (spec.premises_type, spec.location.type, spec.analyses) == ("residential_property", "entrance", ["health"])
    assert spec.location.type_description == "单元门" and spec.purpose.description == "任意文字 free text"


@pytest.mark.parametrize(
    ("name", "ref"),
    [("上海市公安局轨道交通分局", "《中华人民共和国人民警察法》第六条"),
     ("Shanghai Public Security Bureau, Rail Transit Division", "People's Police Law Art. 6")],
)  # fmt: skip
def test_a_public_security_organ_named_as_such_rests_on_its_own_duties(name: str, ref: str) -> None:
    changes = {"handler.name": name, "purpose.category": "public_security", "legal_basis": "statutory",
               "legal_basis_ref": ref}  # fmt: skip
    assert spec_from_data(spec_with(changes)).handler.kind == "public_security_organ"
    assert not findings(changes, "CN25-13b") and not findings(changes, "PIPL-13")
    company = {**changes, "handler.name": "上海安保服务有限公司"}  # a security-guard company is not an organ
    assert findings(company, "CN25-13b") and findings(company, "PIPL-13")
