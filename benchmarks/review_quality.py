"""Review quality on unseen tables (issue 24): recall, precision, hard errors and grade agreement per split.

    python3 -m benchmarks.review_quality [--details]

The splits are tests/data/review_labelled/{dev,test}.csv with their projects files (README beside them: the
test split was frozen and committed before any rule change). Rows are scored by benchmarks.review_accuracy;
grades are compared with the reviewer's grade in the projects file's ``grade`` column: exact agreement and
agreement within one step of 优/良/中/差.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks.review_accuracy import Measurement, measure  # noqa: E402
from workbook_engine.review.grading import GRADES  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "review_labelled"
SPLITS = ("dev", "test")


@dataclass
class SplitQuality:
    split: str
    rows: Measurement
    exact: int
    within_one: int
    projects: int
    disagreements: list[tuple[str, str, str]]  # (project, reviewer, review)

    @property
    def exact_rate(self) -> float:
        return self.exact / self.projects if self.projects else 1.0

    @property
    def within_one_rate(self) -> float:
        return self.within_one / self.projects if self.projects else 1.0


def quality(split: str, folder: Path = LABELLED) -> SplitQuality:
    indicators, projects = folder / f"{split}.csv", folder / f"{split}_projects.csv"
    m = measure(indicators, projects)
    with open(projects, encoding="utf-8", newline="") as handle:
        expected = {row["project"]: row["grade"] for row in csv.DictReader(handle)}
    exact = within = 0
    wrong: list[tuple[str, str, str]] = []
    for key, want in expected.items():
        got = m.grades.get(key, "?")
        step = abs(GRADES.index(want) - GRADES.index(got)) if got in GRADES else 9
        exact += step == 0
        within += step <= 1
        if step:
            wrong.append((key, want, got))
    return SplitQuality(split, m, exact, within, len(expected), wrong)


def table(results: list[SplitQuality]) -> str:
    lines = ["| split | rows (acceptable) | recall | precision | hard errors | grade exact | grade ±1 |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for q in results:
        m = q.rows
        hits, labelled = sum(m.found.values()), sum(m.labelled.values())
        fired = hits + sum(m.false_alarms.values())
        lines.append(f"| {q.split} | {m.rows} ({m.acceptable}) | {m.recall:.1%} ({hits}/{labelled}) | "
                     f"{m.precision:.1%} ({hits}/{fired}) | {len(m.hard_errors)} | "
                     f"{q.exact_rate:.0%} ({q.exact}/{q.projects}) | {q.within_one_rate:.0%} "
                     f"({q.within_one}/{q.projects}) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--details", action="store_true", help="list misses, false alarms and grade disagreements")
    args = parser.parse_args(argv)
    results = [quality(s) for s in SPLITS]
    print(table(results))
    if args.details:
        for q in results:
            for line, code, what in q.rows.misses:
                print(f"{q.split} miss  line {line}: {code} {what}")
            for line, code, what in q.rows.alarms:
                print(f"{q.split} alarm line {line}: {code} {what}")
            for key, want, got in q.disagreements:
                print(f"{q.split} grade {key}: reviewer {want}, review {got}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
