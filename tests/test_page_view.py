"""What the pages show, as library data (page_view.py, change_view.py through api.py): the same findings
`wbe validate --format json` reports, each finding's sheet row and project, the kind of an upload, a diff's
changes and tables, a merge's conflicts. No server: the web only stores and draws this data."""

from __future__ import annotations

import json
import subprocess
import sys

import openpyxl
import pytest

from workbook_engine import api

from .conftest import ROOT, SAMPLE, run_cli
from .test_catalogue import import_graph
from .workbooks import edited


@pytest.fixture(scope="module")
def analysis() -> dict:
    return api.page_analysis(SAMPLE)


def test_the_page_lists_what_wbe_validate_reports(analysis):
    printed = json.loads(run_cli("validate", SAMPLE, "--format", "json").stdout)
    expected = sorted((f["code"], f["sheet"] or "", f["cell"] or "", f["message"]) for f in printed["findings"])
    shown = sorted((r["code"], r["sheet"] or "", r["cell"] or "", r["message"]) for r in analysis["findings"])
    assert shown == expected and len(shown) > 100
    summary = analysis["summary"]
    assert (summary["projects"], summary["indicators"], summary["budget"]) == (9, 81, "606.18")
    errors = sum(1 for f in printed["findings"] if f["severity"] == "error")
    assert (summary["errors"], summary["warnings"]) == (errors, len(shown) - errors)


def test_a_finding_on_an_indicator_row_names_its_project_and_shows_its_row(analysis):
    on_indicators = [r for r in analysis["findings"] if r["sheet"] == "指标" and r["row"]]
    assert on_indicators and all(r["project"] for r in on_indicators)
    first = on_indicators[0]
    sheet = openpyxl.load_workbook(SAMPLE)["指标"]
    context = analysis["rows"][f"指标!{first['row']}"]
    assert context["headers"][:3] == ["部门编码", "项目编码", "序号"]
    assert context["values"][1] == sheet.cell(first["row"], 2).value == first["project"]
    assert context["letters"][:3] == ["A", "B", "C"]


def test_the_preview_is_the_department_document(analysis):
    (department,) = analysis["preview"]
    assert department["code"] == "450001" and len(department["projects"]) == 9
    assert any("绩效目标" in block["text"] for block in department["part_one"])
    assert all(p["rows"] for p in department["projects"])


def test_the_kind_of_an_upload(tmp_path):
    official = tmp_path / "official.xlsx"
    api.render(SAMPLE, official)
    assert api.upload_kind(SAMPLE, "xlsx") == "canonical"
    assert api.upload_kind(official, "xlsx") == "official"
    assert api.upload_kind(tmp_path / "any.docx", "docx") == "document"


def test_the_guard_refuses_a_file_that_is_not_what_its_name_says(tmp_path):
    fake = tmp_path / "假的.xlsx"
    fake.write_text("这不是工作簿", encoding="utf-8")
    with pytest.raises(api.WorkbookEngineError) as refused:
        api.guard_upload(fake, "xlsx")
    assert "假的.xlsx" in str(refused.value) and "\n" not in str(refused.value)
    api.guard_upload(fake, "txt")  # a text export has no container to check


def test_a_diff_page_shows_each_change_and_marks_where_it_differs(tmp_path):
    def rename(wb):
        wb["项目"]["I3"] = str(wb["项目"]["I3"].value) + "（已修改）"

    new = edited(SAMPLE, tmp_path / "新.xlsx", rename)
    page = api.diff_page(api.diff(SAMPLE, new))
    (change,) = page["changes"]
    assert (change["kind"], change["field"]) == ("changed", "资金用途")
    assert change["marked"]["new"][1] == "（已修改）" and change["marked"]["old"][1] == ""
    (table,) = page["sheets"]
    assert table["kind"] == "projects" and table["total"] == 1
    (row,) = table["rows"]
    marked = [row["cells"][i] for i in row["marked"]]
    assert [c["field"] for c in marked] == ["资金用途"] and marked[0]["new"].endswith("（已修改）")
    assert api.diff_tables(api.diff(SAMPLE, new)) == page["sheets"]
    assert [k for k, _ in api.diff_kind_options()] == ["added", "removed", "changed", "moved"]


def test_a_merge_page_lists_the_conflict_with_both_candidates(tmp_path):
    def variant(text):
        def change(wb):
            wb["项目"]["I3"] = str(wb["项目"]["I3"].value) + text
        return change

    inputs = [edited(SAMPLE, tmp_path / "甲.xlsx", variant("甲")), edited(SAMPLE, tmp_path / "乙.xlsx", variant("乙"))]
    outcome = api.merge(inputs, tmp_path / "merged.xlsx", labels=["甲.xlsx", "乙.xlsx"])
    assert not outcome.written and outcome.plan is not None
    page = api.merge_page(outcome.plan)
    (conflict,) = page["conflicts"]
    assert conflict["field"] == "资金用途" and [c["cell"] for c in conflict["candidates"]] == ["项目!I3"] * 2
    assert [c["parts"][1] for c in conflict["candidates"]] == ["甲", "乙"]
    assert page["totals"] == {"departments": 1, "projects": 9, "indicators": 81, "budget": "606.18"}


def test_the_page_data_modules_import_no_web_module_and_not_at_start_up():
    graph = import_graph()
    for module in ("workbook_engine.page_view", "workbook_engine.change_view"):
        assert not {m for m in graph[module] if m.startswith("workbook_engine.web")}
        assert "workbook_engine.api" not in graph[module]
    loaded = subprocess.run([sys.executable, "-c", "import sys, workbook_engine.api, workbook_engine.web.tasks; "
                             "print(sorted(m for m in sys.modules if m.endswith(('page_view', 'change_view'))))"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert loaded.stdout.strip() == "[]", loaded.stderr
