"""The example deployments give the verdicts and cite the rule IDs that examples/deployments/expected.yaml says."""

from datetime import date
from pathlib import Path

import pytest
import yaml

from facegate.policy import evaluate, parse_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "deployments"
EXPECTED = yaml.safe_load((EXAMPLES / "expected.yaml").read_text(encoding="utf-8"))
CASES = [(name, case) for name, cases in EXPECTED.items() for case in cases]
TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(("name", "case"), CASES, ids=[f"{n}-{'+'.join(c['profiles'])}" for n, c in CASES])
def test_example_verdict_and_citations(name: str, case: dict) -> None:
    spec = parse_spec((EXAMPLES / name).read_text(encoding="utf-8"))
    report = evaluate(spec, case["profiles"], today=TODAY)
    cited = {rule_id for finding in report.findings for rule_id in finding.cites}
    assert report.verdict == case["verdict"], [f.to_dict() for f in report.findings]
    assert set(case["cites"]) <= cited


def test_there_are_at_least_eight_examples_and_each_has_an_expectation() -> None:
    files = {p.name for p in EXAMPLES.glob("*.yaml")} - {"expected.yaml"}
    assert len(files) >= 8
    assert files == set(EXPECTED)


def test_every_blocked_example_cites_its_rules_in_its_block_findings() -> None:
    for name, case in CASES:
        if case["verdict"] != "blocked":
            continue
        report = evaluate(parse_spec((EXAMPLES / name).read_text(encoding="utf-8")), case["profiles"], today=TODAY)
        assert report.blocking_rule_ids
        assert all(f.cites[0] == f.rule for f in report.blocking)
