"""Time `validate` on the county-scale workbook, and compare reading with pandas' default openpyxl reader.

    python -m benchmarks.bench_validate [--workbook out/county.xlsx] [--repeat 3]

Generates the workbook first when it is missing (benchmarks/generate.py). Prints a Markdown table for
docs/performance.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import pandas as pd

from workbook_engine.api import validate
from workbook_engine.canonical_reader import load_workbook

from .generate import ensure_county_workbook


def timed(func, repeat: int) -> float:
    """Median wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbook", type=Path, default=Path("out/county.xlsx"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ensure_county_workbook(args.workbook)
    report = validate(args.workbook, review=False)
    rows = [
        ("wbe validate --no-review (calamine + pandera + rules), whole pass",
         timed(lambda: validate(args.workbook, review=False), args.repeat)),
        ("reading the three sheets with calamine (our reader)", timed(lambda: load_workbook(args.workbook), args.repeat)),
        ("reading the three sheets with pandas.read_excel (openpyxl, default)",
         timed(lambda: pd.read_excel(args.workbook, sheet_name=["部门目标", "项目", "指标"], engine="openpyxl"),
               args.repeat)),
        ("reading the three sheets with pandas.read_excel (engine='calamine')",
         timed(lambda: pd.read_excel(args.workbook, sheet_name=["部门目标", "项目", "指标"], engine="calamine"),
               args.repeat)),
    ]
    print(f"Workbook: {args.workbook} ({args.workbook.stat().st_size / 1e6:.1f} MB), findings: {len(report.findings)}")
    print_table(rows, args.repeat, f", pandas {pd.__version__}")


def print_table(rows: list[tuple[str, float]], repeat: int, versions: str = "") -> None:
    """The machine line and a Markdown table of (step, seconds) for docs/performance.md."""
    print(f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}{versions}; "
          f"median of {repeat} runs")
    print()
    print("| step | seconds |")
    print("| --- | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
