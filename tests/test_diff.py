"""wbe diff: semantic changes by key (added, removed, changed, moved), text and JSON, and the diff workbook."""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest

from workbook_engine.api import read_book

from .conftest import SAMPLE, libreoffice_convert, needs_soffice, run_cli
from .workbooks import append_project, department, edited, fill_of, save, set_cells

P1, P2 = "13022524P00CL0E10035D", "13022524P00CL0E10037L"


def every_kind(wb):
    """One edit of each kind a user makes: change, move (goals, projects, indicators), rename, delete, add."""
    set_cells({"项目": {"F2": 220, "G2": 220, "B2": 2, "B3": 1},
               "指标": {"H5": "≥99%", "F6": "提高工作效率", "C9": 9, "C10": 8}})(wb)
    goals = wb["部门目标"]
    for col in "FG":
        goals[f"{col}8"].value, goals[f"{col}9"].value = goals[f"{col}9"].value, goals[f"{col}8"].value
    wb["指标"].delete_rows(3)  # 产出指标/质量指标/工作任务完成情况
    append_project("13022524P00CL0E1NEW01", 10)(wb)


@pytest.fixture()
def changed(tmp_path):
    return edited(SAMPLE, tmp_path / "新.xlsx", every_kind)


def test_json_lists_every_change_kind_by_key(changed):
    result = run_cli("diff", SAMPLE, changed, "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert list(data) == ["changes"]
    assert all(list(c) == ["kind", "entity", "key", "field", "old", "new"] for c in data["changes"])
    brief = [(c["kind"], c["entity"], c["field"], c["old"], c["new"]) for c in data["changes"]
             if c["kind"] in ("changed", "moved")]
    assert brief == [
        ("moved", "goal", "序号", 4, 3),
        ("moved", "goal", "序号", 3, 4),
        ("moved", "project", "序号", 2, 1),
        ("moved", "project", "序号", 1, 2),
        ("changed", "project", "预算数", 200, 220),
        ("changed", "project", "财政资金", 200, 220),
        ("changed", "indicator", "指标值", "预算成本", "≥99%"),
        ("moved", "indicator", "序号", 9, 8),
        ("moved", "indicator", "序号", 8, 9),
    ]
    removed = [c for c in data["changes"] if c["kind"] == "removed"]
    assert data["changes"][-2:] == removed and all(c["field"] is None and c["new"] is None for c in removed)
    assert removed[0]["key"] == {"项目编码": P1, "一级指标": "产出指标", "二级指标": "质量指标", "三级指标": "工作任务完成情况"}
    assert removed[0]["old"]["指标值"] == "按时完成" and removed[0]["old"]["序号"] == 2
    assert removed[1]["key"]["三级指标"] == "提高效率"
    added = [c for c in data["changes"] if c["kind"] == "added"]
    assert [(c["entity"], c["key"].get("项目编码"), c["key"].get("三级指标")) for c in added[:3]] == [
        ("project", "13022524P00CL0E1NEW01", None),
        ("indicator", P1, "提高工作效率"),
        ("indicator", "13022524P00CL0E1NEW01", "编制自然灾害类预案数"),
    ]
    assert len(added) == 2 + 9  # the new project, the renamed indicator, the new project's 9 indicators
    assert added[0]["new"]["预算数"] == 99.18 and added[0]["new"]["3月底"] == 25 and added[0]["old"] is None
    goal_move = data["changes"][0]
    assert goal_move["key"] == {"部门编码": "450001", "类别": "分项绩效目标", "序号": 3}


def test_text_output_reads_as_a_list_of_changes(changed):
    result = run_cli("diff", SAMPLE, changed)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"修改 项目 {P1}（安全生产专家会诊服务费）：预算数 200.00 → 220.00" in lines
    assert f"移动 项目 {P2}（视频监控全覆盖）：序号 2 → 1" in lines
    assert f"删除 指标 {P1} 产出指标/质量指标/工作任务完成情况" in lines
    assert f"新增 指标 {P1} 效益指标/经济效益指标/提高工作效率" in lines
    # The new project's indicators are counted on its line (JSON lists them one by one).
    assert "新增 项目 13022524P00CL0E1NEW01（自然灾害救助资金）（含 9 个指标）" in lines
    assert not any("新增 指标 13022524P00CL0E1NEW01" in line for line in lines)
    assert lines[-1] == "共 22 处变化：新增 11，删除 2，修改 3，移动 6。"


def test_identical_workbooks_exit_0(tmp_path):
    resaved = edited(SAMPLE, tmp_path / "copy.xlsx", lambda wb: None)
    result = run_cli("diff", SAMPLE, resaved)
    assert (result.returncode, result.stdout.strip()) == (0, "两个工作簿内容相同。")
    assert json.loads(run_cli("diff", SAMPLE, resaved, "--format", "json").stdout) == {"changes": []}


def test_row_order_alone_is_not_a_change(tmp_path):
    def reverse_projects(wb):
        sheet = wb["项目"]
        rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
        for index, values in enumerate(reversed(rows), start=2):
            for col, value in enumerate(values, start=1):
                sheet.cell(index, col).value = value

    result = run_cli("diff", SAMPLE, edited(SAMPLE, tmp_path / "r.xlsx", reverse_projects))
    assert result.returncode == 0, result.stdout


def test_department_changes(tmp_path):
    renamed = edited(SAMPLE, tmp_path / "改名.xlsx",
                     set_cells({"部门目标": {f"B{r}": "乐亭县应急管理局" for r in range(2, 19)}}))
    result = run_cli("diff", SAMPLE, renamed, "--format", "json")
    assert json.loads(result.stdout)["changes"] == [
        {"kind": "changed", "entity": "department", "key": {"部门编码": "450001"}, "field": "部门名称",
         "old": "乐亭县应急管理局本级", "new": "乐亭县应急管理局"},
    ]
    other = save(department("450002", "乐亭县民政局", "MZ"), tmp_path / "民政局.xlsx")
    data = json.loads(run_cli("diff", SAMPLE, other, "--format", "json").stdout)["changes"]
    assert data[0] == {"kind": "added", "entity": "department", "key": {"部门编码": "450002"}, "field": None,
                       "old": None, "new": {"部门名称": "乐亭县民政局", "年度": 2024}}
    assert data[1]["kind"] == "removed" and data[1]["key"] == {"部门编码": "450001"}
    assert run_cli("diff", SAMPLE, other).stdout.splitlines() == [
        "新增 部门 450002（乐亭县民政局）（含 17 条部门目标、9 个项目、81 个指标）",
        "删除 部门 450001（乐亭县应急管理局本级）（含 17 条部门目标、9 个项目、81 个指标）",
        "共 216 处变化：新增 108，删除 108，修改 0，移动 0。",
    ]
    kinds = {(c["kind"], c["entity"]) for c in data[2:]}
    assert kinds == {("added", "goal"), ("removed", "goal"), ("added", "project"), ("removed", "project"),
                     ("added", "indicator"), ("removed", "indicator")}


def test_extra_column_changes_are_reported(tmp_path):
    a = edited(SAMPLE, tmp_path / "a.xlsx", set_cells({"项目": {"O1": "备注", "O2": "旧"}}))
    b = edited(SAMPLE, tmp_path / "b.xlsx", set_cells({"项目": {"O1": "备注", "O2": "新"}}))
    data = json.loads(run_cli("diff", a, b, "--format", "json").stdout)["changes"]
    assert data == [{"kind": "changed", "entity": "project", "key": {"项目编码": P1}, "field": "备注", "old": "旧",
                     "new": "新"}]


def test_diff_workbook_marks_the_new_version(changed, tmp_path):
    out = tmp_path / "比对.xlsx"
    result = run_cli("diff", SAMPLE, changed, "-o", out)
    assert result.returncode == 1 and f"比对工作簿：{out}" in result.stdout
    workbook = openpyxl.load_workbook(out)
    projects = workbook["项目"]
    assert projects["F2"].value == 220 and fill_of(projects["F2"]) == "FFEB9C"
    assert projects["F2"].comment.text == "原值：200.00"
    assert fill_of(projects["B2"]) == "BDD7EE" and projects["B2"].comment.text == "移动：原序号 1"
    assert fill_of(projects["D2"]) is None and projects["D2"].comment is None
    new_row = projects[11]
    assert new_row[2].value == "13022524P00CL0E1NEW01"
    assert all(fill_of(c) == "C6EFCE" for c in new_row[:14]) and new_row[0].comment.text == "新增"
    indicators = workbook["指标"]
    last = indicators.max_row
    struck = [indicators[row] for row in (last - 1, last)]
    assert [r[5].value for r in struck] == ["工作任务完成情况", "提高效率"]
    assert all(c.font.strike for r in struck for c in r[:9])
    assert struck[0][0].comment.text == "已删除（旧版第 3 行）"
    assert indicators.max_row == len(read_book(changed).indicators) + 1 + 2
    summary = workbook["比对结果"]
    assert summary["A1"].value.endswith("共 22 处变化：新增 11，删除 2，修改 3，移动 6。")
    first_change = [c.value for c in summary[7]]
    assert first_change[:7] == [5, "修改", "项目", f"项目 {P1}（安全生产专家会诊服务费）", "预算数", "200.00", "220.00"]
    assert summary["H7"].hyperlink.location == "'项目'!F2"


def test_unreadable_input_exits_2(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(SAMPLE.read_bytes()[:2000])
    result = run_cli("diff", SAMPLE, broken)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and str(broken) in result.stderr


def test_merge_then_diff_against_the_inputs(tmp_path):
    """Merging department workbooks adds exactly the other departments' records, nothing else."""
    a = tmp_path / "a.xlsx"
    shutil.copyfile(SAMPLE, a)
    b = save(department("450002", "乐亭县民政局", "MZ"), tmp_path / "b.xlsx")
    out = tmp_path / "县.xlsx"
    assert run_cli("merge", a, b, "-o", out).returncode == 0
    for mine, other in ((a, b), (b, a)):
        data = json.loads(run_cli("diff", mine, out, "--format", "json").stdout)["changes"]
        other_book = read_book(other)
        code = other_book.goals[0].dept_code
        assert all(c["kind"] == "added" for c in data)
        assert [c["entity"] for c in data] == ["department"] + ["goal"] * len(other_book.goals) + \
            ["project"] * len(other_book.projects) + ["indicator"] * len(other_book.indicators)
        assert {c["new"]["部门编码"] for c in data[1:]} == {code}


@needs_soffice
@pytest.mark.libreoffice
def test_diff_workbook_opens_in_libreoffice_with_its_marks(changed, tmp_path):
    out = tmp_path / "比对.xlsx"
    assert run_cli("diff", SAMPLE, changed, "-o", out).returncode == 1
    resaved = openpyxl.load_workbook(libreoffice_convert(out, "xlsx", tmp_path / "lo"))
    projects, indicators = resaved["项目"], resaved["指标"]
    assert projects["F2"].value == 220 and fill_of(projects["F2"]) == "FFEB9C"
    assert "原值：200.00" in projects["F2"].comment.text
    last = max(c.row for c in indicators["F"] if c.value is not None)
    assert indicators.cell(last, 6).value == "提高效率" and indicators.cell(last, 6).font.strike
    assert resaved.sheetnames[:3] == ["部门目标", "项目", "指标"] and "比对结果" in resaved.sheetnames


def test_long_text_changes_are_cut_to_where_they_differ(tmp_path):
    new = edited(SAMPLE, tmp_path / "新.xlsx", lambda wb: set_cells(
        {"部门目标": {"G8": wb["部门目标"]["G8"].value.replace("防汛抗旱应急体系", "防汛抗旱应急指挥体系")}})(wb))
    lines = run_cli("diff", SAMPLE, new).stdout.splitlines()
    assert lines[0] == ("修改 部门目标 450001 分项绩效目标 第 3 条：内容 …全县防汛抗旱应急【】体系建设，组织、… → "
                        "…全县防汛抗旱应急【指挥】体系建设，组织、…")
