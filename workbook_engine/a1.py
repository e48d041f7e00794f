"""A1-address helpers: one place that knows how Excel names columns and cells."""

from __future__ import annotations

import functools
import re

_A1_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


@functools.lru_cache(maxsize=1024)
def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    if index < 0:
        raise ValueError(f"negative column index {index}")
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """Excel letters -> 0-based column index (A -> 0)."""
    value = 0
    for ch in letters.upper():
        value = value * 26 + (ord(ch) - 64)
    return value - 1


def cell_name(row: int, col: int) -> str:
    """1-based Excel row and 0-based column -> A1 name ("B7")."""
    return f"{column_letter(col)}{row}"


def parse_cell(name: str) -> tuple[int, int]:
    """A1 name -> (1-based row, 0-based column)."""
    match = _A1_RE.match(name.strip())
    if not match:
        raise ValueError(f"not an A1 cell name: {name!r}")
    return int(match.group(2)), column_index(match.group(1))


def range_name(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    """A rectangular range in A1 notation (1-based rows, 0-based columns)."""
    start = cell_name(first_row, first_col)
    end = cell_name(last_row, last_col)
    return start if start == end else f"{start}:{end}"


def sheet_ref(sheet: str, cell: str) -> str:
    """A reference usable in a formula or hyperlink: 'sheet name'!A1 with quotes escaped."""
    return "'" + sheet.replace("'", "''") + "'!" + cell
