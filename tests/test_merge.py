"""wbe merge as staff use it: department workbooks into a county one, copies of one department, three-way."""

from __future__ import annotations

import hashlib
import shutil
from decimal import Decimal

import openpyxl
import pytest

from workbook_engine.api import merge, read_book, validate
from workbook_engine.diff import diff_files

from .conftest import ROOT, SAMPLE, libreoffice_convert, needs_soffice, run_cli
from .workbooks import append_project, department, edited, fill_of, save, set_cells

P1, P2 = "13022524P00CL0E10035D", "13022524P00CL0E10037L"


@pytest.fixture()
def two_departments(tmp_path):
    """Two department workbooks with nothing in common (written in the reverse of code order)."""
    b = save(department("450002", "乐亭县民政局", "MZ"), tmp_path / "民政局.xlsx")
    a = tmp_path / "应急管理局.xlsx"
    shutil.copyfile(SAMPLE, a)
    return a, b


def log_rows(path):
    sheet = openpyxl.load_workbook(path)["合并记录"]
    return [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]


def test_disjoint_departments_become_one_valid_county_workbook(two_departments, tmp_path):
    a, b = two_departments
    out = tmp_path / "县.xlsx"
    result = run_cli("merge", b, a, "-o", out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 个部门，18 个项目，162 个指标，预算合计 1212.36 万元" in result.stdout
    merged, book_a, book_b = read_book(out), read_book(a), read_book(b)
    assert merged == book_a.__class__(goals=book_a.goals + book_b.goals, projects=book_a.projects + book_b.projects,
                                      indicators=book_a.indicators + book_b.indicators)
    assert validate(out, review=False).findings == []
    # Ordered by 部门编码 then 序号 although the 450002 workbook came first.
    sheet = openpyxl.load_workbook(out)["项目"]
    assert [(r[0].value, r[1].value) for r in sheet.iter_rows(min_row=2)] == \
        [("450001", n) for n in range(1, 10)] + [("450002", n) for n in range(1, 10)]


def test_merge_record_sheet_lists_each_input_and_the_totals(two_departments, tmp_path):
    a, b = two_departments
    out = tmp_path / "县.xlsx"
    assert run_cli("merge", a, b, "-o", out).returncode == 0
    rows = log_rows(out)
    assert rows[0][:5] == [1, "输入", str(a), hashlib.sha256(a.read_bytes()).hexdigest(), "450001 乐亭县应急管理局本级"]
    assert rows[0][5:8] == [9, 81, 606.18]
    assert rows[1][:5] == [2, "输入", str(b), hashlib.sha256(b.read_bytes()).hexdigest(), "450002 乐亭县民政局"]
    assert rows[2][1:] == ["合计", "各输入之和", None, "2 个部门", 18, 162, 1212.36]
    assert rows[3][1] == "合并结果" and rows[3][5:8] == [18, 162, 1212.36]
    assert openpyxl.load_workbook(out)["合并记录"]["H4"].number_format == "0.00"


def test_identical_duplicates_are_kept_once(tmp_path):
    copy = edited(SAMPLE, tmp_path / "副本.xlsx", lambda wb: None)  # re-saved by openpyxl: other bytes, same content
    out = tmp_path / "out.xlsx"
    result = run_cli("merge", SAMPLE, copy, "-o", out)
    assert result.returncode == 0, result.stdout
    assert read_book(out) == read_book(SAMPLE)
    assert diff_files(SAMPLE, out).changes.identical


CONFLICTS = {
    "project field": ({"项目": {"F2": 220, "G2": 220}}, "项目 13022524P00CL0E10035D", "预算数", "项目!F2", "200.00",
                      "220.00"),
    "department name": ({"部门目标": {f"B{r}": "乐亭县应急管理局" for r in range(2, 19)}}, "部门 450001", "部门名称",
                        "部门目标!B2", "乐亭县应急管理局本级", "乐亭县应急管理局"),
    "goal text": ({"部门目标": {"F7": "安全生产应急经费"}}, "部门目标 450001 分项绩效目标 第 2 条", "标题", "部门目标!F7",
                  "安全生产应急处置及救援经费", "安全生产应急经费"),
    "indicator value": ({"指标": {"H2": "≥10次"}}, "指标 13022524P00CL0E10035D 产出指标/数量指标/组织专家审查次数",
                        "指标值", "指标!H2", "≥12次", "≥10次"),
    "extra column": ({"项目": {"O1": "备注", "O2": "新"}}, "项目 13022524P00CL0E10035D", "备注", "项目!O2", "旧",
                     "新"),
}


@pytest.mark.parametrize("case", CONFLICTS, ids=list(CONFLICTS))
def test_each_field_conflict_is_listed_and_nothing_is_written(tmp_path, case):
    changes, label, field, cell, ours, theirs = CONFLICTS[case]
    first = SAMPLE
    if case == "extra column":
        first = edited(SAMPLE, tmp_path / "a.xlsx", set_cells({"项目": {"O1": "备注", "O2": "旧"}}))
    second = edited(SAMPLE, tmp_path / "b.xlsx", set_cells(changes))
    out = tmp_path / "out.xlsx"
    result = run_cli("merge", first, second, "-o", out)
    assert result.returncode == 1
    assert not out.exists()
    lines = result.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if label in line and f"“{field}”" in line)
    assert lines[head + 1].strip().startswith(f"{first} {cell}：{ours}")
    assert lines[head + 2].strip().startswith(f"{second} {cell}：{theirs}")
    assert "合并未完成" in lines[-1] and "未写出" in lines[-1]


def test_two_projects_on_one_sequence_number_is_a_conflict(tmp_path):
    a = edited(SAMPLE, tmp_path / "a.xlsx", append_project("13022524P00CL0E1AAAA1", 10))
    b = edited(SAMPLE, tmp_path / "b.xlsx", append_project("13022524P00CL0E1BBBB1", 10))
    out = tmp_path / "out.xlsx"
    result = run_cli("merge", a, b, "-o", out)
    assert result.returncode == 1 and not out.exists()
    assert "部门 450001 的项目序号 10：序号重复" in result.stdout
    assert f"{a} 项目!B11：项目 13022524P00CL0E1AAAA1" in result.stdout
    assert f"{b} 项目!B11：项目 13022524P00CL0E1BBBB1" in result.stdout
    # Settled by --prefer: the preferred input keeps 10, the other follows.
    for prefer, (ten, eleven) in {"first": ("AAAA1", "BBBB1"), "last": ("BBBB1", "AAAA1")}.items():
        result = run_cli("merge", a, b, "-o", out, "--prefer", prefer, "--overwrite")
        assert result.returncode == 0, result.stdout
        seqs = {p.code[-5:]: p.seq for p in read_book(out).projects}
        assert (seqs[ten], seqs[eleven]) == (10, 11)
        assert "序号顺延" in result.stdout
        assert validate(out, review=False).findings == []


@pytest.mark.parametrize("prefer, budget", [("first", Decimal(200)), ("last", Decimal(220))])
def test_prefer_takes_the_first_or_last_inputs_value(tmp_path, prefer, budget):
    b = edited(SAMPLE, tmp_path / "b.xlsx", set_cells({"项目": {"F2": 220, "G2": 220}, "指标": {"H2": "≥10次"}}))
    out = tmp_path / "out.xlsx"
    result = run_cli("merge", SAMPLE, b, "-o", out, "--prefer", prefer)
    assert result.returncode == 0, result.stdout
    assert "3 处冲突已按 --prefer" in result.stdout
    book = read_book(out)
    project = next(p for p in book.projects if p.code == P1)
    assert project.budget == project.fiscal == budget
    assert book.indicators_of(P1)[0].value == ("≥12次" if prefer == "first" else "≥10次")
    assert "冲突" not in openpyxl.load_workbook(out).sheetnames


def test_conflicts_sheet_lists_values_and_marks_the_cells(tmp_path):
    b = edited(SAMPLE, tmp_path / "b.xlsx", set_cells({"项目": {"F2": 220, "G2": 220}}))
    out = tmp_path / "out.xlsx"
    result = run_cli("merge", SAMPLE, b, "-o", out, "--conflicts-sheet")
    assert result.returncode == 0, result.stdout
    workbook = openpyxl.load_workbook(out)
    assert workbook.active.title == "冲突"
    rows = [[c.value for c in row] for row in workbook["冲突"].iter_rows(min_row=3)]
    assert [r[:2] + r[4:9] for r in rows] == [
        [1, "取值不同", "预算数", "200.00", str(SAMPLE), "项目!F2", "采用"],
        [1, "取值不同", "预算数", "220.00", str(b), "项目!F2", None],
        [2, "取值不同", "财政资金", "200.00", str(SAMPLE), "项目!G2", "采用"],
        [2, "取值不同", "财政资金", "220.00", str(b), "项目!G2", None],
    ]
    assert workbook["冲突"]["J3"].hyperlink.location == "'项目'!F2"
    projects = workbook["项目"]
    assert projects["F2"].value == 200 and fill_of(projects["F2"]) == "F8CBAD"
    assert str(b) in projects["F2"].comment.text and "220.00" in projects["F2"].comment.text
    assert fill_of(projects["F3"]) is None and projects["F3"].comment is None
    assert validate(out, review=False).errors == []


def test_invalid_input_is_refused_with_its_file_name_unless_forced(tmp_path):
    broken = edited(SAMPLE, tmp_path / "坏.xlsx", set_cells({"项目": {"F3": 41}}))  # 预算数 ≠ 财政资金
    out = tmp_path / "out.xlsx"
    result = run_cli("merge", SAMPLE, broken, "-o", out)
    assert result.returncode == 1 and not out.exists()
    assert f"{broken}：未通过校验，1 个错误。" in result.stdout
    assert "项目!F3 WBE-E030" in result.stdout
    forced = run_cli("merge", broken, "-o", out, "--force")
    assert forced.returncode == 0, forced.stdout
    assert next(p for p in read_book(out).projects if p.code == P2).budget == 41


@pytest.mark.parametrize("bad, expected", [
    ("missing.xlsx", "文件不存在"),
    ("text.xlsx", "不是 xlsx 格式"),
])
def test_unreadable_input_exits_2_with_one_line(tmp_path, bad, expected):
    path = tmp_path / bad
    if bad == "text.xlsx":
        path.write_text("部门编码,项目编码\n", encoding="utf-8")
    out = tmp_path / "out.xlsx"
    result = run_cli("merge", SAMPLE, path, "-o", out)
    assert result.returncode == 2 and not out.exists()
    assert result.stderr.count("\n") == 1 and expected in result.stderr and str(path) in result.stderr
    assert result.stdout == ""


def test_output_may_not_be_an_input(tmp_path):
    copy = tmp_path / "a.xlsx"
    shutil.copyfile(SAMPLE, copy)
    before = copy.read_bytes()
    result = run_cli("merge", copy, SAMPLE, "-o", copy)
    assert result.returncode == 2 and "不能覆盖输入文件" in result.stderr
    assert copy.read_bytes() == before


def test_extra_columns_are_kept(tmp_path):
    a = edited(SAMPLE, tmp_path / "a.xlsx", set_cells({"项目": {"O1": "备注", "O2": "重点项目"}}))
    b = save(department("450002", "乐亭县民政局", "MZ"), tmp_path / "b.xlsx")
    b = edited(b, tmp_path / "b2.xlsx", set_cells({"指标": {"J1": "责任科室", "J5": "办公室"}}))
    out = tmp_path / "out.xlsx"
    assert run_cli("merge", a, b, "-o", out).returncode == 0
    book = read_book(out)
    assert next(p for p in book.projects if p.code == P1).extra == {"备注": "重点项目"}
    assert [i.extra for i in book.indicators if i.extra] == [{"责任科室": "办公室"}]


def test_progress_is_reported_for_every_input(two_departments, tmp_path):
    seen = []
    out = tmp_path / "out.xlsx"
    merge(list(two_departments), out, progress=lambda done, total, name: seen.append((done, total, name)))
    assert seen == [(1, 2, str(two_departments[0])), (2, 2, str(two_departments[1])), (2, 2, f"正在合并并写出 {out}")]


# Three-way ---------------------------------------------------------------------------------------------------

def test_three_way_applies_both_sides_edits(tmp_path):
    ours = edited(SAMPLE, tmp_path / "ours.xlsx", lambda wb: (
        set_cells({"项目": {"F2": 220, "G2": 220}, "指标": {"H3": "全部完成"}})(wb),
        append_project("13022524P00CL0E1OURS1", 10)(wb)))
    theirs = edited(SAMPLE, tmp_path / "theirs.xlsx", lambda wb: (
        set_cells({"指标": {"H4": "2024年12月底前", "F6": "提高工作效率"},
                   "部门目标": {"B2": "乐亭县应急管理局本级", "G12": "负责全县应急管理工作。"}})(wb),
        append_project("13022524P00CL0E1THEI1", 10)(wb)))
    out = tmp_path / "out.xlsx"
    result = run_cli("merge", "--base", SAMPLE, ours, theirs, "-o", out)
    assert result.returncode == 0, result.stdout
    assert "序号顺延：项目 13022524P00CL0E1THEI1" in result.stdout
    assert validate(out, review=False).findings == []
    # Merging then diffing against each side shows exactly the other side's changes.
    theirs_project = [("added", "project", "13022524P00CL0E1THEI1", None, None)] + [
        ("added", "indicator", "13022524P00CL0E1THEI1/" + name, None, None) for name in INDICATORS_OF_P9]
    assert changes(ours, out) == [
        ("changed", "goal", "450001/工作保障措施/1", "内容", "负责全县应急管理工作。"),
        *theirs_project[:1],
        ("changed", "indicator", f"{P1}/产出指标/时效指标/按时完成项目", "指标值", "2024年12月底前"),
        ("added", "indicator", f"{P1}/效益指标/经济效益指标/提高工作效率", None, None),
        *theirs_project[1:],
        ("removed", "indicator", f"{P1}/效益指标/经济效益指标/提高效率", None, None),
    ]
    assert changes(theirs, out) == [
        ("changed", "project", P1, "预算数", Decimal(220)),
        ("changed", "project", P1, "财政资金", Decimal(220)),
        ("added", "project", "13022524P00CL0E1OURS1", None, None),
        ("moved", "project", "13022524P00CL0E1THEI1", "序号", 11),
        ("changed", "indicator", f"{P1}/产出指标/质量指标/工作任务完成情况", "指标值", "全部完成"),
        *[("added", "indicator", "13022524P00CL0E1OURS1/" + name, None, None) for name in INDICATORS_OF_P9],
    ]


INDICATORS_OF_P9 = [f"{i.level1}/{i.level2}/{i.level3}" for i in read_book(SAMPLE).indicators_of(
    "13022524P00F66B10005F")]


def changes(old, new):
    """The diff as (kind, entity, key, field, new value) with the key's values joined by /."""
    return [(c.kind, c.entity, "/".join(str(v) for v in c.key.values()), c.field,
             None if c.kind == "added" else c.new) for c in diff_files(old, new).changes.changes]


def test_three_way_overlapping_edits_are_conflicts(tmp_path):
    ours = edited(SAMPLE, tmp_path / "ours.xlsx", set_cells({"项目": {"F2": 220, "G2": 220}}))
    theirs = edited(SAMPLE, tmp_path / "theirs.xlsx", set_cells({"项目": {"F2": 250, "G2": 250, "D3": "视频监控"}}))
    out = tmp_path / "out.xlsx"
    result = run_cli("merge", "--base", SAMPLE, ours, theirs, "-o", out)
    assert result.returncode == 1 and not out.exists()
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        f"冲突 1：项目 {P1}（安全生产专家会诊服务费）：“预算数”取值不同",
        f"  {SAMPLE} 项目!F2：200.00（基准）",
        f"  {ours} 项目!F2：220.00",
        f"  {theirs} 项目!F2：250.00",
    ]
    assert sum(line.startswith("冲突 ") for line in lines) == 2  # 预算数 and 财政资金; 项目名称 merged cleanly
    result = run_cli("merge", "--base", SAMPLE, ours, theirs, "-o", out, "--prefer", "last")
    assert result.returncode == 0
    project = next(p for p in read_book(out).projects if p.code == P2)
    assert project.name == "视频监控"
    assert next(p for p in read_book(out).projects if p.code == P1).budget == 250


def test_three_way_delete_against_edit_is_a_conflict(tmp_path):
    # Ours renames a 三级指标 (= delete + add); theirs edits the value of the old name.
    ours = edited(SAMPLE, tmp_path / "ours.xlsx", set_cells({"指标": {"F6": "提高工作效率"}}))
    theirs = edited(SAMPLE, tmp_path / "theirs.xlsx", set_cells({"指标": {"H6": "≥98%"}}))
    out = tmp_path / "out.xlsx"
    result = run_cli("merge", "--base", SAMPLE, ours, theirs, "-o", out)
    assert result.returncode == 1
    assert "效益指标/经济效益指标/提高效率：一方删除、一方修改" in result.stdout
    assert f"  {ours}：已删除" in result.stdout and f"  {theirs} 指标!A6：已修改：指标值" in result.stdout
    # The conflicts sheet keeps the edited row (nothing is lost) and marks it; the renamed row is added too.
    assert run_cli("merge", "--base", SAMPLE, ours, theirs, "-o", out, "--conflicts-sheet").returncode == 0
    names = [i.level3 for i in read_book(out).indicators_of(P1)]
    assert "提高效率" in names and "提高工作效率" in names
    sheet = openpyxl.load_workbook(out)["指标"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[5].value == "提高效率")
    assert all(fill_of(c) == "F8CBAD" for c in row[:9]) and "一方删除、一方修改" in row[0].comment.text
    # --prefer first follows ours: the old name goes.
    assert run_cli("merge", "--base", SAMPLE, ours, theirs, "-o", out, "--prefer", "first",
                   "--overwrite").returncode == 0
    names = [i.level3 for i in read_book(out).indicators_of(P1)]
    assert "提高效率" not in names and "提高工作效率" in names


def test_three_way_renames_to_different_names_keep_both(tmp_path):
    # Documented: a rename is delete + add, so two different renames are two additions, and the second moves on.
    ours = edited(SAMPLE, tmp_path / "ours.xlsx", set_cells({"指标": {"F6": "提高工作效率"}}))
    theirs = edited(SAMPLE, tmp_path / "theirs.xlsx", set_cells({"指标": {"F6": "提高办事效率"}}))
    out = tmp_path / "out.xlsx"
    result = run_cli("merge", "--base", SAMPLE, ours, theirs, "-o", out)
    assert result.returncode == 0, result.stdout
    assert f"序号顺延：指标 {P1} 效益指标/经济效益指标/提高办事效率：序号 5 → 6" in result.stdout
    names = [(i.seq, i.level3) for i in read_book(out).indicators_of(P1)][4:7]
    assert names == [(5, "提高工作效率"), (6, "提高办事效率"), (7, "运行能力")]


def test_three_way_reorder_on_one_side_and_edit_on_the_other(tmp_path):
    # Ours swaps two goals (分项 3 and 4) and two projects; theirs edits the text of 分项 3 and project 1.
    def swap(wb):
        goals, projects = wb["部门目标"], wb["项目"]
        for col in "FG":
            goals[f"{col}8"].value, goals[f"{col}9"].value = goals[f"{col}9"].value, goals[f"{col}8"].value
        projects["B2"], projects["B3"] = 2, 1

    ours = edited(SAMPLE, tmp_path / "ours.xlsx", swap)
    theirs = edited(SAMPLE, tmp_path / "theirs.xlsx", set_cells({"部门目标": {"G8": "防汛抗旱：新的内容。"},
                                                                 "项目": {"D2": "专家会诊服务费"}}))
    out = tmp_path / "out.xlsx"
    result = run_cli("merge", "--base", SAMPLE, ours, theirs, "-o", out)
    assert result.returncode == 0, result.stdout
    book = read_book(out)
    titles = [(g.seq, g.title, g.content) for g in book.goals_of("450001", "分项绩效目标")]
    assert titles[2][:2] == (3, "防震减灾经费")
    assert titles[3] == (4, "防汛抗旱经费", "防汛抗旱：新的内容。")
    assert [(p.seq, p.name) for p in book.projects_of("450001")][:2] == [(1, "视频监控全覆盖"), (2, "专家会诊服务费")]


def test_three_way_needs_two_sides(tmp_path):
    result = run_cli("merge", "--base", SAMPLE, SAMPLE, "-o", tmp_path / "out.xlsx")
    assert result.returncode == 2 and "三方合并需要" in result.stderr


# LibreOffice ---------------------------------------------------------------------------------------------------

@needs_soffice
@pytest.mark.libreoffice
def test_inputs_resaved_by_libreoffice_merge_the_same(two_departments, tmp_path):
    a, b = two_departments
    b = edited(b, tmp_path / "b-extra.xlsx", set_cells({"项目": {"O1": "备注", "O3": "重点"}}))
    out, out_lo = tmp_path / "out.xlsx", tmp_path / "out-lo.xlsx"
    assert run_cli("merge", a, b, "-o", out).returncode == 0
    a_lo, b_lo = libreoffice_convert([a, b], "xlsx", tmp_path / "lo-in")
    assert run_cli("merge", a_lo, b_lo, "-o", out_lo).returncode == 0
    assert read_book(out_lo) == read_book(out)
    assert [p.extra for p in read_book(out_lo).projects] == [p.extra for p in read_book(out).projects]
    assert run_cli("diff", out, out_lo).returncode == 0
    # The merged workbook itself survives a round trip through LibreOffice.
    resaved = libreoffice_convert(out, "xlsx", tmp_path / "lo-out")
    assert read_book(resaved) == read_book(out) and validate(resaved, review=False).errors == []
    assert [c.value for c in openpyxl.load_workbook(resaved)["合并记录"]["C"]][2:4] == [str(a), str(b)]


# Docs ----------------------------------------------------------------------------------------------------------

def test_worked_example_in_the_docs_is_real_output(tmp_path):
    """Rebuild the example files of docs/merge-and-diff.md and check every command's output line is quoted."""
    shutil.copyfile(SAMPLE, tmp_path / "应急管理局.xlsx")
    save(department("450002", "乐亭县民政局", "MZ"), tmp_path / "民政局.xlsx")
    edited(SAMPLE, tmp_path / "张三.xlsx", lambda wb: (
        set_cells({"项目": {"F2": 220, "G2": 220}, "指标": {"H3": "全部完成"}})(wb),
        append_project("13022524P00CL0E1ZS001", 10)(wb)))
    edited(SAMPLE, tmp_path / "李四.xlsx", lambda wb: (
        set_cells({"项目": {"F2": 250, "G2": 250}, "指标": {"H4": "2024年12月底前", "F6": "提高工作效率"}})(wb),
        append_project("13022524P00CL0E1LS001", 10)(wb)))
    edited(SAMPLE, tmp_path / "副本.xlsx", set_cells({"项目": {"F2": 220, "G2": 220}, "指标": {"H2": "≥10次"}}))
    edited(SAMPLE, tmp_path / "坏.xlsx", set_cells({"项目": {"F3": 41}}))
    doc = (ROOT / "docs" / "merge-and-diff.md").read_text(encoding="utf-8")
    commands = [line[len("$ wbe "):].split() for line in doc.splitlines() if line.startswith("$ wbe ")]
    assert len(commands) == 9
    for args in commands:
        result = run_cli(*args, cwd=tmp_path)
        shown = (result.stdout + result.stderr).splitlines()
        if "json" in args:
            shown = shown[:12]
        for line in shown:
            assert line in doc, f"wbe {' '.join(args)}: {line!r} is not in docs/merge-and-diff.md"
        if result.returncode:
            assert f"[exit {result.returncode}]" in doc
    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest()[:16] in doc  # 应急管理局.xlsx is the sample
