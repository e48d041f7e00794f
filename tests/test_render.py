"""wbe render: the official workbook, opened as a user would (openpyxl), against the published document."""

from __future__ import annotations

import math
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from xlsxwriter import Workbook
from xlsxwriter.exceptions import DuplicateWorksheetName

from workbook_engine.api import read_book
from workbook_engine.canonical_writer import write_book
from workbook_engine.layout import project_layout, project_template
from workbook_engine.model import Department
from workbook_engine.safe_names import unique_sheet_names

from .conftest import SAMPLE, run_cli
from .official_helpers import find_row, flatten, shown, small_book, squeeze
from .test_importer import seed_tables

PROJECT_SHEETS = ["1.安全生产专家会诊服务费", "2.视频监控全覆盖", "3.应急保障", "4.应急储备", "5.应急防汛经费及救援",
                  "6.应急防汛经费及救援（防震减灾）", "7.保险", "8.农房保险县配套", "9.自然灾害救助资金"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("render") / "out" / "official.xlsx"
    result = run_cli("render", SAMPLE, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "9 张项目表" in result.stdout
    return out


@pytest.fixture(scope="module")
def workbook(rendered):
    return openpyxl.load_workbook(rendered)


def test_sheets_in_order(workbook):
    assert workbook.sheetnames == ["项目汇总", "部门整体绩效目标", *PROJECT_SHEETS]


def test_layout_equality_for_all_nine_seed_projects(workbook, seed_text):
    tables = seed_tables(seed_text)
    assert len(tables) == 9
    for name in PROJECT_SHEETS:
        sheet = workbook[name]
        title = sheet["A1"].value
        assert title in tables, title
        assert squeeze(flatten(sheet)) == squeeze(tables[title]), name


def test_layout_template_reproduces_the_seed_rows(seed_book, seed_text):
    tables = seed_tables(seed_text)
    dept = seed_book.departments()[0]
    for project in seed_book.projects:
        rows = project_layout(project, Department(dept.code, dept.name, None), seed_book.indicators_of(project.code))
        texts = [[cell.text for cell in row.cells] for row in rows]
        assert squeeze(texts) == squeeze(tables[f"{project.seq}.{project.title}绩效目标表"])


def test_numbers_are_numbers_and_text_is_text(workbook):
    sheet = workbook["1.安全生产专家会诊服务费"]
    money = find_row(sheet, "预算规模及资金用途")
    budget = sheet.cell(money, 3)
    assert budget.value == 200 and budget.data_type == "n" and budget.number_format == "0.00"
    assert shown(budget) == "200.00"
    plan = sheet.cell(find_row(sheet, "资金支出计划（%）") + 1, 2)
    assert plan.value == 0.25 and plan.number_format == "0%" and shown(plan) == "25%"
    assert sheet.cell(find_row(sheet, "项目编码"), 2).data_type == "s"


def test_fonts_borders_wrapping_and_merges(workbook):
    sheet = workbook["1.安全生产专家会诊服务费"]
    title = sheet["A1"]
    assert title.font.b and title.font.name == "宋体" and title.alignment.horizontal == "center"
    assert "A1:G1" in {str(r) for r in sheet.merged_cells.ranges}
    purpose = sheet.cell(find_row(sheet, "预算规模及资金用途") + 1, 2)
    assert purpose.font.name == "宋体" and purpose.alignment.wrap_text and purpose.alignment.vertical == "center"
    assert purpose.border.left.style == "thin"
    merged = {str(r) for r in sheet.merged_cells.ranges}
    money = find_row(sheet, "预算规模及资金用途")
    assert f"A{money}:A{money + 1}" in merged and f"B{money + 1}:G{money + 1}" in merged
    header = find_row(sheet, "一级指标")
    assert f"A{header + 1}:A{header + 4}" in merged  # 产出指标 over its four indicators


def test_row_heights_fit_wrapped_chinese_text(workbook):
    """Every text cell gets at least the lines it needs at 2 columns per CJK character, 1 per other (an
    independent, slightly optimistic estimate) and 12 pt per line."""
    widths = project_template().column_widths
    for name in PROJECT_SHEETS:
        sheet = workbook[name]
        spans = {(m.min_row, m.min_col): m for m in sheet.merged_cells.ranges}
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if not isinstance(cell.value, str) or not cell.value:
                    continue
                merged = spans.get((cell.row, cell.column))
                first_col, last_col = (merged.min_col, merged.max_col) if merged else (cell.column, cell.column)
                last_row = merged.max_row if merged else cell.row
                width = sum(widths[first_col - 1:last_col])
                units = sum(2 if ord(ch) >= 0x2E80 else 1 for ch in cell.value)
                lines = math.ceil(units / width)
                height = sum(sheet.row_dimensions[r].height or 15 for r in range(cell.row, last_row + 1))
                assert height >= lines * 12, (name, cell.coordinate, lines, height)


def test_print_setup(workbook):
    for name in ("项目汇总", "部门整体绩效目标", PROJECT_SHEETS[0]):
        sheet = workbook[name]
        assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "portrait"
        # fitToWidth is omitted when it is 1 (the OOXML default); 0 pages high means "as many as needed".
        assert (sheet.page_setup.fitToWidth or 1) == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_options.horizontalCentered
        assert sheet.print_title_rows == "$1:$1"
        assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text
        assert sheet.page_margins.top == pytest.approx(3.7 / 2.54)


def test_summary_sheet_totals_links_and_chart(workbook, rendered):
    sheet = workbook["项目汇总"]
    assert sheet["A1"].value == "2024年度项目绩效目标汇总表"
    assert [c.value for c in sheet[3]] == ["序号", "项目编码", "项目名称", "预算数", "财政资金", "其他资金", "指标数", "项目表"]
    rows = list(sheet.iter_rows(min_row=4, max_row=12, values_only=True))
    assert [r[0] for r in rows] == list(range(1, 10))
    assert [r[7] for r in rows] == PROJECT_SHEETS
    total = sheet[13]
    assert total[0].value == "合计"
    assert [total[i].value for i in (3, 4, 5, 6)] == ["=SUM(D4:D12)", "=SUM(E4:E12)", "=SUM(F4:F12)", "=SUM(G4:G12)"]
    assert sum(r[3] for r in rows) == pytest.approx(606.18)
    links = [sheet.cell(r, 8).hyperlink.location for r in range(4, 13)]
    assert links == [f"'{name}'!A1" for name in PROJECT_SHEETS]
    with zipfile.ZipFile(rendered) as archive:
        chart = archive.read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in chart and "项目汇总!$D$4:$D$12" in chart and "项目汇总!$C$4:$C$12" in chart


def test_summary_cached_totals_readable_without_recalculation(rendered):
    values = openpyxl.load_workbook(rendered, data_only=True)["项目汇总"]
    assert values["D13"].value == pytest.approx(606.18) and values["G13"].value == 81


def test_department_sheet_has_the_three_sections(workbook, seed_book):
    sheet = workbook["部门整体绩效目标"]
    texts = [c.value for c in sheet["A"] if c.value]
    assert texts[:2] == ["部门整体绩效目标", "450001乐亭县应急管理局本级"]
    assert sheet["B2"].value == "年度：2024"
    for heading in ("一、总体绩效目标", "二、分项绩效目标", "三、工作保障措施"):
        assert heading in texts
    assert "1、安全生产目标管理奖金" in texts
    assert any(t.startswith("（七）负责组织指导协调") for t in texts)
    assert len(texts) == 2 + 3 + 4 + 6 * 2 + 7


def test_text_is_never_a_formula(tmp_path):
    source = tmp_path / "book.xlsx"
    write_book(small_book(1, 1), source)
    out = tmp_path / "official.xlsx"
    result = run_cli("render", source, "-o", out)
    assert result.returncode == 0, result.stdout + result.stderr
    sheet = openpyxl.load_workbook(out)["1.项目0-0"]
    goal = sheet.cell(find_row(sheet, "绩效目标"), 2)
    assert goal.value == "=目标" and goal.data_type == "s"
    purpose = sheet.cell(find_row(sheet, "预算规模及资金用途") + 1, 2)
    assert purpose.value == "-用途\n第二行" and purpose.data_type == "s"
    plan = sheet.cell(find_row(sheet, "资金支出计划（%）") + 1, 4)
    assert shown(plan) == "50.5%"


def test_refuses_a_workbook_with_errors_unless_forced(edit_sample, tmp_path):
    broken = edit_sample({"项目": {"F2": 201}})
    out = tmp_path / "official.xlsx"
    result = run_cli("render", broken, "-o", out)
    assert result.returncode == 1
    assert "WBE-E030" in result.stdout and "--force" in result.stderr
    assert not out.exists()
    forced = run_cli("render", broken, "-o", out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert openpyxl.load_workbook(out)["1.安全生产专家会诊服务费"]["C4"].value == 201


def test_several_departments_one_workbook_each_into_a_new_folder(tmp_path):
    source = tmp_path / "county.xlsx"
    write_book(small_book(3, 2), source)
    refused = run_cli("render", source, "-o", tmp_path / "one.xlsx")
    assert refused.returncode == 2 and "3 个部门" in refused.stderr
    result = run_cli("render", source, "-o", f"{tmp_path / 'new' / 'folder'}/")
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "new" / "folder").iterdir())
    assert files == ["450001部门0.xlsx", "450002部门1.xlsx", "450003部门2.xlsx"]
    one = run_cli("render", source, "-o", tmp_path / "dept2.xlsx", "--dept", "450002")
    assert one.returncode == 0
    assert openpyxl.load_workbook(tmp_path / "dept2.xlsx")["1.项目1-0"]["A2"].value == "450002部门1"
    unknown = run_cli("render", source, "-o", tmp_path / "x.xlsx", "--dept", "999999")
    assert unknown.returncode == 2 and "450001部门0" in unknown.stderr


def test_errors_in_another_department_do_not_block_dept(tmp_path):
    book = small_book(2, 1)
    book.projects[1].budget = Decimal("99")  # department 450002: budget != fiscal + other
    source = tmp_path / "county.xlsx"
    write_book(book, source)
    assert run_cli("render", source, "-o", tmp_path / "a.xlsx", "--dept", "450001").returncode == 0
    assert run_cli("render", source, "-o", tmp_path / "b.xlsx", "--dept", "450002").returncode == 1


def test_output_never_replaces_the_input(tmp_path):
    source = tmp_path / "book.xlsx"
    write_book(read_book(SAMPLE), source)
    before = source.read_bytes()
    result = run_cli("render", source, "-o", source)
    assert result.returncode == 2 and source.read_bytes() == before


def test_sheet_names_are_excel_safe_and_unique(tmp_path):
    names = unique_sheet_names(["1.a/b:c*d?e[f]g\\h", "2." + "长" * 40, "2." + "长" * 40, "项目汇总",
                                "'3.\U00020000" * 20 + "'"], reserved=("项目汇总",))
    assert names[0] == "1.a_b_c_d_e_f_g_h"
    assert all(len(n.encode("utf-16-le")) // 2 <= 31 for n in names)  # Excel counts UTF-16 units
    assert not names[4].startswith("'") and not names[4].endswith("'")
    assert len({n.casefold() for n in [*names, "项目汇总"]}) == 6
    workbook = Workbook(str(tmp_path / "names.xlsx"))
    for name in names:
        workbook.add_worksheet(name)
    with pytest.raises(DuplicateWorksheetName):
        workbook.add_worksheet(names[1].upper())
    workbook.close()
    assert openpyxl.load_workbook(tmp_path / "names.xlsx").sheetnames == names
