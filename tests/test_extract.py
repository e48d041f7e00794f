"""wbe extract: official workbooks (rendered, then edited as staff do in Excel/WPS) back to the canonical form."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.styles import Font, PatternFill

from workbook_engine.api import extract, read_book
from workbook_engine.canonical_writer import write_book
from workbook_engine.framework import CLASSIC
from workbook_engine.model import Book, Goal, Indicator, Project
from workbook_engine.official.pipeline import render_official
from workbook_engine.official.render import render_department
from workbook_engine.validation.codes import EXTRACT

from .conftest import SAMPLE, libreoffice_convert, needs_soffice, run_cli
from .official_helpers import delete_row, find_row, insert_row, small_book

FIRST = "1.安全生产专家会诊服务费"


@pytest.fixture(scope="module")
def sample_book() -> Book:
    return read_book(SAMPLE).sorted()


@pytest.fixture()
def official(tmp_path) -> Path:
    out = tmp_path / "official.xlsx"
    assert render_official(SAMPLE, out).rendered
    return out


def edited(official: Path, change, name: str = "edited.xlsx") -> Path:
    workbook = openpyxl.load_workbook(official)
    change(workbook)
    target = official.with_name(name)
    workbook.save(target)
    return target


def test_cli_round_trip_of_the_sample(official, tmp_path, sample_book):
    back = tmp_path / "back.xlsx"
    result = run_cli("extract", official, "-o", back)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "9 个项目，81 个指标，17 条部门目标" in result.stdout
    assert read_book(back).sorted() == sample_book
    assert run_cli("validate", back).returncode == 0


def test_changed_values_are_read(official, tmp_path, sample_book):
    def change(wb):
        sheet = wb[FIRST]
        money = find_row(sheet, "预算规模及资金用途")
        sheet.cell(money, 3).value = 180
        sheet.cell(money, 5).value = 150
        sheet.cell(money, 7).value = 30
        sheet.cell(find_row(sheet, "绩效目标"), 2).value = "新的目标"
        plan = find_row(sheet, "资金支出计划（%）") + 1
        sheet.cell(plan, 2).value = "30%"  # typed as text, as some staff do
    book, report = extract(edited(official, change), tmp_path / "back.xlsx")
    assert report.findings == []
    project = next(p for p in book.projects if p.seq == 1)
    assert (project.budget, project.fiscal, project.other, project.goal, project.q1) == \
           (Decimal(180), Decimal(150), Decimal(30), "新的目标", Decimal(30))


def test_indicator_row_inserted_inside_a_block(official, tmp_path, sample_book):
    def change(wb):
        sheet = wb[FIRST]
        row = find_row(sheet, "一级指标") + 2  # inside the 产出指标 block, between 数量指标 and 质量指标
        insert_row(sheet, row)
        for col, text in ((3, "新三级"), (4, "新描述"), (6, "≥3次"), (7, "计划标准")):
            sheet.cell(row, col).value = text
        sheet.cell(row, 2).value = "数量指标"
    book, report = extract(edited(official, change), tmp_path / "back.xlsx")
    assert report.findings == []
    code = next(p.code for p in book.projects if p.seq == 1)
    rows = book.indicators_of(code)
    assert len(rows) == len(sample_book.indicators_of(code)) + 1
    assert (rows[1].level1, rows[1].level2, rows[1].level3, rows[1].value) == ("产出指标", "数量指标", "新三级", "≥3次")
    assert [i.seq for i in rows] == list(range(1, len(rows) + 1))
    assert rows[2].level3 == sample_book.indicators_of(code)[1].level3


def test_indicator_row_deleted_including_a_block_anchor(official, tmp_path, sample_book):
    def change(wb):
        sheet = wb[FIRST]
        delete_row(sheet, find_row(sheet, "一级指标") + 1)  # the first row of the 产出指标 block
    book, report = extract(edited(official, change), tmp_path / "back.xlsx")
    assert report.findings == []
    code = next(p.code for p in book.projects if p.seq == 1)
    expected = sample_book.indicators_of(code)[1:]
    rows = book.indicators_of(code)
    assert [(i.level1, i.level2, i.level3) for i in rows] == [(i.level1, i.level2, i.level3) for i in expected]


def test_merges_removed_blank_rows_added_cells_restyled(official, tmp_path, sample_book):
    def change(wb):
        for sheet in wb.worksheets[2:]:
            for merged in list(sheet.merged_cells.ranges):
                sheet.unmerge_cells(str(merged))
            insert_row(sheet, find_row(sheet, "绩效目标"))
            insert_row(sheet, sheet.max_row + 1)
            for row in sheet.iter_rows():
                for cell in row:
                    cell.font = Font(name="Arial", size=14, italic=True)
                    cell.fill = PatternFill("solid", fgColor="FFFF00")
    book, report = extract(edited(official, change), tmp_path / "back.xlsx")
    assert report.findings == []
    assert book == sample_book


def test_unknown_sheet_reported_and_skipped(official, tmp_path, sample_book):
    def change(wb):
        wb.create_sheet("备注")["A1"] = "随便写写"
    book, report = extract(edited(official, change), tmp_path / "back.xlsx")
    assert [(f.code, f.sheet) for f in report.findings] == [("WBE-W070", "备注")]
    assert book == sample_book


def test_content_outside_the_layout_is_reported_with_sheet_and_cell(official, tmp_path):
    def change(wb):
        wb[FIRST]["J5"] = "备用说明"
        wb["部门整体绩效目标"]["D3"] = "旁注"
    out = tmp_path / "back.xlsx"
    result = run_cli("extract", edited(official, change), "-o", out)
    assert result.returncode == 1
    assert "WBE-E071" in result.stdout and "J5" in result.stdout and "D3" in result.stdout
    assert out.exists()


def test_missing_labelled_row_is_reported(official, tmp_path):
    def change(wb):
        sheet = wb[FIRST]
        sheet.cell(find_row(sheet, "预算规模及资金用途"), 2).value = "预算"
    book, report = extract(edited(official, change), tmp_path / "back.xlsx")
    assert "WBE-E072" in report.codes()
    # nothing in that row is lost silently: the unread numbers are reported with their cells
    assert {f.cell for f in report.findings if f.code == "WBE-E071"} >= {"C4", "E4"}


def test_unreadable_number_and_missing_year_are_reported(official, tmp_path):
    def change(wb):
        sheet = wb[FIRST]
        sheet.cell(find_row(sheet, "预算规模及资金用途"), 3).value = "约200"
        wb["部门整体绩效目标"]["B2"] = None  # 年度：2024
        wb["项目汇总"]["C2"] = None
    book, report = extract(edited(official, change), tmp_path / "back.xlsx")
    assert [(f.code, f.sheet, f.cell) for f in report.findings if f.code == "WBE-E073"] == [("WBE-E073", FIRST, "C4")]
    assert "WBE-W074" in report.codes()
    assert {g.year for g in book.goals} == {None}


def test_every_extract_code_has_a_failing_case():
    here = Path(__file__).parent  # the forms' read-back codes (issue 22) have their cases in test_forms.py
    text = "".join((here / name).read_text(encoding="utf-8") for name in ("test_extract.py", "test_forms.py"))
    assert all(f'"{code}"' in text for code in EXTRACT)


def test_several_departments_from_a_folder(tmp_path):
    book = small_book(3, 2)
    source = tmp_path / "county.xlsx"
    write_book(book, source)
    assert render_official(source, f"{tmp_path / 'official'}/").rendered
    out = tmp_path / "back.xlsx"
    result = run_cli("extract", tmp_path / "official", "-o", out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert read_book(out).sorted() == read_book(source).sorted()


# --- generated books --------------------------------------------------------------------------------

ALPHABET = "甲乙丙丁预算资金指标目标abcXYZ0129=+-@<>&'\" ，。%（）\n"
texts = st.text(ALPHABET, max_size=40).map(str.strip)
lines = texts.map(lambda t: " ".join(t.split()))
nonblank = st.text(ALPHABET, min_size=1, max_size=40).map(str.strip).filter(bool)
money = st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False, allow_infinity=False)
points = st.decimals(min_value=0, max_value=100, places=1, allow_nan=False, allow_infinity=False)
levels = st.sampled_from([(l1, l2) for l1, l2s in CLASSIC.items() for l2 in l2s])


@st.composite
def books(draw) -> Book:
    book = Book()
    for d in range(draw(st.integers(1, 3))):
        code, name, year = f"{460001 + d:06d}", draw(lines), draw(st.integers(2000, 2100))
        for category in ("总体绩效目标", "分项绩效目标", "工作保障措施"):
            for seq in range(1, draw(st.integers(0, 3)) + 1):
                title = draw(lines.filter(bool)) if category == "分项绩效目标" else ""
                book.goals.append(Goal(code, name, year, category, seq, title, draw(nonblank)))
        for seq in range(1, draw(st.integers(0, 3)) + 1):
            pcode = f"13022599P{d:05d}{seq:07d}"
            project_name = draw(lines)
            table_title = draw(st.one_of(st.just(""), lines.filter(project_name.__ne__)))
            project = Project(code, seq, pcode, project_name, table_title, draw(money), draw(money),
                              draw(st.one_of(st.none(), money)), draw(texts),
                              *(draw(st.one_of(st.none(), points)) for _ in range(4)), draw(texts))  # type: ignore[call-arg]  # the four quarters
            book.projects.append(project)
            for n in range(1, draw(st.integers(0, 8)) + 1):
                level1, level2 = draw(levels)
                # 三级指标 is required: a row with no text of its own besides merged 一级/二级 is a blank row.
                book.indicators.append(Indicator(code, pcode, n, level1, level2, draw(nonblank), draw(texts),
                                                 draw(texts), draw(texts)))
        if not any(g.dept_code == code for g in book.goals) and not any(p.dept_code == code for p in book.projects):
            book.goals.append(Goal(code, name, year, "总体绩效目标", 1, "", "总体"))
    return book


def render_all(book: Book, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [render_department(book, dept, folder / f"{dept.code}.xlsx").path for dept in book.departments()]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(book=books())
def test_generated_books_round_trip(tmp_path_factory, book):
    folder = tmp_path_factory.mktemp("gen")
    back, report = extract(render_all(book, folder / "official"), folder / "back.xlsx")
    assert report.errors == []
    expected = book.sorted()
    assert back.goals == expected.goals
    assert back.projects == expected.projects
    assert back.indicators == expected.indicators


# --- a real spreadsheet program ---------------------------------------------------------------------

@needs_soffice
@pytest.mark.libreoffice
def test_round_trip_after_libreoffice_resaves(official, tmp_path, sample_book):
    resaved = libreoffice_convert(official, "xlsx", tmp_path / "lo")
    book, report = extract(resaved, tmp_path / "back.xlsx")
    assert report.findings == []
    assert book == sample_book


@needs_soffice
@pytest.mark.libreoffice
def test_generated_book_round_trip_after_libreoffice_resaves(tmp_path):
    book = small_book(2, 2)
    book.projects[0].purpose = "=1+2\n<b>&amp;</b>  两个空格"
    book.indicators[0].value = "@≥95%"
    files = render_all(book, tmp_path / "official")
    resaved = libreoffice_convert(files, "xlsx", tmp_path / "lo")  # one LibreOffice start for all
    back, report = extract(resaved, tmp_path / "back.xlsx")
    assert report.findings == []
    assert back == book.sorted()
