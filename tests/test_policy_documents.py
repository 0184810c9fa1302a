"""The notice and the impact assessment: every required field, in Chinese and English; gaps shown, never invented."""

import copy
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from facegate.policy import Gap, evaluate, notice_document, notice_fields, pia_document, spec_from_data
from facegate.policy.accuracy import VerificationPoint
from facegate.policy.profiles import NOTICE_REQUIRED_FIELDS
from facegate.policy.vocabulary import enum_tokens

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "deployments"
TODAY = date(2026, 11, 26)
POINT = VerificationPoint("model-x", 0.42, 0.008, 0.005)  # the model's 1:1 operating point (ACC-2)


def load(example: str, **changes: Any):
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load((EXAMPLES / example).read_text(encoding="utf-8")))
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return spec_from_data(data)


def test_a_complete_spec_gives_a_notice_with_every_field_and_no_gap() -> None:
    spec = load("office-entry.yaml")
    fields = notice_fields(spec)
    assert [f.name for f in fields] == list(NOTICE_REQUIRED_FIELDS)
    doc = notice_document(spec, verification=POINT)
    assert doc.gaps == []
    text = doc.render("md")
    for field in fields:
        zh, en = field.label.split(" / ")
        assert zh in text and en in text
        assert field.value is not None
    assert "privacy@example.com" in text and "门禁卡、工卡" in text and "access card" in text
    assert "access_card" not in text  # enum values are shown by their labels
    assert "1:1 人脸验证" in text and "1:1 face verification" in text


def test_what_the_spec_does_not_say_is_a_gap_naming_the_field() -> None:
    spec = load("office-entry.yaml", notice__rights_exercise_procedure=None, notice__other_legal_matters="TBD",
                handler__contact=None)  # fmt: skip
    doc = notice_document(spec, verification=POINT)
    assert {g.field for g in doc.gaps} == {"notice.rights_exercise_procedure", "notice.other_legal_matters",
                                           "handler.contact", "notice.explanation_channel"}  # fmt: skip
    text = doc.render("md")
    assert text.count("缺失 / GAP") == 4
    assert "TBD" not in text


def test_notice_gaps_and_cn25_5a_findings_are_the_same_fields() -> None:
    spec = load("plaza-returning-shoppers.yaml")
    missing = {f.source for f in notice_fields(spec) if not f.present}
    findings = {f.field for f in evaluate(spec, today=TODAY).findings if f.rule == "CN25-5a"}
    assert missing == findings
    assert missing <= {g.field for g in notice_document(spec, verification=POINT).gaps}


def test_rights_impact_may_come_from_the_impact_assessment() -> None:
    spec = load("office-entry.yaml", notice__rights_impact=None)
    (field,) = [f for f in notice_fields(spec) if f.name == "rights_impact"]
    assert field.value == spec.impact_assessment.rights_impact


def test_conditional_sections_for_minors_recipients_and_bipa() -> None:
    spec = load("office-entry.yaml", minors__expected=True, recipients=[{"name": "Cloud Ltd.", "purpose": "hosting"}])
    doc = notice_document(spec, ("cn2025", "bipa"))
    fields = {g.field for g in doc.gaps}
    assert {"minors.rules_ref", "recipients[0].contact", "recipients[0].pi_categories"} <= fields
    assert "notice.public_retention_schedule" in fields
    text = doc.render("md")
    assert "不满十四周岁" in text and "Illinois BIPA written notice" in text


def test_html_is_escaped_everywhere() -> None:
    evil = "<script>alert('x')</script> & Co"
    spec = load("office-entry.yaml", name=evil, purpose__description=evil, notice__complaint_channel=evil)
    for doc in (notice_document(spec, verification=POINT), pia_document(spec, today=TODAY, verification=POINT)):
        html = doc.render("html")
        assert "<script>" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co" in html
        assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html
        markdown = doc.render("md")
        assert "<script>" not in markdown


def test_gaps_are_marked_in_html() -> None:
    html = notice_document(load("plaza-returning-shoppers.yaml")).render("html")
    assert '<span class="gap">' in html and "<code>notice.rights_exercise_procedure</code>" in html


def test_impact_assessment_has_four_sections_and_a_risk_register() -> None:
    doc = pia_document(load("office-entry.yaml"), today=TODAY, verification=POINT)
    headings = [s.heading for s in doc.sections]
    for number in ("1.", "2.", "3.", "4."):
        assert any(f" / {number} " in h for h in headings)
    assert any("Risk register" in h for h in headings)
    assert doc.gaps == []
    text = doc.render("md")
    assert "Report generated:** 2026-11-26" in text
    row = (
        "| R1 | 泄露 / leak | 评估 / assessment | low | medium | templates encrypted at rest; no export path | "
        "IT security |"
    )
    assert row in text
    assert "at least 3 years" in text


def test_an_absent_assessment_is_all_gaps_and_findings_enter_the_register() -> None:
    doc = pia_document(load("plaza-returning-shoppers.yaml"), today=TODAY)
    fields = {g.field for g in doc.gaps}
    for section in ("lawfulness_necessity", "rights_impact", "security_risks", "protection_measures"):
        assert f"impact_assessment.{section}" in fields
    assert "impact_assessment.approved_by" in fields and "impact_assessment.risks" in fields
    (register,) = [s for s in doc.sections if "Risk register" in s.heading]
    rows = register.blocks[0].rows  # type: ignore[union-attr]
    assert any("CN25-13b" in str(row[1]) and row[4] == "BLOCK" for row in rows)
    assert sum(isinstance(row[5], Gap) for row in rows) == 7  # the seven §5.4 harms, none assessed


ENUM_TOKEN = re.compile(r"(?<![\w.\[`/-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w(\[`/-])")


def raw_enum_tokens(text: str) -> set[str]:
    """Canonical enum values shown as code tokens (not inside a field path such as storage.raw_images)."""
    return {t for t in ENUM_TOKEN.findall(text) if t in enum_tokens()}


def unmarked_gaps(text: str) -> list[str]:
    """Lines that leave a blank without the GAP mark, or say there are no gaps while GAP marks remain."""
    bad = [line for line in text.splitlines() if "待处理者填写" in line and "GAP" not in line and ":" not in line]
    if "缺失 / GAP" in text:
        bad += [line for line in text.splitlines() if re.search(r"Gaps[^:]*:\*?\*? ?(none|无)", line)]
    blank = r"(:\*?\*? |\| |<dd>|<td>)(TBD|TODO|None|null|n/a)\.?( \||$|</dd>|</td>)"
    bad += [line for line in text.splitlines() if re.search(blank, line)]
    return bad


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml") if p.name != "expected.yaml"))
def test_example_notices_and_assessments_show_labels_and_mark_every_gap(name: str) -> None:
    spec = load(name)
    for doc in (notice_document(spec, issued=TODAY), pia_document(spec, today=TODAY, verification=POINT)):
        for fmt in ("md", "html"):
            text = doc.render(fmt)
            assert not raw_enum_tokens(text), (name, fmt, raw_enum_tokens(text))
            assert not unmarked_gaps(text), (name, fmt, unmarked_gaps(text))
        assert TODAY.isoformat() in doc.render("md")  # every document is dated


def test_chinese_text_in_the_spec_is_the_body_of_the_notice() -> None:
    spec = load("bathhouse-zh.yaml")
    text = notice_document(spec, issued=TODAY).render("md")
    assert "顾客刷脸开关更衣区储物柜" in text and "手牌经常丢失" in text
    purpose = {
        "category": "门禁", "description": {"zh": "员工刷脸通过大堂闸机。", "en": "Staff pass the turnstiles."},
        "necessity": "Badges are lent.", "least_impact": "1:1 on the device.",
    }  # fmt: skip
    office = yaml.safe_load((EXAMPLES / "office-entry.yaml").read_text(encoding="utf-8"))
    both = spec_from_data({**office, "purpose": purpose})
    rendered = notice_document(both).render("md")
    assert "员工刷脸通过大堂闸机。 / Staff pass the turnstiles." in rendered


def test_none_answers_other_legal_matters_and_pipl_48_is_in_the_notice() -> None:
    spec = load("office-entry.yaml", notice__other_legal_matters="None.")
    doc = notice_document(spec, verification=POINT)
    assert "notice.other_legal_matters" not in {g.field for g in doc.gaps}
    text = doc.render("md")
    assert "PIPL-48" in text and "无其他事项" in text
