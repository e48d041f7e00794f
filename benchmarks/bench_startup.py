"""Start-up of the command line: `wbe --help` and `wbe --version` against a typer app with one command.

    python3 -m benchmarks.bench_startup [--repeat 15]

Each figure is the median wall time of whole processes run one after another, side by side in one run,
so that a busy machine slows all of them alike (issue 15: `wbe --help` ≤ 1.5× the one-command app).
Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONE_COMMAND_APP = '''
import typer

app = typer.Typer()


@app.command()
def hello(name: str) -> None:
    """Say hello."""
    print(f"hello {name}")


app()
'''


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(repeat: int) -> dict[str, float]:
    """Median seconds of each command line, interleaved run by run."""
    with tempfile.TemporaryDirectory() as folder:
        yardstick = Path(folder) / "one_command.py"
        yardstick.write_text(ONE_COMMAND_APP, encoding="utf-8")
        commands = {
            "python -c pass (interpreter alone)": [sys.executable, "-c", "pass"],
            "typer app with one command, --help": [sys.executable, str(yardstick), "--help"],
            "wbe --help": [sys.executable, "-m", "workbook_engine", "--help"],
            "wbe --version": [sys.executable, "-m", "workbook_engine", "--version"],
            "wbe validate --help": [sys.executable, "-m", "workbook_engine", "validate", "--help"],
        }
        for argv in commands.values():  # warm the file cache and the bytecode
            wall(argv)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(repeat):
            for name, argv in commands.items():
                times[name].append(wall(argv))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    medians = measure(args.repeat)
    yardstick = medians["typer app with one command, --help"]
    print(f"| command (median of {args.repeat}) | seconds | × one-command typer app |")
    print("| --- | ---: | ---: |")
    for name, seconds in medians.items():
        print(f"| `{name}` | {seconds:.3f} | {seconds / yardstick:.2f} |")


if __name__ == "__main__":
    main()
