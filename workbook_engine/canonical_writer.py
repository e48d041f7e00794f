"""Writing the canonical workbook with xlsxwriter: pleasant to edit in Excel or WPS.

Chinese headers, frozen header row, column widths, wrapped text, dropdowns fed from a hidden lists sheet,
money as 0.00, the plan as percentages, and a 说明 sheet explaining every column. Every text is written
with write_string, so text starting with = + - @ is never taken for a formula.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any, Iterable

import xlsxwriter

from .a1 import column_letter
from .framework import LEVEL1_NAMES, LEVEL2_NAMES
from .io.atomic import atomic_path
from .model import Book, Goal
from .sheets import HELP_SHEET, LISTS_SHEET, SPECS, SheetSpec
from .sheets.goals import CATEGORIES

# Rows below the data that still get dropdowns and formats, so new rows typed by staff behave alike.
SPARE_ROWS = 500

WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


class Formats:
    """The few cell formats of the canonical workbook, created once per workbook."""

    def __init__(self, workbook: xlsxwriter.Workbook):
        base = {"font_name": "宋体", "font_size": 11, "valign": "top"}
        self.header = workbook.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1,
                                           "text_wrap": True, "valign": "vcenter", "align": "center"})
        self.text = workbook.add_format({**base, "text_wrap": True})
        self.code = workbook.add_format({**base, "num_format": "@"})
        self.int = workbook.add_format({**base, "num_format": "0", "align": "center"})
        self.money = workbook.add_format({**base, "num_format": "0.00"})
        self.percent = workbook.add_format({**base, "num_format": "0%", "align": "center"})
        self.percent_fine = workbook.add_format({**base, "num_format": "0.00%", "align": "center"})
        self.note = workbook.add_format({**base, "text_wrap": True})
        self.title = workbook.add_format({**base, "bold": True, "font_size": 14})

    def for_kind(self, kind: str):
        return {"text": self.text, "code": self.code, "int": self.int, "year": self.int, "money": self.money,
                "percent": self.percent}[kind]


def write_cell(sheet, row: int, col: int, kind: str, value: Any, formats: Formats) -> None:
    """Write one canonical value by its column kind; blanks keep the column's format."""
    fmt = formats.for_kind(kind)
    if value is None or value == "":
        sheet.write_blank(row, col, None, fmt)
    elif kind == "percent":
        points = Decimal(value)
        fine = points != points.to_integral_value()
        sheet.write_number(row, col, float(points) / 100, formats.percent_fine if fine else fmt)
    elif kind == "money":
        sheet.write_number(row, col, float(value), fmt)
    elif kind in ("int", "year") and isinstance(value, int):
        sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)


def _extra_headers(records: Iterable[Any]) -> list[str]:
    headers: dict[str, None] = {}
    for record in records:
        for key in record.extra:
            headers.setdefault(key, None)
    return list(headers)


def _write_sheet(workbook, spec: SheetSpec, records: list[Any], formats: Formats) -> None:
    sheet = workbook.add_worksheet(spec.name)
    extras = _extra_headers(records)
    for col, column in enumerate(spec.columns):
        sheet.set_column(col, col, column.width, formats.for_kind(column.kind))
        sheet.write_string(0, col, column.header, formats.header)
        if column.note:
            sheet.write_comment(0, col, column.note, {"author": "workbook-engine", "x_scale": 2, "y_scale": 1.2})
    for offset, header in enumerate(extras):
        col = len(spec.columns) + offset
        sheet.set_column(col, col, 16, formats.text)
        sheet.write_string(0, col, header, formats.header)
    for index, record in enumerate(records, start=1):
        for col, column in enumerate(spec.columns):
            write_cell(sheet, index, col, column.kind, getattr(record, column.field), formats)
        for offset, header in enumerate(extras):
            value = record.extra.get(header)
            col = len(spec.columns) + offset
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(index, col, value)
            elif value not in (None, ""):
                sheet.write_string(index, col, str(value), formats.text)
    sheet.freeze_panes(1, 0)
    sheet.set_row(0, 30)
    last_col = len(spec.columns) + len(extras) - 1
    sheet.autofilter(0, 0, max(len(records), 1), last_col)
    _add_validations(sheet, spec, len(records) + SPARE_ROWS)


def _list_ref(col: int, count: int) -> str:
    letter = column_letter(col)
    return f"={LISTS_SHEET}!${letter}$2:${letter}${count + 1}"


LISTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("类别", CATEGORIES),
    ("一级指标", LEVEL1_NAMES),
    ("二级指标", LEVEL2_NAMES),
)


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


def _write_lists(workbook, formats: Formats) -> None:
    sheet = workbook.add_worksheet(LISTS_SHEET)
    for col, (name, values) in enumerate(LISTS):
        sheet.set_column(col, col, 20)
        sheet.write_string(0, col, name, formats.header)
        for row, value in enumerate(values, start=1):
            sheet.write_string(row, col, value)
    sheet.hide()


def _write_help(workbook, formats: Formats) -> None:
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
             "percent": "百分比"}
    row = 4
    for spec in SPECS:
        for column in spec.columns:
            values = (spec.name, column.header, "是" if column.required else "否", kinds[column.kind], column.note)
            for col, text in enumerate(values):
                sheet.write_string(row, col, text, formats.note)
            row += 1
    sheet.freeze_panes(4, 0)


def write_book(book: Book, path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (),
               overwrite: bool = True) -> None:
    """Write a canonical workbook atomically; ``inputs`` are paths the output must not replace."""
    with atomic_path(path, inputs=inputs, overwrite=overwrite) as temp:
        workbook = xlsxwriter.Workbook(str(temp), WORKBOOK_OPTIONS)
        formats = Formats(workbook)
        for spec in SPECS:
            _write_sheet(workbook, spec, book.records(spec.kind), formats)
        _write_help(workbook, formats)
        _write_lists(workbook, formats)
        workbook.close()


def starter_book(dept_code: str = "", dept_name: str = "", year: int | None = None) -> Book:
    """The rows a new workbook starts with: one goal row per category, for staff to fill in."""
    return Book(goals=[Goal(dept_code, dept_name, year, category, 1, "", "") for category in CATEGORIES])
