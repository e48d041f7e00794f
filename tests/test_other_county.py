"""Issue 11, done-when: a published document from another county (samples/linhe-2024-water.txt, department
520001, written in the accepted forms of §1: ≥Ⅳ类, 达到一级A标准, ≤预算数, ≤710元/亩, ≥百分之九十五, ≥十二次,
当年完成, 全年 …) imports, validates with 0 errors, renders, publishes and merges with the shipped sample,
all without --force."""

from __future__ import annotations

import openpyxl
import pytest

from workbook_engine import api
from workbook_engine.values import parse_indicator_value

from .conftest import ROOT, SAMPLE, run_cli

DOCUMENT = ROOT / "samples" / "linhe-2024-water.txt"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("linhe")
    workbook = folder / "linhe.xlsx"
    book = api.import_document(DOCUMENT, workbook)
    return folder, workbook, book


def test_document_uses_the_accepted_forms(imported):
    _, _, book = imported
    assert {p.dept_code for p in book.projects} == {"520001"} and len(book.projects) == 3
    kinds = {parse_indicator_value(i.value).kind for i in book.indicators}
    assert {"quantitative", "deadline", "class", "grade", "budget"} <= kinds
    values = {i.value for i in book.indicators}
    assert {"≥Ⅳ类", "达到一级A标准", "≤预算数", "≤710元/亩", "≥百分之九十五", "≥十二次", "当年完成", "全年",
            "AAA级", "控制在预算内", "不超预算", "≤1.04元/吨", "=94元/人"} <= values


def test_validates_with_no_error(imported):
    _, workbook, _ = imported
    report = api.validate(workbook, review=True)
    assert report.errors == [] and report.valid
    # the budget bounds are review warnings that propose the project's own 预算数
    advice = [f.message for f in report.findings if f.code == "WBE-R122"]
    assert advice and any("≤320.00万元" in m for m in advice)


def test_renders_and_publishes_without_force(imported):
    folder, workbook, _ = imported
    rendered = api.render(workbook, folder / "official.xlsx")
    assert rendered.rendered and not rendered.refused
    sheets = openpyxl.load_workbook(folder / "official.xlsx").sheetnames
    assert len(sheets) >= 3
    published = api.publish(workbook, folder / "linhe.docx")
    assert not published.refused and (folder / "linhe.docx").stat().st_size > 0


def test_merges_with_the_sample_without_force(imported):
    folder, workbook, _ = imported
    outcome = api.merge([SAMPLE, workbook], folder / "county.xlsx")
    assert outcome.written and outcome.exit_code() == 0
    merged = api.read_book(folder / "county.xlsx")
    assert {p.dept_code for p in merged.projects} == {"450001", "520001"}
    assert api.validate(folder / "county.xlsx", review=False).errors == []


def test_cli_import_and_validate(tmp_path):
    out = tmp_path / "linhe.xlsx"
    assert run_cli("import", DOCUMENT, "-o", out).returncode == 0
    result = run_cli("validate", out)
    assert result.returncode == 0, result.stdout + result.stderr
