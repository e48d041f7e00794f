"""Parser of the published document in its text-export form (the seed in shared/seeds/).

The export writes each table cell as a line starting with a tab, ends a table row with a blank line, and
writes a vertically merged cell's continuation as an empty cell. Bookmarks ("[bookmark: …]") are not
content. A cell-internal line break shows as a run of spaces: in labels it is dropped, in data cells a run of
two or more spaces becomes a line break again (docs/importer.md). Everything else is kept exactly.
Each project table is read against templates/project-table.toml, as render and publish write it: its labels
and the order of its cells (a county whose layout differs edits the template, and import follows); the part
headings come from templates/publish.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from ..document_format import parse_chinese_number
from ..errors import DocumentError, UsageError
from ..grammar import grammar, label
from ..io.guard import read_text_document as read_bounded
from ..layout import CellSpec, RowSpec, inverse_pattern, project_template
from ..model import Book, Goal, Indicator, Project
from ..sheets import BY_KIND
from ..sheets.goals import CATEGORIES
from ..values import parse_number, parse_percent_cell

BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]")
INTERNAL_BREAK_RE = re.compile(r"(?<=\S)[ \u3000\u00a0]{2,}(?=\S)")


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
                if grammar().title_re.match(label(text)) and self._next_is_row():
                    self.parse_project()
                    continue
                section = grammar().section_re.match(label(text))
                if section:
                    category = grammar().section_names[section.group(1)]
                elif category is not None and not self._is_furniture(text):
                    self.add_goal(category, item)
                self.pos += 1
            else:
                raise self.error(f"这里出现了表格，但前面没有“{grammar().title_example()}”形式的表名。请检查表名是否缺失。")
        if not self.projects and not self.goals:
            raise self.error("没有找到任何部门目标或项目绩效目标表。请确认这是部门预算绩效文本的文本导出。", 1)

    def _next_is_row(self) -> bool:
        following = self.items[self.pos + 1] if self.pos + 1 < len(self.items) else None
        return isinstance(following, Row)

    @staticmethod
    def _is_furniture(text: str) -> bool:
        """Part headings, alone or as one heading on two lines (第二部分 / 预算项目绩效目标 in a .docx)."""
        key = label(text)
        return grammar().is_part_heading(key)

    def add_goal(self, category: str, item: Paragraph) -> None:
        text = item.text
        same = [g for g in self.goals if g[0] == category]
        if category == CATEGORIES[0]:
            self.goals.append((category, len(same) + 1, "", text, item.line))
        elif category == CATEGORIES[1]:
            match = grammar().item_re.match(text)
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
            match = grammar().measure_re.match(text)
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
        """One project: the title, the unit line (optional), the rows of the project table and the indicator
        table, each read against templates/project-table.toml (its labels, and the order of its cells)."""
        template = project_template()
        title_item = self.peek()
        assert isinstance(title_item, Paragraph)
        title_re = grammar().title_re
        match = title_re.match(title_item.text.strip()) or title_re.match(label(title_item.text))
        assert match is not None
        seq, stem = int(match.group(1)), match.group(2).strip()
        self.pos += 1
        unit = next((spec for spec in template.rows if spec.table == 0), None)
        table_rows = [spec for spec in template.rows if spec.table != 0]
        first = _describe(table_rows[0])
        row = self.take_row(f"单位行（{_unit_text(unit)}）或{first}" if unit else first)
        dept_code, dept_name = "", ""
        if unit is not None and not self.starts_like(row, table_rows[0]):
            dept_code, dept_name = self.read_unit(row, unit, title_item.text)
            row = self.take_row(first)
        values: dict[str, Any] = {}
        for number, spec in enumerate(table_rows):
            if number:
                row = self.take_row(_describe(spec))
            self.read_row(row, spec, values)
        header = template.indicator_header
        row = self.take_row("指标表的标题行（" + " | ".join(header.labels) + " …）")
        self.expect_labels(row, {i: c.label for i, c in enumerate(header.cells) if c.label}, "指标表标题行")
        indicators = self.read_indicators(template.indicator_cells, values.get("code", ""))
        table_title = stem if stem != values.get("name", "") else ""
        project = Project(dept_code="", seq=seq, table_title=table_title, row=title_item.line,
                          **{name: values.get(name, _blank_of(name)) for name in _PROJECT_FIELDS})
        self.projects.append((project, dept_code, dept_name, indicators, title_item.line))

    @staticmethod
    def starts_like(row: Row, spec: RowSpec) -> bool:
        """Whether ``row`` begins with the first label of ``spec`` (so it is that row, not the unit line)."""
        first = spec.cells[0]
        return bool(row.cells) and first.label is not None and label(row.cells[0]) == label(first.label)

    def read_unit(self, row: Row, unit: RowSpec, title: str) -> tuple[str, str]:
        """部门编码部门名称 | 单位：万元, as the unit row of the template has it."""
        patterns = project_template().patterns
        found: dict[str, str] = {}
        ok = len(row.cells) == len(unit.cells)
        for index, cell in enumerate(unit.cells):
            text = row.cells[index].strip() if index < len(row.cells) else ""
            if cell.template is not None:
                match = inverse_pattern(cell.template, patterns).match(text)
                ok = ok and match is not None
                if match:
                    found.update({k.replace("__", "."): (v or "").strip() for k, v in match.groupdict().items()})
            elif cell.label is not None:
                ok = ok and label(text) == label(cell.label)
        if not ok or not found.get("dept.code"):
            raise self.error(f"表“{title}”的第一行应为“{_unit_text(unit)}”，"
                             f"实际为“{' | '.join(c.strip() for c in row.cells)[:60]}”。", row.line)
        return found.get("dept.code", ""), found.get("dept.name", "")

    def read_row(self, row: Row, spec: RowSpec, values: dict[str, Any]) -> None:
        """One row of the project table: its labels checked, its fields read by their place in the row."""
        what = _describe(spec)
        if spec.labels:
            self.expect_labels(row, {i: c.label for i, c in enumerate(spec.cells) if c.label}, what)
        elif len(row.cells) != len(spec.cells):
            raise self.error(f"{what}应有 {len(spec.cells)} 格，实际 {len(row.cells)} 格。", row.line)
        for index, cell in enumerate(spec.cells):
            if cell.continues and index < len(row.cells) and label(row.cells[index]):
                raise self.error(f"{what}第 {index + 1} 格应为空（上方合并单元格的延续），"
                                 f"实际为“{row.cells[index].strip()[:30]}”。请检查列数。", row.line + index)
            if cell.field is not None and cell.field.startswith("project."):
                name = cell.field.split(".", 1)[1]
                values[name] = self.project_value(row, index, name)

    def project_value(self, row: Row, index: int, name: str) -> Any:
        column = BY_KIND["projects"].column(name)
        text = row.cells[index] if index < len(row.cells) else ""
        if column.kind == "code":
            return "".join(text.split())
        if column.kind == "money":
            return self.amount(row, index, column.header)
        if column.kind == "percent":
            return self.percent(row, index)
        return self.text(text)

    def read_indicators(self, cells: tuple[CellSpec, ...], code: str) -> list[Indicator]:
        """Indicator rows until the table ends; a blank merged field continues the value above it."""
        indicators: list[Indicator] = []
        names = [(c.field or "").split(".", 1)[1] for c in cells]
        merged = {name: c.merge for name, c in zip(names, cells) if c.merge}
        current: dict[str, str] = {}
        while isinstance(self.peek(), Row):
            row = self.take_row("指标行")
            if len(row.cells) != len(cells):
                raise self.error(f"指标行应有 {len(cells)} 格，实际 {len(row.cells)} 格。", row.line)
            texts = {name: self.text(text) for name, text in zip(names, row.cells)}
            for name in merged:
                if texts[name]:
                    current[name] = texts[name]
                    for inner, scope in merged.items():  # a new 一级 block starts its 二级 blocks afresh
                        if inner != name and f"indicator.{name}" in scope:
                            current.pop(inner, None)
            if any(not current.get(name) for name in merged):
                heads = "或".join(BY_KIND["indicators"].header_of(name) for name in merged)
                raise self.error(f"指标行的{heads}为空，且上方没有可延续的合并单元格。", row.line)
            texts.update({name: current[name] for name in merged})
            indicators.append(Indicator(dept_code="", project_code=code, seq=len(indicators) + 1, row=row.line,
                                        **{name: texts.get(name, "") for name in _INDICATOR_FIELDS}))  # type: ignore[arg-type]  # the six text fields, by name
        return indicators

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


_PROJECT_FIELDS = ("code", "name", "budget", "fiscal", "other", "purpose", "q1", "q2", "q3", "q4", "goal")
_INDICATOR_FIELDS = ("level1", "level2", "level3", "description", "value", "basis")


def _blank_of(name: str) -> Any:
    """A project field the template does not show: blank text, or no number."""
    return None if BY_KIND["projects"].column(name).kind in ("money", "percent") else ""


def _describe(spec: RowSpec) -> str:
    """How an error names a template row: by its first label, else by the fields it holds."""
    if spec.labels:
        return f"“{spec.labels[0]}”行"
    fields = [c.field.split(".", 1)[1] for c in spec.cells if c.field and c.field.startswith("project.")]
    return "“" + "、".join(BY_KIND["projects"].header_of(f) for f in fields) + "”所在行"


def _unit_text(unit: RowSpec | None) -> str:
    if unit is None:
        return ""
    shown = {"{dept.code}": "部门编码", "{dept.name}": "部门名称"}
    parts = []
    for cell in unit.cells:
        text = cell.label or cell.template or ""
        for key, name in shown.items():
            text = text.replace(key, name)
        parts.append(text)
    return " | ".join(parts)


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
