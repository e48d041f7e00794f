"""`wbe new` and `wbe import` as a user runs them, and the workbook they produce opened in openpyxl."""

from __future__ import annotations

import openpyxl
import pytest

from workbook_engine.api import read_book, validate

from .conftest import SEED, libreoffice_convert, needs_soffice, run_cli


@pytest.fixture()
def new_book(tmp_path):
    path = tmp_path / "new.xlsx"
    result = run_cli("new", path, "--dept-code", "450001", "--dept-name", "乐亭县应急管理局本级", "--year", "2025")
    assert result.returncode == 0, result.stderr
    return path


def test_new_workbook_is_good_to_edit(new_book):
    workbook = openpyxl.load_workbook(new_book)
    assert workbook.sheetnames == ["部门目标", "项目", "指标", "说明", "下拉列表"]
    assert workbook["下拉列表"].sheet_state == "hidden"
    projects = workbook["项目"]
    assert [c.value for c in projects[1]] == ["部门编码", "序号", "项目编码", "项目名称", "表名", "预算数", "财政资金",
                                             "其他资金", "资金用途", "3月底", "6月底", "10月底", "12月底", "绩效目标"]
    assert projects.freeze_panes == "A2"
    assert projects.column_dimensions["I"].width > 30
    assert projects["A1"].comment is not None and "6 位" in projects["A1"].comment.text
    # formats apply to rows staff will type into
    assert projects.column_dimensions["F"].number_format == "0.00"
    assert projects.column_dimensions["J"].number_format == "0%"
    validations = {str(dv.sqref).split(":")[0]: dv for dv in workbook["指标"].data_validations.dataValidation}
    assert validations["D2"].type == "list" and "下拉列表" in validations["D2"].formula1
    goals = workbook["部门目标"]
    category = next(dv for dv in goals.data_validations.dataValidation if str(dv.sqref).startswith("D2"))
    assert category.errorStyle in (None, "stop")
    lists = workbook["下拉列表"]
    assert [lists.cell(r, 1).value for r in range(2, 5)] == ["总体绩效目标", "分项绩效目标", "工作保障措施"]
    assert [goals.cell(r, 4).value for r in range(2, 5)] == ["总体绩效目标", "分项绩效目标", "工作保障措施"]
    assert {goals.cell(r, 1).value for r in range(2, 5)} == {"450001"}
    help_rows = list(workbook["说明"].iter_rows(min_row=5, values_only=True))
    assert len(help_rows) == 7 + 14 + 9
    assert all(row[4] for row in help_rows), "every column is explained"


def test_new_workbook_tells_staff_what_is_missing(new_book):
    report = validate(new_book, review=True)
    assert not report.valid
    assert {f.cell for f in report.findings if f.code == "WBE-E010"} == {"G2", "G3", "G4"}
    assert "WBE-W005" in report.codes()  # 项目 and 指标 are empty


def test_new_refuses_to_overwrite(new_book):
    before = new_book.read_bytes()
    result = run_cli("new", new_book)
    assert result.returncode == 2 and "--overwrite" in result.stderr
    assert new_book.read_bytes() == before


@needs_soffice
@pytest.mark.libreoffice
def test_new_workbook_opens_in_libreoffice(new_book, tmp_path):
    resaved = libreoffice_convert(new_book, "xlsx", tmp_path / "lo")
    assert openpyxl.load_workbook(resaved).sheetnames[:3] == ["部门目标", "项目", "指标"]
    assert [f.code for f in validate(resaved, review=True).findings] == [f.code for f in validate(new_book, review=True).findings]


def test_import_command_on_the_seed(tmp_path):
    out = tmp_path / "book.xlsx"
    result = run_cli("import", SEED, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "9 个项目" in result.stdout and "81 个指标" in result.stdout and "606.18" in result.stdout
    assert validate(out, review=False).findings == []
    book = read_book(out)
    assert len(book.projects) == 9 and str(book.total_budget()) == "606.18"


def test_import_errors_are_one_line_with_the_line_number(tmp_path, seed_text):
    broken = tmp_path / "broken.txt"
    lines = seed_text.split("\n")
    broken.write_text("\n".join(lines[: lines.index("\t资金支出计划（%）")]), encoding="utf-8")
    result = run_cli("import", broken, "-o", tmp_path / "x.xlsx")
    assert result.returncode == 2
    assert "第" in result.stderr and "行" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.xlsx").exists()
    wrong_year = run_cli("import", SEED, "-o", tmp_path / "y.xlsx", "--year", "2023")
    assert wrong_year.returncode == 2 and "2023" in wrong_year.stderr


def test_import_never_writes_over_its_input(tmp_path, seed_text):
    doc = tmp_path / "doc.xlsx"
    doc.write_text(seed_text, encoding="utf-8")
    result = run_cli("import", doc, "-o", doc)
    assert result.returncode == 2 and doc.read_text(encoding="utf-8") == seed_text
