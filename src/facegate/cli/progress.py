"""Progress for long commands: a bar on a terminal, plain lines (every tenth of the work) when not on one."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import Progress

from facegate.cli.app import err_console

Report = Callable[[int, int], None]


@contextmanager
def progress(label: str, *, quiet: bool = False) -> Iterator[Report]:
    """Yield `report(done, total)`: a bar on a terminal, `label: done/total` lines elsewhere, nothing if quiet."""
    if quiet:
        yield lambda done, total: None
        return
    if err_console.is_terminal:
        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task(label, total=None)
            yield lambda done, total: bar.update(task, completed=done, total=total)
        return
    said = -1

    def line(done: int, total: int) -> None:
        nonlocal said
        step = done * 10 // max(total, 1)
        if step != said:
            said = step
            share = done * 100 // max(total, 1)
            err_console.print(f"{label}: {done}/{total} ({share}%)", markup=False, highlight=False)

    yield line
