"""The README's runnable command blocks: found, run in order in a fresh folder, and compared by the shape of
their output (IDs, hashes, dates and times may differ; everything else must match).

A ```console block runs when the line before its fence is `<!-- readme: run -->`. Each `$ ` line is one shell
command (bash; `facegate` and `python` are this checkout's), the lines after it until the next `$ ` are what
it prints (standard output and error together). A line `...` stands for any number of lines, and `…` within a
line for any text (for what depends on timing, such as how many checkpoints were signed). The blocks run
one after the other in a scratch folder holding links to the repository's `examples/`, `tests/` and `src/`, so
whatever they write stays there, with HOME pointing inside it.

    .venv/bin/python tests/readme_blocks.py            # run the blocks; exit 1 naming the first difference
    .venv/bin/python tests/readme_blocks.py --update   # run them and write what they print into README.md
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARK = "<!-- readme: run -->"
LINKED = ("examples", "tests", "src")
ANY_LINES = "..."
ELIDED = "…"  # within a line: what depends on timing (how many checkpoints a run happened to sign)
# What may differ between two runs, most specific first: each is replaced by its name in both texts.
VOLATILE = [
    ("<uuid>", re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")),
    ("<api-key>", re.compile(r"\bfgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\b")),
    ("<datetime>", re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?")),
    ("<date>", re.compile(r"\b\d{4}-\d\d-\d\d\b")),
    ("<year>", re.compile(r"\b20\d\d\b")),
    ("<hex>", re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b")),
    ("<base64>", re.compile(r"(?<![\w/+])(?=[A-Za-z0-9+/]*[0-9+/])[A-Za-z0-9+/]{24,}={0,2}")),
    ("<seconds>", re.compile(r"\b\d+(\.\d+)? ?(ms|s)\b")),
]


@dataclass
class Command:
    """One `$ ` line of a block and what the README says it prints."""

    line: str
    expected: list[str] = field(default_factory=list)
    actual: list[str] = field(default_factory=list)


@dataclass
class Block:
    """One runnable block: where its fence opens in the README (0-based line) and its commands."""

    start: int
    end: int
    commands: list[Command]


def blocks(text: str) -> list[Block]:
    """The runnable blocks of a README, in order."""
    lines, found = text.split("\n"), []
    for i, line in enumerate(lines):
        if line.strip() != MARK:
            continue
        if i + 1 >= len(lines) or lines[i + 1].strip() != "```console":
            raise ValueError(f"README line {i + 1}: {MARK} must stand just before a ```console fence")
        end = next((j for j in range(i + 2, len(lines)) if lines[j].strip() == "```"), None)
        if end is None:
            raise ValueError(f"README line {i + 2}: the block never closes")
        commands: list[Command] = []
        for body in lines[i + 2 : end]:
            if body.startswith("$ "):
                commands.append(Command(body[2:]))
            elif commands:
                commands[-1].expected.append(body)
            elif body.strip():
                raise ValueError(f"README line {i + 3}: a runnable block starts with a `$ ` command")
        found.append(Block(i + 1, end, commands))
    return found


def shape(line: str, workspace: Path | None = None) -> str:
    """A line with what may differ between runs replaced by its kind."""
    if workspace is not None:
        line = line.replace(f"{workspace}/", "").replace(str(workspace), ".")
    for name, pattern in VOLATILE:
        line = pattern.sub(name, line)
    return line.rstrip()


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the actual lines have the expected shape (`...` matching any number of lines)."""
    if not expected:
        return not actual
    if expected[0].strip() == ANY_LINES:
        return any(matches(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and same_line(expected[0], actual[0]) and matches(expected[1:], actual[1:])


def same_line(expected: str, actual: str) -> bool:
    """Whether a printed line has the README line's shape; `…` in the README line stands for any text."""
    pattern = ".*".join(re.escape(part) for part in shape(expected).split(ELIDED))
    return re.fullmatch(pattern, shape(actual)) is not None


def workspace(folder: Path) -> dict[str, str]:
    """Prepare a scratch folder (links to the repository's inputs, `facegate` and `python` on PATH); its env."""
    for name in LINKED:
        (folder / name).symlink_to(ROOT / name)
    bin_dir = folder / ".bin"
    bin_dir.mkdir()
    for name, run in (
        ("facegate", f'exec "{sys.executable}" -m facegate "$@"'),
        ("python", f'exec "{sys.executable}" "$@"'),
    ):
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{run}\n")
        script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEGATE_")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", HOME=str(folder / ".home"), PYTHONPATH=str(ROOT / "src"),
        PYTHONUNBUFFERED="1", COLUMNS="200", TERM="dumb", NO_COLOR="1", LC_ALL="C.UTF-8",
    )  # fmt: skip
    return env


def run(found: list[Block], folder: Path, timeout: float = 600) -> None:
    """Run every command in order in `folder`, keeping what each prints in `actual`."""
    env, last = workspace(folder), 0
    for block in found:
        for command in block.commands:
            export = re.fullmatch(r"export (\w+)=(\S+)(\s+#.*)?", command.line.strip())
            if re.fullmatch(r"(\.|source) \.venv/bin/activate(\s+#.*)?", command.line.strip()):
                continue  # the scratch folder's PATH has this checkout's facegate already
            if export:
                env[export.group(1)] = export.group(2)
                continue
            done = subprocess.run(
                ["bash", "-c", f"(exit {last}); {command.line}"], cwd=folder, env=env, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False,
            )  # fmt: skip
            last = done.returncode
            command.actual = [shape_path(line, folder) for line in done.stdout.rstrip("\n").split("\n") if done.stdout]


def shape_path(line: str, folder: Path) -> str:
    """An output line with the scratch folder's path taken out (so `out/home/...` reads as in the README)."""
    return line.replace(f"{folder.resolve()}/", "").replace(f"{folder}/", "").rstrip()


def differences(found: list[Block]) -> list[str]:
    """Each command whose output does not have the README's shape, with both texts."""
    problems = []
    for block in found:
        for command in block.commands:
            if not matches(command.expected, command.actual):
                problems.append(
                    f"README line {block.start + 1}, `$ {command.line}`\n  README says:\n"
                    + "".join(f"    {line}\n" for line in command.expected)
                    + "  it prints:\n"
                    + "".join(f"    {line}\n" for line in command.actual)
                )
    return problems


def updated(text: str, found: list[Block]) -> str:
    """The README with each block's output replaced by what it printed, where it no longer has the README's shape
    (an output that still matches stays as written, with its `...` lines and example IDs)."""
    lines = text.split("\n")
    for block in reversed(found):
        body = []
        for command in block.commands:
            body.append(f"$ {command.line}")
            body.extend(command.expected if matches(command.expected, command.actual) else command.actual)
        lines[block.start + 1 : block.end] = body
    return "\n".join(lines)


def main() -> int:
    """Check the README's blocks, or (--update) rewrite their outputs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="write what the blocks print into README.md")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    found = blocks(text)
    with tempfile.TemporaryDirectory(prefix="facegate-readme-") as scratch:
        run(found, Path(scratch))
    if args.update:
        README.write_text(updated(text, found), encoding="utf-8")
        print(f"README.md: {sum(len(b.commands) for b in found)} commands in {len(found)} blocks rewritten")
        return 0
    problems = differences(found)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} of {sum(len(b.commands) for b in found)} commands differ from the README")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
