"""wbe import reports every problem of a document at once, each with its place and what to do; --force writes
the workbook with what could not be placed in its 未归位内容 sheet (issue 21). The parser is linear in the
length of the document (issue 26: 200,000 numbered outline lines)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn

from workbook_engine.api import read_book
from workbook_engine.importer import DocumentProblems, import_document, read_document
from workbook_engine.importer.parser import read_tokens
from workbook_engine.importer.text_document import parse_text_document, tokens
from workbook_engine.sheets import UNPLACED_SHEET

from .conftest import SAMPLE, SEED, libreoffice_convert, needs_soffice, run_cli

SEED_LINES = SEED.read_text(encoding="utf-8").split("\n")


def _three_defects() -> tuple[str, dict[str, int]]:
    """The seed with three independent defects, and the 1-based line where each should be reported:
    project 2 without its 项目编码 row, a quarterly plan cell of project 3 that is not a number, and the
    heading 二、分项绩效目标 missing."""
    lines = list(SEED_LINES)
    code_rows = [i for i, line in enumerate(lines) if line == "\t项目编码"]
    del lines[code_rows[1]:code_rows[1] + 5]  # 4 cells and the end of the row
    money_row = code_rows[1]  # the 预算规模及资金用途 row now stands where 项目编码 was (0-based)
    plan_heads = [i for i, line in enumerate(lines) if line == "\t资金支出计划（%）"]
    plan_cell = plan_heads[2] + 7  # 5 header cells, end of row, the merged continuation, then 3月底
    assert lines[plan_cell].startswith("\t") and lines[plan_cell].endswith("%")
    lines[plan_cell] = "\t一半"
    heading = next(i for i, line in enumerate(lines) if "二、分项绩效目标" in line)
    del lines[heading]
    # 1-based lines once the heading (above both tables) is gone: one less than their 0-based index + 1
    return "\n".join(lines), {"WBE-E301": heading + 1, "WBE-E302": money_row, "WBE-E303": plan_cell}


def test_three_defects_of_a_text_export_in_one_report_with_their_lines(tmp_path):
    text, lines = _three_defects()
    document = tmp_path / "three.txt"
    document.write_text(text, encoding="utf-8")
    out = tmp_path / "book.xlsx"
    result = run_cli("import", document, "-o", out)
    assert result.returncode == 2 and not out.exists()
    assert "Traceback" not in result.stderr and "导入时发现 3 个问题" in result.stderr
    listed = [line for line in result.stderr.splitlines() if "[WBE-" in line]
    assert [re.search(r"WBE-E\d{3}", line).group() for line in listed] == ["WBE-E301", "WBE-E302", "WBE-E303"]
    for line in listed:
        code = re.search(r"WBE-E\d{3}", line).group()
        assert f"] 第 {lines[code]} 行：" in line, (code, lines[code], line)
    assert "二、分项绩效目标" in listed[0] and "项目编码" in listed[1] and "“一半”不是百分比" in listed[2]
    assert "--force" in result.stderr


def test_force_writes_the_book_with_the_unplaced_passages(tmp_path):
    text, lines = _three_defects()
    document = tmp_path / "three.txt"
    document.write_text(text, encoding="utf-8")
    out = tmp_path / "book.xlsx"
    result = run_cli("import", document, "-o", out, "--force")
    assert result.returncode == 1, result.stderr  # written, but the document had problems
    assert "3 个问题" in result.stdout and UNPLACED_SHEET in result.stdout
    book = read_book(out)
    sample = read_book(SAMPLE)
    # The items of the section whose heading is missing are not guessed into 总体绩效目标.
    assert [g.content for g in book.goals if g.category == "总体绩效目标"] == \
        [g.content for g in sample.goals if g.category == "总体绩效目标"]
    assert not [g for g in book.goals if g.category == "分项绩效目标"]
    assert [g.content for g in book.goals if g.category == "工作保障措施"] == \
        [g.content for g in sample.goals if g.category == "工作保障措施"]
    assert book.projects[1].code == "" and book.projects[1].name == ""
    assert book.projects[2].q1 is None and book.projects[2].q2 == sample.projects[2].q2
    assert len(book.projects) == 9 and len(book.indicators) == len(sample.indicators)

    sheet = openpyxl.load_workbook(out)[UNPLACED_SHEET]
    assert [c.value for c in sheet[2]] == ["序号", "来源位置", "内容", "原因"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3, max_col=4) if isinstance(row[0].value, int)]
    items = [g for g in sample.goals if g.category == "分项绩效目标"]
    texts = [r[2] for r in rows]
    for item in items:  # every passage of the missing section, title and content, with its line
        assert f"{item.seq}、{item.title}" in texts and item.content in texts
    assert rows[0][1] == f"第 {lines['WBE-E301']} 行" and "二、分项绩效目标" in rows[0][3]
    assert any(r[1] == f"第 {lines['WBE-E302']} 行" and "项目编码" in r[3] for r in rows)
    assert any(r[1] == f"第 {lines['WBE-E303']} 行" and r[2] == "一半" for r in rows)
    assert len(rows) == 2 * len(items) + 2

    # The canonical sheets are read as ever: validate names the blank code; of the extra sheet, only that the
    # book still holds it (WBE-W305), never its rows as data.
    checked = run_cli("validate", out, "--no-review", "--format", "json")
    assert checked.returncode == 1, checked.stderr
    found = json.loads(checked.stdout)["findings"]
    assert [f["code"] for f in found if f["sheet"] == UNPLACED_SHEET] == ["WBE-W305"]
    assert all(f["sheet"] in ("部门目标", "项目", "指标") for f in found if f["code"] != "WBE-W305")
    assert "WBE-E010" in {f["code"] for f in found}


def _publish(tmp_path: Path) -> Path:
    published = tmp_path / "published.docx"
    result = run_cli("publish", SAMPLE, "-o", published)
    assert result.returncode == 0, result.stderr
    return published


def _docx_with_three_defects(tmp_path: Path) -> Path:
    """The published sample as staff might damage it in Word: a row deleted, a cell retyped, a heading gone."""
    document = docx.Document(str(_publish(tmp_path)))
    code_row = document.tables[2].rows[1]  # table 3: project 2 (tables alternate: project, indicators)
    assert code_row.cells[0].text == "项目编码"
    code_row._tr.getparent().remove(code_row._tr)
    plan_table = document.tables[4]
    plan_index = next(i for i, row in enumerate(plan_table.rows) if row.cells[0].text.startswith("资金支出计划")) + 1
    cell = plan_table.rows[plan_index]._tr.findall(qn("w:tc"))[1]
    runs = cell.findall(".//" + qn("w:t"))
    runs[0].text = "一半"
    for run in runs[1:]:
        run.text = ""
    heading = next(p for p in document.paragraphs if p.text.strip() == "二、分项绩效目标")
    heading._p.getparent().remove(heading._p)
    path = tmp_path / "three.docx"
    document.save(str(path))
    return path


def test_three_defects_of_a_docx_in_one_report_with_paragraphs_and_table_rows(tmp_path):
    document = _docx_with_three_defects(tmp_path)
    before = document.read_bytes()
    out = tmp_path / "book.xlsx"
    result = run_cli("import", document, "-o", out, "--format", "json")
    assert result.returncode == 2 and not out.exists() and document.read_bytes() == before
    report = json.loads(result.stdout)
    assert report["written"] is False and report["valid"] is False
    found = {f["code"]: f["message"] for f in report["findings"]}
    assert list(found) == ["WBE-E301", "WBE-E302", "WBE-E303"]
    first_item = next(n for n, p in enumerate(docx.Document(str(document)).paragraphs, start=1)
                      if p.text.startswith("1、"))  # where the heading was: counted as Word (python-docx) counts
    assert found["WBE-E301"].startswith(f"第 {first_item} 段：缺少标题“二、分项绩效目标”")
    assert found["WBE-E302"].startswith("表 3 第 2 行：") and "项目编码" in found["WBE-E302"]
    assert found["WBE-E303"].startswith(f"表 5 第 {plan_row(tmp_path)} 行第 2 格：") and "一半" in found["WBE-E303"]

    forced = run_cli("import", document, "-o", out, "--force")
    assert forced.returncode == 1 and out.exists()
    assert openpyxl.load_workbook(out, read_only=True).sheetnames[:4] == ["部门目标", "项目", "指标", UNPLACED_SHEET]


@needs_soffice
@pytest.mark.libreoffice
def test_the_damaged_docx_saved_by_libreoffice_and_the_forced_book_resaved(tmp_path):
    """Staff fix documents in WPS or LibreOffice: the same three problems are found in the resaved .docx, and
    the book written with --force, resaved by LibreOffice, is read the same (the 未归位内容 sheet included)."""
    resaved = libreoffice_convert(_docx_with_three_defects(tmp_path), "docx", tmp_path / "lo")
    assert [f.code for f in read_document(resaved).findings] == ["WBE-E301", "WBE-E302", "WBE-E303"]
    out = tmp_path / "forced.xlsx"
    assert run_cli("import", resaved, "-o", out, "--force").returncode == 1
    book = libreoffice_convert(out, "xlsx", tmp_path / "lo-book")
    assert read_book(book) == read_book(out)
    codes = [f["code"] for f in json.loads(run_cli("validate", book, "--no-review", "--format", "json").stdout)
             ["findings"]]
    assert codes == [f["code"] for f in json.loads(run_cli("validate", out, "--no-review", "--format", "json")
                                                   .stdout)["findings"]] and "WBE-W305" in codes


def plan_row(tmp_path: Path) -> int:
    """The 1-based row of project 3's plan percentages in its table (as Word counts rows)."""
    table = docx.Document(str(tmp_path / "published.docx")).tables[4]
    return next(i for i, row in enumerate(table.rows) if row.cells[0].text.startswith("资金支出计划")) + 2


def test_a_published_document_imports_with_no_problem_and_no_extra_sheet(tmp_path):
    out = tmp_path / "book.xlsx"
    result = run_cli("import", _publish(tmp_path), "-o", out, "--force")
    assert result.returncode == 0 and "问题" not in result.stdout
    assert read_book(out) == read_book(SAMPLE)
    assert UNPLACED_SHEET not in openpyxl.load_workbook(out, read_only=True).sheetnames


def test_one_problem_is_one_line(tmp_path):
    document = tmp_path / "one.txt"
    document.write_text("\n".join(SEED_LINES).replace("\t200.00\n", "\t约200\n", 1), encoding="utf-8")
    result = run_cli("import", document, "-o", tmp_path / "book.xlsx")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "预算数“约200”不是数字" in result.stderr and "--force" in result.stderr


def test_a_document_that_cannot_be_read_is_one_line_even_with_force(tmp_path):
    for name, data in (("empty.txt", b""), ("noise.txt", "随便一段\n\t一个格\n\n另一段\n".encode())):
        document = tmp_path / name
        document.write_bytes(data)
        out = tmp_path / f"{name}.xlsx"
        result = run_cli("import", document, "-o", out, "--force")
        assert result.returncode == 2 and not out.exists(), result.stdout
        assert len(result.stderr.strip().splitlines()) == 1 and str(document) in result.stderr


def test_rows_tables_and_text_that_fit_nowhere_are_listed_not_dropped(seed_text):
    lines = seed_text.split("\n")
    money = lines.index("\t预算规模及资金用途")
    lines[money + 1] = "\t预算金额"  # a label the template does not have: the row cannot be read
    second = [i for i, line in enumerate(lines) if re.match(r"^(\[bookmark: [^\]]*\])?2\.", line)][0]
    lines[second:second] = ["第二部分里的一段说明", "\t孤立的表格", "\t第二格", ""]  # a table with no title
    with pytest.raises(DocumentProblems) as caught:
        parse_text_document("\n".join(lines), path="stray.txt")
    imported = caught.value.imported
    assert [f.code for f in imported.findings] == ["WBE-E304", "WBE-E304", "WBE-E304"]
    first, text, table = imported.findings
    assert first.row == money + 2 and "“预算数”" in first.message and "预算金额" in first.message
    assert text.row == second + 1 and "第二部分里的一段说明" in text.message
    assert table.row == second + 2 and "表名" in table.message
    contents = [p.text for p in imported.passages]
    assert "孤立的表格 | 第二格" in contents and "第二部分里的一段说明" in contents
    assert any(c.startswith("预算规模及资金用途 | 预算金额") for c in contents)
    # Everything else is read: the project keeps its other rows, the others are untouched.
    assert imported.book.projects[0].budget is None and imported.book.projects[0].goal
    assert len(imported.book.projects) == 9


@pytest.mark.parametrize("missing,first_of_it", [("一、总体绩效目标", None), ("三、工作保障措施", "（一）")])
def test_a_missing_heading_lists_what_would_be_under_it(seed_text, missing, first_of_it):
    text = "\n".join(line for line in seed_text.split("\n") if missing not in line)
    with pytest.raises(DocumentProblems) as caught:
        parse_text_document(text, path="heading.txt")
    imported = caught.value.imported
    assert [f.code for f in imported.findings] == ["WBE-E301"]
    assert missing in imported.findings[0].message
    category = {"一、总体绩效目标": "总体绩效目标", "三、工作保障措施": "工作保障措施"}[missing]
    seed_goals = [g for g in parse_text_document(seed_text).goals if g.category == category]
    assert not [g for g in imported.book.goals if g.category == category]
    assert len(imported.passages) == len(seed_goals)
    if first_of_it:
        assert imported.passages[0].text.startswith(first_of_it)
    # The section above keeps its own goals, not those of the missing one.
    assert len(imported.book.goals) == len(parse_text_document(seed_text).goals) - len(seed_goals)


def test_a_forced_book_merges_and_diffs_like_any_other(tmp_path):
    """A book written with --force (its 未归位内容 sheet beside the canonical ones) is read by diff and merge
    as the canonical sheets say; the extra sheet is neither an error nor content."""
    document = tmp_path / "stray.txt"
    lines = list(SEED_LINES)
    second = [i for i, line in enumerate(lines) if re.match(r"^(\[bookmark: [^\]]*\])?2\.", line)][0]
    lines.insert(second, "第二部分里的一段说明")
    document.write_text("\n".join(lines), encoding="utf-8")
    forced = tmp_path / "forced.xlsx"
    assert run_cli("import", document, "-o", forced, "--force").returncode == 1
    assert UNPLACED_SHEET in openpyxl.load_workbook(forced, read_only=True).sheetnames
    checked = run_cli("validate", forced, "--no-review", "--format", "json")
    assert checked.returncode == 0  # a warning: the passages are not content, but they are not forgotten
    assert [f["code"] for f in json.loads(checked.stdout)["findings"]] == ["WBE-W305"]
    assert run_cli("validate", SAMPLE, "--no-review", "--format", "json").returncode == 0  # a book without it
    diff = run_cli("diff", SAMPLE, forced, "--format", "json")
    assert diff.returncode == 0, diff.stdout + diff.stderr
    merged = tmp_path / "merged.xlsx"
    merge = run_cli("merge", SAMPLE, forced, "-o", merged)
    assert merge.returncode == 0, merge.stdout + merge.stderr
    assert read_book(merged) == read_book(SAMPLE)


# -- linear outline parsing (issue 26) ---------------------------------------------------------------------
def _outline(count: int, form: str) -> str:
    """The seed with ``count`` numbered outline lines in 分项绩效目标 ("N、…" items with their content) or
    in 工作保障措施 ("（N）…", which continues the last measure)."""
    at = next(i for i, line in enumerate(SEED_LINES) if "三、工作保障措施" in line)
    if form == "item":
        extra = [f"{k}、标题{k}" if k % 2 else f"第{k}段内容" for k in range(1, count + 1)]
    else:
        at += 1
        extra = [f"（{k}）措施{k}" for k in range(1, count + 1)]
    return "\n".join(SEED_LINES[:at] + extra + SEED_LINES[at:]) + "\n"


def _trace_events(text: str) -> int:
    """Python trace events (calls, lines, returns) of one parse: an operation count, not a clock."""
    items = list(tokens(text))
    events = 0

    def tracer(frame, event, arg):
        nonlocal events
        events += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        read_tokens(items, path="outline.txt")
    finally:
        sys.settrace(previous)
    return events


@pytest.mark.parametrize("form", ["item", "measure"])
def test_outline_parsing_is_linear(form):
    """50,000 lines cost about five times what 10,000 do. The quadratic step this replaces (every
    paragraph rescanned the goals read so far) made it 14 times for 5 times the lines at these sizes."""
    small, large = _trace_events(_outline(10_000, form)), _trace_events(_outline(50_000, form))
    assert large / small < 6, (small, large)


def test_a_long_outline_imports_from_the_command_line(tmp_path):
    document = tmp_path / "outline.txt"
    document.write_text(_outline(50_000, "item"), encoding="utf-8")
    out = tmp_path / "book.xlsx"
    result = run_cli("import", document, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "25017 条部门目标" in result.stdout
    goals = read_book(out).goals
    items = [g for g in goals if g.category == "分项绩效目标"]
    assert items[-1].title == "标题49999" and items[-1].content == "第50000段内容"


def test_a_long_outline_that_overflows_a_cell_is_refused_in_one_line(tmp_path):
    """（N） is not a measure's numeral: the lines continue the last measure, whose text outgrows an Excel
    cell; the import is refused in one line naming the cell, without a traceback."""
    document = tmp_path / "outline.txt"
    document.write_text(_outline(50_000, "measure"), encoding="utf-8")
    result = run_cli("import", document, "-o", tmp_path / "book.xlsx")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "超过 Excel 单元格上限" in result.stderr and "部门目标" in result.stderr


def test_read_document_gives_the_findings_without_raising(tmp_path):
    text, _ = _three_defects()
    document = tmp_path / "three.txt"
    document.write_text(text, encoding="utf-8")
    imported = read_document(document)
    assert [f.code for f in imported.findings] == ["WBE-E301", "WBE-E302", "WBE-E303"]
    assert imported.report.exit_code() == 1 and not imported.report.valid
    with pytest.raises(DocumentProblems):
        import_document(document)


def test_a_long_list_is_cut_in_the_message_and_whole_in_json(tmp_path):
    """Every plan cell retyped: each is a problem; the message lists 30 and counts the rest, the JSON has all."""
    lines = [re.sub(r"^\t(\d+(\.\d+)?)%$", "\t约\\1%", line) for line in SEED_LINES]
    document = tmp_path / "plans.txt"
    document.write_text("\n".join(lines), encoding="utf-8")
    total = sum(line != old for line, old in zip(lines, SEED_LINES))
    assert total > 30
    result = run_cli("import", document, "-o", tmp_path / "book.xlsx")
    assert result.returncode == 2
    listed = [line for line in result.stderr.splitlines() if "[WBE-E303]" in line]
    assert len(listed) == 30 and f"另有 {total - 30} 个问题" in result.stderr
    report = json.loads(run_cli("import", document, "-o", tmp_path / "book.xlsx", "--format", "json").stdout)
    assert [f["code"] for f in report["findings"]] == ["WBE-E303"] * total


def test_a_run_of_stray_text_is_one_problem(tmp_path):
    document = tmp_path / "tail.txt"
    document.write_text("\n".join(SEED_LINES) + "\n" + "\n".join(f"（{k}）附注{k}" for k in range(1, 2001)) + "\n",
                        encoding="utf-8")
    out = tmp_path / "book.xlsx"
    result = run_cli("import", document, "-o", out, "--force")
    assert result.returncode == 1 and "从“（1）附注1”起的 2000 段" in result.stdout
    rows = list(openpyxl.load_workbook(out, read_only=True)[UNPLACED_SHEET].iter_rows(min_row=3, values_only=True))
    assert [r[2] for r in rows if isinstance(r[0], int)] == [f"（{k}）附注{k}" for k in range(1, 2001)]
    assert read_book(out) == read_book(SAMPLE)


def test_without_a_part_heading_the_text_before_a_missing_first_heading_is_listed(seed_text):
    """No 第一部分 and no 一、总体绩效目标: what precedes 二、分项绩效目标 could be a cover or the section's
    text; it is listed, not dropped as a cover."""
    kept = [line for line in seed_text.split("\n")
            if "一、总体绩效目标" not in line and "第一部分" not in line and line.strip() != "部门整体绩效目标"]
    with pytest.raises(DocumentProblems) as caught:
        parse_text_document("\n".join(kept), path="bare.txt")
    imported = caught.value.imported
    overall = [g.content for g in parse_text_document(seed_text).goals if g.category == "总体绩效目标"]
    assert [f.code for f in imported.findings] == ["WBE-E301"]
    assert [p.text for p in imported.passages] == overall


def test_damaged_documents_give_findings_with_places_never_another_exception():
    """Lines of the seed deleted, duplicated, swapped, cut or turned into cells, 200 ways: the import gives
    findings (each with its place and a passage row) or a WorkbookEngineError, never another exception."""
    import random

    from workbook_engine.errors import WorkbookEngineError

    outcomes = set()
    for trial in range(200):
        rng = random.Random(trial)
        lines = list(SEED_LINES)
        for _ in range(rng.randint(1, 6)):
            at, other = rng.randrange(len(lines)), rng.randrange(len(lines))
            change = rng.choice(["delete", "duplicate", "swap", "cut", "cell"])
            if change == "delete":
                del lines[at]
            elif change == "duplicate":
                lines.insert(at, lines[other])
            elif change == "swap":
                lines[at], lines[other] = lines[other], lines[at]
            elif change == "cut":
                lines[at] = lines[at][: rng.randint(0, len(lines[at]))] + rng.choice(["约", "%", "、", "（一）", ""])
            else:
                lines[at] = "\t" + lines[at]
        try:
            imported = read_tokens(list(tokens("\n".join(lines))), path="damaged.txt")
        except WorkbookEngineError as error:
            outcomes.add(type(error).__name__)
            continue
        for found in imported.findings:
            outcomes.add(found.code)
            assert re.match(r"第 \d+ 行：", found.message) and found.row is not None, found.message
        assert len(imported.passages) >= len(imported.findings)
        assert all(p.place and p.reason for p in imported.passages)
    assert {"WBE-E302", "WBE-E303", "WBE-E304"} <= outcomes


def test_a_row_with_more_or_fewer_cells_than_the_template_says_so(seed_text):
    lines = seed_text.split("\n")
    money = lines.index("\t预算规模及资金用途")
    lines.insert(money + 7, "\t多出的一格")  # after the 7 cells of the money row
    code = lines.index("\t项目编码")
    del lines[code + 3]  # the 项目名称 value of the first project (4 cells: 项目编码, code, 项目名称, name)
    with pytest.raises(DocumentProblems) as caught:
        parse_text_document("\n".join(lines), path="width.txt")
    narrow, wide = caught.value.imported.findings
    assert "应有 4 格，实际 3 格，缺少的格留空" in narrow.message and narrow.row == code + 1
    assert "应有 7 格，实际 8 格，多出的格未能读取" in wide.message and wide.row == money + 7
    assert [p.text for p in caught.value.imported.passages] == ["", "多出的一格"]
    assert caught.value.imported.book.projects[0].budget == parse_text_document(seed_text).projects[0].budget


def test_a_docx_cut_inside_its_last_table_names_the_table_row(tmp_path):
    document = docx.Document(str(_publish(tmp_path)))
    *_, project_table, indicator_table = document.tables
    for row in list(project_table.rows)[3:]:
        row._tr.getparent().remove(row._tr)
    indicator_table._tbl.getparent().remove(indicator_table._tbl)
    cut = tmp_path / "cut.docx"
    document.save(str(cut))
    findings = read_document(cut).findings
    tables = len(docx.Document(str(cut)).tables)
    assert [f.code for f in findings] == ["WBE-E302"]
    assert findings[0].message.startswith(f"表 {tables} 第 3 行：") and "文件结尾" in findings[0].message
