"""Time the review of a county-scale workbook (docs/performance.md, section "Review").

    python -m benchmarks.review [--workbook out/county.xlsx] [--repeat 3]

Generates the workbook with benchmarks.generate when it does not exist (100 departments, 2,000 projects,
30,000 indicators), then times, best of ``--repeat``: reading and validating without the review, the review
rules alone on the loaded book, `review()` end to end, `validate()` with the review, and the CLI
`wbe review --format json` as a user runs it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from benchmarks.generate import county_book
from workbook_engine.canonical_writer import write_book
from workbook_engine.review import load_config, review, review_findings
from workbook_engine.validation import check, validate


def best_of(repeat: int, action: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbook", type=Path, default=Path("out/county.xlsx"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.workbook.exists():
        args.workbook.parent.mkdir(parents=True, exist_ok=True)
        write_book(county_book(), args.workbook)
    checked = check(args.workbook)
    config = load_config(args.workbook)
    rows = [
        ("read + validate, no review", lambda: check(args.workbook)),
        ("review rules on the loaded book", lambda: review_findings(checked.book, checked.loaded, config)),
        ("review() end to end", lambda: review(args.workbook)),
        ("validate() with review", lambda: validate(args.workbook)),
        ("wbe review --format json (CLI)", lambda: subprocess.run(
            [sys.executable, "-m", "workbook_engine", "review", str(args.workbook), "--format", "json"],
            capture_output=True, check=False)),
    ]
    print(f"{args.workbook}: {len(checked.book.projects)} projects, {len(checked.book.indicators)} indicators")
    for name, action in rows:
        seconds, result = best_of(args.repeat, action)
        extra = ""
        if hasattr(result, "report") and hasattr(result, "grades"):
            extra = f"  ({len(result.report.findings)} findings)"
        print(f"{name:<36} {seconds:6.2f} s{extra}")


if __name__ == "__main__":
    main()
