"""Report sheets written beside the canonical ones (合并记录, 冲突, 比对结果): a title, a header row, rows.

Text is always written as text; a cell given as ``Link`` becomes a hyperlink to a cell of the workbook.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from .a1 import sheet_ref


@dataclass(frozen=True)
class Link:
    """A cell that links to ``sheet``!``cell`` in the same workbook, showing ``text``."""

    sheet: str
    cell: str
    text: str


def write_table(workbook, formats, name: str, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                widths: Sequence[float], *, fills: dict[int, str] | None = None, notes: Sequence[str] = (),
                money_columns: Sequence[int] = ()):
    """Add a sheet: title in A1, headers in row 2, one row per item, notes below; returns the sheet.

    ``fills`` gives a background colour to whole text rows (0-based index into ``rows``); numbers in
    ``money_columns`` are shown as 0.00, other numbers as integers.
    """
    sheet = workbook.add_worksheet(name)
    sheet.write_string(0, 0, title, formats.title)
    for col, header in enumerate(headers):
        sheet.write_string(1, col, header, formats.header)
        sheet.set_column(col, col, widths[col] if col < len(widths) else 14)
    link_format = workbook.add_format({"font_color": "#0563C1", "underline": 1, "valign": "top"})
    fills = fills or {}
    fill_formats: dict[str, Any] = {}
    for index, row in enumerate(rows):
        excel_row = index + 2
        fill = fills.get(index)
        fmt = formats.text
        if fill:
            fmt = fill_formats.setdefault(fill, workbook.add_format(
                {"font_name": "宋体", "font_size": 11, "valign": "top", "text_wrap": True, "bg_color": fill,
                 "pattern": 1}))
        for col, value in enumerate(row):
            if isinstance(value, Link):
                sheet.write_url(excel_row, col, "internal:" + sheet_ref(value.sheet, value.cell), link_format,
                                string=value.text)
            elif isinstance(value, bool) or value is None or value == "":
                sheet.write_blank(excel_row, col, None, fmt)
            elif isinstance(value, (int, float, Decimal)):
                sheet.write_number(excel_row, col, float(value),
                                   formats.money if col in money_columns else formats.int)
            else:
                sheet.write_string(excel_row, col, str(value), fmt)
    for offset, note in enumerate(notes):
        sheet.write_string(len(rows) + 3 + offset, 0, note, formats.note)
    sheet.freeze_panes(2, 0)
    sheet.set_paper(9)  # A4
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)  # one page wide
    sheet.repeat_rows(1)  # the header row on every printed page
    return sheet
