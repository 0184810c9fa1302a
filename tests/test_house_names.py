"""The house's names, read from the source (AST): one thing, one name. The classes and constants a review found
defined twice (four `Report`s, two `Context`s, two `Status`es, two `Body` models, `MAX_FRAMES` twice, the doctor's
`Finding` beside the policy's) are each defined once, no statement follows a `return` or `raise` in its block, and
the gate's classes inherit from nothing (parts behind a facade, no mixins; its tables from the database's Base)."""

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).parent.parent / "src" / "facegate"
ONCE = ("Report", "Context", "Status", "Body", "MAX_FRAMES", "Settings", "Event", "Op")


def definitions(sources: dict[str, str]) -> dict[str, list[str]]:
    """Every top-level class and constant of the sources, by name: where each is defined."""
    found: dict[str, list[str]] = defaultdict(list)
    for where, source in sources.items():
        for node in ast.parse(source).body:
            if isinstance(node, ast.ClassDef):
                found[node.name].append(f"{where}:{node.lineno}")
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and target.id.isupper():
                        found[target.id].append(f"{where}:{node.lineno}")
    return found


def unreachable(source: str) -> list[int]:
    """Lines of statements that follow a `return`, `raise`, `continue` or `break` in the same block."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        for block in (getattr(node, name, None) for name in ("body", "orelse", "finalbody")):
            if isinstance(block, list):
                ends = [
                    i for i, s in enumerate(block) if isinstance(s, ast.Return | ast.Raise | ast.Continue | ast.Break)
                ]
                if ends and ends[0] < len(block) - 1:
                    lines.append(block[ends[0] + 1].lineno)
    return sorted(lines)


def sources() -> dict[str, str]:
    return {str(p.relative_to(SRC.parent)): p.read_text() for p in sorted(SRC.rglob("*.py"))}


def test_the_names_the_review_found_twice_are_defined_once() -> None:
    found = definitions(sources())
    assert {name: found.get(name) for name in ONCE if len(found.get(name, [])) > 1} == {}
    assert (
        not found.get("Report") and len(found.get("Body", [])) == 1
    )  # Report was renamed away; the one Body is the API's
    doctor = definitions({"doctor": (SRC / "doctor.py").read_text()})
    assert "Finding" not in doctor and "Diagnosis" in doctor  # not the policy's Finding


def test_no_statement_follows_a_return_or_raise() -> None:
    found = [f"{where}:{line}" for where, source in sources().items() for line in unreachable(source)]
    assert found == []


def test_the_name_checks_see_a_double_and_an_unreachable_raise() -> None:
    planted = {"a": "class Report: pass\nMAX_FRAMES = 64", "b": "class Report(Base): pass\nMAX_FRAMES: int = 8"}
    assert {k: len(v) for k, v in definitions(planted).items()} == {"Report": 2, "MAX_FRAMES": 2}
    code = "def f(x):\n    if x:\n        return 1\n        raise ValueError\n    raise KeyError\n"
    assert unreachable(code) == [4]


def test_the_docs_quote_the_engines_threshold_and_detect_signature() -> None:
    import inspect

    from facegate.engine.dlib_backend import DEFAULT_THRESHOLD, DlibEngine

    docs = SRC.parents[1] / "docs"
    assert f"match threshold ({DEFAULT_THRESHOLD} for the default model" in (docs / "liveness.md").read_text()
    assert "min_face_px" in inspect.signature(DlibEngine.detect).parameters
    detect_row = next(line for line in (docs / "engine.md").read_text().splitlines() if line.startswith("| detect |"))
    assert "min_face_px" in detect_row


def gate_inheritance(sources: dict[str, str]) -> list[str]:
    """Classes of the gate that inherit from anything but the database's Base (a table): mixins, shared `self`."""
    return [
        f"{where}:{node.lineno} {node.name}({', '.join(ast.unparse(b) for b in node.bases)})"
        for where, source in sources.items()
        if where.startswith("facegate/gate/")
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef) and [ast.unparse(b) for b in node.bases] not in ([], ["Base"])
    ]


def test_the_gate_is_parts_behind_a_facade_not_mixins() -> None:
    assert gate_inheritance(sources()) == []
    planted = {"facegate/gate/facade.py": "class Gate(Deployments, Subjects): pass\nclass Row(Base): pass"}
    assert gate_inheritance(planted) == ["facegate/gate/facade.py:1 Gate(Deployments, Subjects)"]
