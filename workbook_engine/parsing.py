"""From raw cell values to typed records: text, codes, integers, money and the spending plan.

Values that cannot be understood are reported (with their cell) and left as None in the record; nothing
here raises on user input. The same conversion serves the validator and every command that needs a Book.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from .canonical_reader import LoadedWorkbook, SheetTable
from .findings import Finding, Location, finding
from .model import RECORD_TYPES, YEAR_KINDS, Book, Goal, Indicator, Project, record_fields
from .sheets.projects import PLAN_FIELDS
from .values import (
    ParsedPercent,
    as_text,
    fold,
    is_blank,
    parse_number,
    parse_percent_cell,
    resolve_plan,
    unreadable_number,
)

_INT_RE = re.compile(r"^[+-]?\d+(?:\.0+)?$")


def parse_code(value: Any) -> str:
    """An identifier cell as text: full-width folded, spaces removed, 450001.0 -> "450001"."""
    if isinstance(value, str) and value.isascii() and value.isalnum():
        return value.upper()  # the common case, without Unicode folding
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "".join(fold(as_text(value)).split()).upper()


MAX_INT = 2**31 - 1


def parse_int(value: Any) -> int | None:
    """An integer cell (序号, 年度) or None; 3.0 and "３" are accepted, 3.5 and "三" are not."""
    if is_blank(value) or isinstance(value, bool):
        return None
    number: int | None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    else:
        text = "".join(fold(str(value)).split())
        number = int(float(text)) if _INT_RE.match(text) else None
    # 序号 and 年度 are small; a 20-digit "integer" is a typing accident, and would overflow the int64
    # frames the schemas check (found by tests/test_properties.py).
    return number if number is not None and abs(number) <= MAX_INT else None


def parse_text(value: Any) -> str:
    """Text as typed; numbers shown the way Excel shows them (12.0 -> "12")."""
    if isinstance(value, str):
        return value
    return as_text(value)


class TableParser:
    """Converts one SheetTable's rows to records, collecting findings about cells it cannot read."""

    def __init__(self, table: SheetTable, findings: list[Finding]):
        self.table = table
        self.findings = findings

    def note(self, code: str, field_name: str, row: int, value: Any, /, variant: str | None = None,
             **fields: Any) -> None:
        header = self.table.spec.column(field_name).header
        at = Location.at(self.table.sheet_name, row, self.table.columns.get(field_name), header)
        self.findings.append(finding(code, at, value, variant=variant, header=header, **fields))

    def text(self, raw: dict[str, Any], field_name: str) -> str:
        return parse_text(raw.get(field_name, ""))

    def code(self, raw: dict[str, Any], field_name: str) -> str:
        return parse_code(raw.get(field_name, ""))

    def integer(self, raw: dict[str, Any], field_name: str, row: int, bad_code: str) -> int | None:
        value = raw.get(field_name, "")
        number = parse_int(value)
        if number is None and not is_blank(value):
            self.note(bad_code, field_name, row, value, "not_integer", text=as_text(value))
        return number

    def money(self, raw: dict[str, Any], field_name: str, row: int) -> Decimal | None:
        value = raw.get(field_name, "")
        parsed = parse_number(value, self.table.date1904)
        if parsed.error:  # a number formatted as a date is refused, but its number kept (not blanked)
            variant, fields = unreadable_number(parsed)
            self.note("WBE-E011", field_name, row, value, variant, text=as_text(value), **fields)
            return parsed.value
        if parsed.from_text and parsed.value is not None:
            self.note("WBE-W025", field_name, row, value, text=as_text(value), number=parsed.value)
        return parsed.value

    def plan(self, raw: dict[str, Any], row: int) -> list[Decimal | None]:
        cells: list[ParsedPercent] = [parse_percent_cell(raw.get(f, ""), self.table.date1904) for f in PLAN_FIELDS]
        for field_name, cell in zip(PLAN_FIELDS, cells):
            if cell.style == "invalid" or (cell.style == "date" and cell.points is None):
                self.note("WBE-E014", field_name, row, cell.raw, text=as_text(cell.raw))
            elif cell.style == "date":
                self.note("WBE-E014", field_name, row, cell.raw, "date", text=as_text(cell.raw),
                          number=_number_text(cell.points))
        points, ambiguous = resolve_plan(cells)
        if ambiguous:
            fractions = [c.points * 100 if c.style in ("number", "date") and c.points is not None else c.points for c in cells]
            as_points = [c.points for c in cells]
            self.note("WBE-E048", PLAN_FIELDS[0], row, cells[0].raw, cells="、".join(as_text(c.raw) for c in cells),
                      fractions=_plan_text(fractions), points=_plan_text(as_points))
        return points


def _number_text(number: Decimal | None) -> str:
    return "" if number is None else format(number.normalize(), "f")


def _plan_text(points: list[Decimal | None]) -> str:
    return "、".join("空" if p is None else format(p.normalize(), "f") + "%" for p in points)


def parse_book(loaded: LoadedWorkbook) -> tuple[Book, list[Finding]]:
    """Typed records for the whole workbook, plus findings about unreadable cells."""
    findings: list[Finding] = []
    book = Book()
    goals = loaded.table("goals")
    if goals is not None:
        parser = TableParser(goals, findings)
        for raw_row in goals.rows:
            raw, row = raw_row.values, raw_row.row
            book.goals.append(Goal(
                dept_code=parser.code(raw, "dept_code"),
                dept_name=parser.text(raw, "dept_name"),
                year=parser.integer(raw, "year", row, "WBE-E020"),
                category="".join(parser.text(raw, "category").split()),
                seq=parser.integer(raw, "seq", row, "WBE-E021"),
                title=parser.text(raw, "title"),
                content=parser.text(raw, "content"),
                row=row, extra=raw_row.extras,
            ))
    projects = loaded.table("projects")
    if projects is not None:
        parser = TableParser(projects, findings)
        for raw_row in projects.rows:
            raw, row = raw_row.values, raw_row.row
            q1, q2, q3, q4 = parser.plan(raw, row)
            book.projects.append(Project(
                dept_code=parser.code(raw, "dept_code"),
                seq=parser.integer(raw, "seq", row, "WBE-E021"),
                code=parser.code(raw, "code"),
                name=parser.text(raw, "name"),
                table_title=parser.text(raw, "table_title"),
                budget=parser.money(raw, "budget", row),
                fiscal=parser.money(raw, "fiscal", row),
                other=parser.money(raw, "other", row),
                purpose=parser.text(raw, "purpose"),
                q1=q1, q2=q2, q3=q3, q4=q4,
                goal=parser.text(raw, "goal"),
                row=row, extra=raw_row.extras,
            ))
    indicators = loaded.table("indicators")
    if indicators is not None:
        parser = TableParser(indicators, findings)
        for raw_row in indicators.rows:
            raw, row = raw_row.values, raw_row.row
            book.indicators.append(Indicator(
                dept_code=parser.code(raw, "dept_code"),
                project_code=parser.code(raw, "project_code"),
                seq=parser.integer(raw, "seq", row, "WBE-E021"),
                level1=parser.text(raw, "level1"),
                level2=parser.text(raw, "level2"),
                level3=parser.text(raw, "level3"),
                description=parser.text(raw, "description"),
                value=parser.text(raw, "value"),
                basis=parser.text(raw, "basis"),
                row=row, extra=raw_row.extras,
            ))
    for kind in YEAR_KINDS:
        table = loaded.table(kind)
        if table is not None:
            book.records(kind).extend(parse_generic(kind, table, findings))
    return book, findings


def parse_generic(kind: str, table: SheetTable, findings: list[Finding]) -> list[Any]:
    """The records of a sheet whose columns are text, codes and numbers only (the budget year's sheets)."""
    parser = TableParser(table, findings)
    record_type = RECORD_TYPES[kind]
    names = record_fields(record_type)
    records: list[Any] = []
    for raw_row in table.rows:
        raw, row = raw_row.values, raw_row.row
        values: dict[str, Any] = {}
        for name in names:
            column_kind = table.spec.column(name).kind
            if column_kind in ("money", "number"):
                values[name] = parser.money(raw, name, row)
            elif column_kind == "code":
                values[name] = parser.code(raw, name)
            elif column_kind in ("int", "year"):
                values[name] = parser.integer(raw, name, row, "WBE-E021")
            else:
                values[name] = parser.text(raw, name)
        records.append(record_type(**values, row=row, extra=raw_row.extras))
    return records
