"""The gate's one way to the face engine: every enrollment runs the pose and blur checks through the engine's
`run`, on the gate's own engine; no engine is probed with hasattr or getattr."""

import ast
import io
from pathlib import Path

import pytest
from gate_fixtures import example, shared_engine
from PIL import Image, ImageFilter

from facegate.errors import FaceBlurredError
from facegate.gate import Gate

BLUR = 12
SRC = Path(__file__).parent.parent / "src" / "facegate"


def test_an_enrollment_runs_the_pose_and_blur_checks_on_the_gates_engine(gate: Gate, photos: Path) -> None:
    gate.register(example("office-entry"))
    for subject in ("obama", "blurred"):
        gate.add_subject(subject)
        gate.notice_shown("hq-lobby", subject)
        gate.give_consent("hq-lobby", subject)
    buffer = io.BytesIO()
    Image.open(photos / "obama.jpg").filter(ImageFilter.GaussianBlur(BLUR)).save(buffer, "PNG")
    with pytest.raises(FaceBlurredError):
        gate.enroll("hq-lobby", "blurred", [buffer.getvalue()])
    assert gate.enroll("hq-lobby", "obama", [(photos / "obama.jpg").read_bytes()]).outcome == "enrolled"
    assert gate.engine is shared_engine()  # the factory's engine did the work, through its `run`


def engine_probes(source: str) -> list[int]:
    """Lines where `source` asks an engine what it has (`hasattr(engine, ...)`, `getattr(self.engine, ...)`)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("hasattr", "getattr") and node.args
        and "engine" in ast.unparse(node.args[0]).lower()
    ]  # fmt: skip


def test_no_engine_is_probed_with_hasattr_or_getattr() -> None:
    probes = {str(p.relative_to(SRC)): lines for p in SRC.rglob("*.py") if (lines := engine_probes(p.read_text()))}
    assert probes == {}
    assert engine_probes("if hasattr(engine, 'points'):\n    run = getattr(self.engine, 'run', None)") == [1, 2]
