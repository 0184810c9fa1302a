"""Command-line start-up: wall time of `facegate --help` and `--version` against Python alone and typer alone.

    .venv/bin/python bench/cli.py [--rounds 15] [--against OTHER_CHECKOUT/src]

Each round starts fresh interpreters, in turn: `python -c pass` (the floor), `python -c "import typer, rich.console"`
(what any typer CLI pays), `python -m facegate --help`, `python -m facegate --version`; the medians are printed
side by side (wall time, and the CPU time the process used, which a busy machine inflates less), so a loaded
machine shows as a slower baseline in the same run. It also names the heavy packages
(SQLAlchemy, the gate, oversight, the engine, FastAPI) that `--help` imports: there should be none.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("sqlalchemy", "facegate.gate", "facegate.oversight", "facegate.engine", "facegate.store", "fastapi",
         "facegate.policy", "facegate.audit", "numpy", "cryptography")  # fmt: skip
RUNS = {
    "python alone": ["-c", "pass"],
    "import typer, rich": ["-c", "import typer, rich.console"],
    "facegate --help": ["-m", "facegate", "--help"],
    "facegate --version": ["-m", "facegate", "--version"],
}


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) one interpreter takes to run `args` to the end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_imports(env: dict[str, str]) -> list[str]:
    """The heavy packages loaded by `facegate --help`."""
    probe = (
        "import sys, json; sys.argv = ['facegate', '--help']\n"
        "from facegate.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted({{m.split('.')[0] if not m.startswith('facegate') else '.'.join(m.split('.')[:2]) "
        f"for m in sys.modules}} & set({list(HEAVY)!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    """Run the rounds and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--against", type=Path, help="Another checkout's src/ (an older facegate), timed alongside.")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    runs = {name: (run, env) for name, run in RUNS.items()}
    if args.against:
        runs["--help of --against"] = (RUNS["facegate --help"], {**os.environ, "PYTHONPATH": str(args.against)})
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, (run, run_env) in runs.items():
            times[name].append(timed(run, run_env))
    floor = statistics.median(wall for wall, _ in times["import typer, rich"])
    print(f"{args.rounds} rounds, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    for name, values in times.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        print(f"{name:<20} wall median {wall * 1000:6.0f} ms, min {min(w for w, _ in values) * 1000:6.0f} ms   "
              f"CPU median {cpu * 1000:6.0f} ms   ({wall / floor:.2f}x typer alone)")  # fmt: skip
    print(f"heavy packages imported by --help: {', '.join(heavy_imports(env)) or 'none'}")


if __name__ == "__main__":
    main()
