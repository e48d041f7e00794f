"""Time the review of a county-scale workbook (docs/performance.md, section "review").

    python -m benchmarks.review [--workbook out/county.xlsx] [--repeat 3]

Generates the workbook with benchmarks.generate when it does not exist (100 departments, 2,000 projects,
30,000 indicators), then times, median of ``--repeat``: reading and validating without the review, the review
rules alone on the loaded book, `review()` end to end, `validate()` with the review, and the CLI
`wbe review --format json` as a user runs it.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from workbook_engine.review import load_config, review, review_findings
from workbook_engine.validation import check, validate

from .generate import ensure_county_workbook


def cpu_seconds() -> float:
    """CPU time of this process and its finished children: unlike wall time, not inflated by a busy machine."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(func, repeat: int) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        func()
        wall.append(time.perf_counter() - start)
        cpu.append(cpu_seconds() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbook", type=Path, default=Path("out/county.xlsx"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    checked = check(ensure_county_workbook(args.workbook))
    config = load_config(args.workbook)
    rows = [
        ("read + validate, no review (`check`)", lambda: check(args.workbook)),
        ("review rules alone on the loaded book (`review_findings`)",
         lambda: review_findings(checked.book, checked.loaded, config)),
        ("`review()` end to end (read, validate, review, grade)", lambda: review(args.workbook)),
        ("`validate()` with the review (the default)", lambda: validate(args.workbook)),
        ("`wbe review --format json` as a user runs it (CLI, incl. start-up and JSON)", lambda: subprocess.run(
            [sys.executable, "-m", "workbook_engine", "review", str(args.workbook), "--format", "json"],
            capture_output=True, check=False)),
    ]
    findings = len(review(args.workbook).report.findings)
    print(f"{args.workbook}: {len(checked.book.projects)} projects, {len(checked.book.indicators)} indicators, "
          f"{findings} review findings; median of {args.repeat} runs")
    print()
    print("| step | wall s | CPU s |")
    print("| --- | ---: | ---: |")
    for name, action in rows:
        wall, cpu = timed(action, args.repeat)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
