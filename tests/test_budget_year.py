"""The budget year's sheets (issue 22): 监控项目, 监控指标, 自评项目, 自评指标 read, written, merged and diffed."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import openpyxl
import pytest

from workbook_engine.api import merge, read_book, validate
from workbook_engine.canonical_writer import write_book
from workbook_engine.diff import diff_books, diff_files
from workbook_engine.model import YEAR_KINDS, Book

from .conftest import SAMPLE
from .year_books import filled_year

P1 = "13022524P00CL0E10035D"


@pytest.fixture(scope="module")
def sample() -> Book:
    return read_book(SAMPLE)


def filled(book: Book) -> Book:
    """The sample with every 监控 and 自评 row and a few values typed in."""
    year = filled_year(book)
    first = year.monitor_projects[0]
    first.executed, first.goal_progress = Decimal("120.50"), "已完成 7 次专家审查"
    year.monitor_indicators[0].progress = "7次"
    year.monitor_indicators[0].deviation_causes = "经费保障、人员保障"
    year.evaluation_indicators[0].actual = "12次"
    year.evaluation_indicators[0].points = Decimal("5.5")
    year.evaluation_indicators[0].score = Decimal("5.50")
    year.evaluation_indicators[0].extra = {"核实人": "张三"}
    return year


def test_an_old_book_without_the_year_sheets_stays_valid_and_is_written_without_them(sample, tmp_path):
    assert not sample.has_year_sheets()
    out = tmp_path / "old.xlsx"
    write_book(sample, out)
    assert openpyxl.load_workbook(out, read_only=True).sheetnames[:3] == ["部门目标", "项目", "指标"]
    assert "监控项目" not in openpyxl.load_workbook(out, read_only=True).sheetnames
    assert validate(out, review=False).findings == []


def test_year_sheets_round_trip_with_every_value_and_extra_column(sample, tmp_path):
    book = filled(sample)
    out = tmp_path / "year.xlsx"
    write_book(book, out)
    again = read_book(out)
    for kind in YEAR_KINDS:
        assert again.records(kind) == book.records(kind), kind
    assert again.evaluation_indicators[0].extra == {"核实人": "张三"}
    sheet = openpyxl.load_workbook(out)["监控指标"]
    assert sheet["G2"].value == "7次" and sheet["G2"].number_format == "@"  # free text stays text
    assert again.monitor_projects[0].executed == Decimal("120.50")
    assert again.evaluation_indicators[0].points == Decimal("5.5")
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert names[:7] == ["部门目标", "项目", "指标", "监控项目", "监控指标", "自评项目", "自评指标"]


def test_empty_year_sheets_asked_for_have_headers_dropdowns_and_no_findings(sample, tmp_path):
    out = tmp_path / "empty.xlsx"
    write_book(sample, out, year_sheets=YEAR_KINDS)
    wb = openpyxl.load_workbook(out)
    assert [c.value for c in wb["监控指标"][1]] == [
        "部门编码", "项目编码", "一级指标", "二级指标", "三级指标", "年度指标值", "执行情况", "全年预计完成情况",
        "偏差原因类别", "偏差原因说明", "完成目标可能性", "纠偏措施", "备注"]
    assert [c.value for c in wb["自评指标"][1]] == [
        "部门编码", "项目编码", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "完成程度", "分值", "得分",
        "偏差原因分析及改进措施"]
    assert [c.value for c in wb["监控项目"][1]] == [
        "部门编码", "项目编码", "监控期间", "年初预算数", "全年预算数", "执行数", "全年预计执行数", "年度目标执行情况", "备注"]
    assert [c.value for c in wb["自评项目"][1]] == [
        "部门编码", "项目编码", "年初预算数", "全年预算数", "全年执行数", "实际完成情况", "评价结论", "存在问题", "改进措施"]
    lists = wb["下拉列表"]
    columns = {lists.cell(1, c).value: [lists.cell(r, c).value for r in range(2, 8) if lists.cell(r, c).value]
               for c in range(1, lists.max_column + 1)}
    assert columns["偏差原因类别"] == ["经费保障", "制度保障", "人员保障", "硬件条件保障", "其他"]
    assert columns["完成目标可能性"] == ["确定能", "有可能", "完全不可能"]
    assert columns["完成程度"] == ["达成", "部分达成", "未达成", "不适用"]
    sources = {str(v.sqref): v.formula1 for v in wb["监控指标"].data_validations.dataValidation}
    assert any(key.startswith("K2") for key in sources), sources  # 完成目标可能性
    assert validate(out, review=False).findings == []
    help_sheets = {wb["说明"].cell(r, 1).value for r in range(5, wb["说明"].max_row + 1)}
    assert {"监控项目", "自评指标"} <= help_sheets


def test_schema_findings_name_the_cells_of_the_year_sheets(sample, tmp_path):
    book = filled(sample)
    book.monitor_projects[1] = dataclasses.replace(book.monitor_projects[1], project_code="BAD",
                                                   executed=Decimal("-1"))
    book.evaluation_projects[0].executed = Decimal("1.234")
    out = tmp_path / "bad.xlsx"
    write_book(book, out)
    found = {(f.code, f.sheet, f.cell) for f in validate(out, review=False).findings}
    assert ("WBE-E018", "监控项目", "B3") in found
    assert ("WBE-E012", "监控项目", "F3") in found
    assert ("WBE-E013", "自评项目", "E2") in found


def test_merge_unions_year_rows_and_reports_a_conflicting_value(sample, tmp_path):
    base = filled(sample)
    a = tmp_path / "a.xlsx"
    write_book(base, a)
    other = filled(sample)
    other.monitor_indicators[0].progress = "8次"
    b = tmp_path / "b.xlsx"
    write_book(other, b)
    outcome = merge([a, b], tmp_path / "m.xlsx")
    assert not outcome.written
    conflicts = [(c.entity, c.field) for c in outcome.plan.conflicts]
    assert conflicts == [("monitor_indicator", "执行情况")]
    outcome = merge([a, b], tmp_path / "m.xlsx", prefer="last")
    assert outcome.written
    merged = read_book(tmp_path / "m.xlsx")
    assert merged.monitor_indicators[0].progress == "8次"
    assert len(merged.evaluation_indicators) == len(sample.indicators)


def test_diff_pairs_year_rows_by_key(sample, tmp_path):
    old = filled(sample)
    new = filled(sample)
    new.evaluation_indicators[1].actual = "已完成"
    del new.monitor_projects[2]
    changes = diff_books(old, new).changes
    assert [(c.kind, c.entity, c.field) for c in changes] == [
        ("removed", "monitor_project", None), ("changed", "evaluation_indicator", "实际完成值")]
    assert changes[1].key == {"项目编码": P1, "一级指标": "产出指标", "二级指标": "质量指标", "三级指标": "工作任务完成情况"}
    a, b = tmp_path / "old.xlsx", tmp_path / "new.xlsx"
    write_book(old, a)
    write_book(new, b)
    located = diff_files(a, b).changes.changes
    assert located[1].location.sheet == "自评指标" and located[1].location.cell == "G3"


def test_merge_of_a_book_without_year_sheets_and_one_with_them_keeps_the_year_rows(sample, tmp_path):
    plain, year = tmp_path / "plain.xlsx", tmp_path / "year.xlsx"
    write_book(sample, plain)
    book = filled(sample)
    write_book(book, year)
    outcome = merge([plain, year], tmp_path / "m.xlsx")
    assert outcome.written, outcome.to_json()
    merged = read_book(tmp_path / "m.xlsx")
    for kind in YEAR_KINDS:
        assert merged.records(kind) == book.records(kind), kind


def test_unreadable_cells_of_the_year_sheets_are_findings_not_crashes(sample, tmp_path):
    out = tmp_path / "year.xlsx"
    write_book(filled(sample), out)
    wb = openpyxl.load_workbook(out)
    wb["监控项目"]["F2"] = "约80"  # 执行数 not a number
    wb["自评指标"]["I2"] = "五分"  # 分值 not a number
    wb["监控指标"]["G3"] = 0.96  # a number in a free-text column, shown as 96%
    wb["监控指标"]["G3"].number_format = "0%"
    wb.save(out)
    report = validate(out, review=False)
    found = {(f.code, f.sheet, f.cell) for f in report.findings}
    assert {("WBE-E011", "监控项目", "F2"), ("WBE-E011", "自评指标", "I2"), ("WBE-W047", "监控指标", "G3")} <= found
    assert read_book(out).monitor_indicators[1].progress == "96%"


def test_book_helpers_cover_the_year_kinds(sample):
    book = filled(sample)
    other = dataclasses.replace(book.monitor_projects[0], dept_code="450002", project_code="13022524P00MZ0000000001")
    book.monitor_projects.append(other)
    assert [d.code for d in book.departments()] == ["450001", "450002"]
    assert book.for_department("450002").monitor_projects == [other]
    assert book.for_department("450001").evaluation_indicators == book.evaluation_indicators
    shuffled = Book(goals=book.goals, projects=book.projects, indicators=book.indicators,
                    monitor_projects=list(reversed(book.monitor_projects)),
                    evaluation_indicators=list(reversed(book.evaluation_indicators)))
    ordered = shuffled.sorted()
    assert [r.project_code for r in ordered.monitor_projects] == [r.project_code for r in book.monitor_projects]
    assert [r.project_code for r in ordered.evaluation_indicators] == \
        [r.project_code for r in book.evaluation_indicators]
    assert book.records("evaluation_projects") is book.evaluation_projects
    with pytest.raises(KeyError):
        book.records("row")
