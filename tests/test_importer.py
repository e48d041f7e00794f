"""The importer of the published document: the seed, and variants covering every documented variation."""

from __future__ import annotations

import copy
import re
from decimal import Decimal

import pytest

from workbook_engine.errors import DocumentError, UsageError
from workbook_engine.importer import import_document
from workbook_engine.importer.text_document import parse_text_document
from workbook_engine.importer.text_export import write_text_document
from workbook_engine.model import Indicator, Project

from .conftest import ROOT, SEED, SHARED_SEED


def normalized_lines(text: str) -> list[str]:
    """The seed's content lines with bookmarks and all whitespace removed (layout-insensitive view)."""
    lines = (re.sub(r"\[bookmark:[^\]]*\]", "", line) for line in text.split("\n"))
    return [re.sub(r"\s", "", line) for line in lines if line.strip()]


def seed_tables(text: str) -> dict[str, list[list[str]]]:
    """An independent reading of the seed: each project title -> its table rows as cell lists."""
    tables: dict[str, list[list[str]]] = {}
    current = None
    row: list[str] = []
    for raw in text.split("\n"):
        line = re.sub(r"\[bookmark:[^\]]*\]", "", raw)
        if line.startswith("\t"):
            row.append(line[1:].strip())
            continue
        if row and current is not None:
            tables[current].append(row)
        row = []
        if line.strip().endswith("绩效目标表"):
            current = line.strip()
            tables[current] = []
    return tables


def test_shipped_seed_is_the_customers_document():
    if not SHARED_SEED.exists():
        pytest.skip("shared/ is not beside this checkout")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_seed_counts_and_budget(seed_book):
    assert len(seed_book.projects) == 9
    assert len(seed_book.indicators) == 81
    assert [len([g for g in seed_book.goals if g.category == c]) for c in ("总体绩效目标", "分项绩效目标", "工作保障措施")] == [4, 6, 7]
    assert seed_book.total_budget() == Decimal("606.18")
    assert [d.code for d in seed_book.departments()] == ["450001"]
    assert seed_book.departments()[0].name == "乐亭县应急管理局本级"
    assert {g.year for g in seed_book.goals} == {2024}


def test_every_project_cell_identical_to_the_document(seed_book, seed_text):
    tables = seed_tables(seed_text)
    assert len(tables) == 9
    for project in seed_book.projects:
        rows = tables[f"{project.seq}.{project.title}绩效目标表"]
        assert rows[0] == ["450001乐亭县应急管理局本级", "单位：万元"]
        assert rows[1] == ["项目编码", project.code, "项目名称", project.name]
        assert rows[2][2] == f"{project.budget:.2f}" and rows[2][4] == f"{project.fiscal:.2f}"
        assert rows[2][6] == "" and project.other is None
        assert rows[3] == ["", project.purpose]
        assert rows[5] == ["", *(f"{p:g}%" for p in project.plan)]
        assert rows[6] == ["绩效目标", project.goal]
        indicators = seed_book.indicators_of(project.code)
        assert len(rows) - 8 == len(indicators)
        level1 = level2 = ""
        for row, indicator in zip(rows[8:], indicators):
            level1 = row[0] or level1
            level2 = row[1] or level2
            assert [level1, level2, *row[2:]] == [indicator.level1, indicator.level2, indicator.level3,
                                                  indicator.description, indicator.value, indicator.basis]


def test_every_goal_text_identical_to_the_document(seed_book, seed_text):
    lines = [re.sub(r"\[bookmark:[^\]]*\]", "", line) for line in seed_text.split("\n")]
    for goal in seed_book.goals:
        if goal.category == "总体绩效目标":
            assert goal.content in lines
        elif goal.category == "分项绩效目标":
            assert f"{goal.seq}、{goal.title}" in lines
            assert lines[lines.index(f"{goal.seq}、{goal.title}") + 1] == goal.content
        else:
            assert any(line.endswith(goal.content) and line.startswith("（") for line in lines)


def test_export_of_the_import_reproduces_the_seed(seed_book, seed_text):
    assert normalized_lines(write_text_document(seed_book)) == normalized_lines(seed_text)


def _variant(seed_book, mutate):
    book = copy.deepcopy(seed_book).sorted()
    mutate(book)
    text = write_text_document(book)
    return book, parse_text_document(text)


def test_other_funds_filled(seed_book):
    def mutate(book):
        p = book.projects[0]
        p.budget, p.fiscal, p.other = Decimal("250.50"), Decimal("200.00"), Decimal("50.50")

    expected, parsed = _variant(seed_book, mutate)
    assert parsed.projects[0].other == Decimal("50.50")
    assert parsed == expected


def test_several_indicators_under_one_level2_merged(seed_book):
    def mutate(book):
        code = book.projects[0].code
        extra = [Indicator("450001", code, 0, "产出指标", "数量指标", f"新增数量{n}", f"描述{n}", f"≥{n}个", "计划标准")
                 for n in range(1, 4)]
        index = next(i for i, ind in enumerate(book.indicators) if ind.project_code == code) + 1
        book.indicators[index:index] = extra
        for seq, ind in enumerate([i for i in book.indicators if i.project_code == code], start=1):
            ind.seq = seq

    expected, parsed = _variant(seed_book, mutate)
    text = write_text_document(expected)
    # the continuation of a merged 二级 cell is an empty cell in the export
    assert "\t\n\t\n\t新增数量1" in text
    assert len(parsed.indicators_of(expected.projects[0].code)) == 12
    assert parsed == expected


def test_table_title_differs_from_project_name(seed_book):
    def mutate(book):
        book.projects[1].table_title = "2024年视频监控全覆盖40万"

    expected, parsed = _variant(seed_book, mutate)
    assert "2.2024年视频监控全覆盖40万绩效目标表" in write_text_document(expected)
    assert parsed.projects[1].table_title == "2024年视频监控全覆盖40万"
    assert parsed.projects[1].name == "视频监控全覆盖"
    assert parsed == expected


def test_numbering_past_nine(seed_book):
    def mutate(book):
        base = list(book.projects)
        for n in range(10, 13):
            template = base[n % 9]
            code = template.code[:-3] + f"X{n:02d}"
            book.projects.append(Project(**{**template.__dict__, "seq": n, "code": code, "name": f"第{n}个项目",
                                            "row": None, "extra": {}}))
            for ind in [i for i in book.indicators if i.project_code == template.code]:
                book.indicators.append(Indicator(**{**ind.__dict__, "project_code": code, "row": None, "extra": {}}))
        for category, count in (("分项绩效目标", 12), ("工作保障措施", 23)):
            goals = [g for g in book.goals if g.category == category]
            for seq in range(len(goals) + 1, count + 1):
                template = goals[0]
                book.goals.append(type(template)(**{**template.__dict__, "seq": seq, "content": f"第{seq}条内容",
                                                    "title": f"标题{seq}" if template.title else "", "row": None,
                                                    "extra": {}}))

    expected, parsed = _variant(seed_book, mutate)
    text = write_text_document(expected)
    assert "12.第12个项目绩效目标表" in text and "（二十三）第23条内容" in text and "12、标题12" in text
    assert len(parsed.projects) == 12
    assert parsed.sorted() == expected.sorted()


def test_multiline_cell_text_round_trips(seed_book):
    def mutate(book):
        book.projects[2].goal = "1.第一段\n2.第二段"

    expected, parsed = _variant(seed_book, mutate)
    assert parsed.projects[2].goal == "1.第一段\n2.第二段"


def test_bookmarks_anywhere_are_ignored(seed_book, seed_text):
    text = seed_text.replace("\t项目编码\n", "\t[bookmark: a1]项目编码\n").replace("\t≥12次", "\t≥12[bookmark: _x]次")
    text = text.replace("三、工作保障措施", "[bookmark: b]三、工作保障措施[bookmark: c]")
    assert parse_text_document(text) == seed_book


def test_gbk_encoded_document(tmp_path, seed_book, seed_text):
    path = tmp_path / "gbk.txt"
    path.write_bytes(seed_text.encode("gbk"))
    assert import_document(path) == seed_book


def test_windows_line_endings_and_bom(tmp_path, seed_book, seed_text):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"\xef\xbb\xbf" + seed_text.replace("\n", "\r\n").encode("utf-8"))
    assert import_document(path) == seed_book


def test_truncated_document_names_the_line(seed_text):
    lines = seed_text.split("\n")
    cut = next(i for i, line in enumerate(lines) if line == "\t资金支出计划（%）")
    with pytest.raises(DocumentError) as info:
        parse_text_document("\n".join(lines[:cut]) + "\n", path="cut.txt")
    assert info.value.line is not None and info.value.line >= cut - 3
    assert "资金支出计划" in str(info.value) and "cut.txt" in str(info.value)


def test_table_with_a_missing_row_names_the_line(seed_text):
    lines = seed_text.split("\n")
    start = next(i for i, line in enumerate(lines) if line == "\t资金支出计划（%）")
    del lines[start:start + 6]  # the plan header row (5 cells + end of row)
    with pytest.raises(DocumentError) as info:
        parse_text_document("\n".join(lines), path="missing.txt")
    assert info.value.line == start + 1
    assert "资金支出计划" in str(info.value)


def test_year_from_codes_and_option_must_agree(seed_text):
    assert parse_text_document(seed_text, year=2024).goals[0].year == 2024
    with pytest.raises(UsageError, match="2025"):
        parse_text_document(seed_text, year=2025)


def test_not_a_document_is_refused_with_line():
    with pytest.raises(DocumentError):
        parse_text_document("随便一段文字\n另一段\n")


def test_import_follows_the_project_table_template(tmp_path, monkeypatch, seed_book, seed_text):
    """A county whose table says 预算金额 where ours says 预算数, and whose indicator header says 指标名称
    for 三级指标, edits templates/project-table.toml; import (and the text export) follow it."""
    import shutil

    from workbook_engine.layout import TEMPLATE_DIR_ENV

    county = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", county)
    toml = county / "project-table.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('label = "预算数"', 'label = "预算金额"')
                    .replace('label = "三级指标"', 'label = "指标名称"'), encoding="utf-8")
    their_text = seed_text.replace("\t预算数\n", "\t预算金额\n").replace("\t三级指标\n", "\t指标名称\n")
    assert their_text != seed_text

    with pytest.raises(DocumentError, match="预算数"):  # our template: their document's label is wrong
        parse_text_document(their_text, path="their.txt")
    monkeypatch.setenv(TEMPLATE_DIR_ENV, str(county))
    assert parse_text_document(their_text, path="their.txt") == seed_book
    with pytest.raises(DocumentError, match="预算金额"):  # their template: our document's label is wrong
        parse_text_document(seed_text, path="ours.txt")
    exported = write_text_document(seed_book)
    assert "\t预算金额\n" in exported and "\t预算数\n" not in exported
    assert parse_text_document(exported) == seed_book
