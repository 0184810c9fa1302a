"""Every example's notice and impact assessment says only what holds for its spec and for the code: a scan for the
untrue claims this file keeps, and no English sentence in a Chinese document."""

import re
from datetime import date
from pathlib import Path

import pytest

from facegate.oversight.filing_items import BUILT_IN_MEASURES
from facegate.policy import Deployment, facts, notice_document, parse_spec, pia_document
from facegate.policy.accuracy import VerificationPoint
from facegate.policy.language import chinese_spec, english_sentences

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "deployments"
SPECS = sorted(p for p in EXAMPLES.glob("*.yaml") if p.name != "expected.yaml")
TODAY = date(2026, 11, 26)
POINT = VerificationPoint("model-x", 0.42, 0.00834, 0.0049)


def documents(spec: Deployment) -> dict[str, str]:
    notice = notice_document(spec, issued=TODAY, verification=POINT)
    pia = pia_document(spec, today=TODAY, verification=POINT)
    return {"notice": notice.render("md"), "pia": pia.render("md"),
            "notice.html": _text(notice.render("html")), "pia.html": _text(pia.render("html"))}  # fmt: skip


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html.split("<body>", 1)[1])


def untrue(spec: Deployment, name: str, text: str) -> list[str]:
    """The claims of the kept list that the document makes and that do not hold for `spec` or for the code."""
    found = []
    if re.search(r"backups included|包括备份|备份亦|备份也", text):
        found.append("crypto-shredding reaches backups (a backup taken before a deletion still opens)")
    if spec.off_device and re.search(r"仅存储于人脸识别设备内|stored only in the recognition device", text):
        found.append("facial data stays on the device")
    if spec.modality == "identification" and "1:1 人脸验证" in text:
        found.append("1:1 verification")
    if spec.modality == "verification" and "1:N 人脸辨识" in text:
        found.append("1:N identification")
    days = spec.storage.retention_days
    if name.startswith("notice") and days is not None and days > 0 and f"{days:,} 天" not in text:
        found.append(f"the retention period as the spec states it ({days} days)")
    if name.startswith("notice") and spec.identity_provider and spec.identity_provider not in text:
        found.append("the identity service used at enrollment among the recipients")
    if spec.modality == "verification" and ("0.420" not in text or "0.834%" not in text):
        found.append("ACC-2: the 1:1 threshold and its false-match rate")
    runtime = {
        "CN25-7a/b —": facts.minors_expected(spec, "treat_as_minor"),
        "CN25-8a/b —": spec.off_device,
        "PIPL-39 —": any(r.abroad for r in spec.recipients),
        "ACC-1 —": spec.modality == "identification",
        "CN25-2 —": spec.context == "rnd_algorithm_training",
    }
    found += [f"run-time measure {rule} where it cannot act" for rule, applies in runtime.items()
              if not applies and rule in text]  # fmt: skip
    return found


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_every_examples_documents_make_no_untrue_claim(path: Path) -> None:
    spec = parse_spec(path.read_text(encoding="utf-8"))
    for name, text in documents(spec).items():
        assert not untrue(spec, name, text), (name, untrue(spec, name, text))


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_a_chinese_spec_gets_documents_without_english_sentences(path: Path) -> None:
    spec = parse_spec(path.read_text(encoding="utf-8"))
    if not chinese_spec(spec):
        pytest.skip("not a Chinese spec: its documents are bilingual")
    for name, text in documents(spec).items():
        assert not english_sentences(text), (name, english_sentences(text))


def test_the_filing_packages_measures_say_what_deletion_reaches() -> None:
    deletion = next(m for m in BUILT_IN_MEASURES if m.startswith("删除"))
    assert "backups included" not in deletion and "备份" in deletion and "master key" in deletion


def test_a_folded_chinese_text_keeps_no_stray_space() -> None:
    text = (EXAMPLES / "bathhouse-zh.yaml").read_text(encoding="utf-8")
    one_line = "  necessity: 手牌经常丢失，顾客需往返前台补办。"
    folded = text.replace(one_line, "  necessity: >-\n    手牌经常丢失，\n    顾客需往返前台补办。")
    spec = parse_spec(folded)
    assert spec.purpose.necessity == "手牌经常丢失，顾客需往返前台补办。"
    assert "手牌经常丢失，顾客需往返前台补办。" in documents(spec)["notice"]


def test_a_spec_without_the_models_operating_point_shows_acc2_as_a_gap() -> None:
    spec = parse_spec((EXAMPLES / "office-entry.yaml").read_text(encoding="utf-8"))
    assert "accuracy" in {g.field for g in notice_document(spec).gaps}


def test_every_run_time_measure_is_stated_in_chinese_too() -> None:
    from facegate.policy.runtime import HANDLER_DUTIES, HANDLER_DUTIES_ZH, RUNTIME, RUNTIME_ZH

    assert set(RUNTIME_ZH) == set(RUNTIME) and len(HANDLER_DUTIES_ZH) == len(HANDLER_DUTIES)
