"""Writing the canonical workbook with xlsxwriter: pleasant to edit in Excel or WPS.

Chinese headers, frozen header row, column widths, wrapped text, dropdowns fed from a hidden lists sheet,
money as 0.00, the plan as percentages, and a 说明 sheet explaining every column. Every text is written
with write_string, so text starting with = + - @ is never taken for a formula.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any, Callable, Iterable

import xlsxwriter

from .a1 import column_letter
from .framework import LEVEL1_NAMES, LEVEL2_NAMES
from .io.atomic import atomic_path
from .io.cell_text import check_text, storable
from .model import Book, Goal
from .sheets import BY_KIND, HELP_SHEET, LISTS_SHEET, SPECS, SheetSpec
from .sheets.goals import CATEGORIES

# Rows below the data that still get dropdowns and formats, so new rows typed by staff behave alike.
SPARE_ROWS = 500

WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


@dataclass(frozen=True)
class CellMark:
    """How one written cell (or a whole row) is highlighted: fill colour, struck-through grey text, a comment.

    Merge marks conflicting cells and diff marks changed ones; the canonical content is written unchanged.
    """

    fill: str | None = None
    strike: bool = False
    comment: str | None = None


# (sheet kind, 0-based index of the record in the book's list, column header or None for the whole row)
MarkKey = tuple[str, int, "str | None"]
Marks = dict[MarkKey, CellMark]

_BASE = {"font_name": "宋体", "font_size": 11, "valign": "top"}
_FORMATS: dict[str, dict[str, Any]] = {
    "header": {**_BASE, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter",
               "align": "center"},
    "text": {**_BASE, "text_wrap": True, "num_format": "@"},  # typed 90% stays the text 90%
    "code": {**_BASE, "num_format": "@"},
    "int": {**_BASE, "num_format": "0", "align": "center"},
    "money": {**_BASE, "num_format": "0.00"},
    "percent": {**_BASE, "num_format": "0%", "align": "center"},
    "percent_fine": {**_BASE, "num_format": "0.00%", "align": "center"},
    "note": {**_BASE, "text_wrap": True},
    "title": {**_BASE, "bold": True, "font_size": 14},
    "plain": {},
}
_KIND_FORMATS = {"text": "text", "code": "code", "int": "int", "year": "int", "money": "money", "percent": "percent",
                 "number": "money"}


class Formats:
    """The few cell formats of the canonical workbook, created once per workbook (marked variants on demand)."""

    # One attribute per key of _FORMATS, set in __init__ (xlsxwriter ships no type information).
    header: Any
    text: Any
    code: Any
    int: Any
    money: Any
    percent: Any
    percent_fine: Any
    note: Any
    title: Any
    plain: Any

    def __init__(self, workbook: xlsxwriter.Workbook):
        self._workbook = workbook
        self._marked: dict[tuple[str, str | None, bool], Any] = {}
        for name, props in _FORMATS.items():
            setattr(self, name, workbook.add_format(props))

    def for_kind(self, kind: str):
        return getattr(self, _KIND_FORMATS[kind])

    def named(self, name: str, mark: CellMark | None = None):
        """The format ``name`` (a key of _FORMATS), with a mark's fill and strike-through when given."""
        if mark is None or (mark.fill is None and not mark.strike):
            return getattr(self, name)
        key = (name, mark.fill, mark.strike)
        if key not in self._marked:
            props = dict(_FORMATS[name])
            if mark.fill:
                props.update(bg_color=mark.fill, pattern=1)
            if mark.strike:
                props.update(font_strikeout=True, font_color="#808080")
            self._marked[key] = self._workbook.add_format(props)
        return self._marked[key]


def write_cell(sheet, row: int, col: int, kind: str, value: Any, formats: Formats,
               mark: CellMark | None = None) -> None:
    """Write one canonical value by its column kind; blanks keep the column's format."""
    name = _KIND_FORMATS[kind]
    if value is None or value == "":
        sheet.write_blank(row, col, None, formats.named(name, mark))
    elif kind == "percent":
        points = Decimal(value)
        fine = points != points.to_integral_value()
        sheet.write_number(row, col, float(points) / 100, formats.named("percent_fine" if fine else name, mark))
    elif kind in ("money", "number"):
        sheet.write_number(row, col, float(value), formats.named(name, mark))
    elif kind in ("int", "year") and isinstance(value, int):
        sheet.write_number(row, col, value, formats.named(name, mark))
    else:
        sheet.write_string(row, col, str(value), formats.named(name, mark))


def _extra_headers(records: Iterable[Any]) -> list[str]:
    headers: dict[str, None] = {}
    for record in records:
        for key in record.extra:
            headers.setdefault(key, None)
    return list(headers)


class Layout:
    """Where each record's cells land in the written workbook: sheet names and column by header.

    Extra columns follow the canonical ones in order of first appearance; callers that link to or mark
    written cells use this instead of computing coordinates themselves.
    """

    def __init__(self, book: Book):
        self.columns: dict[str, dict[str, int]] = {}
        self.extras: dict[str, list[str]] = {}
        for spec in SPECS:
            extras = _extra_headers(book.records(spec.kind))
            self.extras[spec.kind] = extras
            self.columns[spec.kind] = {h: i for i, h in enumerate([*spec.headers, *extras])}

    def cell(self, kind: str, index: int, header: str | None) -> tuple[str, str]:
        """(sheet name, A1 cell) of a record's column; the row's first cell when ``header`` is None."""
        col = self.columns[kind].get(header, 0) if header is not None else 0
        return BY_KIND[kind].name, f"{column_letter(col)}{index + 2}"


# Called after the canonical sheets are written, to add sheets of its own (merge record, conflicts, ...).
ExtraSheets = Callable[[xlsxwriter.Workbook, Formats, Layout], None]


def _write_marks(sheet, index: int, columns: dict[str, int], marks: Marks, kind: str) -> None:
    """Comments of a row's marks (fills are applied while writing the cells)."""
    row_mark = marks.get((kind, index, None))
    options = {"author": "workbook-engine", "x_scale": 2.5, "y_scale": 2}
    if row_mark is not None and row_mark.comment:
        sheet.write_comment(index + 1, 0, row_mark.comment, options)
    for header, col in columns.items():
        mark = marks.get((kind, index, header))
        if mark is not None and mark.comment and not (col == 0 and row_mark is not None and row_mark.comment):
            sheet.write_comment(index + 1, col, mark.comment, options)


def _cell_mark(marks: Marks, kind: str, index: int, header: str) -> CellMark | None:
    """A cell's mark: its own, combined with its row's (the cell's fill wins, the row's strike stays)."""
    row_mark = marks.get((kind, index, None))
    mark = marks.get((kind, index, header))
    if row_mark is None:
        return mark
    if mark is None:
        return row_mark
    return CellMark(mark.fill or row_mark.fill, mark.strike or row_mark.strike, mark.comment)


def _write_sheet(workbook, spec: SheetSpec, records: list[Any], formats: Formats, layout: Layout,
                 marks: Marks | None = None) -> None:
    sheet = workbook.add_worksheet(spec.name)
    extras, columns = layout.extras[spec.kind], layout.columns[spec.kind]
    marks = marks or {}
    marked_rows = {index for (kind, index, _header) in marks if kind == spec.kind}
    for col, column in enumerate(spec.columns):
        sheet.set_column(col, col, column.width, formats.for_kind(column.kind))
        sheet.write_string(0, col, column.header, formats.header)
        if column.note:
            sheet.write_comment(0, col, column.note, {"author": "workbook-engine", "x_scale": 2, "y_scale": 1.2})
    for offset, header in enumerate(extras):
        col = len(spec.columns) + offset
        sheet.set_column(col, col, 16, formats.text)
        sheet.write_string(0, col, check_text(header, f"工作表“{spec.name}”的列标题"), formats.header)
    plain = [(col, column.field, column.kind, column.header) for col, column in enumerate(spec.columns)]
    # Unmarked rows (all of them, but for a few in merge and diff) go through one writer per column, its
    # format and conversion chosen once; marked rows take write_cell with each cell's mark.
    writers = [_column_writer(sheet, spec, col, kind, header, formats) for col, _field, kind, header in plain]
    values_of = attrgetter(*[field_name for _col, field_name, _kind, _header in plain])
    for index, record in enumerate(records, start=1):
        marked = index - 1 in marked_rows
        if not marked:
            for write, value in zip(writers, values_of(record)):
                write(index, value)
            if extras:
                _write_extras(sheet, spec, index, record, extras, len(spec.columns), formats)
            continue
        for col, field_name, kind, header in plain:
            mark = _cell_mark(marks, spec.kind, index - 1, header)
            value = getattr(record, field_name)
            if isinstance(value, str) and not storable(value):
                check_text(value, _where(spec, index, header))
            write_cell(sheet, index, col, kind, value, formats, mark)
        for offset, header in enumerate(extras):
            value = record.extra.get(header)
            col = len(spec.columns) + offset
            mark = _cell_mark(marks, spec.kind, index - 1, header)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(index, col, value, formats.named("plain", mark))
            elif value not in (None, ""):
                sheet.write_string(index, col, check_text(str(value), _where(spec, index, header)),
                                   formats.named("text", mark))
            elif mark is not None:
                sheet.write_blank(index, col, None, formats.named("text", mark))
        _write_marks(sheet, index - 1, columns, marks, spec.kind)
    sheet.freeze_panes(1, 0)
    sheet.set_row(0, 30)
    last_col = len(spec.columns) + len(extras) - 1
    sheet.autofilter(0, 0, max(len(records), 1), last_col)
    _add_validations(sheet, spec, len(records) + SPARE_ROWS)


def _column_writer(sheet, spec: SheetSpec, col: int, kind: str, header: str,
                   formats: Formats) -> Callable[[int, Any], None]:
    """write_cell for one canonical column of unmarked rows: (row, value) -> None, same cells and formats."""
    fmt = getattr(formats, _KIND_FORMATS[kind])
    write_blank, write_string, write_number = sheet.write_blank, sheet.write_string, sheet.write_number
    if kind == "percent":
        fine = formats.percent_fine

        def write(row: int, value: Any) -> None:
            if value is None or value == "":
                write_blank(row, col, None, fmt)
                return
            points = Decimal(value)
            write_number(row, col, float(points) / 100, fmt if points == points.to_integral_value() else fine)
    elif kind in ("money", "number"):
        def write(row: int, value: Any) -> None:
            if value is None or value == "":
                write_blank(row, col, None, fmt)
            else:
                write_number(row, col, float(value), fmt)
    elif kind in ("int", "year"):
        def write(row: int, value: Any) -> None:
            if value is None or value == "":
                write_blank(row, col, None, fmt)
            elif isinstance(value, int):
                write_number(row, col, value, fmt)
            else:
                if isinstance(value, str) and not storable(value):
                    check_text(value, _where(spec, row, header))
                write_string(row, col, str(value), fmt)
    else:
        def write(row: int, value: Any) -> None:
            if value is None or value == "":
                write_blank(row, col, None, fmt)
            elif type(value) is str:
                if not storable(value):
                    check_text(value, _where(spec, row, header))
                write_string(row, col, value, fmt)
            else:
                write_string(row, col, str(value), fmt)
    return write


def _write_extras(sheet, spec: SheetSpec, index: int, record: Any, extras: list[str], first: int,
                  formats: Formats) -> None:
    """The extra columns of an unmarked row: numbers as numbers, anything else as its text."""
    for offset, header in enumerate(extras):
        value = record.extra.get(header)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            sheet.write_number(index, first + offset, value, formats.plain)
        elif value not in (None, ""):
            sheet.write_string(index, first + offset, check_text(str(value), _where(spec, index, header)),
                               formats.text)


def _where(spec: SheetSpec, index: int, header: str) -> str:
    """The place of a value in the workbook being written, for messages (index 1 is Excel row 2)."""
    return f"工作表“{spec.name}”第 {index + 1} 行“{header}”"


def _list_ref(col: int, count: int) -> str:
    letter = column_letter(col)
    return f"={LISTS_SHEET}!${letter}$2:${letter}${count + 1}"


LISTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("类别", CATEGORIES),
    ("一级指标", LEVEL1_NAMES),
    ("二级指标", LEVEL2_NAMES),
)
# The budget year's dropdowns (Column.choices), one list per column header; written after LISTS when a
# budget-year sheet is written (a book without them keeps its lists sheet as before).
YEAR_LISTS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    dict.fromkeys((c.header, c.choices) for spec in SPECS for c in spec.columns if c.choices))


def _add_validations(sheet, spec: SheetSpec, last_row: int) -> None:
    fields = {c.field: i for i, c in enumerate(spec.columns)}
    lists = {name: (i, values) for i, (name, values) in enumerate(LISTS)}
    dropdowns = {"category": "类别", "level1": "一级指标", "level2": "二级指标"}
    for field_name, list_name in dropdowns.items():
        if field_name not in fields:
            continue
        col = fields[field_name]
        list_col, values = lists[list_name]
        sheet.data_validation(1, col, last_row, col, {
            "validate": "list",
            "source": _list_ref(list_col, len(values)),
            "error_type": "stop" if field_name == "category" else "warning",
            "error_title": f"{list_name}不在列表中",
            "error_message": f"请从下拉列表中选择{list_name}。",
        })
    for field_name in ("budget", "fiscal", "other"):
        if field_name in fields:
            col = fields[field_name]
            sheet.data_validation(1, col, last_row, col, {
                "validate": "decimal", "criteria": ">=", "value": 0, "error_type": "warning",
                "input_title": "金额（万元）", "input_message": "以万元为单位，保留两位小数。",
                "error_title": "金额不对", "error_message": "金额应为不小于 0 的数字（万元）。",
            })
    for field_name in ("q1", "q2", "q3", "q4"):
        if field_name in fields:
            col = fields[field_name]
            sheet.data_validation(1, col, last_row, col, {
                "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1, "error_type": "warning",
                "input_title": "累计支出百分比", "input_message": "输入如 25%（截至该月底累计支出占预算的比例）。",
                "error_title": "百分比不对", "error_message": "应为 0% 到 100% 之间的百分比。",
            })
    _add_choice_validations(sheet, spec, last_row)


def _add_choice_validations(sheet: Any, spec: SheetSpec, last_row: int) -> None:
    """Dropdowns of columns with choices (the budget year's sheets); a multiple-choice column only informs,
    so that 经费保障、人员保障 can be typed."""
    lists = {name: (len(LISTS) + i, values) for i, (name, values) in enumerate(YEAR_LISTS)}
    for col, column in enumerate(spec.columns):
        if not column.choices:
            continue
        list_col, values = lists[column.header]
        sheet.data_validation(1, col, last_row, col, {
            "validate": "list",
            "source": _list_ref(list_col, len(values)),
            "error_type": "information" if column.multiple else "warning",
            "error_title": f"{column.header}不在列表中",
            "error_message": f"请从下拉列表中选择{column.header}"
                             + ("；可填多项，用、分隔。" if column.multiple else "。"),
        })
    for col, column in enumerate(spec.columns):
        if spec.optional and column.kind in ("money", "number"):
            sheet.data_validation(1, col, last_row, col, {
                "validate": "decimal", "criteria": ">=", "value": 0, "error_type": "warning",
                "error_title": f"{column.header}不对", "error_message": f"{column.header}应为不小于 0 的数字。",
            })


def _write_lists(workbook, formats: Formats, year: bool = False) -> None:
    sheet = workbook.add_worksheet(LISTS_SHEET)
    for col, (name, values) in enumerate((*LISTS, *YEAR_LISTS) if year else LISTS):
        sheet.set_column(col, col, 20)
        sheet.write_string(0, col, name, formats.header)
        for row, value in enumerate(values, start=1):
            sheet.write_string(row, col, value)
    sheet.hide()


def _write_help(workbook, formats: Formats, specs: Iterable[SheetSpec] = SPECS) -> None:
    sheet = workbook.add_worksheet(HELP_SHEET)
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 2, 8)
    sheet.set_column(3, 3, 12)
    sheet.set_column(4, 4, 80)
    sheet.write_string(0, 0, "规范工作簿说明", formats.title)
    sheet.write_string(1, 0, "每张工作表第 1 行是标题行，请勿改名或删除；可在最后一列之后增加自己的列（会原样保留，不参与校验）。"
                             "下拉列表来自隐藏的“下拉列表”工作表。校验：wbe validate 工作簿.xlsx。", formats.note)
    headers = ("工作表", "列", "必填", "格式", "说明")
    for col, text in enumerate(headers):
        sheet.write_string(3, col, text, formats.header)
    kinds = {"text": "文本", "code": "文本（编码）", "int": "整数", "year": "四位年份", "money": "数字 0.00（万元）",
             "percent": "百分比", "number": "数字"}
    row = 4
    for spec in specs:
        for column in spec.columns:
            values = (spec.name, column.header, "是" if column.required else "否", kinds[column.kind], column.note)
            for col, text in enumerate(values):
                sheet.write_string(row, col, text, formats.note)
            row += 1
    sheet.freeze_panes(4, 0)


def write_book(book: Book, path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (),
               overwrite: bool = False, marks: Marks | None = None, extra_sheets: ExtraSheets | None = None,
               verify: Callable[[Path], None] | None = None, year_sheets: Iterable[str] = ()) -> None:
    """Write a canonical workbook atomically; ``inputs`` are paths the output must not replace.

    An optional sheet (the budget year's) is written when the book holds rows of it or its kind is in
    ``year_sheets`` (then empty, with headers, dropdowns and formats for staff to fill in).

    ``marks`` highlight cells, ``extra_sheets`` adds sheets after the canonical ones, and ``verify`` is
    called on the complete temporary file before it replaces the target: raising there writes nothing.
    """
    with atomic_path(path, inputs=inputs, overwrite=overwrite, suffix=".xlsx") as temp:
        # in_memory: xlsxwriter otherwise writes each sheet's XML to a temporary file before zipping it.
        workbook = xlsxwriter.Workbook(str(temp), {**WORKBOOK_OPTIONS, "in_memory": True})
        formats = Formats(workbook)
        layout = Layout(book)
        year_sheets = set(year_sheets)
        # The budget year's sheets are written when they hold rows or are asked for.
        written = [spec for spec in SPECS
                   if not spec.optional or book.records(spec.kind) or spec.kind in year_sheets]
        for spec in written:
            _write_sheet(workbook, spec, book.records(spec.kind), formats, layout, marks)
        if extra_sheets is not None:
            extra_sheets(workbook, formats, layout)
        _write_help(workbook, formats, written)
        _write_lists(workbook, formats, any(spec.optional for spec in written))
        workbook.close()
        del workbook, formats  # xlsxwriter's cell tables are not needed while the file is checked
        if verify is not None:
            verify(temp)


def starter_book(dept_code: str = "", dept_name: str = "", year: int | None = None) -> Book:
    """The rows a new workbook starts with: one goal row per category, for staff to fill in."""
    return Book(goals=[Goal(dept_code, dept_name, year, category, 1, "", "") for category in CATEGORIES])
