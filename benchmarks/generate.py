"""Generate a county-scale canonical workbook from the seed: many departments, projects and indicators.

    python -m benchmarks.generate --departments 100 --projects 2000 --indicators 30000 -o out/county.xlsx
    python -m benchmarks.generate --scale 10 -o out/county-x10.xlsx --split out/departments-x10

--scale multiplies projects and indicators (not departments); --split also writes one workbook per
department into that folder (the inputs of `wbe merge`).

Projects and indicators are copies of the seed's, with new codes and varied amounts, so the workbook is
valid; the sizes are the issue's target (2,000 projects, 30,000 indicators).
"""

from __future__ import annotations

import argparse
import copy
from decimal import Decimal
from pathlib import Path

from workbook_engine.canonical_writer import write_book
from workbook_engine.importer import import_document
from workbook_engine.model import Book, Goal, Indicator, Project

SEED = Path(__file__).resolve().parent.parent / "samples" / "leting-2024-emergency.txt"
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def project_code(n: int, year: int = 2024) -> str:
    """A valid, unique 21-character project code for the n-th generated project."""
    tail = ""
    value = n
    for _ in range(12):
        value, rem = divmod(value, len(CODE_ALPHABET))
        tail = CODE_ALPHABET[rem] + tail
    return f"130225{year % 100:02d}P{tail}"


def county_book(departments: int = 100, projects: int = 2000, indicators: int = 30000) -> Book:
    """A valid county workbook of the given size, built from the seed's records."""
    seed = import_document(SEED)
    book = Book()
    per_dept = max(1, projects // departments)
    seed_indicators = {p.code: seed.indicators_of(p.code) for p in seed.projects}
    base_count, extra_total = divmod(indicators, projects)
    made = 0
    for d in range(departments):
        dept_code = f"{450001 + d:06d}"
        dept_name = f"第{d + 1}部门"
        for goal in seed.goals:
            book.goals.append(Goal(dept_code, dept_name, 2024, goal.category, goal.seq, goal.title, goal.content))
        count = per_dept if d < departments - 1 else projects - per_dept * (departments - 1)
        for seq in range(1, count + 1):
            template = seed.projects[made % len(seed.projects)]
            code = project_code(made)
            budget = Decimal(10 + (made * 37) % 500) + Decimal(made % 100) / 100
            book.projects.append(Project(
                dept_code, seq, code, f"{template.name}{made}", "", budget, budget, None, template.purpose,
                template.q1, template.q2, template.q3, template.q4, template.goal,
            ))
            wanted = base_count + (1 if made < extra_total else 0)
            source = seed_indicators[template.code]
            for n in range(wanted):
                ind = copy.copy(source[n % len(source)])
                suffix = "" if n < len(source) else f"（{n // len(source) + 1}）"
                book.indicators.append(Indicator(dept_code, code, n + 1, ind.level1, ind.level2,
                                                 ind.level3 + suffix, ind.description, ind.value, ind.basis))
            made += 1
    return book


def ensure_county_workbook(path: Path) -> Path:
    """The county workbook at ``path``, generated with the default sizes when it does not exist yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_book(county_book(), path)
    return path


def split_by_department(book: Book, folder: Path) -> list[Path]:
    """One canonical workbook per department of ``book`` in ``folder`` (named by 部门编码)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for department in book.departments():
        path = folder / f"{department.code}.xlsx"
        write_book(book.for_department(department.code), path)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--indicators", type=int, default=30000)
    parser.add_argument("--scale", type=int, default=1, help="multiply projects and indicators")
    parser.add_argument("-o", "--output", type=Path, default=Path("out/county.xlsx"))
    parser.add_argument("--split", type=Path, help="also write one workbook per department into this folder")
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    book = county_book(args.departments, args.projects * args.scale, args.indicators * args.scale)
    write_book(book, args.output)
    print(f"{args.output}: {len(book.departments())} departments, {len(book.projects)} projects, "
          f"{len(book.indicators)} indicators")
    if args.split is not None:
        paths = split_by_department(book, args.split)
        print(f"{args.split}/: {len(paths)} department workbooks")


if __name__ == "__main__":
    main()
