"""The catalogue holds every rule of regulation.md §4 once, each with where it is enforced; profiles are data."""

import ast
import re
from pathlib import Path

import pytest

from facegate.errors import InputError
from facegate.policy import QUESTIONS, RULES, Settings, get_profile, get_rule, profile_names, rules_for
from facegate.policy.rules import supporting

POLICY = Path(__file__).resolve().parents[1] / "src" / "facegate" / "policy"
# Every row of regulation.md §4, by its stable ID.
CATALOGUE_TEXT = """
CN25-1 CN25-2 CN25-3 CN25-4a CN25-4b CN25-4c CN25-5a CN25-5b CN25-5c CN25-5d CN25-6a/b CN25-6c CN25-6d CN25-6e
CN25-7a/b CN25-7c CN25-8a/b CN25-8c CN25-8d CN25-9a/b CN25-9c CN25-9d CN25-10a CN25-10b CN25-10c CN25-11 CN25-12a
CN25-12b CN25-12c CN25-13a CN25-13b CN25-13c CN25-14a–d CN25-14e CN25-15a/b CN25-15c CN25-15d/e CN25-FA-1 CN25-FA-2
CN25-16–18 CN25-19 CN25-20
CN23-2 CN23-3 CN23-4a CN23-4b CN23-11 CN23-T01 CN23-T02 CN23-T03 CN23-T04 CN23-T05 CN23-T06 CN23-T07 CN23-T08
CN23-T09 CN23-T10 CN23-T11 CN23-T12 CN23-T13 CN23-T14 CN23-T15
PIPL-13 PIPL-14 PIPL-15 PIPL-16 PIPL-17 PIPL-19 PIPL-23 PIPL-24 PIPL-26 PIPL-28 PIPL-29 PIPL-30 PIPL-31 PIPL-47
PIPL-51 PIPL-55/56 PIPL-62 PIPL-66 NDSR-20 NDSR-21 NDSR-22 NDSR-24 SPC21-2 SPC21-4 SPC21-10 SPC21-11 GBT41819
BIPA-DEF BIPA-15a BIPA-15b1/b2 BIPA-15b3 BIPA-15c BIPA-15d BIPA-15e BIPA-20
EUAI-5-1e EUAI-5-1f EUAI-5-1g EUAI-5-1h EUAI-5-DATE EUAI-PEN EUAI-15/27/49/50
GDPR-4-14 GDPR-9-1 GDPR-9-INF GDPR-5/8/13/32/35 GDPR-83
PIPL-18 PIPL-38 PIPL-39 PIPL-40 PIPL-48 PIPL-55-4 CC-201
FG-1 FG-2 FG-3 FG-4 FG-5 FG-6 FG-7 FG-8 FG-9 FG-10 FG-11 FG-12 FG-13 FG-14
PIPL-8 ACC-1 ACC-2
"""
CATALOGUE = CATALOGUE_TEXT.split()


def test_every_catalogue_rule_is_registered_once() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(CATALOGUE)


def test_every_rule_says_where_it_is_enforced() -> None:
    for rule in RULES:
        assert rule.where, rule.id
        assert rule.severity in ("BLOCK", "WARN", "INFO") and rule.status in ("C", "S", "U")
        for target in rule.via:
            get_rule(target)


@pytest.mark.parametrize(
    ("rule_id", "room"),
    [("CN25-6c", "gate"), ("CN25-12b", "gate"), ("CN25-6d", "vault"), ("CN25-9c", "audit"),
     ("CN25-15c", "oversight"), ("CN25-14a–d", "vault")],
)  # fmt: skip
def test_run_time_rules_are_registered_with_their_room(rule_id: str, room: str) -> None:
    rule = get_rule(rule_id)
    assert rule.check is None
    assert room in rule.enforced_at


def test_consent_is_asked_at_the_gate_and_its_words_are_read_in_the_spec() -> None:
    """CN25-6a/b and CN25-12c are enforced at the gate, and the spec's words are checked for them too (bundled or
    implied consent; declining that ends the service)."""
    assert get_rule("CN25-6a/b").where == ("check", "gate") and get_rule("CN25-12c").where == ("check", "gate")


def test_each_profile_lists_its_rules_and_the_draft_inherits_the_law() -> None:
    cn = {r.id for r in rules_for(["cn2025"])}
    draft = {r.id for r in rules_for(["cn2023-draft"])}
    assert cn < draft
    assert "CN23-T10" in cn  # §8 Q6: the raw-image hardening flag is on by default
    assert {r.id for r in rules_for(["bipa"])} == {i for i in CATALOGUE if i.startswith("BIPA-")}
    assert {r.id for r in rules_for(["eu-ai-act"])} == {i for i in CATALOGUE if i.startswith(("EUAI-", "GDPR-"))}
    assert {r.id for r in rules_for(profile_names())} == set(CATALOGUE)


def test_profiles_carry_the_numbers_of_section_6() -> None:
    cn, draft = get_profile("cn2025").numbers, get_profile("cn2023-draft").numbers
    assert (cn["filing"]["threshold_individuals"], cn["filing"]["operator"]) == (100000, ">=")
    assert (draft["filing"]["threshold_individuals"], draft["filing"]["operator"]) == (10000, ">")
    assert draft["filing"]["deadline_working_days"] == 30 and draft["filing"]["early_warning_levels"] == [80000, 95000]
    assert cn["minors"]["guardian_consent_age_below"] == 14 and cn["reprompt_block_hours"] == 48
    assert draft["minors"]["guardian_consent_forms"] == ["separate", "written"]
    assert get_profile("bipa").numbers["destroy_within_years_of_last_interaction"] == 3
    assert get_profile("eu-ai-act").numbers["rbi_exception_offence_max_sentence_years"]["value"] == 4
    assert "hospital_ward_or_treatment_room" in get_profile("cn2023-draft").location_blocklist
    assert "hospital_ward_or_treatment_room" not in get_profile("cn2025").location_blocklist
    assert "work_performance" in get_profile("cn2023-draft").inference_denylist
    assert "emotion_workplace" in get_profile("cn2025").inference_denylist


def test_an_unknown_profile_is_refused_with_the_known_ones() -> None:
    with pytest.raises(InputError, match="cn2025"):
        rules_for(["cn2099"])


def test_settings_default_to_the_conservative_answers_of_section_8() -> None:
    settings = Settings()
    assert [q.number for q in QUESTIONS] == [f"Q{n}" for n in range(1, 18)] + [
        "FG-1",
        "FG-2",
        "FG-6–11, FG-14",
        "FG-12",
        "FG-13",
    ]
    assert settings.get("filing.count_mode") == "cumulative"
    assert settings.get("minors.boundary") == "under_14_through_birthday"
    assert settings.get("storage.raw_image_discard") is True
    assert settings.get("reprompt_block_hours") == 48
    assert settings.get("filing.on_overdue") == "block_new_enrollment"
    assert settings.get("minors.unknown_age") == "treat_as_minor"


def test_overriding_a_setting_needs_a_justification_and_an_allowed_value() -> None:
    with pytest.raises(InputError, match="justification"):
        Settings().override("reprompt_block_hours", 24, "  ")
    with pytest.raises(InputError, match="Q1"):
        Settings().override("filing.count_mode", "whatever", "because")
    with pytest.raises(InputError, match="unknown setting"):
        Settings().override("no.such.key", 1, "because")
    settings = Settings().override("reprompt_block_hours", 24, "Local rule of 2026")
    assert settings.get("reprompt_block_hours") == 24
    assert settings.overrides[0].question == "Q11"
    assert Settings().get("reprompt_block_hours") == 48  # settings are values; the original is unchanged


def test_rules_carried_out_via_another_are_cited_with_it() -> None:
    assert supporting(get_rule("CN25-5a"), "cn2025") == ("CN25-5a", "PIPL-17", "PIPL-30", "NDSR-21")
    assert "CN23-T12" in supporting(get_rule("CN25-9a/b"), "cn2023-draft")
    assert "CN23-T12" not in supporting(get_rule("CN25-9a/b"), "cn2025")


def test_policy_does_no_io_reads_no_clock_and_imports_no_other_room() -> None:
    forbidden_modules = ("facegate.engine", "facegate.vault", "facegate.audit", "facegate.store", "facegate.cli",
                         "facegate.api", "facegate.web", "facegate.gate", "facegate.oversight", "os", "pathlib",
                         "io", "time", "importlib")  # fmt: skip
    forbidden_calls = {"open", "today", "now", "utcnow", "read_text", "write_text", "time"}
    for path in POLICY.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                for name in names:
                    assert not name.startswith(forbidden_modules), f"{path.name} imports {name}"
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                assert called not in forbidden_calls, f"{path.name} calls {called}()"
        first = ast.get_docstring(tree)
        assert first, f"{path.name} has no module docstring"


def test_facegate_policies_name_the_law_they_serve_and_never_cite_it_as_law() -> None:
    policies = [r for r in RULES if r.id.startswith("FG-")]
    assert len(policies) >= 5
    for rule in policies:
        assert rule.serves and "facegate policy" in rule.title
        assert not rule.cites and not rule.via
        assert all(get_rule(law) for law in rule.serves)
        assert rule.setting or rule.note == "not configurable"
    for rule in RULES:  # no statutory rule carries a facegate policy as its own duty
        assert not any(c.startswith("FG-") for c in rule.cites), rule.id


RULE_ID = re.compile(r"(?:CN25|CN23|PIPL|NDSR|SPC21|GBT41819|BIPA|EUAI|GDPR|ACC|CC|FG)-[\w/–-]*\w")


def test_every_rule_id_written_in_the_code_is_in_the_catalogue() -> None:
    # A string that is a rule ID and nothing else (what refusals and findings cite) must name a catalogue rule;
    # the one exception is a §8 question numbered after the facegate policies it switches (FG-6–11, FG-14).
    known = {r.id for r in RULES} | {q.number for q in QUESTIONS}
    cited = [
        (f"{path.relative_to(POLICY.parents[1])}:{node.lineno}", node.value)
        for path in sorted(POLICY.parent.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and RULE_ID.fullmatch(node.value)
    ]
    assert len(cited) > 300  # the scan sees the code's citations
    assert [f"{where} cites {value}" for where, value in cited if value not in known] == []


def test_the_gates_alternatives_are_values_of_the_one_vocabulary() -> None:
    from facegate.gate.checks import ALTERNATIVE_NAMES
    from facegate.policy.terms import ALTERNATIVES

    values = {term.value for term in ALTERNATIVES}
    assert set().union(*ALTERNATIVE_NAMES.values()) <= values
