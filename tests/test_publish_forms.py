"""`wbe publish --form monitor|evaluation` (issue 22): the budget-year forms as .docx and PDF.

The Word tables are read back with python-docx and compared, cell by cell, with the rows official/forms_layout.py
lays out for the Excel forms (cells, spans, vertical merges, labels, values); the 自评表's scores with what
`wbe score` prints for the same workbook and wbe.toml."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.table import _Cell

from workbook_engine.api import publish_form, read_book
from workbook_engine.canonical_writer import write_book
from workbook_engine.official.forms_layout import FormCell, form_layout, form_template
from workbook_engine.official.forms_values import project_forms
from workbook_engine.values import parse_indicator_value
from workbook_engine.year_config import load_year_config

from .conftest import SAMPLE, needs_soffice, run_cli
from .year_books import filled_year

COUNTY_TOML = """[tool.workbook-engine.year]
weights = { "预算执行率" = 15, "产出指标" = 45, "效益指标" = 30, "满意度指标" = 10 }
qualitative = { "达成" = 95, "部分达成" = 62, "未达成" = 10 }
grades = { "优" = 92, "良" = 82, "中" = 65 }
"""


def staff_results(book):
    """The sample's year filled in, then the first project's results as staff report them: a ≥ target 70 %
    reached, a qualitative one 部分达成, one 不适用 (each with its analysis, so the book validates)."""
    year = filled_year(book)
    code = book.projects[0].code
    rows = [r for r in year.evaluation_indicators if r.project_code == code]
    quantitative = next(r for r in rows if re.match(r"^≥\d", r.target))
    number = Decimal(re.sub(r"[^0-9.]", "", quantitative.target)) * Decimal("0.7")
    quantitative.actual = f"{number.normalize()}{re.sub(r'[≥0-9.]', '', quantitative.target)}"
    quantitative.analysis = "下半年人员不足，明年增加检查频次"
    qualitative = [r for r in rows if parse_indicator_value(r.target).kind != "quantitative"]
    qualitative[0].attainment, qualitative[0].actual = "部分达成", "推迟一个月完成"
    qualitative[0].analysis = "招标推迟"
    qualitative[1].attainment, qualitative[1].actual = "", "不适用"
    for project in year.evaluation_projects:
        if project.project_code == code:
            project.executed = (project.initial_budget * Decimal("0.8")).quantize(Decimal("0.01"))
    return year


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A county folder: the filled book beside its wbe.toml."""
    folder = tmp_path_factory.mktemp("county")
    (folder / "wbe.toml").write_text(COUNTY_TOML, encoding="utf-8")
    path = folder / "year.xlsx"
    write_book(staff_results(read_book(SAMPLE)), path)
    return path


@pytest.fixture(scope="module")
def evaluation_docx(county):
    out = county.parent / "自评表.docx"
    result = publish_form(county, out, form="evaluation")
    assert not result.refused and result.files[0].path == out
    return out


@pytest.fixture(scope="module")
def monitor_docx(county):
    out = county.parent / "监控表.docx"
    result = run_cli("publish", "--form", "monitor", county, "-o", out, "--period", "1-6")
    assert result.returncode == 0, result.stderr
    assert "已发布监控表" in result.stdout and "9 张项目表，81 个指标" in result.stdout
    return out


def word_forms(path: Path) -> list[tuple[str, list[list[tuple[str, int, str | None]]]]]:
    """(title, rows of (text, gridSpan, vMerge)) for every table of the document, in order."""
    document = docx.Document(str(path))
    body = document.element.body
    out = []
    title = ""
    tables = iter(document.tables)
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            text = "".join(t.text or "" for t in child.iter(qn("w:t")))
            title = text or title
        elif child.tag == qn("w:tbl"):
            table = next(tables)
            rows = [[(_Cell(tc, table).text, tc.grid_span, tc.vMerge) for tc in tr.tc_lst]
                    for tr in child.iter(qn("w:tr"))]
            out.append((title, rows))
    return out


def expected_rows(book, kind: str, period: str, config):
    """The laid-out rows of the Excel form for each project (official/forms_layout.py)."""
    template = form_template(kind)
    dept = book.departments()[0]
    forms = project_forms(book, dept, kind, period, config)
    return [(f, form_layout(template, f.project_lookup(), f.indicator_lookups(), period)) for f in forms]


def number_in(text: str) -> Decimal:
    return Decimal(text.rstrip("%")) / (100 if text.endswith("%") else 1)


def check_plain_cell(text: str, cell: FormCell) -> None:
    """A cell that is not a formula shows its value: text as laid out, a number as a number."""
    value = cell.value
    if value is None or value == "":
        assert text == ""
    elif isinstance(value, str):
        assert text == value
    else:
        assert number_in(text) == Decimal(str(value)), (text, value)


def check_structure(word, laid_out) -> None:
    assert len(word) == len(laid_out)
    for row, cells in zip(laid_out, word):
        assert len(cells) == len(row.cells), row.id
        for (text, span, merge), cell in zip(cells, row.cells):
            assert span == cell.span, (row.id, cell.col)
            assert merge == ("continue" if cell.covered else "restart" if cell.rowspan > 1 else None), (row.id, cell.col)
            if cell.covered:
                assert text == ""


def test_the_monitor_docx_is_the_forms_rows_cell_by_cell(county, monitor_docx):
    book = read_book(county)
    forms = word_forms(monitor_docx)
    laid_out = expected_rows(book, "monitor", "1-6月", None)
    year = book.departments()[0].year
    assert len(forms) == len(laid_out) == len(book.projects)
    for (title, word), (form, rows) in zip(forms, laid_out):
        assert title == f"项目支出绩效目标执行监控表（{year}年度）"
        check_structure(word, rows)
        for row, cells in zip(rows, word):
            for (text, _, _), cell in zip(cells, row.cells):
                if cell.covered:
                    continue
                if cell.formula is not None:  # 执行率 = 执行数 / 全年预算数
                    values = {c.spec.id: c.value for c in row.cells if c.spec is not None and c.spec.id}
                    if values.get("executed") is None or not values.get("full"):
                        assert text == ""
                    else:
                        rate = Decimal(str(values["executed"])) / Decimal(str(values["full"]))
                        assert number_in(text) == rate.quantize(Decimal("0.0001")), text
                else:
                    check_plain_cell(text, cell)
        labels = [text for cells in word for text, _, _ in cells]
        assert {"1-6月执行数", "1-6月执行情况", "偏差原因分析", "经费保障", "完全不可能"} <= set(labels)
        assert form.project.name in labels
        assert labels.count("√") == len(form.indicators)  # 确定能, one per indicator, as filled


def test_the_evaluation_docx_shows_the_scores_of_wbe_score_with_the_countys_wbe_toml(county, evaluation_docx):
    book = read_book(county)
    config = load_year_config(county)
    assert config.weights["预算执行率"] == 15  # the wbe.toml beside the book
    scored = run_cli("score", county, "--format", "json")
    assert scored.returncode == 0, scored.stdout
    scores = {p["project_code"]: p for p in json.loads(scored.stdout)["projects"]}
    forms = word_forms(evaluation_docx)
    laid_out = expected_rows(book, "evaluation", "1-7月", config)
    year = book.departments()[0].year
    assert len(forms) == len(laid_out) == len(book.projects)
    seen_partial = False
    for (title, word), (form, rows) in zip(forms, laid_out):
        assert title == f"项目支出绩效自评表（{year}年度）"
        check_structure(word, rows)
        expected = scores[form.project.code]
        by_name = {i["level3"]: i for i in expected["indicators"]}
        for row, cells in zip(rows, word):
            for (text, _, _), cell in zip(cells, row.cells):
                spec = cell.spec
                if cell.covered or spec is None:
                    continue
                if row.id == "funds_total" and spec.id == "points":
                    assert number_in(text) == 15
                elif row.id == "funds_total" and spec.id == "score":
                    assert float(text) == expected["budget_score"]
                elif row.id == "funds_total" and spec.id == "rate":
                    assert round(float(number_in(text)) * 100, 2) == expected["budget_rate"]
                elif row.section == "indicator" and spec.id in ("score", "points"):
                    indicator = form.indicators[row.index]
                    want = by_name[indicator.level3][spec.id]
                    assert (None if text == "" else float(text)) == want, (indicator.level3, text, want)
                elif row.id == "total" and spec.id == "score":
                    assert float(text) == expected["total"]
                elif row.id == "total" and spec.id == "grade":
                    assert text == expected["grade"]
                elif cell.formula is None:
                    check_plain_cell(text, cell)
        texts = [text for cells in word for text, _, _ in cells]
        seen_partial = seen_partial or "部分达成：推迟一个月完成" in texts
    assert seen_partial  # 完成程度 leads a qualitative 实际完成值, as in the Excel form
    first = scores[book.projects[0].code]
    assert first["total"] < 100 and any(i["score"] is None for i in first["indicators"])  # the story is in it


def test_publish_form_refuses_as_publish_does(county, tmp_path):
    cases = [
        (["--form", "evaluation", "--period", "1-6"], "--period 只用于 --form monitor"),
        (["--period", "1-6"], "--period 只用于 --form monitor"),
        (["--form", "monitor", "--finance-bureau", "乐亭县财政局"], "监控表、自评表没有封面"),
        (["--form", "monitor", "--period", "13"], "月份应在 1 到 12 之间"),
        (["--form", "bogus"], "只能是 monitor、evaluation"),
    ]
    for options, message in cases:
        result = run_cli("publish", county, "-o", tmp_path / "out.docx", *options)
        assert result.returncode == 2, (options, result.stdout)
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    wrong = run_cli("publish", "--form", "monitor", county, "-o", tmp_path / "out.xlsx")
    assert wrong.returncode == 2 and "输出应为 .docx 文件" in wrong.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written by any refusal


def test_publish_form_keeps_an_existing_output_unless_overwrite(county, tmp_path):
    out = tmp_path / "自评表.docx"
    out.write_bytes(b"not yet")
    refused = run_cli("publish", "--form", "evaluation", county, "-o", out)
    assert refused.returncode == 2 and "--overwrite" in refused.stderr
    assert out.read_bytes() == b"not yet"
    done = run_cli("publish", "--form", "evaluation", county, "-o", out, "--overwrite", "--format", "json")
    assert done.returncode == 0, done.stderr
    files = json.loads(done.stdout)["files"]
    assert files[0]["path"] == str(out) and files[0]["projects"] == 9 and files[0]["form"] == "evaluation"
    assert word_forms(out)[0][0].startswith("项目支出绩效自评表")


def test_errors_of_the_year_sheets_block_unless_force(county, tmp_path):
    book = read_book(county)
    row = book.evaluation_indicators[0]
    row.target = row.target + "以上"  # 年度指标值 no longer the goal as set: WBE-E232
    folder = tmp_path / "bad"
    folder.mkdir()
    shutil.copy(county.parent / "wbe.toml", folder / "wbe.toml")
    bad = folder / "bad.xlsx"
    write_book(book, bad)
    out = folder / "e.docx"
    refused = run_cli("publish", "--form", "evaluation", bad, "-o", out)
    assert refused.returncode == 1 and "WBE-E232" in refused.stdout + refused.stderr
    assert "--force" in refused.stderr and not out.exists()
    forced = run_cli("publish", "--form", "evaluation", bad, "-o", out, "--force")
    assert forced.returncode == 0, forced.stderr
    assert out.exists() and "已按 --force 发布" in forced.stderr


@needs_soffice
@pytest.mark.libreoffice
def test_the_forms_convert_to_pdf(county, tmp_path):
    book = read_book(county)
    year = book.departments()[0].year
    for form, title in (("monitor", "项目支出绩效目标执行监控表"), ("evaluation", "项目支出绩效自评表")):
        out = tmp_path / f"{form} 2024 #1.docx"  # LibreOffice gets URLs
        result = run_cli("publish", "--form", form, county, "-o", out, "--pdf")
        assert result.returncode == 0, result.stderr
        pdf = out.with_suffix(".pdf")
        assert pdf.exists() and f"PDF：{pdf}" in result.stdout
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        pages = [re.sub(r"\s", "", page) for page in text.split("\f") if page.strip()]
        assert sum(f"{title}（{year}年度）" in page for page in pages) == len(book.projects)
        assert all(project.name in "".join(pages) for project in book.projects)
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(form)) == [out.name, pdf.name]


def test_a_folder_gets_one_form_per_department_named_as_publish_names_them(county, tmp_path):
    folder = tmp_path / "表格"
    result = run_cli("publish", "--form", "monitor", county, "-o", f"{folder}/")
    assert result.returncode == 0, result.stderr
    dept = read_book(county).departments()[0]
    written = folder / f"{dept.code}{dept.name}.docx"
    assert [p.name for p in folder.iterdir()] == [written.name]
    assert word_forms(written)[0][0].startswith("项目支出绩效目标执行监控表")


def test_pdf_without_libreoffice_writes_nothing(county, tmp_path):
    out = tmp_path / "自评表.docx"
    result = run_cli("publish", "--form", "evaluation", county, "-o", out, "--pdf", env={"PATH": str(tmp_path)})
    assert result.returncode == 2 and "找不到 LibreOffice" in result.stderr
    assert list(tmp_path.iterdir()) == []
