"""Parser of the published document in its text-export form (the seed in shared/seeds/).

The export writes each table cell as a line starting with a tab, ends a table row with a blank line, and
writes a vertically merged cell's continuation as an empty cell. Bookmarks ("[bookmark: …]") are not
content. A cell-internal line break shows as a run of spaces: in labels it is dropped, in data cells a run of
two or more spaces becomes a line break again (docs/importer.md). Everything else is kept exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from ..document_format import (ITEM_RE, MEASURE_RE, PART_RE, PROJECT_TITLE_RE, SECTION_HEADINGS, SECTION_RE, label,
                               parse_chinese_number)
from ..errors import DocumentError, UsageError
from ..io.guard import read_text_document as read_bounded
from ..model import Book, Goal, Indicator, Project
from ..sheets.goals import CATEGORIES
from ..values import parse_number, parse_percent_cell

BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]")
INTERNAL_BREAK_RE = re.compile(r"(?<=\S)[ \u3000\u00a0]{2,}(?=\S)")
UNIT_CELL_RE = re.compile(r"^(\d{6})\s*(.*)$")
INDICATOR_HEADER = ("一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据")


def data_text(text: str, spaces_are_breaks: bool = True) -> str:
    """A data cell's text: surrounding whitespace removed, internal line-break artefacts restored."""
    text = text.strip()
    return INTERNAL_BREAK_RE.sub("\n", text) if spaces_are_breaks else text


@dataclass
class Paragraph:
    line: int
    text: str


@dataclass
class Row:
    line: int
    cells: list[str]
    end_line: int


def refuse_binary(data: bytes, path: str) -> None:
    """A Word, Excel or other binary file given where the text export is expected: say what to do."""
    save_as_text = "请直接导入 Word 文档 (.docx)，或在 Word 中“另存为”纯文本 (*.txt)、编码选 UTF-8 后导入。"
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
        raise DocumentError(f"这是 Word/Excel 或其他 Office 文件，不是文本导出。{save_as_text}", path=path)
    if data.startswith(b"%PDF"):
        raise DocumentError(f"这是 PDF 文件，不是文本导出。{save_as_text}", path=path)
    head = data[:4096]
    if b"\0" in head and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError(f"这不是文本文件（含有二进制数据）。{save_as_text}", path=path)


def decode(data: bytes, path: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK)."""
    refuse_binary(data, path)
    if not data.strip():
        raise DocumentError("文件是空的。请确认导出的文本已完整保存。", path=path)
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].decode("utf-16", errors="replace").count("\n") + 1
            raise DocumentError("UTF-16 文本已损坏，无法解码。请另存为 UTF-8 文本后再导入。", path=path,
                                line=line) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DocumentError("无法识别文本编码（既不是 UTF-8 也不是 GBK）。请另存为 UTF-8 文本后再导入。",
                            path=path, line=line) from None


def tokens(text: str) -> Iterator[Paragraph | Row]:
    """Paragraphs and table rows, in document order, with 1-based line numbers."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    index = 0
    while index < len(lines):
        line = BOOKMARK_RE.sub("", lines[index])
        if line.startswith("\t"):
            start = index
            cells = []
            while index < len(lines) and lines[index].startswith("\t"):
                cells.append(BOOKMARK_RE.sub("", lines[index])[1:])
                index += 1
            yield Row(start + 1, cells, index)
            continue
        if line.strip():
            yield Paragraph(index + 1, line.strip())
        index += 1


class DocumentParser:
    """Walks the tokens once: part 1 (goals), then one title + two tables per project."""

    def __init__(self, items: list[Paragraph | Row], path: str, spaces_are_breaks: bool = True):
        self.items = items
        self.pos = 0
        self.path = path
        self.spaces_are_breaks = spaces_are_breaks
        self.goals: list[tuple[str, int, str, str, int]] = []  # category, seq, title, content, line
        self.projects: list[tuple[Project, str, str, list[Indicator], int]] = []

    def text(self, cell: str) -> str:
        return data_text(cell, self.spaces_are_breaks)

    def error(self, message: str, line: int | None = None) -> DocumentError:
        if line is None:
            line = self.items[self.pos].line if self.pos < len(self.items) else self.last_line()
        return DocumentError(message, path=self.path, line=line)

    def last_line(self) -> int:
        if not self.items:
            return 1
        last = self.items[-1]
        return last.end_line if isinstance(last, Row) else last.line

    def peek(self) -> Paragraph | Row | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def parse(self) -> None:
        category: str | None = None
        while (item := self.peek()) is not None:
            if isinstance(item, Paragraph):
                text = item.text
                if PROJECT_TITLE_RE.match(label(text)) and self._next_is_row():
                    self.parse_project()
                    continue
                section = SECTION_RE.match(label(text))
                if section:
                    category = SECTION_HEADINGS[section.group(1)]
                elif category is not None and not self._is_furniture(text):
                    self.add_goal(category, item)
                self.pos += 1
            else:
                raise self.error("这里出现了表格，但前面没有“N.项目名称绩效目标表”形式的表名。请检查表名是否缺失。")
        if not self.projects and not self.goals:
            raise self.error("没有找到任何部门目标或项目绩效目标表。请确认这是部门预算绩效文本的文本导出。", 1)

    def _next_is_row(self) -> bool:
        following = self.items[self.pos + 1] if self.pos + 1 < len(self.items) else None
        return isinstance(following, Row)

    @staticmethod
    def _is_furniture(text: str) -> bool:
        """Part headings, alone or as one heading on two lines (第二部分 / 预算项目绩效目标 in a .docx)."""
        key = label(text)
        return key in ("第一部分", "第二部分", "部门整体绩效目标", "预算项目绩效目标") or bool(PART_RE.match(key)) \
            or key.startswith("第") and key.endswith("部分")

    def add_goal(self, category: str, item: Paragraph) -> None:
        text = item.text
        same = [g for g in self.goals if g[0] == category]
        if category == CATEGORIES[0]:
            self.goals.append((category, len(same) + 1, "", text, item.line))
        elif category == CATEGORIES[1]:
            match = ITEM_RE.match(text)
            if match and (not same or same[-1][3]):
                self.goals.append((category, int(match.group(1)), match.group(2).strip(), "", item.line))
            elif same and not same[-1][3]:
                cat, seq, title, _, line = same[-1]
                self.goals[self.goals.index(same[-1])] = (cat, seq, title, text, line)
            elif same:
                cat, seq, title, content, line = same[-1]
                self.goals[self.goals.index(same[-1])] = (cat, seq, title, content + "\n" + text, line)
            else:
                raise self.error(f"分项绩效目标应以“1、标题”开头，实际为“{text[:30]}”。", item.line)
        else:
            match = MEASURE_RE.match(text)
            if match and parse_chinese_number(match.group(1)) is not None:
                self.goals.append((category, parse_chinese_number(match.group(1)) or 0, "", match.group(2),
                                   item.line))
            elif same:
                cat, seq, title, content, line = same[-1]
                self.goals[self.goals.index(same[-1])] = (cat, seq, title, content + "\n" + text, line)
            else:
                self.goals.append((category, len(same) + 1, "", text, item.line))

    def take_row(self, what: str) -> Row:
        item = self.peek()
        if not isinstance(item, Row):
            raise self.error(f"表格在这里中断：应为{what}，实际为" + ("文件结尾" if item is None else "一段正文") + "。"
                             "请检查该表是否缺行或被截断。")
        self.pos += 1
        return item

    def expect_labels(self, row: Row, expected: dict[int, str], what: str) -> None:
        for index, text in expected.items():
            found = label(row.cells[index]) if index < len(row.cells) else ""
            if found != label(text):
                raise self.error(f"{what}第 {index + 1} 格应为“{text}”，实际为“{found or '（空）'}”。"
                                 "请检查表格是否缺行、多行或列数不对。", row.line + min(index, len(row.cells) - 1 if row.cells else 0))

    def parse_project(self) -> None:
        title_item = self.peek()
        assert isinstance(title_item, Paragraph)
        match = PROJECT_TITLE_RE.match(title_item.text.strip()) or PROJECT_TITLE_RE.match(label(title_item.text))
        assert match is not None
        seq, stem = int(match.group(1)), match.group(2).strip()
        self.pos += 1
        row = self.take_row("单位行（部门编码部门名称 | 单位：万元）或“项目编码”行")
        dept_code, dept_name = "", ""
        if row.cells and label(row.cells[0]) != "项目编码":
            unit = UNIT_CELL_RE.match(row.cells[0].strip())
            if not unit or len(row.cells) < 2 or "单位" not in label(row.cells[-1]):
                raise self.error(f"表“{title_item.text}”的第一行应为“部门编码部门名称 | 单位：万元”，"
                                 f"实际为“{' | '.join(c.strip() for c in row.cells)[:60]}”。", row.line)
            dept_code, dept_name = unit.group(1), unit.group(2).strip()
            row = self.take_row("“项目编码”行")
        self.expect_labels(row, {0: "项目编码", 2: "项目名称"}, "“项目编码”行")
        code, name = "".join(row.cells[1].split()), self.text(row.cells[3]) if len(row.cells) > 3 else ""
        money = self.take_row("“预算规模及资金用途”行")
        self.expect_labels(money, {0: "预算规模及资金用途", 1: "预算数", 3: "其中：财政资金", 5: "其他资金"},
                           "“预算规模及资金用途”行")
        budget = self.amount(money, 2, "预算数")
        fiscal = self.amount(money, 4, "财政资金")
        other = self.amount(money, 6, "其他资金") if len(money.cells) > 6 else None
        purpose_row = self.take_row("资金用途说明行")
        purpose = self.text(purpose_row.cells[-1]) if len(purpose_row.cells) >= 2 else ""
        if len(purpose_row.cells) < 2 or label(purpose_row.cells[0]):
            raise self.error("资金用途说明行应为 空格（合并单元格的延续）| 资金用途，列数不对。", purpose_row.line)
        plan_head = self.take_row("“资金支出计划（%）”行")
        self.expect_labels(plan_head, {0: "资金支出计划（%）", 1: "3月底", 2: "6月底", 3: "10月底", 4: "12月底"},
                           "“资金支出计划”行")
        plan_row = self.take_row("支出计划百分比行")
        if len(plan_row.cells) != 5:
            raise self.error(f"支出计划百分比行应有 5 格（空格 + 4 个百分比），实际 {len(plan_row.cells)} 格。", plan_row.line)
        plan = [self.percent(plan_row, i) for i in range(1, 5)]
        goal_row = self.take_row("“绩效目标”行")
        self.expect_labels(goal_row, {0: "绩效目标"}, "“绩效目标”行")
        goal = self.text(goal_row.cells[1]) if len(goal_row.cells) > 1 else ""
        header = self.take_row("指标表的标题行（一级指标 | 二级指标 | …）")
        self.expect_labels(header, dict(enumerate(INDICATOR_HEADER)), "指标表标题行")
        indicators: list[Indicator] = []
        level1 = level2 = ""
        while isinstance(self.peek(), Row):
            row = self.take_row("指标行")
            cells = row.cells
            if len(cells) != 6:
                raise self.error(f"指标行应有 6 格，实际 {len(cells)} 格。", row.line)
            first, second = self.text(cells[0]), self.text(cells[1])
            if first:
                level1, level2 = first, ""
            if second:
                level2 = second
            if not level1 or not level2:
                raise self.error("指标行的一级或二级指标为空，且上方没有可延续的合并单元格。", row.line)
            indicators.append(Indicator("", code, len(indicators) + 1, level1, level2, self.text(cells[2]),
                                        self.text(cells[3]), self.text(cells[4]), self.text(cells[5]),
                                        row=row.line))
        table_title = stem if stem != name else ""
        project = Project("", seq, code, name, table_title, budget, fiscal, other, purpose, *plan, goal,
                          row=title_item.line)
        self.projects.append((project, dept_code, dept_name, indicators, title_item.line))

    def amount(self, row: Row, index: int, what: str) -> Decimal | None:
        text = row.cells[index].strip() if index < len(row.cells) else ""
        parsed = parse_number(text)
        if parsed.error:
            raise self.error(f"{what}“{text}”不是数字。", row.line + index)
        return parsed.value

    def percent(self, row: Row, index: int) -> Decimal | None:
        cell = parse_percent_cell(row.cells[index].strip())
        if cell.style == "invalid":
            raise self.error(f"支出计划“{row.cells[index].strip()}”不是百分比。", row.line + index)
        if cell.style == "number" and cell.points is not None and cell.points <= 1:
            return cell.points * 100
        return cell.points


def parse_text_document(text: str, *, path: str = "<text>", year: int | None = None,
                        dept_code: str | None = None, dept_name: str | None = None) -> Book:
    """Parse the text export of a published document into a Book (both parts)."""
    return parse_tokens(list(tokens(text)), path=path, year=year, dept_code=dept_code, dept_name=dept_name)


def parse_tokens(items: list[Paragraph | Row], *, path: str, year: int | None = None, dept_code: str | None = None,
                 dept_name: str | None = None, spaces_are_breaks: bool = True) -> Book:
    """Parse paragraphs and table rows (from the text export or a .docx) into a Book."""
    parser = DocumentParser(items, path, spaces_are_breaks)
    parser.parse()
    units = {(c, n) for _, c, n, _, _ in parser.projects if c}
    first_unit = next(((c, n) for _, c, n, _, _ in parser.projects if c), None)
    code = dept_code or (first_unit[0] if first_unit else "")
    name = dept_name or (first_unit[1] if first_unit else "")
    if dept_code and first_unit and dept_code != first_unit[0] and len(units) == 1:
        raise UsageError(f"--dept-code {dept_code} 与文本中表格的部门编码 {first_unit[0]} 不一致。请去掉该选项或改正。")
    if not code:
        raise UsageError(f"{path}：文本中没有部门编码（没有带单位行的项目表）。请用 --dept-code 和 --dept-name 指定。")
    year_digits = {p.code[6:8] for p, *_ in parser.projects if len(p.code) >= 8 and p.code[6:8].isdigit()}
    if year is None:
        if len(year_digits) > 1:
            raise UsageError(f"{path}：项目编码中的年度不一致（{'、'.join(sorted(year_digits))}）。请用 --year 指定年度。")
        if not year_digits:
            raise UsageError(f"{path}：无法从项目编码推断年度。请用 --year 指定，如 --year 2024。")
        year = 2000 + int(next(iter(year_digits)))
    elif year_digits and year_digits != {f"{year % 100:02d}"}:
        raise UsageError(f"--year {year} 与项目编码中的年度（{'、'.join(sorted(year_digits))}）不一致。"
                         "请改正 --year，或去掉它以从项目编码推断。")
    book = Book()
    for category, seq, title, content, line in parser.goals:
        book.goals.append(Goal(code, name, year, category, seq, title, content, row=line))
    for project, unit_code, _unit_name, indicators, _line in parser.projects:
        project.dept_code = unit_code or code
        book.projects.append(project)
        for indicator in indicators:
            indicator.dept_code = project.dept_code
            book.indicators.append(indicator)
    for unit_code, unit_name in sorted(units):
        if unit_code != code and not any(g.dept_code == unit_code for g in book.goals):
            # A second department in the same document: keep its name by giving it a goals row.
            book.goals.append(Goal(unit_code, unit_name, year, CATEGORIES[0], 1, "", ""))
    return book


def read_text_document(path: str | Path, *, year: int | None = None, dept_code: str | None = None,
                       dept_name: str | None = None) -> Book:
    """Read and parse a text-export file (UTF-8 or GBK)."""
    text = decode(read_bounded(path), str(path))
    return parse_text_document(text, path=str(path), year=year, dept_code=dept_code, dept_name=dept_name)
