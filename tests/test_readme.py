"""The README as it really runs: its marked command blocks, in order, from a fresh data directory."""

from pathlib import Path

import pytest
import readme_blocks

pytestmark = pytest.mark.slow


def test_the_readme_blocks_print_what_the_readme_says(tmp_path: Path) -> None:
    found = readme_blocks.blocks(readme_blocks.README.read_text(encoding="utf-8"))
    assert len(found) >= 5 and sum(len(b.commands) for b in found) >= 30  # the marks were not lost
    readme_blocks.run(found, tmp_path)
    problems = readme_blocks.differences(found)
    assert not problems, (
        "the README's commands print something else; fix the code or the README "
        "(python tests/readme_blocks.py --update rewrites the outputs):\n\n" + "\n".join(problems)
    )


def test_the_comparison_tolerates_ids_dates_and_elisions_only() -> None:
    says = ["wrote out/x: 2 files; task 0b6e2f7c-1111-4222-8333-944445555666 due 2027-01-05", "...", "done"]
    prints = ["wrote out/x: 2 files; task 7c9e6679-7425-40de-944b-e07fc1f90ae7 due 2031-02-28", "a", "b", "done"]
    assert readme_blocks.matches(says, prints)
    assert not readme_blocks.matches(
        says, ["wrote out/x: 3 files; task 7c9e6679-7425-40de-944b-e07fc1f90ae7 due 2031-02-28", "done"]
    )
    assert not readme_blocks.matches(["1 template deleted"], ["1 template(s) deleted"])
    assert not readme_blocks.matches(["ok"], ["ok", "and more"])
    assert readme_blocks.matches(["OK: 19 entries, … checkpoints"], ["OK: 19 entries, 4 signed checkpoints"])
    assert not readme_blocks.matches(["OK: 19 entries, … checkpoints"], ["OK: 18 entries, 4 signed checkpoints"])


def test_a_run_leaves_nothing_in_the_repository(tmp_path: Path) -> None:
    text = "<!-- readme: run -->\n```console\n$ touch made-here && ls made-here\nmade-here\n```\n"
    found = readme_blocks.blocks(text)
    readme_blocks.run(found, tmp_path)
    assert (tmp_path / "made-here").exists() and not (readme_blocks.ROOT / "made-here").exists()
    assert readme_blocks.differences(found) == []
