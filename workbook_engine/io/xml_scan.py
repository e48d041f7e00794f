"""Streaming XML scans of a workbook's parts, seeing them the way the readers do.

The guard (io/guard.py) inflates every part in bounded chunks; each XML part is also fed to an expat
parser here, in the same pass. The part's root element says what it is (a worksheet wherever it lives
and whatever its name, the shared strings, the workbook, a relationships part); other parts are dropped
after their root. For a worksheet, cell and row references are read from the parsed attributes, so any
legal spelling counts (quotes, whitespace, namespace prefixes, character references, lower case, leading
zeros, implied positions): pattern matching the bytes would see only one spelling of a far cell.

DTDs and entity declarations are refused (as defusedxml does); names are matched by their local part,
as calamine does, so that an element in a surprising namespace is counted rather than overlooked.

Calling Python for every element costs about four times the parse itself, so a worksheet spelled the
plain way every writer spells it (see ``_PlainSheet``) is still parsed by expat, for well-formedness and
the DTD refusal, but without element handlers; its facts are counted from the same bytes by patterns that
such a spelling makes unambiguous. Anything else in it, however legal, makes the scan decline, and the
guard scans the part again the handler way (``PartScanner(fast=False)``): the facts and refusals are the
same either way (tests/test_guard_fast_sheet_scan.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from xml.parsers import expat

WORKSHEET = "worksheet"
SHARED_STRINGS = "sst"
WORKBOOK = "workbook"
RELATIONSHIPS = "Relationships"
CONTENT_TYPES = "Types"
OTHER = "other"
_KINDS = {WORKSHEET, SHARED_STRINGS, WORKBOOK, RELATIONSHIPS, CONTENT_TYPES}
# Roots that readers parse for cells like a worksheet's (calamine reads a sheet by its relationship, not by
# its root): each is scanned as a worksheet, so that its far cells and merges count (issue 26).
SHEET_ROOTS = {"worksheet", "chartsheet", "dialogsheet", "macrosheet"}

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
        if self._carry:
            data = self._carry + data
        if (b"\xef" in data and b"\xef\xbf" in data) or (b"&" in data and b"&#" in data):
            data, count = _NONCHARACTER_RE.subn(b"", data)
            self.dropped += count
        tail = data[-_NONCHARACTER_MAX:]
        if b"\xef" in tail or b"&" in tail:  # may begin a match that the next chunk completes
            self._carry = tail
            return data[:-_NONCHARACTER_MAX]
        self._carry = b""
        return data

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
    date1904: bool = False  # <workbookPr date1904="1">: dates count from 1904 (Excel for Mac)
    # relationships: id -> target, id -> type
    targets: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    root: str = ""  # the root element's local name, as written
    # content types: extension (lower case) -> type, part name (lower case, no leading /) -> type
    defaults: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)


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
    """Feed a part's bytes in chunks; afterwards ``facts`` says what it holds.

    With ``fast`` (the default) a worksheet or shared-strings part is counted by _PlainSheet/_PlainStrings
    while expat checks it; if it is not spelled plainly, ``declined`` is set and the caller scans the part
    again with ``fast=False`` (a Python call per element)."""

    def __init__(self, budget: int, fast: bool = True) -> None:
        self.facts = PartFacts()
        self.budget = budget  # elements that may be read before TooManyElements
        self.done = False  # nothing more to learn from this part
        self.declined = False  # a plainly spelled worksheet turned out not to be: scan it again with fast=False
        self._plain: _PlainPart | None = None  # counts a worksheet's or shared strings' facts from bytes
        self._early: list[bytes] | None = [] if fast else None  # bytes parsed before the root was seen
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
            self.facts.new_error_values = NEW_ERROR_VALUES_RE.search(data) is not None or \
                NEW_ERROR_VALUES_RE.search(self._tail + data[:16]) is not None
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
        early = self.facts.kind is None
        try:
            self._parser.Parse(data, final)
        except expat.ExpatError as exc:
            if self._plain is not None:  # where the handler scan would stop, and with which message
                return self._decline()
            raise XmlProblem(f" XML 已损坏（第 {exc.lineno} 行第 {exc.offset + 1} 列）") from None
        except RecursionError:
            if self._plain is not None:
                return self._decline()
            raise XmlProblem("XML 嵌套过深") from None
        if self._plain is not None:
            if early and self._early is not None:
                data = b"".join(self._early) + data
            self._early = None
            try:
                self._plain.feed(data, final)
                if final:
                    self._plain.result(self.facts)
            except _NotPlain:
                self._decline()
        elif self._early is not None:
            if self.facts.kind is None and sum(map(len, self._early)) < ROOT_BYTES:
                self._early.append(data)
            else:  # not a worksheet, or its root comes too late to be one the guard accepts
                self._early = None

    def _decline(self) -> None:
        self.declined = self.done = True
        self._plain = None

    def _forbid(self, *args: Any) -> Any:  # any expat handler's signature
        raise XmlProblem("含有 DTD/实体声明")

    def _stop(self) -> None:
        self.done = True
        self._parser.StartElementHandler = None
        self._parser.EndElementHandler = None

    def _root(self, name: str, attrs: dict[str, str]) -> None:
        kind = _local(name)
        self.facts.root = kind
        if kind in SHEET_ROOTS:
            kind = WORKSHEET
        self.facts.kind = kind if kind in _KINDS else OTHER
        if kind == WORKSHEET and self._early is not None:
            self._parser.StartElementHandler = None
            self._plain = _PlainSheet(self.budget)
        elif kind == WORKSHEET:
            self._parser.StartElementHandler, self._parser.EndElementHandler = _sheet_handlers(self.facts, self.budget)
        elif kind == SHARED_STRINGS:
            declared = attrs.get("uniqueCount", "").strip()
            self.facts.declared_strings = int(declared) if declared.isdigit() and len(declared) < 30 else 0
            if self._early is not None:
                self._parser.StartElementHandler = None
                self._plain = _PlainStrings(self.budget)
            else:
                self._parser.StartElementHandler = self._string
        elif kind == WORKBOOK:
            self._parser.StartElementHandler = self._sheet
        elif kind == RELATIONSHIPS:
            self._parser.StartElementHandler = self._relationship
        elif kind == CONTENT_TYPES:
            self._parser.StartElementHandler = self._content_type
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
        local = _local(name)
        if local == "sheet":
            ids = [value for key, value in attrs.items() if _local(key) == "id"]
            self.facts.sheets.append((attrs.get("name", ""), ids))
        elif local == "workbookPr":
            self.facts.date1904 = attrs.get("date1904", "").strip().lower() in ("1", "true")

    def _relationship(self, name: str, attrs: dict[str, str]) -> None:
        self._count()
        if _local(name) == "Relationship" and "Id" in attrs:
            self.facts.targets[attrs["Id"]] = attrs.get("Target", "")
            self.facts.types[attrs["Id"]] = attrs.get("Type", "")

    def _content_type(self, name: str, attrs: dict[str, str]) -> None:
        self._count()
        local = _local(name)
        if local == "Default":
            self.facts.defaults[attrs.get("Extension", "").lower()] = attrs.get("ContentType", "")
        elif local == "Override":
            self.facts.overrides[attrs.get("PartName", "").lstrip("/").lower()] = attrs.get("ContentType", "")


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


class _NotPlain(Exception):
    """The worksheet is spelled in a way the patterns of _PlainSheet do not cover."""


# A content cell: a start tag that is not self-closed and whose next tag is a start tag (any element
# starting inside a cell gives it content, see _sheet_handlers). Tested by look-ahead, so that the next
# tag is still there for the next match.
_CONTENT = rb'c r="[^"]*+"[^>]*+(?<!/)>(?=[^<]*+<(?!/))'
_NOT_ROW_OR_CONTENT = rb"(?:[^<]++|<(?!row[\s/>]|" + _CONTENT + rb"))*+"
_HEAD_CONTENT_RE = re.compile(_NOT_ROW_OR_CONTENT + b"<" + _CONTENT)  # before the piece's first <row>
_ROW_WITH_CONTENT_RE = re.compile(rb'<row r="([0-9]+)"[^>]*+>' + _NOT_ROW_OR_CONTENT + b"<" + _CONTENT)
_CONTENT_RE = re.compile(b"<" + _CONTENT)
_CONTENT_REF_RE = re.compile(rb'<c r="\$?([A-Za-z]+)\$?([0-9]+)"[^>]*+(?<!/)>(?=[^<]*+<(?!/))')
_REFS_RE = re.compile(rb'(?:\$?[A-Za-z]+\$?[0-9]{1,30}")*')  # refs as _cells_re captures them, joined
_REF_PAIRS_RE = re.compile(rb'\$?([A-Za-z]+)\$?([0-9]+)"')
_OTHER_CELL_RE = re.compile(rb"<c[>/\t\n\r]")  # a cell start tag not spelled <c r="…" (with the counts)
_OTHER_ROW_RE = re.compile(rb'<row(?:[>/\t\n\r]| (?!r="[0-9]{1,29}"))')  # nor a row's <row r="digits"
_SPECIAL_RE = re.compile(rb"<[!?]")  # comment, CDATA, DOCTYPE, processing instruction
_OTHER_STRING_RE = re.compile(rb"<si[/\t\n\r]|<[^\s/>:!?]+:si[\s/>]")  # an <si> the counts would miss
_FORMULA_RE = re.compile(rb"<f[\s/>]")
_ENCODING_RE = re.compile(rb"""encoding\s*=\s*["']([^"']*)""")
_XMLNS_RE = re.compile(rb"xmlns:([^\s=/>]+)")
_PREFIXED_RE = re.compile(rb"<[^\s/>:!?]+:([^\s/>]+)")
_PREFIXED_ANY_RE = re.compile(rb"<[^\s/>:!?]+:")
_ATTRIBUTES = rb"""(?:\s+[^\s=>]+\s*=\s*(?:"[^"]*"|'[^']*'))*?"""  # attributes before the one looked for
_HIDDEN_RE = re.compile(rb"<(?:row|col)" + _ATTRIBUTES + rb"""\s+hidden\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_MERGE_RE = re.compile(rb"<mergeCell[\s/>]")
_MERGE_REF_RE = re.compile(rb"<mergeCell" + _ATTRIBUTES + rb"""\s+ref\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_PLAIN_WINDOW = 16 * 1024  # bytes of a piece whose content cells set the first bounds for _cells_re
_PLAIN_CARRY = 1024 * 1024  # bytes without a tag start that a piece may carry over


def _case_free(letters: bytes) -> bytes:
    return b"".join(b"[" + bytes([ch, ch | 0x20]) + b"]" for ch in letters)


def _letters_upto(letters: bytes) -> bytes:
    """A pattern for column letters (either case) up to ``letters`` (upper case)."""
    size = len(letters)
    options = [rb"[A-Za-z]{1,%d}" % (size - 1)] if size > 1 else []
    for i, letter in enumerate(letters):
        if letter > ord("A"):
            below = bytes([letter - 1])
            options.append(_case_free(letters[:i]) + b"[A-" + below + b"a-" + below.lower() + b"]"
                           + (rb"[A-Za-z]{%d}" % (size - i - 1) if size - i - 1 else b""))
    options.append(_case_free(letters))
    return b"(?:" + b"|".join(options) + b")"


def _number_upto(number: int) -> bytes:
    """A pattern for a row number (leading zeros allowed) up to ``number``, and the closing quote."""
    digits = str(number).encode()
    size = len(digits)
    options = [rb"[0-9]{1,%d}" % (size - 1)] if size > 1 else []
    for i, digit in enumerate(digits):
        if digit > ord("0"):
            options.append(digits[:i] + b"[0-" + bytes([digit - 1]) + b"]"
                           + (rb"[0-9]{%d}" % (size - i - 1) if size - i - 1 else b""))
    options.append(digits)
    return b"0*(?:" + b"|".join(options) + b')"'


@lru_cache(maxsize=256)
def _cells_re(letters: bytes | None, row: int) -> re.Pattern[bytes]:
    """Every empty cell (group 1 empty) and every content cell beyond column ``letters`` or row ``row``
    or with an r no reader places (its r and closing quote in group 1). Content cells within the bounds
    do not match: a sheet written row by row costs one pass and few matches."""
    within = rb"(?!\$?" + _letters_upto(letters) + rb"\$?" + _number_upto(row) + b")" if letters else b""
    return re.compile(rb'<c r="(?:[^"]*+"[^>]*+(?:(?<=/)>|>[^<]*+</)|' + within
                      + rb'([^"]*+")[^>]*+(?<!/)>(?=[^<]*+<(?!/)))')


class _PlainPart:
    """Bytes of a part in pieces, for counting by patterns: each piece is cut before its last ``<`` (the
    tag there may be incomplete) and the cut-off tail is carried to the next piece; patterns that look at
    the tag after a cell may see the first two bytes of the tail. The XML declaration is skipped, and the
    part must be UTF-8 without comment, CDATA, processing instruction or DOCTYPE after it (each ``<`` then
    starts an element's start or end tag); else _NotPlain."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.carry = b""
        self.started = False  # the XML declaration was skipped
        self.tags = 0  # start tags, the root included

    def result(self, facts: PartFacts) -> None:
        """Put the counted facts into ``facts`` (each kind of part counts its own)."""
        raise NotImplementedError

    def feed(self, data: bytes, final: bool) -> None:
        text = self.carry + data if self.carry else data
        if final:
            end = look = len(text)
            self.carry = b""
        else:
            cut = text.rfind(b"<", 0, len(text) - 1)
            if cut <= 0:
                if len(text) > _PLAIN_CARRY:
                    raise _NotPlain
                self.carry = text
                return
            end, look = cut, cut + 2
            self.carry = text[cut:]
        start = 0
        if not self.started:
            self.started = True
            start = 3 if text.startswith(b"\xef\xbb\xbf") else 0
            if text[start:start + 1] != b"<" or text[start + 1:start + 2] in (b"", b"\x00"):
                raise _NotPlain  # UTF-16, or space before the first tag
            if text.startswith(b"<?xml", start):
                close = text.find(b"?>", start, end)
                encoding = _ENCODING_RE.search(text, start, max(close, start))
                if close < 0 or text[start + 5:start + 6] not in (b" ", b"\t", b"\r", b"\n") or (
                        encoding and encoding.group(1).lower() not in (b"utf-8", b"utf8")):
                    raise _NotPlain  # the patterns read UTF-8 (or ASCII) bytes
                start = close + 2
        opened = text.count(b"<", start, end)
        if (text.find(b"?", start, end) >= 0 or text.find(b"!", start, end) >= 0) and \
                _SPECIAL_RE.search(text, start, end):
            raise _NotPlain
        self.tags += opened - text.count(b"</", start, end)
        if self.tags - 1 > self.budget:
            raise _NotPlain  # the handler scan raises TooManyElements at the right place
        self._piece(text, start, end, look, opened)

    def _piece(self, text: bytes, start: int, end: int, look: int, opened: int) -> None:
        raise NotImplementedError


class _PlainStrings(_PlainPart):
    """The shared strings' <si> count, for a part spelled plainly (no prefixed si, ``<si>`` or ``<si ``)."""

    def __init__(self, budget: int) -> None:
        super().__init__(budget)
        self.strings = 0

    def _piece(self, text: bytes, start: int, end: int, look: int, opened: int) -> None:
        if _OTHER_STRING_RE.search(text, start, end):
            raise _NotPlain
        self.strings += text.count(b"<si>", start, end) + text.count(b"<si ", start, end)

    def result(self, facts: PartFacts) -> None:
        facts.elements, facts.strings = self.tags - 1, self.strings


class _PlainSheet(_PlainPart):
    """A worksheet's facts counted from its bytes by patterns, for a part spelled the plain way.

    Plain means: UTF-8; no comment, CDATA, processing instruction or DOCTYPE after the XML declaration;
    no ``>`` except at the end of a tag (so ``<[^>]*>`` is exactly a tag, and no tag hides in an
    attribute value); cells and rows are unprefixed and spelled ``<c r="…"`` and ``<row r="…"`` (r first,
    double quotes, digits only in a row's r); no c, row, col or mergeCell element has a namespace
    prefix; hidden and ref attributes hold no character reference. Excel, openpyxl, xlsxwriter and
    LibreOffice write sheets so. Under these rules each fact _sheet_handlers computes has a pattern that
    finds the same: ``<`` starts a tag and nothing else, the first ``>`` ends it, and the attribute looked
    for is where the pattern looks. Anything else raises _NotPlain, never a different answer.
    """

    def __init__(self, budget: int) -> None:
        super().__init__(budget)
        self.prefixes: set[bytes] = set()
        self.row = 0  # r of the last <row> so far: the row a content cell gets when it comes before any <row>
        self.row_max = 0  # largest <row r> with a content cell, and largest row of a content cell
        self.letters: bytes | None = None  # upper-case letters of the farthest column of a content cell
        self.col_max = -1
        self.cells = self.value_cells = self.merged_cells = 0
        self.merge_row = 0
        self.merge_col = -1
        self.has_formulas = self.has_hidden = False

    def _piece(self, text: bytes, start: int, end: int, look: int, opened: int) -> None:
        if text.count(b">", start, end) != opened:
            raise _NotPlain
        if text.find(b"xmlns:", start, end) >= 0:
            self.prefixes.update(_XMLNS_RE.findall(text, start, end))
        if self.prefixes and self._prefixed(text, start, end):
            names = set(_PREFIXED_RE.findall(text, start, end))
            if names & {b"c", b"row", b"col", b"mergeCell"}:
                raise _NotPlain
            self.has_formulas = self.has_formulas or b"f" in names
        cells = text.count(b"<c ", start, end)
        if (cells and text.count(b'<c r="', start, end) != cells) or _OTHER_CELL_RE.search(text, start, end) \
                or _OTHER_ROW_RE.search(text, start, end):
            raise _NotPlain
        rows = text.find(b'<row r="', start, end) >= 0
        if cells:
            self.cells += cells
            window = min(look, start + _PLAIN_WINDOW)
            first = _CONTENT_REF_RE.findall(text, start, window)
            self._reach(first)
            dense = len(first) * 2 >= text.count(b"<c ", start, window)
            if dense:
                self._rows_with_content(text, start, look)
            values = cells - self._farthest(text, start, look)
            self.value_cells += values
            if values and not dense:
                self._rows_of_content(text, start, look)
        if rows:
            last = text.rfind(b'<row r="', start, end) + 8
            self.row = int(text[last:text.index(b'"', last)])
        if not self.has_formulas and _FORMULA_RE.search(text, start, end):
            self.has_formulas = True
        if text.find(b"hidden", start, end) >= 0:
            for pair in _HIDDEN_RE.findall(text, start, end):
                value = pair[0] or pair[1]
                if b"&" in value:
                    raise _NotPlain
                self.has_hidden = self.has_hidden or value in (b"1", b"true")
        if text.find(b"<mergeCell", start, end) >= 0:
            self._merges(text, start, end)

    def _prefixed(self, text: bytes, start: int, end: int) -> bool:
        """Whether any element of the piece has a namespace prefix (a declared one: any other is an error)."""
        if len(self.prefixes) <= 2:
            return any(text.find(b"<" + prefix + b":", start, end) >= 0 for prefix in self.prefixes)
        return _PREFIXED_ANY_RE.search(text, start, end) is not None

    def _farthest(self, text: bytes, start: int, look: int) -> int:
        """Widen the bounds (farthest column, farthest row) to every content cell; return the number of
        empty cells. The bounds start from the piece's first content cells and the rows holding content,
        so that in a sheet written row by row few cells are beyond them."""
        found = _cells_re(self.letters, self.row_max).findall(text, start, look)
        empty = found.count(b"")
        if empty < len(found):
            refs = b"".join(found)
            if _REFS_RE.fullmatch(refs) is None:
                raise _NotPlain  # an r no reader places: the handler scan says where
            self._reach(_REF_PAIRS_RE.findall(refs))
        return empty

    def _reach(self, pairs: list[tuple[bytes, bytes]]) -> None:
        """Widen the bounds to cover (column letters, row digits) pairs."""
        if not pairs:
            return
        columns, numbers = map(set, zip(*pairs))
        if max(map(len, numbers)) > 30:
            raise _NotPlain
        self.row_max = max(self.row_max, max(map(int, numbers)))
        widest = max(set(map(bytes.upper, columns)), key=lambda item: (len(item), item))
        if len(widest) > 8:
            raise _NotPlain  # bounds patterns grow with the square of the letters (the handler scan has none)
        col = column_number(widest.decode("ascii"))
        if col > self.col_max:
            self.col_max, self.letters = col, widest

    def _rows_with_content(self, text: bytes, start: int, look: int) -> None:
        """The largest <row r> in force at a content cell of the piece (readers that trust the row
        element place the cell there), found row by row: for pieces where most cells hold content."""
        if _HEAD_CONTENT_RE.match(text, start, look):
            self.row_max = max(self.row_max, self.row)
        numbers = _ROW_WITH_CONTENT_RE.findall(text, start, look)
        if numbers:
            self.row_max = max(self.row_max, max(map(int, numbers)))

    def _rows_of_content(self, text: bytes, start: int, look: int) -> None:
        """The same, from each content cell back to its row: for pieces where few cells hold content
        (rows of trailing formatting)."""
        for match in _CONTENT_RE.finditer(text, start, look):
            found = text.rfind(b'<row r="', start, match.start()) + 8
            row = int(text[found:text.index(b'"', found)]) if found >= start + 8 else self.row
            self.row_max = max(self.row_max, row)

    def _merges(self, text: bytes, start: int, end: int) -> None:
        refs = _MERGE_REF_RE.findall(text, start, end)
        if len(refs) != len(_MERGE_RE.findall(text, start, end)):
            raise _NotPlain
        for pair in refs:
            ref = pair[0] or pair[1]
            if not ref or b"&" in ref or not ref.isascii() or any(ch in ref for ch in b" \t\r\n"):
                raise _NotPlain
            try:
                r0, c0, r1, c1 = parse_range(ref.decode("ascii"))
            except XmlProblem:
                raise _NotPlain from None
            self.merged_cells += (r1 - r0 + 1) * (c1 - c0 + 1)
            self.merge_row = max(self.merge_row, r1)
            self.merge_col = max(self.merge_col, c1)

    def result(self, facts: PartFacts) -> None:
        """Write what was counted into ``facts`` (after the last piece)."""
        facts.elements = self.tags - 1
        facts.cells, facts.value_cells, facts.merged_cells = self.cells, self.value_cells, self.merged_cells
        facts.last_row = max(self.row_max, self.merge_row)
        facts.last_col = max(self.col_max, self.merge_col)
        facts.has_formulas, facts.has_hidden = self.has_formulas, self.has_hidden
