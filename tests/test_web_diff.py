"""The diff page in-process: each changed record shown whole, grouped by sheet, with its changed cells
marked old → new, added and removed rows marked, moves with their old and new 序号; the kind filter."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from starlette.testclient import TestClient

from workbook_engine import api
from workbook_engine.describe import show_field
from workbook_engine.identity import FieldRef
from workbook_engine.sheets import BY_KIND
from workbook_engine.web import create_app

from .conftest import SAMPLE
from .web_helpers import csrf_of, follow_job
from .workbooks import append_project, edited, set_cells

P1, P2, NEW = "13022524P00CL0E10035D", "13022524P00CL0E10037L", "13022524P00CL0E1NEW01"
NEW_NAME = "乐亭县应急管理局应急救援能力提升项目"


def edits(wb):
    """What staff do between two versions: rename and re-budget a project, swap two projects' 序号, delete
    an indicator, add a project with its indicators."""
    set_cells({"项目": {"D2": NEW_NAME, "F2": 260, "G2": 260, "B2": 2, "B3": 1}})(wb)
    wb["指标"].delete_rows(3)
    append_project(NEW, 10)(wb)


class DiffTables(HTMLParser):
    """The page's per-sheet tables: {sheet kind: {"columns": [...], "rows": [row, …]}}, each row with its
    status, tags, label, where and cells (field, class, text, old/new attributes, <del>/<ins> text)."""

    def __init__(self, page: str):
        super().__init__()
        self.sheets: dict[str, dict] = {}
        self.sheet: dict | None = None
        self.row: dict | None = None
        self.cell: dict | None = None
        self.in_head = False
        self.inline: str | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and "data-sheet" in a:
            self.sheet = self.sheets.setdefault(a["data-sheet"], {"columns": [], "rows": []})
        elif self.sheet is None:
            return
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr" and not self.in_head:
            self.row = {"status": a.get("data-status"), "class": a.get("class"), "tags": [], "cells": []}
            self.sheet["rows"].append(self.row)
        elif tag in ("th", "td"):
            self.cell = {"field": a.get("data-field"), "class": a.get("class") or "", "text": "",
                         "old": a.get("data-old"), "new": a.get("data-new"), "del": "", "ins": ""}
        elif tag in ("del", "ins"):
            self.inline = tag

    def handle_endtag(self, tag):
        if tag == "section":
            self.sheet = None
        elif tag == "thead":
            self.in_head = False
        elif tag in ("del", "ins"):
            self.inline = None
        elif tag in ("th", "td") and self.cell is not None and self.sheet is not None:
            cell, self.cell = self.cell, None
            cell["text"] = " ".join(cell["text"].split())
            if self.in_head:
                self.sheet["columns"].append(cell["text"])
            elif self.row is not None:
                self.row["cells"].append(cell)

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data
            if self.inline:
                self.cell[self.inline] += data


def record_rows(tables: DiffTables, kind: str) -> list[dict]:
    """Rows as {header: cell} plus the first three columns (变化, 记录, 位置)."""
    sheet = tables.sheets[kind]
    rows = []
    for row in sheet["rows"]:
        cells = dict(zip(sheet["columns"], row["cells"]))
        rows.append({**row, "by": cells, "tags": cells["变化"]["text"].split()})
    return rows


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(executor="thread", workers=1, work_dir=tmp_path_factory.mktemp("web-diff-work"))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    return SAMPLE, edited(SAMPLE, tmp_path_factory.mktemp("diff") / "新版.xlsx", edits)


@pytest.fixture(scope="module")
def result(client, versions):
    old, new = versions
    response = client.post("/diff", data={"csrf": csrf_of(client)},
                           files={"old": ("旧版.xlsx", old.read_bytes()), "new": ("新版.xlsx", new.read_bytes())})
    page = follow_job(client, response)
    assert page.status_code == 200, page.text[:500]
    return page


def project(book, code):
    return next(p for p in book.projects if p.code == code)


def test_changed_cells_are_marked_with_old_and_new_values(result, versions):
    old_book, new_book = api.read_book(versions[0]), api.read_book(versions[1])
    rows = {r["by"]["项目编码"]["text"]: r for r in record_rows(DiffTables(result.text), "projects")}
    row = rows[P1]
    name, budget = row["by"]["项目名称"], row["by"]["预算数"]
    old_name = project(old_book, P1).name
    assert name["class"] == "cell-changed" and name["old"] == old_name and name["new"] == NEW_NAME
    assert old_name in name["text"] and NEW_NAME in name["text"]
    assert budget["class"] == "cell-changed" and (budget["old"], budget["new"]) == ("200.00", "260.00")
    assert budget["del"] == "0" and budget["ins"] == "6"  # only the differing middle is highlighted
    assert "修改" in row["tags"] and "移动" in row["tags"]  # renamed and given 序号 2
    # The whole row, every column of 项目 in order, unchanged cells with the new version's values.
    spec = BY_KIND["projects"]
    assert [c for c in DiffTables(result.text).sheets["projects"]["columns"][3:]] == spec.headers
    changed = {"项目名称", "预算数", "财政资金", "序号"}
    record = project(new_book, P1)
    for column in spec.columns:
        cell = row["by"][column.header]
        if column.header in changed:
            assert cell["class"] in ("cell-changed", "cell-moved"), column.header
        else:
            assert cell["class"] == "" and cell["text"] == " ".join(
                show_field(FieldRef("projects", column.field), getattr(record, column.field)).split()), column.header


def test_moved_added_and_removed_rows(result, versions):
    old_book = api.read_book(versions[0])
    projects = {r["by"]["项目编码"]["text"]: r for r in record_rows(DiffTables(result.text), "projects")}
    moved = projects[P2]
    assert moved["status"] == "moved" and moved["tags"] == ["移动"]
    assert moved["by"]["序号"]["class"] == "cell-moved" and (moved["by"]["序号"]["old"], moved["by"]["序号"]["new"]) == ("2", "1")
    assert "序号 2 → 1" in moved["by"]["位置"]["text"]
    added = projects[NEW]
    assert added["status"] == "added" and added["class"] == "row-added" and added["by"]["序号"]["text"] == "10"

    indicators = record_rows(DiffTables(result.text), "indicators")
    removed = [r for r in indicators if r["status"] == "removed"]
    gone = next(i for i in old_book.indicators if i.row == 3)
    assert len(removed) == 1 and removed[0]["class"] == "row-removed"
    assert removed[0]["by"]["三级指标"]["text"] == gone.level3 and removed[0]["by"]["位置"]["text"] == "旧版第 3 行"
    new_indicators = [r for r in indicators if r["status"] == "added"]
    assert {r["by"]["项目编码"]["text"] for r in new_indicators} == {NEW}
    assert len(new_indicators) == len([i for i in api.read_book(versions[1]).indicators if i.project_code == NEW])


def test_rows_are_grouped_by_sheet_with_counts(result, versions):
    changes = api.diff(*versions).changes.changes
    tables = DiffTables(result.text)
    for kind, entity in (("projects", "project"), ("indicators", "indicator")):
        expected = {tuple(c.key.values()) for c in changes if c.entity == entity}
        assert len(tables.sheets[kind]["rows"]) == len(expected), kind
    assert "goals" not in tables.sheets  # no goal changed: no empty table
    page = result.text
    assert 'data-count="added">新增 1<' in page.split('id="sheet-projects"')[1].split("</h2>")[0]
    assert 'href="#sheet-indicators"' in page and 'id="change-list"' in page
    assert page.count('<tr class="k-') == len(changes)  # the flat list, one line per change, is kept


def test_kind_filter_is_a_plain_get_form(client, result):
    page = client.get(f"{result.url}?kind=removed")
    tables = DiffTables(page.text)
    statuses = [row["status"] for sheet in tables.sheets.values() for row in sheet["rows"]]
    assert statuses == ["removed"]
    assert 'method="get"' in page.text and '<option value="removed" selected>' in page.text
    assert "这张表没有所选的变化" in page.text
    ignored = client.get(f"{result.url}?kind=../../etc")
    assert ignored.status_code == 200 and len(DiffTables(ignored.text).sheets["indicators"]["rows"]) > 1


def test_page_has_no_inline_script_or_style(result):
    assert "<script>" not in result.text and " style=" not in result.text and " on" + "click" not in result.text
    assert 'tabindex="0" role="region"' in result.text  # wide tables scroll with the keyboard


def test_department_fields_are_their_own_table(tmp_path):
    def rename(wb):
        goals = wb["部门目标"]
        for row in range(2, goals.max_row + 1):
            goals[f"B{row}"] = "乐亭县应急管理局（新名称）"

    tables = api.diff_tables(api.diff(SAMPLE, edited(SAMPLE, tmp_path / "改名.xlsx", rename)))
    assert [t["kind"] for t in tables] == ["department"]  # compared once, not on each goal row
    row = tables[0]["rows"][0]
    cells = {c["field"]: c for c in row["cells"]}
    assert row["kind"] == "changed" and cells["部门编码"]["text"] == "450001" and cells["年度"]["state"] == "same"
    assert (cells["部门名称"]["old"], cells["部门名称"]["new"]) == ("乐亭县应急管理局本级", "乐亭县应急管理局（新名称）")
    assert cells["部门名称"]["marked"]["new"] == ["乐亭县应急管理局", "（新名称）", ""]
