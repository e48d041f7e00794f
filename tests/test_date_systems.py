"""Dates in date1904 workbooks and numbers formatted as dates (issue 26): read right, or refused with the
cell named, never blanked. calamine shows a date-formatted number as the date; values.stored_number turns it
back into the number Excel stores, in the workbook's own date system."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from workbook_engine.api import read_book, validate
from workbook_engine.io.guard import inspect_xlsx
from workbook_engine.values import parse_number, parse_percent_cell, stored_number

from .conftest import SAMPLE, run_cli

FIRST = "13022524P00CL0E10035D"  # the sample's first project: 预算数 200, plan 25/50/75/100 %


def _sample(path: Path, *, date1904: bool = False, money_as_date: bool = False, plan_as_time: bool = False) -> Path:
    workbook = openpyxl.load_workbook(SAMPLE)
    sheet = workbook["项目"]
    if money_as_date:
        for cell in ("F2", "G2"):
            sheet[cell].number_format = "yyyy-mm-dd"
    if plan_as_time:
        for cell in ("J2", "K2", "L2", "M2"):
            sheet[cell].number_format = "hh:mm:ss"
    if date1904:
        workbook.epoch = CALENDAR_MAC_1904
    workbook.save(path)
    return path


def _first_project(path: Path):
    return next(p for p in read_book(path).projects if p.code == FIRST)


@pytest.mark.parametrize("date1904", [False, True])
def test_every_number_behind_a_date_format_is_the_number_excel_stores(tmp_path: Path, date1904: bool) -> None:
    rng = random.Random(1904)
    numbers = [0.25, 0.5, 1, 10, 61, 200, 606.18, 1234.56, 45000.5, 99999.99]
    numbers += [round(rng.uniform(0, 50_000), 2) for _ in range(200)] + [round(rng.random(), 4) for _ in range(50)]
    workbook = openpyxl.Workbook()
    formats = ["yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", "hh:mm:ss", "[h]:mm:ss", 'yyyy"年"m"月"d"日"']
    for row, number in enumerate(numbers, start=1):
        for col, number_format in enumerate(formats, start=1):
            workbook.active.cell(row, col, number).number_format = number_format
    if date1904:
        workbook.epoch = CALENDAR_MAC_1904
    path = tmp_path / "numbers.xlsx"
    workbook.save(path)
    assert inspect_xlsx(path).date1904 is date1904
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    for number, shown_row in zip(numbers, rows):
        for shown in shown_row:
            assert isinstance(shown, (dt.date, dt.time, dt.timedelta)), shown  # calamine shows a date
            if not date1904 and shown == dt.date(1900, 2, 28):
                continue  # checked below: 59 and 60 share this date
            assert stored_number(shown, date1904) == Decimal(repr(number)), (number, shown)


def test_the_one_date_two_numbers_share_is_refused_not_guessed() -> None:
    assert stored_number(dt.date(1900, 2, 28)) is None  # 59, or Excel's 29 February 1900 (60)
    assert stored_number(dt.date(1904, 2, 29), date1904=True) == 59
    parsed = parse_number(dt.date(1900, 2, 28))
    assert parsed.value is None and parsed.error


def test_a_plan_cell_shown_as_a_time_is_its_fraction() -> None:
    cell = parse_percent_cell(dt.time(6, 0))
    assert (cell.points, cell.style) == (Decimal("0.25"), "date")


def test_a_date1904_workbook_keeps_its_budget_through_every_command(tmp_path: Path) -> None:
    book = _sample(tmp_path / "mac.xlsx", date1904=True)
    assert _first_project(book).budget == 200
    result = run_cli("validate", book)
    assert result.returncode == 0, result.stdout
    assert run_cli("render", book, "-o", f"{tmp_path}/official/").returncode == 0
    assert run_cli("extract", tmp_path / "official", "-o", tmp_path / "back.xlsx").returncode == 0
    assert run_cli("merge", book, "-o", tmp_path / "merged.xlsx").returncode == 0
    for output in ("back.xlsx", "merged.xlsx"):
        compared = run_cli("diff", SAMPLE, tmp_path / output)
        assert compared.returncode == 0 and "内容相同" in compared.stdout, (output, compared.stdout)


@pytest.mark.parametrize("date1904", [False, True])
def test_money_shown_as_a_date_is_refused_with_its_number_and_kept_by_forced_outputs(tmp_path: Path,
                                                                                     date1904: bool) -> None:
    book = _sample(tmp_path / "dated.xlsx", date1904=date1904, money_as_date=True, plan_as_time=True)
    report = validate(book, review=False)
    dated = {f.cell: f for f in report.findings if f.code in ("WBE-E011", "WBE-E014")}
    assert set(dated) == {"F2", "G2", "J2", "K2", "L2", "M2"} and {f.sheet for f in dated.values()} == {"项目"}
    assert all(f.severity == "error" for f in dated.values())
    assert "保存的数字是 200" in dated["F2"].message and "日期" in dated["F2"].message
    assert "保存的数字是 0.25" in dated["J2"].message
    project = _first_project(book)
    assert (project.budget, project.fiscal) == (200, 200)
    assert [project.q1, project.q2, project.q3, project.q4] == [25, 50, 75, 100]

    refused = run_cli("merge", book, "-o", tmp_path / "merged.xlsx")
    assert refused.returncode == 1 and not (tmp_path / "merged.xlsx").exists()
    forced = run_cli("merge", book, "-o", tmp_path / "merged.xlsx", "--force")
    assert forced.returncode == 0 and "606.18" in forced.stdout  # the sample's total, 200 included
    merged = openpyxl.load_workbook(tmp_path / "merged.xlsx")["项目"]
    assert merged["F2"].value == 200 and merged["J2"].value == pytest.approx(0.25)
    assert run_cli("render", book, "-o", f"{tmp_path}/official/", "--force").returncode == 0
    assert run_cli("extract", tmp_path / "official", "-o", tmp_path / "back.xlsx").returncode == 0
    compared = run_cli("diff", SAMPLE, tmp_path / "back.xlsx")
    assert "内容相同" in compared.stdout, compared.stdout


def test_an_official_sheet_with_dated_money_and_timed_plan_is_read_and_said_so(tmp_path: Path) -> None:
    assert run_cli("render", SAMPLE, "-o", f"{tmp_path}/official/").returncode == 0
    official = next((tmp_path / "official").glob("*.xlsx"))
    workbook = openpyxl.load_workbook(official)
    sheet = workbook[workbook.sheetnames[2]]  # the first project's sheet
    numbers = [c for row in sheet.iter_rows(max_row=8) for c in row if isinstance(c.value, (int, float))]
    assert {c.value for c in numbers} >= {200, 0.25, 0.5, 0.75, 1}
    for cell in numbers:
        cell.number_format = "yyyy-mm-dd" if cell.value >= 1 else "hh:mm"
    workbook.epoch = CALENDAR_MAC_1904
    edited = tmp_path / "mac-official.xlsx"
    workbook.save(edited)
    result = run_cli("extract", edited, "-o", tmp_path / "back.xlsx")
    assert result.returncode == 1  # errors to check, but nothing blank
    assert result.stdout.count("WBE-E073") == len(numbers) and "已按 200 读入" in result.stdout
    compared = run_cli("diff", SAMPLE, tmp_path / "back.xlsx")
    assert "内容相同" in compared.stdout, compared.stdout
