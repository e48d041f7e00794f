"""The validation engine: load, parse, pandera schemas, rules, extra checks; all findings in one pass.

It never stops at the first problem. Unreadable input raises an InputError (exit status 2).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from ..canonical_reader import LoadedWorkbook, load_workbook
from ..findings import Finding, Location, Report, finding
from ..io.parallel import map_in_order
from ..model import Book, record_fields
from ..parsing import parse_book
from ..sheets import BY_KIND
from ..sheets.goals import CATEGORIES
from .pandera_import import pa
from .rules import RULES, RuleContext
from .schemas import CODES_KEY, MISSING, SCHEMAS
from .year_rules import year_findings
from .year_schemas import YEAR_SCHEMAS

GENERIC_SCHEMA_CODE = "WBE-E099"  # a failed schema check whose field declared no code for it

# Extra checks run after the rules (api.py plugs the review rules in here); each returns findings.
ExtraCheck = Callable[[Book, LoadedWorkbook], Iterable[Finding]]


class Checked:
    """The result of validating a file: the report, and the typed book for commands that go on."""

    def __init__(self, report: Report, book: Book, loaded: LoadedWorkbook, review: Any = None):
        self.report = report
        self.book = book
        self.loaded = loaded
        self.review = review  # review.ReviewResult when api.check reviewed (typed Any: the validator does not know the review)

    def location(self, kind: str, record: Any, field_name: str | None = None, *, extra: bool = False,
                 file: str | None = None) -> Location:
        """Where a record of this file (or one of its fields, canonical or ``extra`` column) sits: sheet,
        cell, row and header; merge conflicts and diff changes name their cells with it."""
        table = self.loaded.table(kind)
        if table is None:
            return Location(file)
        if field_name is None:
            col, header = (min(table.columns.values()) if table.columns else None), None
        elif extra:
            col, header = table.extra_columns.get(field_name), field_name
        else:
            col, header = table.columns.get(field_name), table.spec.header_of(field_name)
        return Location.at(table.sheet_name, record.row, col, header, file=file)


def validate(path: str | Path, *, extra_checks: Iterable[ExtraCheck] = ()) -> Report:
    """Validate a canonical workbook file and return all findings (the review rules are an extra check
    that api.py adds when asked: the validator does not know the review)."""
    return check(path, extra_checks=extra_checks).report


def check(path: str | os.PathLike[str], *, extra_checks: Iterable[ExtraCheck] = ()) -> Checked:
    """Load, parse and validate; keep the book so render/merge need not read the file twice."""
    return validate_loaded(load_workbook(path), extra_checks=extra_checks)


def check_many(paths: Sequence[str | Path], *, extra_checks: Iterable[ExtraCheck] = (),
               on_read: Callable[[int, str | Path], None] | None = None) -> list[Checked]:
    """check() of several files (merge's inputs), their schemas checked in one pandera pass.

    pandera costs about 50 ms per validation whatever the size of the frame (merge of 100 department
    workbooks: 5 of its 7 s of reading); one pass over all the files' rows costs that once. Reading and
    parsing a file needs no other file, so with cores to spare worker processes read the later files while
    this one reads the first (io/parallel.py); results, findings and the error of the first unreadable file
    are those of reading them one by one. ``on_read`` is called after each file, in order, with its index and
    path.
    """
    paths = list(paths)
    parsed = map_in_order(_read_and_parse, paths, share_here=SHARE_HERE,
                          on_result=None if on_read is None else lambda number, _: on_read(number, paths[number]))
    schema = schema_findings_many([(book, loaded, _reported(found)) for loaded, book, found in parsed])
    extra_checks = tuple(extra_checks)
    return [_finish(loaded, book, found, schema_found, extra_checks)
            for (loaded, book, found), schema_found in zip(parsed, schema)]


SHARE_HERE = 0.8  # of an even share: this process also receives the workers' results (a third of a read each)


def _read_and_parse(path: str | Path) -> tuple[LoadedWorkbook, Book, list[Finding]]:
    """One file read and parsed, without its raw cells (no longer needed once parsed: less to send back
    from a worker, less to keep)."""
    loaded = load_workbook(path)
    book, found = parse_book(loaded)
    loaded.grids = {}
    for table in loaded.tables.values():
        if table is not None:
            table.rows = []
    return loaded, book, found


def _reported(parse_findings: list[Finding]) -> set:
    return {(f.sheet, f.row, f.column) for f in parse_findings}


def validate_loaded(loaded: LoadedWorkbook, *, extra_checks: Iterable[ExtraCheck] = ()) -> Checked:
    book, parse_findings = parse_book(loaded)
    return _finish(loaded, book, parse_findings, schema_findings(book, loaded, _reported(parse_findings)),
                   extra_checks)


def _finish(loaded: LoadedWorkbook, book: Book, parse_findings: list[Finding], schema_found: list[Finding],
            extra_checks: Iterable[ExtraCheck]) -> Checked:
    """The report of one file: reader, parser and schema findings, then the rules and extra checks."""
    report = Report(str(loaded.path))
    report.extend(loaded.findings)
    report.extend(parse_findings)
    report.extend(schema_found)
    context = RuleContext(book, loaded)
    for rule in RULES:
        report.extend(rule(context))
    report.extend(year_findings(context))  # the budget year's sheets (issue 22), when the book has them
    for extra in extra_checks:
        report.extend(extra(book, loaded))
    report.sort()
    return Checked(report, book, loaded)


def _frame(kind: str, records: list[Any]) -> pd.DataFrame:
    """A typed frame of one sheet's records, indexed by Excel row; blanks become missing values."""
    spec = BY_KIND[kind]
    index = pd.Index([r.row for r in records])  # one Index object for every column: no alignment to check
    data: dict[str, pd.Series] = {}
    for field_name in record_fields(type(records[0])) if records else spec.fields:
        column = spec.column(field_name)
        values = [getattr(r, field_name) for r in records]
        if column.kind in ("money", "percent", "number"):
            data[field_name] = pd.Series([float(v) if v is not None else None for v in values], index=index,
                                         dtype="float64")
        elif column.kind in ("int", "year"):
            data[field_name] = pd.Series(values, index=index, dtype="Int64")
        else:
            data[field_name] = pd.Series([v if isinstance(v, str) and v.strip() else None for v in values],
                                         index=index, dtype="str")
    return pd.DataFrame(data, index=index)


@functools.cache
def schema_codes(kind: str) -> dict[str, dict[str, str]]:
    """The codes the ``kind`` schema's fields declared (schemas.coded): field -> check name -> code."""
    columns = {**SCHEMAS, **YEAR_SCHEMAS}[kind].to_schema().columns
    return {name: dict((column.metadata or {}).get(CODES_KEY, {})) for name, column in columns.items()}


def _schema_code(kind: str, field_name: str, check: str) -> str:
    """The code of a failure case: the one its field declared for the check, else the generic WBE-E099."""
    name = check.split("(", 1)[0]
    if name == "not_nullable":
        return MISSING
    return schema_codes(kind).get(field_name, {}).get(name, GENERIC_SCHEMA_CODE)


def schema_findings(book: Book, loaded: LoadedWorkbook, reported: set) -> list[Finding]:
    """Run each sheet's pandera model lazily and turn its failure cases into cell findings."""
    return schema_findings_many([(book, loaded, reported)])[0]


def schema_findings_many(items: Sequence[tuple[Book, LoadedWorkbook, set]]) -> list[list[Finding]]:
    """schema_findings of several books (one list each), with one lazy pandera pass per sheet kind and set of
    columns: the rows of all books are checked in one frame and each failure case goes back to its book."""
    found: list[list[Finding]] = [[] for _ in items]
    for kind, schema in (*SCHEMAS.items(), *YEAR_SCHEMAS.items()):
        groups: dict[tuple[str, ...], list[int]] = {}
        frames: dict[int, pd.DataFrame] = {}
        for number, (book, loaded, _reported_cells) in enumerate(items):
            table = loaded.table(kind)
            records = book.records(kind)
            if table is None or not records:
                continue
            frame = _frame(kind, records)
            frame = frame[[c for c in frame.columns if c in table.columns]]
            frames[number] = frame
            groups.setdefault(tuple(frame.columns), []).append(number)
        for numbers in groups.values():
            # One frame for the group; a row's book is found again by its position in it.
            owners = [n for n in numbers for _ in range(len(frames[n]))]
            rows = [row for n in numbers for row in frames[n].index]
            whole = pd.concat([frames[n] for n in numbers], ignore_index=True) if len(numbers) > 1 \
                else frames[numbers[0]].reset_index(drop=True)
            try:
                schema.validate(whole, lazy=True)
                continue
            except pa.errors.SchemaErrors as errors:
                cases = errors.failure_cases
            by_owner: dict[int, list[tuple[Any, int]]] = {}
            for case in cases.itertuples(index=False):
                position = case.index
                if position is None or pd.isna(position):
                    continue
                owner = owners[int(position)]
                by_owner.setdefault(owner, []).append((case, rows[int(position)]))
            for owner, owned in by_owner.items():
                book, loaded, reported = items[owner]
                found[owner].extend(_case_findings(kind, owned, book, loaded, reported))
    return found


def _case_findings(kind: str, cases: list[tuple[Any, int]], book: Book, loaded: LoadedWorkbook,
                   reported: set) -> list[Finding]:
    """Cell findings of one book's pandera failure cases (each with its Excel row)."""
    findings: list[Finding] = []
    table = loaded.table(kind)
    if table is None:  # only sheets that were read have frames, hence failure cases
        return findings
    records = book.records(kind)
    by_row = {r.row: r for r in records}
    for case, row in cases:
        field_name, check = case.column, str(case.check)
        code = _schema_code(kind, field_name, check)
        row = int(row)
        header = table.spec.header_of(field_name)
        if (table.sheet_name, row, header) in reported:
            continue
        record = by_row.get(row)
        value = getattr(record, field_name, None) if record is not None else None
        if field_name in ("q1", "q2", "q3", "q4") and value is not None:
            value = float(value) / 100
        elif isinstance(value, Decimal):
            value = float(value)
        if code == "WBE-E010":
            value = None if value in ("", None) else value
        shown = case.failure_case if code not in ("WBE-E010",) else None
        if code == "WBE-E015":
            shown = f"{case.failure_case:g}"
        at = Location.at(table.sheet_name, row, table.columns.get(field_name), header)
        findings.append(finding(code, at, value, header=header, text="" if shown is None else str(shown),
                                choices="、".join(CATEGORIES), check=check))
    return findings
