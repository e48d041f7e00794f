"""Helpers for the official-workbook tests: read a rendered sheet the way the acceptance test defines it,
edit sheets the way Excel does, and generate books."""

from __future__ import annotations

import re
from decimal import Decimal

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from workbook_engine.model import Book, Goal, Indicator, Project

GRID_WIDTH = 7


def shown(cell: Cell) -> str:
    """A cell's text as Excel displays it, from its number format (200 in 0.00 -> 200.00, 0.25 in 0% -> 25%)."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        fmt = cell.number_format or "General"
        if fmt.endswith("%"):
            decimals = len(fmt.split(".")[1]) - 1 if "." in fmt else 0
            return f"{value * 100:.{decimals}f}%"
        if re.fullmatch(r"0\.0+", fmt):
            return f"{value:.{len(fmt) - 2}f}"
        return f"{value:g}"
    return str(value)


def flatten(sheet: Worksheet, width: int = GRID_WIDTH) -> list[list[str]]:
    """The acceptance test's reading: per row, every cell that is not a horizontal continuation of a
    merged range ('' under a vertical merge); rows with only empty cells dropped; title row skipped."""
    covered: dict[tuple[int, int], tuple[int, int]] = {}
    for merged in sheet.merged_cells.ranges:
        for row in range(merged.min_row, merged.max_row + 1):
            for col in range(merged.min_col, merged.max_col + 1):
                if (row, col) != (merged.min_row, merged.min_col):
                    covered[(row, col)] = (merged.min_row, merged.min_col)
    rows = []
    for r in range(1, sheet.max_row + 1):
        out = []
        for c in range(1, width + 1):
            anchor = covered.get((r, c))
            if anchor is not None and anchor[1] != c:
                continue
            out.append("" if anchor is not None else shown(sheet.cell(r, c)))
        if any(text.strip() for text in out):
            rows.append(out)
    return rows[1:]


def squeeze(rows: list[list[str]]) -> list[list[str]]:
    return [[re.sub(r"\s", "", cell) for cell in row] for row in rows]


def insert_row(sheet: Worksheet, idx: int) -> None:
    """Insert a row before ``idx`` as Excel does: merges below move down, merges across it grow."""
    ranges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in sheet.merged_cells.ranges]
    for m in list(sheet.merged_cells.ranges):
        sheet.unmerge_cells(str(m))
    sheet.insert_rows(idx)
    for r0, c0, r1, c1 in ranges:
        if r0 >= idx:
            r0, r1 = r0 + 1, r1 + 1
        elif r1 >= idx:
            r1 += 1
        sheet.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)


def delete_row(sheet: Worksheet, idx: int) -> None:
    """Delete row ``idx`` as Excel does: merges below move up, merges across it shrink."""
    ranges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in sheet.merged_cells.ranges]
    for m in list(sheet.merged_cells.ranges):
        sheet.unmerge_cells(str(m))
    anchor_values = {(r0, c0): sheet.cell(r0, c0).value for r0, c0, _, _ in ranges}
    sheet.delete_rows(idx)
    for r0, c0, r1, c1 in ranges:
        value = anchor_values[(r0, c0)]
        if r0 > idx:
            r0, r1 = r0 - 1, r1 - 1
        elif r1 >= idx:
            r1 -= 1
            if r0 == idx:  # the anchor was deleted: Excel keeps the range's value in its new first cell
                sheet.cell(r0, c0).value = value
        if r1 < r0:
            continue
        if (r0, c0) != (r1, c1):
            sheet.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)


def find_row(sheet: Worksheet, text: str, col: int = 1) -> int:
    for r in range(1, sheet.max_row + 1):
        if str(sheet.cell(r, col).value or "").replace(" ", "") == text:
            return r
    raise AssertionError(f"{text} not found in {sheet.title}")


def small_book(departments: int = 2, projects: int = 2) -> Book:
    """A valid book of several departments with texts that look like formulas."""
    book = Book()
    for d in range(departments):
        code = f"{450001 + d:06d}"
        for category, content in (("总体绩效目标", "=SUM(A1:A3) 总体"), ("分项绩效目标", "+1 分项\n第二段"),
                                  ("工作保障措施", "@保障 <措施> & 说明")):
            book.goals.append(Goal(code, f"部门{d}", 2025, category, 1, "标题-1" if category == "分项绩效目标" else "",
                                   content))
        for p in range(projects):
            pcode = f"13022525P{d:06d}{p:06d}"
            book.projects.append(Project(code, p + 1, pcode, f"项目{d}-{p}", "", Decimal("12.50"), Decimal("10.00"),
                                         Decimal("2.50"), "-用途\n第二行", Decimal(25), Decimal("50.5"),
                                         Decimal(75), Decimal(100), "=目标"))
            for n, (l1, l2) in enumerate((("产出指标", "数量指标"), ("产出指标", "数量指标"), ("产出指标", "时效指标"),
                                          ("效益指标", "社会效益指标"), ("满意度指标", "服务对象满意度指标")), start=1):
                book.indicators.append(Indicator(code, pcode, n, l1, l2, f"三级{n}", f"描述{n}", "≥95%", "计划标准"))
    return book
