"""The architecture as the docs draw it is the code's: the README's figure and docs/house.md's table list the layers
of tests/test_import_contracts.py (LAYERS, the one declaration), and no import of the code points up the figure."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from test_import_contracts import LAYERS, layer_violations, package_graph

ROOT = Path(__file__).parent.parent
Layers = list[tuple[str, ...]]


def _name(drawn: str) -> str:
    name = drawn.removesuffix("/").removesuffix(".py")
    return "facegate" if name == "__init__" else name  # the package's own __init__ is its own layer entry


def readme_figure(text: str) -> Layers:
    """The README's figure, lowest layer first: each line `<layer>  <package>/ <module>.py ...  <what they are>`."""
    figure = text.split("\n## Architecture\n", 1)[1].split("```", 2)[1]
    rows = [re.match(r" *(\d+) {2,}((?:\S+(?:/|\.py) ?)+)", line) for line in figure.splitlines()]
    numbered = sorted((int(m[1]), tuple(_name(n) for n in m[2].split())) for m in rows if m)
    assert [n for n, _ in numbered] == list(range(len(numbered))), "the figure numbers its layers 0, 1, 2, ..."
    return [names for _, names in numbered]


def house_table(text: str) -> Layers:
    """docs/house.md's table of layers, lowest first: `| <layer> | `package`, `module` | what they are |`."""
    rows = re.findall(r"^\| *(\d+) *\| *([^|]+)\|", text, re.MULTILINE)
    assert [int(n) for n, _ in rows] == list(range(len(rows))), "the table numbers its layers 0, 1, 2, ..."
    return [tuple(re.findall(r"`([\w.]+)`", names)) for _, names in rows]


@pytest.mark.parametrize(("document", "read"), [("README.md", readme_figure), ("docs/house.md", house_table)])
def test_the_drawn_layers_are_the_contracts_and_the_code_points_down_them(
    document: str, read: Callable[[str], Layers]
) -> None:
    drawn = read((ROOT / document).read_text())
    assert [set(layer) for layer in drawn] == [set(layer) for layer in LAYERS]
    assert layer_violations(package_graph(), tuple(drawn)) == []


def test_the_figure_check_sees_a_package_drawn_in_the_wrong_layer() -> None:
    readme = (ROOT / "README.md").read_text()
    moved = readme.replace("  9    edge/ streams/ ", "  9    streams/       ", 1).replace(
        "  8    gate/    ", "  8    gate/ edge/", 1
    )
    assert moved != readme
    drawn = readme_figure(moved)
    assert [set(layer) for layer in drawn] != [set(layer) for layer in LAYERS]
    assert any(
        v.startswith("edge (layer 8) imports gate (layer 8)") for v in layer_violations(package_graph(), tuple(drawn))
    )
    house = (ROOT / "docs/house.md").read_text()
    assert house_table(house.replace("| 8 | `gate` |", "| 8 | `gate`, `edge` |", 1)) != house_table(house)
