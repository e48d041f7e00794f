"""Property-based robustness (hypothesis): arbitrary Unicode, cell-limit lengths and random structure.

Properties: the writer either writes a workbook that reads back exactly or refuses with UnwritableText
(never another exception, never silent loss); validate never crashes on any workbook, whatever its
sheets, headers and cell types; the annotated copy can always be written. The render round-trip and
merge properties of issue 6 belong to the branches that add those commands (docs/security.md, TODO).
"""

from __future__ import annotations

import copy
import datetime
import tempfile
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from workbook_engine.api import Report, read_book, validate
from workbook_engine.canonical_writer import write_book
from workbook_engine.errors import UnwritableText
from workbook_engine.importer import import_document
from workbook_engine.io.cell_text import EXCEL_MAX_CHARS, excel_length
from workbook_engine.sheets import SPECS
from workbook_engine.validation.annotate import annotate

from .conftest import SEED

SEED_BOOK = import_document(SEED)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.data_too_large])

# Any code point, surrogates included: the writer must cope with whatever a Python caller hands it.
ANY_CHAR = st.characters(codec=None, categories=None)
SHORT_TEXT = st.text(ANY_CHAR, max_size=40)
LONG_TEXT = st.builds(lambda ch, n, tail: ch * n + tail, ANY_CHAR, st.integers(EXCEL_MAX_CHARS - 40, EXCEL_MAX_CHARS + 2),
                      st.text(ANY_CHAR, max_size=3))
TEXT = st.one_of(SHORT_TEXT, SHORT_TEXT, SHORT_TEXT, LONG_TEXT)

TEXT_FIELDS = {"goals": ("title", "content"), "projects": ("name", "table_title", "purpose", "goal"),
               "indicators": ("level3", "description", "value", "basis")}


def storable(text: str) -> bool:
    return (excel_length(text) <= EXCEL_MAX_CHARS
            and not any(0xD800 <= ord(ch) <= 0xDFFF or ch in "\ufffe\uffff" for ch in text))


@st.composite
def edited_books(draw):
    """The seed book with a few text fields replaced by arbitrary text."""
    book = copy.deepcopy(SEED_BOOK)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(sorted(TEXT_FIELDS)))
        records = getattr(book, kind)
        record = records[draw(st.integers(0, len(records) - 1))]
        setattr(record, draw(st.sampled_from(TEXT_FIELDS[kind])), draw(TEXT))
    return book


def texts_of(book) -> list[str]:
    return [getattr(r, f) for kind, fields in TEXT_FIELDS.items() for r in getattr(book, kind) for f in fields]


@SETTINGS
@given(book=edited_books())
def test_writer_round_trips_or_refuses_and_validate_never_crashes(book):
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "book.xlsx"
        if all(storable(t) for t in texts_of(book)):
            write_book(book, out)
            assert read_book(out) == book  # nothing lost, control characters and all
            report = validate(out, review=True)
            assert isinstance(report, Report)
            annotate(out, report, Path(folder) / "annotated.xlsx")
        else:
            with pytest.raises(UnwritableText):
                write_book(book, out)
            assert not out.exists()


# --- Random structure ---------------------------------------------------------------------------------

SHEET_NAMES = [s.name for s in SPECS] + [s.alias for s in SPECS] + ["说明", "Sheet1", " 项目 "]
HEADERS = [c.header for s in SPECS for c in s.columns] + ["备注", "", " 项目 名称 ", "预算数（万元）"]
CELL = st.one_of(
    st.none(),
    st.text(st.characters(codec="utf-8", exclude_characters="\ufffe\uffff"), max_size=30),
    st.integers(-10**15, 10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.dates(datetime.date(1900, 3, 1), datetime.date(2100, 1, 1)),
    st.sampled_from(["200.00", "２００", "25%", "≥12次", "=1+1", "\u00a0", "2024", "450001", "13022524P00CL0E10035D"]),
)


@st.composite
def random_workbooks(draw):
    sheets = draw(st.lists(st.sampled_from(SHEET_NAMES), min_size=0, max_size=5, unique_by=lambda n: n.strip()))
    layout = []
    for name in sheets:
        offset = draw(st.integers(0, 3))
        headers = draw(st.lists(st.sampled_from(HEADERS), max_size=16))
        rows = draw(st.lists(st.lists(CELL, max_size=len(headers) + 2), max_size=8))
        merges = draw(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 2), st.integers(0, 2)),
                               max_size=2))
        layout.append((name, offset, headers, rows, merges, draw(st.booleans())))
    return layout


def write_grid(path: Path, layout) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False,
                                               "strings_to_urls": False})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    if not layout:
        workbook.add_worksheet("Sheet1")
    used: set[tuple[str, int, int]] = set()
    for name, offset, headers, rows, merges, hidden in layout:
        sheet = workbook.add_worksheet(name)
        for col, header in enumerate(headers):
            sheet.write_string(offset, col, header)
        for r, values in enumerate(rows, start=offset + 1):
            for c, value in enumerate(values):
                if isinstance(value, datetime.date):
                    sheet.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), date_format)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)
                elif value is not None:
                    sheet.write(r, c, value)
        for first_row, first_col, height, width in merges:
            cells = {(name, r, c) for r in range(first_row, first_row + height + 1)
                     for c in range(first_col, first_col + width + 1)}
            if (height or width) and not cells & used:
                used |= cells
                sheet.merge_range(first_row, first_col, first_row + height, first_col + width, None)
        if hidden and len(layout) > 1:
            sheet.hide()
    workbook.close()


@SETTINGS
@given(layout=random_workbooks())
def test_validate_never_crashes_on_random_structure(layout):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.xlsx"
        try:
            write_grid(path, layout)
        except xlsxwriter.exceptions.XlsxWriterException:
            assume(False)  # a layout Excel itself would not allow (e.g. overlapping merges)
        report = validate(path, review=True)
        assert isinstance(report, Report)
        assert all(f.message and f.code for f in report.findings)
        report.to_json()
        annotate(path, report, Path(folder) / "annotated.xlsx")
