"""No side doors: no operator lifts the re-prompt block, the faces read the audit log only through its records."""

import ast
from pathlib import Path

from typer.testing import CliRunner

from facegate.cli import app
from facegate.errors import InputError

SRC = Path(__file__).parent.parent / "src" / "facegate"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_an_operator_cannot_claim_the_subject_asked_again(tmp_path: Path) -> None:
    home = ["--home", str(tmp_path)]
    code, out = run("consent", "give", "hq-lobby", "bob", "--subject-initiated", *home)
    assert code == 2 and "No such option: --subject-initiated" in out
    assert "--subject-initiated" not in run("consent", "give", "--help")[1]


def test_an_operator_cannot_act_as_the_subject_or_as_facegate(tmp_path: Path) -> None:
    home = ["--home", str(tmp_path)]
    assert run("subject", "add", "bob", *home)[0] == 0
    for actor in ("subject:bob", "system:purge"):
        result = CliRunner().invoke(app, ["subject", "delete", "bob", "--actor", actor, *home])
        assert isinstance(result.exception, InputError) and "not for the command line" in str(result.exception)
    assert run("subject", "show", "bob", *home)[0] == 0  # still there
    assert run("subject", "delete", "bob", "--actor", "operator:alice", *home)[0] == 0


def test_the_faces_open_no_database_session_of_the_gate() -> None:
    opened = []
    for face in ("api", "web", "cli"):
        for path in sorted((SRC / face).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                # gate.db.session(...) or gate.audit.<anything>: a transaction of the gate's, or its audit log's
                # writer, reached from a face (the API's own tables, keys and submissions, get the database itself)
                if not isinstance(node, ast.Attribute):
                    continue
                name = _name(node)
                if name.endswith(("gate.db.session", "gate.db.quick")) or ".gate.audit." in f".{name}.":
                    opened.append(f"{path.relative_to(SRC)}:{node.lineno} {name}")
    assert not opened, "read through gate.audit_records or the oversight service instead:\n" + "\n".join(opened)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""
