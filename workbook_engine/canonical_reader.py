"""Finding the canonical tables in a workbook: sheets by name, headers by text, data rows by position.

This layer knows sheet and header conventions but no business rules; it records where every value came
from so that findings can name the cell. Structure problems (missing sheet or header, duplicates, extra
columns) are reported here as findings, never as exceptions.
"""

from __future__ import annotations

import datetime as dt
import operator
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .a1 import cell_name
from .findings import Finding, Location, finding
from .io.calamine_reader import CalamineWorkbook, SheetGrid
from .io.cell_text import all_storable, text_problem
from .io.guard import Inspection
from .io.sheet_scan import SheetScan
from .sheets import SPECS, UNPLACED_SHEET, SheetSpec, spec_for_sheet_name
from .shown_values import number_formats, shown_text
from .values import as_text, is_blank

HEADER_SEARCH_ROWS = 10


@dataclass
class RawRow:
    """One data row: Excel row number, raw values by field, and extra (non-canonical) columns by header."""

    row: int
    values: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class SheetTable:
    spec: SheetSpec
    sheet_name: str
    header_row: int
    columns: dict[str, int]  # field -> 0-based column
    extra_columns: dict[str, int]  # header text -> 0-based column
    rows: list[RawRow]
    date1904: bool = False  # the workbook's date system, for a number shown as a date (values.stored_number)

    def cell(self, field_name: str, row: int) -> str | None:
        col = self.columns.get(field_name)
        return cell_name(row, col) if col is not None else None


@dataclass
class LoadedWorkbook:
    """The canonical tables of one file plus the structure findings met while finding them."""

    path: Path
    sheet_names: list[str]
    tables: dict[str, SheetTable | None]
    findings: list[Finding]
    grids: dict[str, SheetGrid] = field(default_factory=dict, repr=False)

    def table(self, kind: str) -> SheetTable | None:
        return self.tables.get(kind)


def load_workbook(path: str | os.PathLike[str]) -> LoadedWorkbook:
    """Open a canonical workbook (calamine) and locate its tables (an optional sheet may be absent)."""
    with CalamineWorkbook(path) as book:
        findings: list[Finding] = []
        tables: dict[str, SheetTable | None] = {}
        grids: dict[str, SheetGrid] = {}
        by_spec: dict[str, str] = {}
        if book.has_macros:
            findings.append(finding("WBE-W027"))
        if book.inspection.legacy:
            findings.append(finding("WBE-W028", kind=book.inspection.legacy))
        for name in book.sheet_names:
            spec = spec_for_sheet_name(name)
            if spec is not None and spec.kind not in by_spec:
                by_spec[spec.kind] = name
            elif name == UNPLACED_SHEET:  # what `wbe import --force` could not place: not read, but not forgotten
                findings.append(finding("WBE-W305", Location(sheet=name), name=name))
        for spec in SPECS:
            found = by_spec.get(spec.kind)
            if found is None:
                if spec.optional:  # the budget year's sheets: a book without them is complete
                    continue
                findings.append(finding("WBE-E001", name=spec.name, alias=spec.alias, headers="、".join(spec.headers)))
                tables[spec.kind] = None
                continue
            name = found
            grid = book.grid(name)
            grids[name] = grid
            if not grid.visible:
                findings.append(finding("WBE-W009", Location(sheet=name), name=name))
            table = tables[spec.kind] = read_table(spec, grid, findings)
            findings.extend(read_as_shown(table, book.inspection))
            findings.extend(scan_findings(table, book.scan(name)))
        sheet_names = list(book.sheet_names)
    return LoadedWorkbook(Path(path), sheet_names, tables, findings, grids)


def read_as_shown(table: SheetTable, inspection: Inspection) -> list[Finding]:
    """Numbers and dates in text columns become the text Excel showed (0.9 with 0% -> "90%"), each with a
    warning naming the cell: Excel converted what was typed, and the engine must not print 0.9 for 90%."""
    text_fields = [c.field for c in table.spec.columns if c.kind == "text" and c.field in table.columns]
    wanted: dict[tuple[int, int], tuple[RawRow, str]] = {}
    for raw_row in table.rows:
        values = raw_row.values
        for field_name in text_fields:
            value = values.get(field_name)
            if value.__class__ is not str and isinstance(value, (int, float, dt.date, dt.time)) \
                    and not isinstance(value, bool):
                wanted[(raw_row.row, table.columns[field_name])] = (raw_row, field_name)
    if not wanted:
        return []
    try:
        formats = number_formats(inspection, table.sheet_name, set(wanted))
    except Exception:  # styles unreadable: the plain values stand (the guard has vetted the file itself)
        formats = {}
    found: list[Finding] = []
    for (row, col), (raw_row, field_name) in wanted.items():
        value = raw_row.values[field_name]
        shown = shown_text(value, formats.get((row, col)))
        if shown == as_text(value):
            continue
        raw_row.values[field_name] = shown
        header = table.spec.header_of(field_name)
        stored = value.isoformat() if isinstance(value, (dt.date, dt.time)) else as_text(value)
        kind = "日期" if isinstance(value, (dt.date, dt.time)) else "数字"
        found.append(finding("WBE-W047", Location.at(table.sheet_name, row, col, header), value,
                             cell=cell_name(row, col), header=header, kind=kind, stored=stored, shown=shown))
    return found


def scan_findings(table: SheetTable, scan: SheetScan) -> list[Finding]:
    """Findings about formula cells and hidden rows/columns of one canonical sheet (io/sheet_scan.py)."""
    found: list[Finding] = []
    sheet = table.sheet_name
    headers = {col: table.spec.column(f).header for f, col in table.columns.items()}
    headers.update({col: text for text, col in table.extra_columns.items()})
    by_column: dict[int, list[int]] = {}
    for (row, col), cached in sorted(scan.formulas.items(), key=lambda item: (item[0][1], item[0][0])):
        by_column.setdefault(col, []).append(row)
        if not cached and row >= table.header_row and col in table.columns.values():
            found.append(finding("WBE-W026", Location.at(sheet, row, col, headers.get(col)),
                                 cell=cell_name(row, col)))
    for col, rows in by_column.items():
        found.append(finding("WBE-W007", Location.at(sheet, rows[0], col, headers.get(col)),
                             variant=None if col in headers else "unlabelled", header=headers.get(col),
                             count=len(rows), first=cell_name(rows[0], col)))
    data_rows = sorted(r.row for r in table.rows)
    for first, last in scan.hidden_rows:
        hidden = [r for r in data_rows if first <= r <= last]
        for start, end in _runs(hidden):
            found.append(finding("WBE-W009", Location.at(sheet, start, 0), variant="row" if start == end else "rows",
                                 first=start, last=end))
    for first, last in scan.hidden_cols:
        for col in sorted(c for c in headers if first <= c <= last):
            found.append(finding("WBE-W009", Location.at(sheet, table.header_row, col, headers[col]),
                                 variant="column", header=headers[col]))
    return found


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted integers: [2, 3, 4, 7] -> [(2, 4), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def find_header_row(spec: SheetSpec, grid: SheetGrid) -> tuple[int, int]:
    """(1-based header row, number of headers matched) among the first rows; (1, 0) when none match."""
    best_row, best_hits = 1, 0
    every = len(spec.columns)
    for index, line in enumerate(grid.rows[:HEADER_SEARCH_ROWS]):
        hits = len({c.field for c in (spec.match_header(as_text(v)) for v in line if not is_blank(v)) if c})
        if hits > best_hits:
            best_row, best_hits = index + 1, hits
            if hits == every:  # no later row can do better (the first best row wins)
                break
    return best_row, best_hits


def unmerge(grid: SheetGrid, findings: list[Finding]) -> None:
    """Give every cell of a merged range the range's value: in a canonical sheet a merge means 'same value'."""
    for first_row, first_col, last_row, last_col in grid.merged or []:
        if first_row >= len(grid.rows):
            continue
        line = grid.rows[first_row]
        value = line[first_col] if first_col < len(line) else ""
        for r in range(first_row, min(last_row, len(grid.rows) - 1) + 1):
            row = grid.rows[r]
            if len(row) <= last_col:
                row.extend([""] * (last_col + 1 - len(row)))
            for c in range(first_col, last_col + 1):
                row[c] = value
        findings.append(finding("WBE-W008", Location.at(grid.name, first_row + 1, first_col), value,
                                start=cell_name(first_row + 1, first_col), end=cell_name(last_row + 1, last_col)))
    grid.merged = []


def map_headers(spec: SheetSpec, sheet: str, header_row: int, header_line: list[Any],
                findings: list[Finding]) -> tuple[dict[str, int], dict[str, int]]:
    """Columns of the canonical fields and of extra headers; missing, renamed and duplicate headers reported.

    A renamed header (an unknown text where a missing column was expected) is named with its cell, and its
    column is kept as an extra column so that its data is not lost.
    """
    columns: dict[str, int] = {}
    extra_columns: dict[str, int] = {}
    unmatched: dict[int, str] = {}
    for col, raw in enumerate(header_line):
        text = as_text(raw).strip()
        if not text:
            continue
        column = spec.match_header(text)
        if column is None:
            unmatched[col] = text
        elif column.field in columns:
            findings.append(finding("WBE-E003", Location.at(sheet, header_row, col, column.header), text,
                                    header=column.header, first=cell_name(header_row, columns[column.field])))
            extra_columns[f"{text}（重复）"] = col
        else:
            columns[column.field] = col
    last_used = max([*columns.values(), *unmatched.keys(), -1])
    for position, column in enumerate(spec.columns):
        if column.field in columns:
            continue
        if position in unmatched:
            col, found_text = position, unmatched.pop(position)
            extra_columns[found_text] = col
            findings.append(finding("WBE-E002", Location.at(sheet, header_row, col, column.header), found_text,
                                    variant="renamed", position=position + 1, found=found_text,
                                    header=column.header))
        else:
            last_used += 1
            findings.append(finding("WBE-E002", Location.at(sheet, header_row, last_used, column.header),
                                    header=column.header, note=column.note))
    for col, text in unmatched.items():
        extra_columns[text] = col
        findings.append(finding("WBE-W004", Location.at(sheet, header_row, col, text), text, header=text))
    return columns, extra_columns


def _unstorable_text(spec: SheetSpec, sheet: str, row: int, values: dict[str, Any], columns: dict[str, int],
                     extras: dict[str, Any], extra_columns: dict[str, int], findings: list[Finding]) -> None:
    """Text Excel or Word cannot hold as it is, named at its cell (io/cell_text.py): render and publish
    never cut or drop characters without a word."""
    cells = [(spec.header_of(f), columns[f], v) for f, v in values.items() if isinstance(v, str)]
    cells += [(h, extra_columns[h], v) for h, v in extras.items() if isinstance(v, str)]
    for header, col, value in cells:
        problem = text_problem(value)
        if problem is not None:
            code, fields = problem
            findings.append(finding(code, Location.at(sheet, row, col, header), value[:200],
                                    variant=fields.pop("variant", None), header=header, **fields))


def read_table(spec: SheetSpec, grid: SheetGrid, findings: list[Finding]) -> SheetTable:
    """Map headers to fields and collect the non-blank data rows of one canonical sheet."""
    sheet = grid.name
    unmerge(grid, findings)
    header_row, hits = find_header_row(spec, grid)
    header_line = grid.rows[header_row - 1] if header_row - 1 < len(grid.rows) else []
    if hits and header_row != 1:
        findings.append(finding("WBE-W006", Location.at(sheet, header_row, 0), header_row=header_row))
    columns, extra_columns = map_headers(spec, sheet, header_row, header_line, findings)
    rows: list[RawRow] = []
    used_cols = set(columns.values()) | set(extra_columns.values())
    # Columns without a header whose data is not reported yet (each is reported once, at its first value).
    unlabelled = [c for c in range(max((len(line) for line in grid.rows), default=0)) if c not in used_cols]
    fields, field_cols = list(columns), list(columns.values())
    headers, header_cols = list(extra_columns), list(extra_columns.values())
    # Rows as wide as the sheet (calamine pads every row) are picked by itemgetter, in C.
    pick_fields = operator.itemgetter(*field_cols) if len(field_cols) > 1 else None
    widest = max([*field_cols, *header_cols, -1])
    # Nearly every sheet's text can be stored as it is: then no cell needs its own check.
    check_text = not all_storable([v for line in grid.rows for v in line if v.__class__ is str])
    for index in range(header_row, len(grid.rows)):
        line = grid.rows[index]
        excel_row = index + 1
        size = len(line)
        if unlabelled:
            for col in [c for c in unlabelled if c < size and not is_blank(line[c])]:
                unlabelled.remove(col)
                findings.append(finding("WBE-W004", Location.at(sheet, excel_row, col), line[col],
                                        variant="unlabelled"))
        if pick_fields is not None and size > widest:
            values = dict(zip(fields, pick_fields(line)))
            extras = {h: line[c] for h, c in zip(headers, header_cols)}
        else:
            values = {f: (line[c] if c < size else "") for f, c in zip(fields, field_cols)}
            extras = {h: (line[c] if c < size else "") for h, c in zip(headers, header_cols)}
        if all(is_blank(v) for v in values.values()) and all(is_blank(v) for v in extras.values()):
            continue
        if check_text:
            _unstorable_text(spec, sheet, excel_row, values, columns, extras, extra_columns, findings)
        rows.append(RawRow(excel_row, values, {h: v for h, v in extras.items() if not is_blank(v)}))
    if not rows and hits and not spec.optional:  # an empty budget-year sheet waits for its month
        findings.append(finding("WBE-W005", Location(sheet=sheet), name=sheet))
    return SheetTable(spec, sheet, header_row, columns, extra_columns, rows, grid.date1904)
