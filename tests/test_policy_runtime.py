"""The "enforced at run time" lists in documents come from policy.runtime, and that table matches the code."""

import ast
import re
from datetime import date
from pathlib import Path

from facegate.policy import get_rule, parse_spec, pia_document
from facegate.policy.runtime import RUNTIME

SRC = Path(__file__).resolve().parents[1] / "src" / "facegate"
RULE_ID = re.compile(r"^(CN25|CN23|PIPL|NDSR|SPC21|BIPA|EUAI|GDPR|FG|ACC|CC)-[0-9A-Za-z/–-]+$")


def cited_by_refusals() -> set[str]:
    """Every rule ID written in the gate's modules, the lifecycle it calls, and the overdue-filing refusal."""
    found: set[str] = set()
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in sorted((SRC / "gate").glob("*.py"))]
    trees.append(ast.parse((SRC / "policy" / "lifecycle.py").read_text(encoding="utf-8")))
    tasks = ast.parse((SRC / "oversight" / "tasks.py").read_text(encoding="utf-8"))
    trees += [n for n in ast.walk(tasks) if isinstance(n, ast.FunctionDef) and n.name == "overdue_refusal"]
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and RULE_ID.match(node.value):
                found.add(node.value)
    return found


def test_the_runtime_table_is_what_the_code_cites() -> None:
    assert set(RUNTIME) == cited_by_refusals()
    for rule_id in RUNTIME:
        get_rule(rule_id)


def test_the_assessment_lists_only_what_runs() -> None:
    spec = parse_spec((SRC.parents[1] / "examples" / "deployments" / "office-entry.yaml").read_text(encoding="utf-8"))
    text = pia_document(spec, today=date(2026, 11, 26)).render("md")
    listed = set(re.findall(r"^- ((?:CN25|PIPL|NDSR|FG|BIPA)-[^ ]+) — ", text, re.MULTILINE))
    assert listed and listed <= set(RUNTIME)
    for claimed in ("CN25-12a", "CN25-12c", "CN25-13c", "PIPL-23"):  # no refusal cites these
        assert claimed not in listed
