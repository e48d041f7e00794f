"""Time `wbe merge` of department workbooks into one county workbook, and `wbe diff` of the result.

    python -m benchmarks.bench_merge [--departments 100] [--projects 20] [--indicators 15] [--repeat 3]

Writes one workbook per department (benchmarks/generate.py's county book split by 部门编码) under
out/departments/, then times each step. Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from workbook_engine.diff import diff_files
from workbook_engine.merge import merge_files, plan_merge, read_sources

from .bench_validate import print_table, timed
from .generate import county_book, split_by_department


def department_workbooks(folder: Path, departments: int, projects: int, indicators: int) -> list[Path]:
    """One canonical workbook per department of a generated county (reused when already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{450001 + d:06d}.xlsx" for d in range(departments)]
    if all(p.exists() for p in paths):
        return paths
    book = county_book(departments, departments * projects, departments * projects * indicators)
    return split_by_department(book, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--projects", type=int, default=20, help="projects per department")
    parser.add_argument("--indicators", type=int, default=15, help="indicators per project")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=Path("out/departments"))
    args = parser.parse_args()
    paths = department_workbooks(args.folder, args.departments, args.projects, args.indicators)
    output = args.folder.parent / "county-merged.xlsx"
    outcome = merge_files(paths, output)
    assert outcome.written and outcome.plan is not None, "the benchmark inputs should merge cleanly"
    sources: list = []
    rows = [
        (f"wbe merge of {len(paths)} department workbooks, end to end (read + validate each, plan, write, "
         "validate the result)", timed(lambda: merge_files(paths, output), args.repeat)),
        ("  reading and validating the inputs", timed(lambda: sources.extend(read_sources(paths)[1]), 1)),
        ("  planning the merge (keys, conflicts, order)", timed(lambda: plan_merge(sources), args.repeat)),
        ("wbe diff of the merged workbook against itself", timed(lambda: diff_files(output, output), args.repeat)),
    ]
    book = outcome.plan.book
    print(f"Inputs: {len(paths)} workbooks; merged: {len(book.departments())} departments, {len(book.projects)} "
          f"projects, {len(book.indicators)} indicators ({output.stat().st_size / 1e6:.1f} MB)")
    print_table(rows, args.repeat)


if __name__ == "__main__":
    main()
