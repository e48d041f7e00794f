"""Unit tests for helpers whose bugs are cheap to find here: A1 names, Chinese numerals, cell values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_rowcol_to_cell

from workbook_engine.a1 import cell_name, column_index, column_letter, parse_cell, range_name, sheet_ref
from workbook_engine.document_format import chinese_number, parse_chinese_number
from workbook_engine.values import as_text, is_blank, parse_number

MAX_COL = 16383  # XFD, Excel's last column (0-based)
MAX_ROW = 1048576


# --- A1 names: xlsxwriter's utility functions are the oracle ------------------------------------------

@pytest.mark.parametrize("index,letters", [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (52, "BA"), (701, "ZZ"),
                                           (702, "AAA"), (MAX_COL, "XFD")])
def test_column_letters(index, letters):
    assert column_letter(index) == letters == xl_col_to_name(index)
    assert column_index(letters) == column_index(letters.lower()) == index


@given(st.integers(0, MAX_COL), st.integers(1, MAX_ROW))
def test_cell_names_agree_with_xlsxwriter_and_round_trip(col, row):
    name = cell_name(row, col)
    assert name == xl_rowcol_to_cell(row - 1, col)
    assert parse_cell(name) == (row, col) == (xl_cell_to_rowcol(name)[0] + 1, xl_cell_to_rowcol(name)[1])
    assert parse_cell(f"${name[:len(column_letter(col))]}${row}") == (row, col)


@pytest.mark.parametrize("bad", ["", "A", "12", "A0B", "ABCD1", "A-1", "1A", "A1:B2"])
def test_parse_cell_refuses_what_is_not_a_cell(bad):
    with pytest.raises(ValueError):
        parse_cell(bad)


def test_negative_column_is_refused():
    with pytest.raises(ValueError):
        column_letter(-1)


def test_ranges_and_sheet_references():
    assert range_name(1, 0, 1, 0) == "A1"
    assert range_name(2, 1, 10, 27) == "B2:AB10"
    assert sheet_ref("项目", "A1") == "'项目'!A1"
    assert sheet_ref("Bob's", "C3") == "'Bob''s'!C3"


# --- Chinese numerals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("number,text", [
    (0, "零"), (1, "一"), (10, "十"), (11, "十一"), (19, "十九"), (20, "二十"), (99, "九十九"), (100, "一百"),
    (101, "一百零一"), (110, "一百一十"), (115, "一百一十五"), (1000, "一千"), (1001, "一千零一"),
    (1010, "一千零一十"), (1100, "一千一百"), (2024, "二千零二十四"), (9999, "九千九百九十九"), (10000, "一万"),
    (10001, "一万零一"), (10010, "一万零一十"), (10100, "一万零一百"), (11000, "一万一千"), (12345, "一万二千三百四十五"),
    (20010, "二万零一十"), (99999, "九万九千九百九十九"), (100000, "十万"), (110000, "十一万"),
])
def test_chinese_numbers(number, text):
    assert chinese_number(number) == text
    assert parse_chinese_number(text) == number


def test_every_number_to_99999_round_trips_and_is_unique():
    texts = [chinese_number(n) for n in range(100000)]
    assert len(set(texts)) == len(texts)
    assert all(parse_chinese_number(text) == n for n, text in enumerate(texts))
    assert not any(text.startswith("一十") or "零零" in text or (len(text) > 1 and text.endswith("零"))
                   for text in texts)


@pytest.mark.parametrize("bad", [-1, 10**8])
def test_numbers_outside_the_range_are_refused(bad):
    with pytest.raises(ValueError):
        chinese_number(bad)


@pytest.mark.parametrize("text,number", [("两", 2), ("〇", 0), ("12", 12), ("二十三", 23)])
def test_parse_accepts_variants(text, number):
    assert parse_chinese_number(text) == number


@pytest.mark.parametrize("text", ["", "第一", "一a", "三、", "万万"])
def test_parse_refuses_non_numerals(text):
    assert parse_chinese_number(text) is None


# --- cell values (values.py has its own tests in test_values.py) -------------------------------------

@pytest.mark.parametrize("value,blank", [(None, True), ("", True), ("  \u3000", True), ("\u00a0", True),
                                         (0, False), ("0", False), ("-", False)])
def test_blank_cells(value, blank):
    assert is_blank(value) is blank


@pytest.mark.parametrize("value,expected", [(12.0, "12"), (12.5, "12.5"), (" 文本 ", " 文本 "), (None, "")])
def test_cell_text(value, expected):
    """Whole numbers lose the float's .0; text is kept exactly as typed."""
    assert as_text(value) == expected


@pytest.mark.parametrize("value,expected", [("-3", Decimal(-3)), (" 42 ", Decimal(42)),
                                            ("12.30", Decimal("12.30")), ("", None)])
def test_numbers_typed_as_text(value, expected):
    parsed = parse_number(value)
    assert parsed.value == expected


# --- packaging -----------------------------------------------------------------------------------------

def test_the_package_declares_its_types():
    """py.typed ships in the wheel (package-data), so a caller's type checker reads api.py's annotations."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    from .conftest import ROOT

    assert (ROOT / "workbook_engine" / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["workbook_engine"]
