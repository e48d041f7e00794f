"""The validation engine: load, parse, pandera schemas, rules, extra checks; all findings in one pass.

It never stops at the first problem. Unreadable input raises an InputError (exit status 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd
import pandera.pandas as pa

from ..canonical_reader import LoadedWorkbook, load_workbook
from ..findings import Finding, Location, Report, finding
from ..model import Book, record_fields
from ..parsing import parse_book
from ..sheets import BY_KIND
from ..sheets.goals import CATEGORIES
from .rules import RULES, RuleContext
from .schemas import SCHEMAS

# Extra checks run after the rules (api.py plugs the review rules in here); each returns findings.
ExtraCheck = Callable[[Book, LoadedWorkbook], Iterable[Finding]]


class Checked:
    """The result of validating a file: the report, and the typed book for commands that go on."""

    def __init__(self, report: Report, book: Book, loaded: LoadedWorkbook):
        self.report = report
        self.book = book
        self.loaded = loaded


def validate(path: str | Path, *, extra_checks: Iterable[ExtraCheck] = ()) -> Report:
    """Validate a canonical workbook file and return all findings (the review rules are an extra check
    that api.py adds when asked: the validator does not know the review)."""
    return check(path, extra_checks=extra_checks).report


def check(path: str | Path, *, extra_checks: Iterable[ExtraCheck] = ()) -> Checked:
    """Load, parse and validate; keep the book so render/merge need not read the file twice."""
    return validate_loaded(load_workbook(path), extra_checks=extra_checks)


def validate_loaded(loaded: LoadedWorkbook, *, extra_checks: Iterable[ExtraCheck] = ()) -> Checked:
    report = Report(str(loaded.path))
    report.extend(loaded.findings)
    book, parse_findings = parse_book(loaded)
    report.extend(parse_findings)
    reported = {(f.sheet, f.row, f.column) for f in parse_findings}
    report.extend(schema_findings(book, loaded, reported))
    context = RuleContext(book, loaded)
    for rule in RULES:
        report.extend(rule(context))
    for extra in extra_checks:
        report.extend(extra(book, loaded))
    report.sort()
    return Checked(report, book, loaded)


def _frame(kind: str, records: list[Any]) -> pd.DataFrame:
    """A typed frame of one sheet's records, indexed by Excel row; blanks become missing values."""
    spec = BY_KIND[kind]
    index = [r.row for r in records]
    data: dict[str, pd.Series] = {}
    for field_name in record_fields(type(records[0])) if records else spec.fields:
        column = spec.column(field_name)
        values = [getattr(r, field_name) for r in records]
        if column.kind in ("money", "percent"):
            data[field_name] = pd.Series([float(v) if v is not None else None for v in values], index=index,
                                         dtype="float64")
        elif column.kind in ("int", "year"):
            data[field_name] = pd.Series(values, index=index, dtype="Int64")
        else:
            data[field_name] = pd.Series([v if isinstance(v, str) and v.strip() else None for v in values],
                                         index=index, dtype="str")
    return pd.DataFrame(data, index=index)


def _schema_code(kind: str, field_name: str, check: str) -> str | None:
    if check == "not_nullable":
        return "WBE-E010"
    if check.startswith("str_matches"):
        return "WBE-E017" if field_name == "dept_code" else "WBE-E018"
    if field_name == "year":
        return "WBE-E020"
    if field_name == "seq":
        return "WBE-E021"
    if field_name == "category":
        return "WBE-E022"
    if field_name == "level1":
        return "WBE-E023"
    if check == "cents":
        return "WBE-E013"
    if field_name in ("budget", "fiscal", "other"):
        return "WBE-E012"
    if field_name in ("q1", "q2", "q3", "q4"):
        return "WBE-E015"
    return None


def schema_findings(book: Book, loaded: LoadedWorkbook, reported: set) -> list[Finding]:
    """Run each sheet's pandera model lazily and turn its failure cases into cell findings."""
    findings: list[Finding] = []
    for kind, schema in SCHEMAS.items():
        table = loaded.table(kind)
        records = book.records(kind)
        if table is None or not records:
            continue
        frame = _frame(kind, records)
        frame = frame[[c for c in frame.columns if c in table.columns]]
        try:
            schema.validate(frame, lazy=True)
            continue
        except pa.errors.SchemaErrors as errors:
            cases = errors.failure_cases
        by_row = {r.row: r for r in records}
        for case in cases.itertuples(index=False):
            field_name, check, row = case.column, str(case.check), case.index
            code = _schema_code(kind, field_name, check)
            if code is None or row is None or (isinstance(row, float) and row != row):
                continue
            row = int(row)
            header = table.spec.header_of(field_name)
            if (table.sheet_name, row, header) in reported:
                continue
            record = by_row.get(row)
            value = getattr(record, field_name, None) if record is not None else None
            if field_name in ("q1", "q2", "q3", "q4") and value is not None:
                value = float(value) / 100
            elif hasattr(value, "as_tuple"):
                value = float(value)
            if code == "WBE-E010":
                value = None if value in ("", None) else value
            shown = case.failure_case if code not in ("WBE-E010",) else None
            if code == "WBE-E015":
                shown = f"{case.failure_case:g}"
            at = Location.at(table.sheet_name, row, table.columns.get(field_name), header)
            findings.append(finding(code, at, value, header=header, text="" if shown is None else str(shown),
                                    choices="、".join(CATEGORIES)))
    return findings
