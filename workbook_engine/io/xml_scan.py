"""Streaming XML scans of a workbook's parts, seeing them the way the readers do.

The guard (io/guard.py) inflates every part in bounded chunks; each XML part is also fed to an expat
parser here, in the same pass. The part's root element says what it is (a worksheet wherever it lives
and whatever its name, the shared strings, the workbook, a relationships part); other parts are dropped
after their root. For a worksheet, cell and row references are read from the parsed attributes, so any
legal spelling counts (quotes, whitespace, namespace prefixes, character references, lower case, leading
zeros, implied positions): pattern matching the bytes would see only one spelling of a far cell.

DTDs and entity declarations are refused (as defusedxml does); names are matched by their local part,
as calamine does, so that an element in a surprising namespace is counted rather than overlooked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

WORKSHEET = "worksheet"
SHARED_STRINGS = "sst"
WORKBOOK = "workbook"
RELATIONSHIPS = "Relationships"
OTHER = "other"
_KINDS = {WORKSHEET, SHARED_STRINGS, WORKBOOK, RELATIONSHIPS}

_REF_RE = re.compile(r"\$?([A-Za-z]+)\$?([0-9]+)")
ROOT_BYTES = 64 * 1024  # fed first: the root element must start within this (the guard's prolog limit)


# U+FFFE and U+FFFF, raw or as character references: not XML, yet calamine reads them (and validation then
# names the cell, WBE-E028). Expat and openpyxl refuse the whole part, so they are given it without them.
_NONCHARACTER_RE = re.compile(rb"\xef\xbf[\xbe\xbf]|&#[xX]0{0,4}[fF]{3}[eEfF];|&#0{0,4}6553[45];")
_NONCHARACTER_MAX = 12  # bytes of the longest match


class NonCharacterFilter:
    """Drops U+FFFE/U+FFFF from XML fed in chunks (a match split between two chunks is found too)."""

    def __init__(self) -> None:
        self._carry = b""
        self.dropped = 0

    def feed(self, data: bytes) -> bytes:
        data = self._carry + data
        if b"\xef\xbf" in data or b"&#" in data:
            data, count = _NONCHARACTER_RE.subn(b"", data)
            self.dropped += count
        self._carry = data[-_NONCHARACTER_MAX:]
        return data[:-_NONCHARACTER_MAX]

    def flush(self) -> bytes:
        data, self._carry = self._carry, b""
        return data


# Error values of Excel 365 that calamine does not know (it refuses the whole sheet): read as the others are.
NEW_ERROR_VALUES_RE = re.compile(rb"#(?:SPILL|CALC|FIELD|BLOCKED|CONNECT|BUSY|UNKNOWN|PYTHON|EXTERNAL)!")


class XmlProblem(Exception):
    """A part that cannot be read as XML, or a cell reference no reader could place (Chinese message)."""


class TooManyElements(Exception):
    """The part has more XML elements than the scan was allowed to read (a limit of the guard)."""


@dataclass
class PartFacts:
    """What a scan found; which fields are filled depends on ``kind``."""

    kind: str | None = None
    non_characters: int = 0  # U+FFFE/U+FFFF dropped before parsing (openpyxl must get a cleaned copy)
    new_error_values: bool = False  # a cached #SPILL! or another error value calamine does not know
    elements: int = 0  # XML elements read (the cost of every parse of this part)
    # worksheet
    last_row: int = 0  # 1-based row of the farthest cell with content (or merged area), 0 when none
    last_col: int = -1  # 0-based column of the same
    value_cells: int = 0  # cells with content (a value, an inline string or a formula)
    cells: int = 0  # every <c> element, formatted empty ones included (openpyxl builds an object for each)
    merged_cells: int = 0  # cells covered by merged ranges
    has_formulas: bool = False
    has_hidden: bool = False
    # shared strings
    declared_strings: int = 0  # <sst uniqueCount>, what calamine reserves room for
    strings: int = 0  # <si> elements really there
    # workbook: (sheet name, relationship ids) per <sheet>
    sheets: list[tuple[str, list[str]]] = field(default_factory=list)
    # relationships: id -> target
    targets: dict[str, str] = field(default_factory=dict)


def column_number(letters: str) -> int:
    """Column letters (any case, any length) -> 0-based index, as readers compute it."""
    value = 0
    for ch in letters.upper():
        value = value * 26 + (ord(ch) - 64)
    return value - 1


def parse_ref(ref: str) -> tuple[int, int]:
    """(1-based row, 0-based column) of a cell reference; XmlProblem if no reader could place it."""
    match = _REF_RE.fullmatch(ref)
    if not match or len(match.group(2)) > 30:
        shown = ref if len(ref) <= 20 else ref[:20] + "…"
        raise XmlProblem(f"单元格引用 “{shown!r}” 无效")
    return int(match.group(2)), column_number(match.group(1))


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """(first row, first col, last row, last col) of "A1:B2" or "A1", normalised so first <= last."""
    first, _, last = ref.partition(":")
    r0, c0 = parse_ref(first)
    r1, c1 = parse_ref(last) if last else (r0, c0)
    return min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)


def _local(name: str) -> str:
    return name.rpartition("}")[2]


class PartScanner:
    """Feed a part's bytes in chunks; afterwards ``facts`` says what it holds."""

    def __init__(self, budget: int) -> None:
        self.facts = PartFacts()
        self.budget = budget  # elements that may be read before TooManyElements
        self.done = False  # nothing more to learn from this part
        parser = expat.ParserCreate(namespace_separator="}")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._forbid
        parser.EntityDeclHandler = self._forbid
        parser.UnparsedEntityDeclHandler = self._forbid
        parser.ExternalEntityRefHandler = self._forbid
        parser.StartElementHandler = self._root
        self._parser = parser
        self._filter = NonCharacterFilter()
        self._tail = b""

    def feed(self, data: bytes) -> None:
        if self.done:
            return
        data = self._filter.feed(data)
        if not self.facts.new_error_values and b"!" in data and self.facts.kind in (None, WORKSHEET):
            self.facts.new_error_values = NEW_ERROR_VALUES_RE.search(self._tail + data) is not None
        self._tail = data[-16:]
        if self.facts.kind is None and len(data) > ROOT_BYTES:  # learn the kind before parsing a big chunk
            self._parse(data[:ROOT_BYTES], False)
            data = data[ROOT_BYTES:]
            if self.done:
                return
        self._parse(data, False)

    def close(self) -> PartFacts:
        if not self.done:
            self._parse(self._filter.flush(), True)
        self.facts.non_characters = self._filter.dropped
        return self.facts

    def _parse(self, data: bytes, final: bool) -> None:
        try:
            self._parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise XmlProblem(f" XML 已损坏（第 {exc.lineno} 行第 {exc.offset + 1} 列）") from None
        except RecursionError:
            raise XmlProblem("XML 嵌套过深") from None

    def _forbid(self, *args) -> None:
        raise XmlProblem("含有 DTD/实体声明")

    def _stop(self) -> None:
        self.done = True
        self._parser.StartElementHandler = None
        self._parser.EndElementHandler = None

    def _root(self, name: str, attrs: dict[str, str]) -> None:
        kind = _local(name)
        self.facts.kind = kind if kind in _KINDS else OTHER
        if kind == WORKSHEET:
            self._parser.StartElementHandler, self._parser.EndElementHandler = _sheet_handlers(self.facts, self.budget)
        elif kind == SHARED_STRINGS:
            declared = attrs.get("uniqueCount", "").strip()
            self.facts.declared_strings = int(declared) if declared.isdigit() and len(declared) < 30 else 0
            self._parser.StartElementHandler = self._string
        elif kind == WORKBOOK:
            self._parser.StartElementHandler = self._sheet
        elif kind == RELATIONSHIPS:
            self._parser.StartElementHandler = self._relationship
        else:
            self._stop()

    def _count(self) -> None:
        self.facts.elements += 1
        if self.facts.elements > self.budget:
            raise TooManyElements

    def _string(self, name: str, attrs: dict[str, str]) -> None:
        self._count()
        if name.endswith("si") and _local(name) == "si":
            self.facts.strings += 1

    def _sheet(self, name: str, attrs: dict[str, str]) -> None:
        self._count()
        if _local(name) == "sheet":
            ids = [value for key, value in attrs.items() if _local(key) == "id"]
            self.facts.sheets.append((attrs.get("name", ""), ids))

    def _relationship(self, name: str, attrs: dict[str, str]) -> None:
        self._count()
        if _local(name) == "Relationship" and "Id" in attrs:
            self.facts.targets[attrs["Id"]] = attrs.get("Target", "")


def _sheet_handlers(facts: PartFacts, budget: int):
    """Start and end handlers for a worksheet: closures over plain locals, since they run per element.

    A cell has content when any element starts inside it (calamine reads <v>, <is> and <f>; counting
    every child is the safe side). Positions: the cell's r, else one right of the previous cell; a row's r,
    else one below the previous row. The row used for a cell is the larger of the two, so that readers that
    trust the row element and readers that trust the cell are both covered.
    """
    local_of: dict[str, str] = {}
    depth = 0
    row = 0  # current <row> element's number
    col = -1  # column of the previous cell in this row
    cell_row = 0
    cell_ref: str | None = None  # the previous cell's r, parsed only when needed (formatted cells are many)
    cell_depth = 0  # depth of the open <c>, 0 outside a cell
    content = False
    elements = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, row, col, cell_row, cell_ref, cell_depth, content, elements
        depth += 1
        elements += 1
        if elements > budget:
            facts.elements = elements
            raise TooManyElements
        local = local_of.get(name)
        if local is None:
            local = local_of[name] = _local(name)
        if cell_depth and not content:
            content = True
            if cell_ref is not None:
                cell_row, col = parse_ref(cell_ref)
                cell_ref = None
            facts.value_cells += 1
            last = max(row, cell_row)
            facts.last_row = max(facts.last_row, last)
            facts.last_col = max(facts.last_col, col)
        if local == "c":
            facts.cells += 1
            ref = attrs.get("r")
            if ref is None:
                if cell_ref is not None:
                    cell_row, col = parse_ref(cell_ref)
                else:
                    cell_row = row
                col += 1
            cell_ref = ref
            cell_depth = depth
            content = False
        elif local == "row":
            number = attrs.get("r")
            if number is None:
                row += 1
            else:
                try:
                    row = int(number) if len(number) < 30 else -1
                except ValueError:
                    row = -1
                if row < 0:
                    raise XmlProblem(f"行号 “{number[:20]!r}” 无效")
            col, cell_ref, cell_row = -1, None, row
            if attrs.get("hidden") in ("1", "true"):
                facts.has_hidden = True
        elif local == "f":
            facts.has_formulas = True
        elif local == "mergeCell":
            r0, c0, r1, c1 = parse_range(attrs.get("ref", ""))
            facts.merged_cells += (r1 - r0 + 1) * (c1 - c0 + 1)
            facts.last_row = max(facts.last_row, r1)
            facts.last_col = max(facts.last_col, c1)
        elif local == "col":
            if attrs.get("hidden") in ("1", "true"):
                facts.has_hidden = True

    def end(name: str) -> None:
        nonlocal depth, cell_depth
        if depth == cell_depth:
            cell_depth = 0
        depth -= 1
        if depth == 0:
            facts.elements = elements

    return start, end
