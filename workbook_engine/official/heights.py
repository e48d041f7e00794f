"""Row heights for wrapped Chinese text: Excel does not grow a row to fit the text of a merged cell.

The height is estimated from the text's display width against the width of the cell's columns, one line per
wrap and per explicit line break. Widths are those of 宋体, the sheets' font, in Excel's column unit (the width
of the Normal font's digit, which the renderer makes 宋体 too): CJK and full-width characters are two units,
Latin letters and digits one. East Asian "ambiguous" characters (≥ ≤ “ ” … ° × ①, Unicode's class A) are drawn
full width by 宋体, so they count as wide unless ``ambiguous_wide`` is false in the template.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from typing import Any, Sequence

from ..layout import Row, display_text


@functools.cache
def is_wide(ch: str, ambiguous_wide: bool = True) -> bool:
    """Whether 宋体 draws ``ch`` full width: East Asian Wide or Full-width, and (for 宋体) Ambiguous."""
    width = unicodedata.east_asian_width(ch)
    return width in "WF" or (ambiguous_wide and width == "A")


def display_units(text: str, wide: float, narrow: float, ambiguous_wide: bool = True) -> float:
    """Width of a line of text in column-width units (full-width characters count as wide)."""
    count = sum(is_wide(ch, ambiguous_wide) for ch in text)
    return count * wide + (len(text) - count) * narrow


@functools.lru_cache(maxsize=65536)
def _line_count(text: str, width: float, wide: float, narrow: float, ambiguous_wide: bool = True) -> int:
    usable = max(width - 1.0, 1.0)
    total = 0
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        total += max(1, math.ceil(display_units(paragraph, wide, narrow, ambiguous_wide) / usable))
    return total


def line_count(text: str, width: float, settings: dict[str, Any]) -> int:
    """Lines a text wraps to in a cell ``width`` column units wide (one cell padding kept free)."""
    return _line_count(text, width, settings["wide_char"], settings["narrow_char"],
                       bool(settings.get("ambiguous_wide", True)))


def text_height(text: str, width: float, settings: dict[str, Any]) -> float:
    return line_count(text, width, settings) * settings["line"] + settings["padding"]


def row_heights(rows: Sequence[Row], widths: Sequence[float], settings: dict[str, Any]) -> list[float]:
    """Heights (points) of laid-out rows; a vertically merged cell's text may use all the rows it covers."""
    heights = [float(settings["minimum"])] * len(rows)
    line, padding = settings["line"], settings["padding"]
    measure = (settings["wide_char"], settings["narrow_char"], bool(settings.get("ambiguous_wide", True)))
    span_widths: dict[tuple[int, int], float] = {}  # text_height's arguments, computed once per cell place
    tall: list[tuple[int, int, float]] = []
    for index, row in enumerate(rows):
        for cell in row.cells:
            value = cell.value
            if cell.covered or value is None or value == "":
                continue
            text = value if cell.kind == "text" and type(value) is str else display_text(value, cell.kind)  # .text
            if not text:
                continue
            place = (cell.col, cell.span)
            width = span_widths.get(place)
            if width is None:
                width = span_widths[place] = sum(widths[cell.col:cell.col + cell.span])
            need = _line_count(text, width, *measure) * line + padding  # text_height
            if cell.rowspan > 1:
                tall.append((index, cell.rowspan, need))
            elif need > heights[index]:
                heights[index] = need
    for index, rowspan, need in tall:
        have = sum(heights[index:index + rowspan])
        if need > have:
            heights[index + rowspan - 1] += need - have
    return heights
