"""WBE-R120 (issue 24): an indicator that fits another project of the same department better than its own.

Precision first: the shipped sample and every acceptable labelled row stay clean; the message names the
project the indicator belongs to; the comparison stays within one department and is switched off like any
rule (then WBE-R119's sector test still applies)."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import openpyxl

from benchmarks.review_accuracy import build_book
from benchmarks.review_quality import LABELLED
from workbook_engine.canonical_writer import write_book
from workbook_engine.review import review

from .conftest import SAMPLE, run_cli

DATA = Path(__file__).resolve().parent / "data"
SETS = [(DATA / "labelled_indicators.csv", DATA / "labelled_projects.csv"),
        (LABELLED / "dev.csv", LABELLED / "dev_projects.csv"), (LABELLED / "test.csv", LABELLED / "test_projects.csv")]


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _reviewed(tmp_path: Path, indicators: list[dict[str, str]], projects: list[dict[str, str]], name="book.xlsx"):
    book, lines = build_book(indicators, projects)
    path = tmp_path / name
    write_book(book, path)
    return review(path), lines


def test_the_sample_has_no_misplaced_indicator():
    assert "WBE-R120" not in review(SAMPLE).report.codes()


def test_no_acceptable_labelled_row_is_called_misplaced(tmp_path):
    """Across the team's set and both splits, R120 fires only on rows labelled as another project's (R119)."""
    fired = 0
    for n, (indicators_csv, projects_csv) in enumerate(SETS):
        rows = _read(indicators_csv)
        result, lines = _reviewed(tmp_path, rows, _read(projects_csv), f"set{n}.xlsx")
        row_of_line = dict(zip(range(len(rows)), lines))
        excel_row = {line: 2 + index for index, line in row_of_line.items()}  # build_book writes rows in order
        labels = {excel_row[line]: rows[index]["expected"].split() for index, line in row_of_line.items()}
        for f in result.report.findings:
            if f.code == "WBE-R120":
                fired += 1
                assert "WBE-R119" in labels[f.row], (indicators_csv.name, f.row, f.value)
    assert fired >= 5  # the rule does find something: 农村公路路面完好率 in a school-meal project, …


def test_the_message_names_the_project_it_fits(tmp_path):
    projects = [
        {"project": "A", "name": "农村学生营养改善计划", "budget": "300", "purpose": "为农村义务教育学生提供营养膳食补助。",
         "goal": "保障8000名学生每天获得营养膳食补助。"},
        {"project": "B", "name": "农村公路养护", "budget": "500", "purpose": "开展农村公路日常养护和路面修补。",
         "goal": "养护农村公路600公里，路面完好率达到90%。"},
    ]
    rows = [{"project": "A", "level1": "产出指标", "level2": "数量指标", "level3": "受助学生人数", "description": "",
             "value": "≥8000人", "expected": ""},
            {"project": "A", "level1": "产出指标", "level2": "质量指标", "level3": "农村公路路面完好率", "description": "",
             "value": "≥90%", "expected": "WBE-R119"},
            {"project": "B", "level1": "产出指标", "level2": "数量指标", "level3": "养护里程", "description": "",
             "value": "≥600公里", "expected": ""}]
    result, _ = _reviewed(tmp_path, rows, projects)
    found = [f for f in result.report.findings if f.code == "WBE-R120"]
    assert [(f.cell, f.value) for f in found] == [("F3", "农村公路路面完好率")]
    code_b = next(g.code for g in result.grades if g.name == "农村公路养护")
    assert "农村学生营养改善计划" in found[0].message and "“农村公路养护”" in found[0].message
    assert code_b in found[0].message
    assert found[0].project == next(g.code for g in result.grades if g.name == "农村学生营养改善计划")

    # In another department, the same project is no evidence: the comparison stays inside one department.
    book, _ = build_book(rows, projects)
    other = replace(book.projects[1], dept_code="470002")
    book.projects[1] = other
    book.indicators[2] = replace(book.indicators[2], dept_code="470002")
    path = tmp_path / "two-departments.xlsx"
    write_book(book, path)
    assert "WBE-R120" not in review(path).report.codes()


def test_switched_off_in_wbe_toml(tmp_path):
    workbook = openpyxl.load_workbook(SAMPLE)
    workbook["指标"]["F2"], workbook["指标"]["G2"] = "农村住房保险参保户数", "反映参保的农户数"
    path = tmp_path / "moved.xlsx"
    workbook.save(path)
    on = run_cli("review", path)
    assert on.returncode == 0 and "WBE-R120" in on.stdout and "农房保险县配套" in on.stdout
    (tmp_path / "wbe.toml").write_text('[tool.workbook-engine.review]\noff = ["WBE-R120"]\n', encoding="utf-8")
    assert "WBE-R120" not in review(path).report.codes()


def test_a_text_longer_than_a_cell_is_judged_on_what_a_cell_holds():
    """A project text past Excel's cell limit (itself WBE-E028) is compared on its first 32,767 characters
    per field: a 3.5-million-character 资金用途 once cost the review 11 s building its bigram index."""
    from workbook_engine.io.cell_text import EXCEL_MAX_CHARS
    from workbook_engine.review.config import ReviewConfig
    from workbook_engine.review.rules import ReviewContext, _department_index
    from workbook_engine.validation import check

    checked = check(SAMPLE)
    project = checked.book.projects[0]
    long_purpose = "".join(chr(0x4E00 + (n * 7919) % 20000) for n in range(3_500_000))
    checked.book.projects[0] = replace(project, purpose=long_purpose)
    context = ReviewContext(checked.book, checked.loaded, ReviewConfig())
    text = context.project_text(project.code)
    assert long_purpose[:EXCEL_MAX_CHARS] in text and len(text) < 4 * EXCEL_MAX_CHARS + 4
    index = _department_index(context, [project.code])
    assert 1000 < len(index) <= EXCEL_MAX_CHARS * 4  # the bigrams of what a cell holds, not of 3.5 million
