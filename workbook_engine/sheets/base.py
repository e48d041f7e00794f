"""What a canonical sheet is: its name, aliases and columns. Pure data; no I/O here."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column of a canonical sheet.

    ``kind`` decides how cells are parsed and written: text, code (identifiers kept as text), int, year,
    money (万元, 0.00), number (a Decimal such as a score, 0.00) or percent (the spending plan, written as
    Excel percentages). ``choices`` are the dropdown values of the column (a list in the hidden lists
    sheet); ``multiple`` when a cell may hold several of them (separated by 、).
    """

    field: str
    header: str
    kind: str = "text"
    required: bool = True
    width: float = 14
    note: str = ""
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    multiple: bool = False


@dataclass(frozen=True)
class SheetSpec:
    """A canonical sheet: its Chinese name, English alias and ordered columns.

    An ``optional`` sheet (the budget year's) may be absent: a book without it is complete, and it is written
    only when it holds rows or is asked for.
    """

    kind: str
    name: str
    alias: str
    columns: tuple[Column, ...]
    note: str = ""
    key: tuple[str, ...] = field(default=())
    optional: bool = False

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.columns]

    def column(self, field_name: str) -> Column:
        for column in self.columns:
            if column.field == field_name:
                return column
        raise KeyError(field_name)

    def header_of(self, field_name: str) -> str:
        return self.column(field_name).header

    def match_header(self, text: str) -> Column | None:
        """The column a header cell means, tolerating whitespace and full-width variants."""
        return _header_keys(self).get(normalize_header(text))


@functools.cache
def _header_keys(spec: SheetSpec) -> dict[str, Column]:
    """Normalized header, field name and alias -> column; the first column to claim a key keeps it."""
    keys: dict[str, Column] = {}
    for column in spec.columns:
        for name in (column.header, column.field, *column.aliases):
            keys.setdefault(normalize_header(name), column)
    return keys


def normalize_header(text: object) -> str:
    """Header comparison key: NFKC (full-width -> half-width), no whitespace, lower case."""
    if text is None:
        return ""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).lower()
