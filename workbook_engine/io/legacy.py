"""Excel 97-2003 (.xls) and WPS (.et/.ett) workbooks, read directly (issue 26).

Why: departments send what their office suite saves, and asking staff to re-save a file is a step that gets
skipped or done wrong. calamine reads these binary (BIFF) files in a contained child (io/containment.py: a
memory limit and a deadline, as for .xlsx); the values, the sheets' visibility and the merged ranges come
back and are written here, with xlsxwriter, as a private .xlsx that every reader of the engine then reads
through the guard like any other workbook. The user's file is never touched; outputs are .xlsx beside it,
and the finding WBE-W028 says so. What such a file holds beyond values (number formats, hidden rows,
formulas) is not read: a number in a text column is taken as stored, which the finding also says.

The private copies live in one temporary folder per process, removed when the process ends (the worker
pool's processes included: multiprocessing runs its finalizers there, not atexit's).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from multiprocessing import util as multiprocessing_util
from pathlib import Path
from typing import Any

import python_calamine

from ..errors import UnsafeInput, UnsupportedFormat
from .containment import run_contained

# What the finding and the messages call each kind (by the file's suffix; the content decides the reading).
KINDS = {".xls": "Excel 97-2003 工作簿（.xls）", ".xlt": "Excel 97-2003 模板（.xlt）", ".et": "WPS 表格文件（.et）",
         ".ett": "WPS 表格模板（.ett）"}
SAVE_AS = "请在 Excel 或 WPS 中打开它，另存为“Excel 工作簿 (*.xlsx)”后再试。"

Sheet = tuple[str, bool, list[list[Any]], list[tuple[int, int, int, int]]]  # name, visible, rows, merged

_FOLDER: tempfile.TemporaryDirectory[str] | None = None
_COPIES = 0


def kind_of(path: Path) -> str:
    return KINDS.get(path.suffix.lower(), "Excel 97-2003 格式的工作簿")


def as_xlsx(path: Path, *, max_area: int, max_sheets: int) -> Path:
    """A private .xlsx with ``path``'s sheets, values and merges; refusals name ``path``."""
    data = path.read_bytes()
    sheets: list[Sheet] = run_contained(lambda: _read(data, path, max_area, max_sheets), path=path,
                                        what="读取旧版工作簿")
    target = _folder() / f"{os.getpid()}-{_next_number()}.xlsx"  # a pool worker may share the folder
    try:
        _write(sheets, target)
    except BaseException as exc:
        target.unlink(missing_ok=True)
        if isinstance(exc, Exception) and type(exc).__module__.startswith("xlsxwriter"):  # e.g. a sheet name
            raise UnsupportedFormat(f"{path}：无法转为 xlsx 读取（{_short(exc)}）。{SAVE_AS}") from None
        raise
    return target


def _folder() -> Path:
    global _FOLDER
    if _FOLDER is None:
        _FOLDER = tempfile.TemporaryDirectory(prefix="wbe-legacy-")
        multiprocessing_util.Finalize(_FOLDER, _FOLDER.cleanup, exitpriority=10)
    return Path(_FOLDER.name)


def _next_number() -> int:
    global _COPIES
    _COPIES += 1
    return _COPIES


# -- in the contained child ----------------------------------------------------------------------------------
def _read(data: bytes, path: Path, max_area: int, max_sheets: int) -> list[Sheet]:
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine's own error types, for every kind of damage or a non-workbook file
        raise UnsupportedFormat(f"{path}：无法作为{kind_of(path)}读取（{_short(exc)}），它可能已损坏或不是表格文件。"
                                f"{SAVE_AS}") from None
    metadata = {m.name: "hidden" not in str(m.visible).lower() for m in book.sheets_metadata}
    if len(book.sheet_names) > max_sheets:
        raise UnsafeInput(f"{path}：工作簿有 {len(book.sheet_names)} 个工作表，超过上限 {max_sheets}，疑似恶意文件，已拒绝。")
    sheets: list[Sheet] = []
    for name in book.sheet_names:
        try:
            sheet = book.get_sheet_by_name(name)
            if sheet.height * sheet.width > max_area:
                raise UnsafeInput(f"{path}：工作表“{name}”的范围达到 {sheet.height} 行 × {sheet.width} 列，超过上限 "
                                  f"{max_area} 个单元格，已拒绝。请删除远处误填的内容后另存再试。")
            rows = sheet.to_python(skip_empty_area=False)
            merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
        except UnsafeInput:
            raise
        except Exception as exc:
            raise UnsupportedFormat(f"{path}：工作表“{name}”已损坏，无法读取（{_short(exc)}）。{SAVE_AS}") from None
        sheets.append((name, metadata.get(name, True), rows, merged))
    book.close()
    return sheets


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# -- here: the private .xlsx ---------------------------------------------------------------------------------
def _write(sheets: list[Sheet], target: Path) -> None:
    import xlsxwriter
    from xlsxwriter.exceptions import OverlappingRange

    workbook = xlsxwriter.Workbook(str(target), {"strings_to_numbers": False, "strings_to_formulas": False,
                                                 "strings_to_urls": False, "nan_inf_to_errors": True})
    formats = {dt.datetime: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
               dt.date: workbook.add_format({"num_format": "yyyy-mm-dd"}),
               dt.time: workbook.add_format({"num_format": "hh:mm:ss"})}
    first_visible = next((n for n, (_, visible, _, _) in enumerate(sheets) if visible), 0)
    for number, (name, visible, rows, merged) in enumerate(sheets):
        worksheet = workbook.add_worksheet(name)
        for r, line in enumerate(rows):
            for c, value in enumerate(line):
                _write_cell(worksheet, r, c, value, formats)
        for r0, c0, r1, c1 in merged:
            if (r0, c0) == (r1, c1):
                continue
            value = rows[r0][c0] if r0 < len(rows) and c0 < len(rows[r0]) else ""
            try:
                worksheet.merge_range(r0, c0, r1, c1, None)
            except OverlappingRange:
                continue
            _write_cell(worksheet, r0, c0, value, formats)
        if number == first_visible:
            worksheet.activate()
        elif not visible:
            worksheet.hide()
    workbook.close()


def _write_cell(worksheet: Any, row: int, col: int, value: Any, formats: dict[type, Any]) -> None:
    if value == "" or value is None:
        return
    if isinstance(value, bool):
        worksheet.write_boolean(row, col, value)
    elif isinstance(value, (int, float)):
        worksheet.write_number(row, col, value)
    elif isinstance(value, (dt.datetime, dt.date, dt.time)):
        worksheet.write_datetime(row, col, value, formats[type(value) if type(value) in formats else dt.datetime])
    else:  # text, and what calamine gives as other objects (a duration): their text
        worksheet.write_string(row, col, str(value))
