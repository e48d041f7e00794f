"""Time `render` and `extract` on the county-scale workbook (2,000 projects, 30,000 indicators).

    python -m benchmarks.bench_render [--workbook out/county.xlsx] [--repeat 3]

Two shapes: the county workbook as generated (100 departments -> one official workbook each, into a
folder) and one department holding all 2,000 projects (one workbook of 2,002 sheets). Generates the
workbooks when missing. Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from workbook_engine.api import extract, render
from workbook_engine.canonical_writer import write_book

from .generate import county_book


def timed(func, repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this process over ``repeat`` runs, in seconds.

    CPU time is reported beside wall time because the project machine is shared: under load the wall
    time grows while the CPU time a run needs stays about the same.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        func()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def ensure(path: Path, departments: int) -> Path:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_book(county_book(departments=departments), path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbook", type=Path, default=Path("out/county.xlsx"))
    parser.add_argument("--single", type=Path, default=Path("out/county-one-department.xlsx"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    county = ensure(args.workbook, 100)
    single = ensure(args.single, 1)
    work = Path(tempfile.mkdtemp(prefix="wbe-bench-"))
    try:
        folder = work / "official"
        one = work / "one.xlsx"
        rows = [
            ("render county (100 departments → 100 workbooks, incl. validation)",
             timed(lambda: render(county, f"{folder}/"), args.repeat)),
            ("extract the 100 workbooks → one canonical workbook",
             timed(lambda: extract(folder, work / "back.xlsx"), args.repeat)),
            ("render one department with 2,000 projects (one workbook, 2,002 sheets)",
             timed(lambda: render(single, one), args.repeat)),
            ("extract that workbook", timed(lambda: extract(one, work / "back-one.xlsx"), args.repeat)),
        ]
        size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(f"Workbooks: {county} → {size:.1f} MB in 100 files; {single} → {one.stat().st_size / 1e6:.1f} MB")
        print(f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}; "
              f"median of {args.repeat} runs; load average {os.getloadavg()[0]:.1f}")
        print()
        print("| step | wall s | CPU s |")
        print("| --- | ---: | ---: |")
        for name, (wall, cpu) in rows:
            print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
