"""Fast reading of cell values with python-calamine, with exact cell addresses.

calamine returns cached values for formula cells and never executes anything; we read with
``skip_empty_area=False`` so that list positions are Excel positions (row 1 is index 0).
"""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import python_calamine

from ..errors import InputUnreadable, UnsupportedFormat
from .containment import ContainedReader
from .guard import SAVE_AS_XLSX, inspect_xlsx
from .sheet_scan import SheetScan, scan_sheet
from .trim import calamine_copy


@dataclass
class SheetGrid:
    """A sheet's values: ``rows[r][c]`` is Excel row r+1, column c (0-based); '' for empty cells."""

    name: str
    rows: list[list[Any]]
    visible: bool = True
    merged: list[tuple[int, int, int, int]] | None = None  # (first_row, first_col, last_row, last_col), 0-based
    date1904: bool = False  # dates count from 1904: needed to turn a date-formatted number back (values.py)

    def value(self, row: int, col: int) -> Any:
        """Value at a 1-based row and 0-based column; '' outside the used area."""
        if row - 1 < len(self.rows):
            line = self.rows[row - 1]
            if col < len(line):
                return line[col]
        return ""


class _OpenBook:
    """The calamine side of a workbook, in the contained reader's child (io/containment.py)."""

    def __init__(self, path: Path, readable: Path):
        self.path = path
        try:
            self.book = python_calamine.CalamineWorkbook.from_path(str(readable))
        except Exception as exc:  # calamine raises its own error types for every kind of damage
            raise UnsupportedFormat(f"{path}：无法作为 xlsx 读取（{_short(exc)}）。{SAVE_AS_XLSX}") from None

    def summary(self) -> tuple[list[str], dict[str, bool]]:
        visible = {m.name: str(m.visible).lower().endswith("visible") and "hidden" not in str(m.visible).lower()
                   for m in self.book.sheets_metadata}
        return list(self.book.sheet_names), visible

    def read(self, name: str) -> tuple[list[list[Any]], list[tuple[int, int, int, int]]]:
        try:
            sheet = self.book.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
        except Exception as exc:
            raise InputUnreadable(f"{self.path}：工作表“{name}”已损坏，无法读取（{_short(exc)}）。"
                                  "请用 Excel 或 WPS 打开并另存后再试；打不开时请向发件人要一份新的。") from None
        return rows, merged

    def close(self) -> None:
        self.book.close()


class CalamineWorkbook:
    """An opened workbook: sheet names and their grids, read on demand.

    calamine runs in a contained child (io/containment.py: a memory limit and a deadline), opened once and
    asked for one sheet at a time; the grids come back pickled. An abort, an allocation failure or a
    runaway in the Rust reader is one line (UnsafeInput), whatever spelling of the file caused it.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.inspection = inspect_xlsx(path)
        self.path = self.inspection.path
        readable = self.inspection.readable
        self._folder: tempfile.TemporaryDirectory | None = None
        if any(part.facts.new_error_values for part in self.inspection.parts.values()):
            self._folder = tempfile.TemporaryDirectory(prefix="wbe-errors-")
            readable = calamine_copy(self.inspection, self._folder.name)
        source = self.path
        try:
            self._reader: ContainedReader[_OpenBook] = ContainedReader(  # both pickle: a zygote may fork it
                functools.partial(_OpenBook, source, readable), _OpenBook.summary, path=self.path, what="读取工作簿")
        except BaseException:
            if self._folder is not None:
                self._folder.cleanup()
            raise
        names, visible = self._reader.summary
        self.sheet_names: list[str] = names
        self._visible: dict[str, bool] = visible

    def grid(self, name: str) -> SheetGrid:
        rows, merged = self._reader.call("read", name)
        return SheetGrid(name, rows, self._visible.get(name, True), merged, self.inspection.date1904)

    @property
    def has_macros(self) -> bool:
        return self.inspection.has_macros

    def scan(self, name: str) -> SheetScan:
        """Formula cells and hidden rows/columns of one sheet (sheet_scan.py)."""
        try:
            return scan_sheet(self.inspection, name)
        except Exception as exc:  # malformed XML, a bad cell reference: name the sheet, never a traceback
            raise InputUnreadable(f"{self.path}：工作表“{name}”的内容已损坏，无法读取（{_short(exc)}）。"
                                  "请用 Excel 打开并另存后再试。") from None

    def close(self) -> None:
        self._reader.close()
        if self._folder is not None:
            self._folder.cleanup()

    def __enter__(self) -> CalamineWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
