"""Checking the merged workbook before it replaces the output: it reads back as planned and it is valid.

The file is our own, just written by xlsxwriter to a private temporary path, so the hostile-input guard
(zip bombs, XML attacks) and the formula / hidden-cell scan have nothing to find in it: the writer writes
no formulas (strings_to_formulas is off), hides no canonical row, column or sheet, and writes every text
column as a string. What can go wrong is the content: a value that does not read back as planned, or the
merged content breaking a rule. So the three canonical sheets are read back with calamine and go through
the validator's own reader, parser, schemas and rules (the findings ``wbe validate`` of the output would
give), and the book read back is compared with the planned one record by record, extra columns included.
See docs/decisions.md 15.14.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import python_calamine

from ..canonical_reader import LoadedWorkbook, SheetTable, read_table
from ..describe import record_label
from ..errors import OutputError
from ..findings import Finding
from ..io import guard
from ..io.calamine_reader import SheetGrid
from ..model import Book
from ..sheets import SPECS
from ..validation import Checked, validate_loaded
from ..values import is_blank


def read_written(path: Path, shown_as: Path | None = None) -> LoadedWorkbook:
    """The canonical tables of a workbook write_book has just written (its sheets carry the canonical
    names), read as load_workbook reads them but without the guard's scan of the file's XML; messages
    name ``shown_as`` (the output the temporary file will become)."""
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        findings: list[Finding] = []
        tables: dict[str, SheetTable | None] = {}
        grids = {}
        for spec in SPECS:
            if spec.optional and spec.name not in workbook.sheet_names:
                tables[spec.kind] = None  # a budget-year sheet the merged book has no rows for
                continue
            rows = workbook.get_sheet_by_name(spec.name).to_python(skip_empty_area=False)
            grid = SheetGrid(spec.name, rows, True, [])
            grids[spec.name] = grid
            tables[spec.kind] = read_table(spec, grid, findings)
        sheet_names = list(workbook.sheet_names)
    finally:
        workbook.close()
    _within_limits(shown_as or path, grids)
    return LoadedWorkbook(path, sheet_names, tables, findings, grids)


def _within_limits(path: Path, grids: dict[str, SheetGrid]) -> None:
    """The output must stay readable by the engine: within the guard's limits on cells and sheet area."""
    values = 0
    area = 0
    for grid in grids.values():
        width = max((len(line) for line in grid.rows), default=0)
        area += width * len(grid.rows)
        values += sum(len(line) - line.count("") for line in grid.rows)
        if width * len(grid.rows) > guard.MAX_SHEET_AREA:
            raise OutputError(f"{path}：工作表“{grid.name}”有 {len(grid.rows)} 行 {width} 列，超过本工具能读取的上限，"
                              "写出后将无法再校验或合并。请分几次、按部门分批合并。")
    if values > guard.MAX_VALUE_CELLS or area > guard.MAX_TOTAL_AREA:
        raise OutputError(f"{path}：合并结果有 {values} 个有值的单元格，超过本工具能读取的上限 {guard.MAX_VALUE_CELLS} 个，"
                          "写出后将无法再校验或合并。请分几次、按部门分批合并。")


def check_written(path: Path, planned: Book, shown_as: Path | None = None) -> Checked:
    """Validate the written file and make sure it holds exactly ``planned`` (OutputError if not)."""
    checked = validate_loaded(read_written(path, shown_as))
    for spec in SPECS:
        records = planned.records(spec.kind)
        mismatch = _first_difference(records, checked.book.records(spec.kind))
        if mismatch is not None:
            what = f"（{record_label(spec.kind, records[mismatch])}）" if mismatch < len(records) else ""
            raise OutputError(f"{shown_as or path}：合并结果读回后与合并内容不一致：工作表“{spec.name}”第 {mismatch + 2} 行{what}，"
                              "未写出。这是本工具的错误，请把输入文件发给维护人员。")
    return checked


def _first_difference(planned: list[Any], read: list[Any]) -> int | None:
    """Index of the first record that differs (content fields, then extra columns), or None."""
    if planned == read:
        return next((i for i, (a, b) in enumerate(zip(planned, read)) if not _same_extras(a.extra, b.extra)), None)
    for index, (a, b) in enumerate(zip(planned, read)):
        if a != b:
            return index
    return min(len(planned), len(read))


def _same_extras(planned: dict[str, Any], read: dict[str, Any]) -> bool:
    """Extra columns as write_book writes them (numbers as numbers, anything else as its text) and the
    reader keeps them (blank cells left out)."""
    kept = {h: v for h, v in planned.items() if not is_blank(v)}
    if kept.keys() != read.keys():
        return False
    for header, value in kept.items():
        back = read[header]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not isinstance(back, (int, float)) or not (back == value or (math.isnan(value) and math.isnan(back))):
                return False
        elif str(value) != back:
            return False
    return True
