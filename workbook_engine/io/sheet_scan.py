"""What calamine does not tell about a worksheet: formula cells (and whether Excel saved their result),
hidden rows and hidden columns.

A streaming parse of the sheet's XML with defusedxml's iterparse (DTDs and entities forbidden), run only
for sheets whose XML the guard saw formula or hidden markers in, so that ordinary and huge
trailing-formatting sheets cost nothing here. Elements are cleared as soon as they are read.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from defusedxml.ElementTree import iterparse

from ..a1 import parse_cell
from .guard import Inspection

EXCEL_COLUMNS = 16_384


@dataclass
class SheetScan:
    """Formula cells by (1-based row, 0-based column) -> True when a cached value was saved; hidden
    row ranges (1-based, inclusive) and hidden column ranges (0-based, inclusive)."""

    formulas: dict[tuple[int, int], bool] = field(default_factory=dict)
    hidden_rows: list[tuple[int, int]] = field(default_factory=list)
    hidden_cols: list[tuple[int, int]] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def scan_sheet(inspection: Inspection, sheet_name: str) -> SheetScan:
    """Scan one sheet for formulas and hidden rows/columns; empty when the guard saw neither."""
    scan = SheetScan()
    part = inspection.parts.get(inspection.sheets.get(sheet_name, ""))
    if part is None or not (part.has_formulas or part.has_hidden):
        return scan
    with zipfile.ZipFile(inspection.readable) as archive, archive.open(part.name) as source:
        _parse(source, scan)
    return scan


def walk_sheet(source) -> Iterator[tuple[str, int, int, Any]]:
    """Stream a worksheet's XML as (kind, row, column, element): "row" and "col" when such an element
    starts, "c" when a cell ends (its children read). Rows are 1-based, columns 0-based; a missing ``r``
    means the next position, as Excel reads it. Cells and rows are cleared once the caller has seen them."""
    row_number = 0
    column = -1
    for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
        name = _local(element.tag)
        if event == "start":
            if name == "row":
                row_number = int(element.get("r") or row_number + 1)
                column = -1
                yield "row", row_number, column, element
            elif name == "col":
                yield "col", row_number, column, element
            continue
        if name == "c":
            ref = element.get("r")
            if ref:
                row_number, column = parse_cell(ref)
            else:
                column += 1
            yield "c", row_number, column, element
            element.clear()
        elif name == "row":
            element.clear()


def _parse(source, scan: SheetScan) -> None:
    hidden_rows = scan.hidden_rows
    for kind, row_number, column, element in walk_sheet(source):
        if kind == "row":
            if element.get("hidden") in ("1", "true"):
                if hidden_rows and hidden_rows[-1][1] == row_number - 1:
                    hidden_rows[-1] = (hidden_rows[-1][0], row_number)
                else:
                    hidden_rows.append((row_number, row_number))
        elif kind == "col":
            if element.get("hidden") in ("1", "true"):
                first = min(int(element.get("min", "1")), EXCEL_COLUMNS)  # a declared max may be anything
                scan.hidden_cols.append((first - 1, min(int(element.get("max", "1")), EXCEL_COLUMNS) - 1))
        else:
            children = {_local(child.tag): child for child in element}
            if "f" in children:
                # openpyxl and other generators write <v></v> (or nothing) when no result was computed;
                # an empty result is real only for a formula of text type.
                value = children.get("v")
                scan.formulas[(row_number, column)] = value is not None and (
                    bool(value.text) or element.get("t") == "str")
