"""Nothing a user types is changed silently (issue 16 §2): Excel's conversions of typed text are read back as the
user saw them, ambiguous plans are errors, yuan in a 万元 column is flagged, synonyms print in standard form."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from workbook_engine import api
from workbook_engine.shown_values import shown_text
from workbook_engine.validation import validate

from .conftest import SAMPLE, run_cli


def _values(path: Path) -> list[str]:
    workbook = openpyxl.load_workbook(path)
    return [str(c.value) for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    return "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)


def _with_cached_formula(path: Path, cell: str, cached: str) -> None:
    """openpyxl saves formulas without a result; give ``cell`` the cached value Excel would have saved."""
    temp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                text = data.decode()
                text, count = re.subn(rf'(<c r="{cell}"[^>]*>)<f>([^<]*)</f><v\s*/?>(</v>)?',
                                      rf"\1<f>\2</f><v>{cached}</v>", text)
                data = text.encode()
            target.writestr(item, data)
    shutil.move(temp, path)


# --- the workbooks the engine writes format free-text columns as text -------------------------------------------

def test_new_workbook_formats_free_text_columns_as_text(tmp_path):
    path = tmp_path / "new.xlsx"
    api.new_workbook(path, dept_code="450001", dept_name="乐亭县应急管理局本级", year=2025)
    workbook = openpyxl.load_workbook(path)
    indicators = workbook["指标"]
    for letter in "DEFGHI":  # 一级 … 指标值确定依据
        assert indicators.column_dimensions[letter].number_format == "@", letter
    assert workbook["项目"].column_dimensions["N"].number_format == "@"  # 绩效目标
    assert workbook["部门目标"].column_dimensions["G"].number_format == "@"  # 内容
    assert workbook["部门目标"]["G2"].number_format == "@"  # the starter rows too


def test_shipped_sample_value_cells_are_text():
    indicators = openpyxl.load_workbook(SAMPLE)["指标"]
    assert indicators["H2"].number_format == "@" and indicators["H2"].value == "≥12次"


# --- reading back what the user saw -----------------------------------------------------------------------------

@pytest.fixture()
def excel_typed(edit_sample, tmp_path):
    """The sample as Excel leaves it after staff type 90%, =100% and 2025/12/31 into General 指标值 cells."""

    def typed(workbook):
        sheet = workbook["指标"]
        sheet["H2"].number_format = "0%"
        sheet["H3"].number_format = "0%"
        sheet["H4"].number_format = "yyyy/m/d"

    path = edit_sample({"指标": {"H2": 0.9, "H3": "=100%", "H4": dt.datetime(2025, 12, 31)}}, func=typed)
    _with_cached_formula(path, "H3", "1")
    return path


def test_numeric_values_are_read_as_shown_with_a_warning(excel_typed):
    report = validate(excel_typed)
    book = api.read_book(excel_typed)
    values = {i.row: i.value for i in book.indicators}
    assert (values[2], values[3], values[4]) == ("90%", "100%", "2025/12/31")
    warned = {f.cell: f.message for f in report.findings if f.code == "WBE-W047"}
    assert set(warned) == {"H2", "H3", "H4"}
    assert "0.9" in warned["H2"] and "“90%”" in warned["H2"] and "H2" in warned["H2"]
    assert "2025/12/31" in warned["H4"]
    assert report.valid


def test_render_and_publish_print_what_the_user_saw(excel_typed, tmp_path):
    official = tmp_path / "official.xlsx"
    assert api.render(excel_typed, official).rendered
    shown = _values(official)
    assert "90%" in shown and "100%" in shown and "2025/12/31" in shown
    assert "0.9" not in shown and "2025-12-31 00:00:00" not in shown
    document = tmp_path / "text.docx"
    api.publish(excel_typed, document)
    text = _docx_text(document)
    assert "90%" in text and "2025/12/31" in text and "\n0.9\n" not in text


def test_plain_numbers_in_text_columns_are_unchanged_and_not_warned(edit_sample):
    path = edit_sample({"指标": {"H2": 12}})
    assert api.read_book(path).indicators[0].value == "12"
    assert "WBE-W047" not in validate(path).codes()


def test_annotated_copy_keeps_the_users_formats(excel_typed, tmp_path):
    copy = tmp_path / "annotated.xlsx"
    api.annotate(excel_typed, validate(excel_typed), copy)
    sheet = openpyxl.load_workbook(copy)["指标"]
    assert (sheet["H2"].number_format, sheet["H2"].value) == ("0%", 0.9)
    assert sheet["H4"].number_format == "yyyy/m/d" and sheet["H5"].number_format == "@"


@pytest.mark.parametrize("value,code,shown", [
    (0.9, "0%", "90%"), (1.0, "0%", "100%"), (0.955, "0.0%", "95.5%"), (0.125, "0.00%", "12.50%"),
    (12.0, "General", "12"), (1234.5, "#,##0.00", "1,234.50"), (3, '0"次"', "3次"), (0.5, "0.00E+00", "0.5"),
    (dt.date(2025, 12, 31), "yyyy/m/d", "2025/12/31"), (dt.date(2025, 12, 31), 'yyyy"年"m"月"d"日"', "2025年12月31日"),
    (dt.date(2025, 3, 1), "yyyy-mm-dd", "2025-03-01"), (dt.datetime(2025, 1, 2, 13, 5), "h:mm", "13:05"),
    (dt.date(2025, 12, 31), None, "2025/12/31"), (45000.0, "yyyy/m/d", "2023/3/15"),
    (-0.25, "0%;[Red]-0%", "-25%"),
])
def test_shown_text_applies_the_number_format(value, code, shown):
    assert shown_text(value, code) == shown


# --- the spending plan ------------------------------------------------------------------------------------------

def test_mixed_plan_row_is_an_error_with_both_readings(edit_sample):
    path = edit_sample({"项目": {"J2": 0.25, "K2": 0.5, "L2": 0.75, "M2": 100}})
    report = validate(path)
    found = [f for f in report.findings if f.code == "WBE-E048"]
    assert len(found) == 1 and found[0].cell == "J2" and found[0].is_error
    assert "25%、50%、75%、10000%" in found[0].message and "0.25%、0.5%、0.75%、100%" in found[0].message
    assert not report.valid


@pytest.mark.parametrize("plan", [{"J2": 0.25, "K2": 0.5, "L2": 0.75, "M2": 100}, {"M2": 0.9}])
@pytest.mark.parametrize("command", ["render", "publish"])
def test_a_plan_that_does_not_end_at_100_is_never_printed_even_forced(edit_sample, tmp_path, command, plan):
    path = edit_sample({"项目": plan})
    output = tmp_path / ("out.xlsx" if command == "render" else "out.docx")
    result = run_cli(command, path, "-o", output, "--force")
    assert result.returncode == 1
    assert not output.exists()
    assert "--force" not in result.stderr.strip().splitlines()[-1]


def test_force_still_renders_other_errors(edit_sample, tmp_path):
    path = edit_sample({"项目": {"F2": 201}})  # WBE-E030: forced, rendered
    assert api.render(path, tmp_path / "out.xlsx", force=True).rendered


# --- amounts and names ------------------------------------------------------------------------------------------

def test_yuan_in_a_wan_column_is_warned_with_the_division(edit_sample):
    report = validate(edit_sample({"项目": {"F2": 125000, "G2": 125000}}))
    found = [f for f in report.findings if f.code == "WBE-W049"]
    assert [f.cell for f in found] == ["F2"]
    assert "12.50" in found[0].message and "÷10000" in found[0].message
    assert "WBE-W049" not in validate(edit_sample({"项目": {"F2": 9999.99, "G2": 9999.99}})).codes()


def test_synonym_level_names_print_in_standard_form(edit_sample, tmp_path):
    path = edit_sample({"指标": {"E2": "数量", "D2": "产出"}})
    report = validate(path)
    warned = {f.cell for f in report.findings if f.code == "WBE-W050"}
    assert {"D2", "E2"} <= warned and report.valid
    book = api.read_book(path)
    assert (book.indicators[0].level1, book.indicators[0].level2) == ("产出", "数量")  # kept as typed
    official = tmp_path / "official.xlsx"
    api.render(path, official)
    shown = _values(official)
    assert "数量" not in shown and "产出" not in shown and "数量指标" in shown
    document = tmp_path / "text.docx"
    api.publish(path, document)
    cells = _docx_text(document).split("\n")
    assert "数量" not in cells and "数量指标" in cells


def test_extract_refuses_a_canonical_workbook(tmp_path):
    target = tmp_path / "back.xlsx"
    result = run_cli("extract", SAMPLE, "-o", target)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "wbe validate" in result.stderr
    assert not target.exists()
