"""The parser of the published document: one pass over its paragraphs and table rows (from the text export
or a .docx), read against the grammar compiled from templates/.

It never stops at a problem in the document: each one becomes a finding (problems.py) and what could not be
placed is kept as a passage, so one import lists every problem. Each step is constant work per paragraph or
row (no rescans of what was read), so an outline of 200,000 numbered lines reads in about a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..document_format import parse_chinese_number
from ..errors import DocumentError, UsageError
from ..grammar import Grammar, grammar, label
from ..layout import CellSpec, RowSpec, inverse_pattern
from ..model import Book, Goal, Indicator, Project
from ..sheets import BY_KIND
from ..sheets.goals import CATEGORIES
from ..values import parse_number, parse_percent_cell
from .problems import Imported, Item, Paragraph, Problems, Row, where

INTERNAL_BREAK_RE = re.compile(r"(?<=\S)[ \u3000\u00a0]{2,}(?=\S)")


def data_text(text: str, spaces_are_breaks: bool = True) -> str:
    """A data cell's text: surrounding whitespace removed, internal line-break artefacts restored."""
    text = text.strip()
    return INTERNAL_BREAK_RE.sub("\n", text) if spaces_are_breaks else text


@dataclass
class _Goal:
    """A goal being read: its content grows paragraph by paragraph (joined once at the end, not per line)."""

    category: str
    seq: int
    title: str
    parts: list[str]
    line: int


@dataclass
class _Section:
    """The paragraphs under one part-one heading (``index`` None: after a part heading, before any section)."""

    index: int | None
    heading: Paragraph | None
    paragraphs: list[Paragraph] = field(default_factory=list)


class DocumentParser:
    """Walks the items once: part 1 (goals, by section), then one title + two tables per project."""

    def __init__(self, items: list[Item], path: str, spaces_are_breaks: bool = True):
        self.items = items
        self.pos = 0
        self.path = path
        self.spaces_are_breaks = spaces_are_breaks
        self.form: Grammar = grammar()  # once: the grammar is fixed for one parse
        self.problems = Problems(path)
        self.sections: list[_Section] = []
        self.goals: list[_Goal] = []
        self.last_goal: dict[str, _Goal] = {}  # per category: the goal a continuing paragraph extends
        self.goal_count: dict[str, int] = {}
        self.projects: list[tuple[Project, str, str, list[Indicator], int]] = []
        self.in_part_two = False
        self.cover: list[Paragraph] = []

    # -- the walk ----------------------------------------------------------------------------------------
    def text(self, cell: str) -> str:
        return data_text(cell, self.spaces_are_breaks)

    def peek(self) -> Item | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def last_line(self) -> int:
        if not self.items:
            return 1
        last = self.items[-1]
        return last.end_line if isinstance(last, Row) else last.line

    def parse(self) -> None:
        form = self.form
        while (item := self.peek()) is not None:
            if isinstance(item, Row):
                self.stray_table(item)
                continue
            key = label(item.text)
            if form.title_re.match(key) and self._next_is_row():
                self.in_part_two = True
                self.parse_project()
                continue
            self.pos += 1
            section = form.section_re.match(key)
            if section:
                index = CATEGORIES.index(form.section_names[section.group(1)])
                self.sections.append(_Section(index, item))
            elif form.is_part_heading(key):
                if not self.sections or self.sections[-1].index is not None:
                    self.sections.append(_Section(None, item))
            elif self.in_part_two:  # text between or after the project tables: one problem per run of it
                run = [item]
                while isinstance(following := self.peek(), Paragraph) and self._is_stray(following):
                    run.append(following)
                    self.pos += 1
                self.outside(run)
            elif self.sections:
                self.sections[-1].paragraphs.append(item)
            else:  # before any heading: the cover, not content (unless the first section's heading is missing)
                self.cover.append(item)
        self.read_part_one()
        if not self.projects and not self.goals:  # nothing placed at all: not this kind of document (one line)
            others = f"另有 {len(self.problems.entries)} 处内容无法归位。" if self.problems else ""
            raise DocumentError(f"没有找到任何部门目标或项目绩效目标表。{others}请确认这是部门预算绩效文本的文本导出。",
                                path=self.path, line=1)

    def _is_stray(self, paragraph: Paragraph) -> bool:
        """Whether a paragraph of part two is neither a project's title, a section nor a part heading."""
        key = label(paragraph.text)
        if self.form.title_re.match(key) and self._next_is_row():
            return False
        return not (self.form.section_re.match(key) or self.form.is_part_heading(key))

    def outside(self, run: list[Paragraph]) -> None:
        """Consecutive paragraphs that belong nowhere: one finding, each paragraph a passage."""
        first = run[0]
        passages: list[tuple[Item, int | None]] = [(p, None) for p in run]
        if len(run) == 1:
            self.problems.add("WBE-E304", first, variant="outside", text=first.text[:40], passages=passages)
        else:
            self.problems.add("WBE-E304", first, variant="outside_many", text=first.text[:40], count=len(run),
                              passages=passages)

    def _next_is_row(self) -> bool:
        following = self.items[self.pos + 1] if self.pos + 1 < len(self.items) else None
        return isinstance(following, Row)

    def stray_table(self, first: Row) -> None:
        """Rows with no project title above them: listed as one problem, the table's rows as passages."""
        rows: list[tuple[Item, int | None]] = []
        while isinstance(self.peek(), Row):
            rows.append((self.items[self.pos], None))
            self.pos += 1
        self.problems.add("WBE-E304", first, variant="table", form=self.form.title_example(), passages=rows)

    # -- part one ----------------------------------------------------------------------------------------
    def read_part_one(self) -> None:
        """Goals from the paragraphs under each section heading. A missing heading is reported, and the
        paragraphs that would be under it are listed instead of being read into the section above."""
        seen = {s.index for s in self.sections if s.index is not None}
        claimed: set[int] = set()
        if seen:
            for missing in (k for k in range(len(CATEGORIES)) if k not in seen):
                self.missing_heading(missing, claimed)
        for section in self.sections:
            if section.index is None:
                stray = [p for p in section.paragraphs if id(p) not in claimed]
                if stray:
                    self.outside(stray)
                continue
            category = CATEGORIES[section.index]
            for paragraph in section.paragraphs:
                if id(paragraph) not in claimed:
                    self.add_goal(category, paragraph)

    def missing_heading(self, missing: int, claimed: set[int]) -> None:
        form = self.form
        indexed = [s for s in self.sections if s.index is not None]
        above = next((s for s in reversed(indexed) if s.index is not None and s.index < missing), None)
        if above is None:  # the first section is missing: what follows the part heading before the next one
            first = self.sections.index(indexed[0])
            above = next((s for s in reversed(self.sections[:first]) if s.index is None), None)
            if above is None:  # no part heading either: the cover cannot be told from the section's text
                above = _Section(None, None, self.cover)
        after = [s for s in indexed if s.index is not None and s.index > missing]
        span = [p for p in (above.paragraphs if above else []) if id(p) not in claimed]
        start = next((n for n, p in enumerate(span) if self._starts_section(missing, p)), len(span))
        if above is not None and above.index is None:
            start = 0  # after a part heading, with no section above: all of it
        unplaced = span[start:]
        claimed.update(id(p) for p in unplaced)
        heading = form.sections[missing]
        previous = (above.heading.text if above is not None and above.heading is not None
                    else form.part_lines["one"][-1])
        anchor: Item | None = unplaced[0] if unplaced else (after[0].heading if after else None)
        if anchor is None:
            anchor = self.items[-1] if self.items else Paragraph(1, "")
        if unplaced:
            self.problems.add("WBE-E301", anchor, heading=heading, before=previous, count=len(unplaced),
                              passages=[(p, None) for p in unplaced])
        else:
            self.problems.add("WBE-E301", anchor, variant="empty", heading=heading, before=previous)

    def _starts_section(self, index: int, paragraph: Paragraph) -> bool:
        """Whether a paragraph looks like the first of section ``index`` (an item, a measure)."""
        if index == 1:
            return self.form.item_re.match(paragraph.text) is not None
        if index == 2:
            match = self.form.measure_re.match(paragraph.text)
            return match is not None and parse_chinese_number(match.group(1)) is not None
        return True

    def add_goal(self, category: str, item: Paragraph) -> None:
        """One paragraph of part one, as before: constant work (the last goal of the category is at hand)."""
        text = item.text
        last = self.last_goal.get(category)
        if category == CATEGORIES[0]:
            self._new_goal(category, self.goal_count.get(category, 0) + 1, "", text, item.line)
        elif category == CATEGORIES[1]:
            match = self.form.item_re.match(text)
            if match and (last is None or last.parts):
                self._new_goal(category, int(match.group(1)), match.group(2).strip(), None, item.line)
            elif last is not None:
                last.parts.append(text)
            else:
                self.problems.add("WBE-E304", item, variant="item", text=text[:30], passages=[(item, None)])
        else:
            match = self.form.measure_re.match(text)
            number = parse_chinese_number(match.group(1)) if match else None
            if match and number is not None:
                self._new_goal(category, number, "", match.group(2), item.line)
            elif last is not None:
                last.parts.append(text)
            else:
                self._new_goal(category, self.goal_count.get(category, 0) + 1, "", text, item.line)

    def _new_goal(self, category: str, seq: int, title: str, content: str | None, line: int) -> None:
        goal = _Goal(category, seq, title, [] if content is None else [content], line)
        self.goals.append(goal)
        self.last_goal[category] = goal
        self.goal_count[category] = self.goal_count.get(category, 0) + 1

    # -- part two ----------------------------------------------------------------------------------------
    def parse_project(self) -> None:
        """One project: the title, the unit line (optional), the rows of the project table and the indicator
        table, each read against templates/project-table.toml (its labels, and the order of its cells).
        A missing row is reported where the next expected row turns up; a row that is none of those
        expected is reported and listed; a value that cannot be read is reported and left blank."""
        form = self.form
        template = form.project
        title_item = self.items[self.pos]
        assert isinstance(title_item, Paragraph)
        match = form.title_re.match(title_item.text.strip()) or form.title_re.match(label(title_item.text))
        assert match is not None
        seq, stem = int(match.group(1)), match.group(2).strip()
        table = title_item.text.strip()
        self.pos += 1
        unit = form.unit_row
        specs: list[RowSpec] = [*form.table_rows, template.indicator_header]
        values: dict[str, Any] = {}
        dept_code, dept_name = "", ""
        row = self.peek()
        if unit is not None and isinstance(row, Row) and self._is_unit_row(row, unit, specs):
            self.pos += 1
            dept_code, dept_name = self.read_unit(row, unit, table)
        index, complete = 0, True
        while index < len(specs):
            spec = specs[index]
            row = self.peek()
            if not isinstance(row, Row):
                at: Item = row if row is not None else self.items[-1]
                found = "文件结尾" if row is None else "一段正文"
                self.problems.add("WBE-E302", at, variant="end", table=table, what=_describe_all(specs[index:]),
                                  found=found, place=where(at) if row is not None or at.place else f"第 {self.last_line()} 行")
                complete = False
                break
            if _matches(row, spec):
                self.pos += 1
                self.read_row(row, spec, values, table, header=index == len(specs) - 1)
                index += 1
                continue
            later = next((j for j in range(index + 1, len(specs)) if _matches(row, specs[j])), None)
            if later is not None:
                self.problems.add("WBE-E302", row, table=table, what=_describe_all(specs[index:later]))
                index = later
                continue
            self.wrong_row(row, spec)
            self.pos += 1
            following = self.peek()
            if not (isinstance(following, Row) and _matches(following, spec)):
                index += 1  # this row stood in the place of ``spec``
        indicators = self.read_indicators(template.indicator_cells, values.get("code", "")) if complete else []
        self._add_project(title_item, seq, stem, values, dept_code, dept_name, indicators)

    def _is_unit_row(self, row: Row, unit: RowSpec, specs: list[RowSpec]) -> bool:
        """The unit line is optional: a row is taken for it when it reads as one, or when it is none of the
        labelled rows of the table (then it is a damaged unit line, reported by read_unit)."""
        if _unit_values(row, unit, self.form) is not None:
            return True
        return not any(_matches(row, spec) for spec in specs if spec.labels)

    def _add_project(self, title_item: Paragraph, seq: int, stem: str, values: dict[str, Any], dept_code: str,
                     dept_name: str, indicators: list[Indicator]) -> None:
        table_title = stem if stem != values.get("name", "") else ""
        project = Project(dept_code="", seq=seq, table_title=table_title, row=title_item.line,
                          **{name: values.get(name, _blank_of(name)) for name in _PROJECT_FIELDS})
        self.projects.append((project, dept_code, dept_name, indicators, title_item.line))

    def wrong_row(self, row: Row, spec: RowSpec) -> None:
        """A row where ``spec`` was expected that matches none of the rows to come: reported and listed."""
        what = _describe(spec)
        if spec.labels:
            for index, cell in enumerate(spec.cells):
                if cell.label is None:
                    continue
                found = label(row.cells[index]) if index < len(row.cells) else ""
                if found != label(cell.label):
                    at = min(index, len(row.cells) - 1) if row.cells else None
                    self.problems.add("WBE-E304", row, at, variant="labels", what=what, index=index + 1,
                                      expected=cell.label, found=found or "（空）", passages=[(row, None)])
                    return
        self.problems.add("WBE-E304", row, variant="cells", what=what, expected=len(spec.cells),
                          found=len(row.cells), passages=[(row, None)])

    def read_unit(self, row: Row, unit: RowSpec, table: str) -> tuple[str, str]:
        """部门编码部门名称 | 单位：万元, as the unit row of the template has it."""
        found = _unit_values(row, unit, self.form)
        if found is None:
            self.problems.add("WBE-E304", row, variant="unit", table=table, expected=_unit_text(unit),
                              found=" | ".join(c.strip() for c in row.cells)[:60], passages=[(row, None)])
            return "", ""
        return found.get("dept.code", ""), found.get("dept.name", "")

    def read_row(self, row: Row, spec: RowSpec, values: dict[str, Any], table: str, header: bool = False) -> None:
        """One row of the project table: its fields read by their place in the row. A row matched by its labels
        with more cells than the template's lists the extra ones; with fewer, says which fields stay blank."""
        what = _describe(spec)
        width = len(spec.cells)
        if len(row.cells) > width and any(c.strip() for c in row.cells[width:]):
            self.problems.add("WBE-E304", row, width, variant="wide", what=what, expected=width,
                              found=len(row.cells), passages=[(row, i) for i in range(width, len(row.cells))
                                                              if row.cells[i].strip()])
        elif len(row.cells) < width and spec.labels:
            self.problems.add("WBE-E304", row, variant="narrow", what=what, expected=width, found=len(row.cells))
        if header:
            return
        for index, cell in enumerate(spec.cells):
            if cell.continues and index < len(row.cells) and label(row.cells[index]):
                self.problems.add("WBE-E304", row, index, variant="continued", what=what, index=index + 1,
                                  found=row.cells[index].strip()[:30], passages=[(row, index)])
            if cell.field is not None and cell.field.startswith("project."):
                name = cell.field.split(".", 1)[1]
                values[name] = self.project_value(row, index, name, table)

    def project_value(self, row: Row, index: int, name: str, table: str) -> Any:
        column = BY_KIND["projects"].column(name)
        text = row.cells[index] if index < len(row.cells) else ""
        if column.kind == "code":
            return "".join(text.split())
        if column.kind == "money":
            return self.amount(row, index, column.header, table)
        if column.kind == "percent":
            return self.percent(row, index, table)
        return self.text(text)

    def read_indicators(self, cells: tuple[CellSpec, ...], code: str) -> list[Indicator]:
        """Indicator rows until the table ends; a blank merged field continues the value above it."""
        indicators: list[Indicator] = []
        names = [(c.field or "").split(".", 1)[1] for c in cells]
        merged = {name: c.merge for name, c in zip(names, cells) if c.merge}
        current: dict[str, str] = {}
        while isinstance(row := self.peek(), Row):
            self.pos += 1
            if len(row.cells) != len(cells):
                self.problems.add("WBE-E304", row, variant="cells", what="指标行", expected=len(cells),
                                  found=len(row.cells), passages=[(row, None)])
                continue
            texts = {name: self.text(text) for name, text in zip(names, row.cells)}
            for name in merged:
                if texts[name]:
                    current[name] = texts[name]
                    for inner, scope in merged.items():  # a new 一级 block starts its 二级 blocks afresh
                        if inner != name and f"indicator.{name}" in scope:
                            current.pop(inner, None)
            if any(not current.get(name) for name in merged):
                heads = "或".join(BY_KIND["indicators"].header_of(name) for name in merged)
                self.problems.add("WBE-E304", row, variant="no_merge", heads=heads, passages=[(row, None)])
                continue
            texts.update({name: current[name] for name in merged})
            indicators.append(Indicator(dept_code="", project_code=code, seq=len(indicators) + 1, row=row.line,
                                        **{name: texts.get(name, "") for name in _INDICATOR_FIELDS}))  # type: ignore[arg-type]  # the six text fields, by name
        return indicators

    def amount(self, row: Row, index: int, what: str, table: str) -> Decimal | None:
        text = row.cells[index].strip() if index < len(row.cells) else ""
        parsed = parse_number(text)
        if parsed.error:
            self.problems.add("WBE-E303", row, index, value=text, table=table, header=what, text=text[:30],
                              passages=[(row, index)])
            return None
        return parsed.value

    def percent(self, row: Row, index: int, table: str) -> Decimal | None:
        text = row.cells[index].strip() if index < len(row.cells) else ""
        cell = parse_percent_cell(text)
        if cell.style == "invalid":
            self.problems.add("WBE-E303", row, index, variant="plan", value=text, table=table, text=text[:30],
                              passages=[(row, index)])
            return None
        if cell.style == "number" and cell.points is not None and cell.points <= 1:
            return cell.points * 100
        return cell.points


def _unit_values(row: Row, unit: RowSpec, form: Grammar) -> dict[str, str] | None:
    """The fields of a unit line (dept.code, dept.name), or None when the row is not one."""
    patterns = form.project.patterns
    found: dict[str, str] = {}
    if len(row.cells) != len(unit.cells):
        return None
    for text, cell in zip((c.strip() for c in row.cells), unit.cells):
        if cell.template is not None:
            match = inverse_pattern(cell.template, patterns).match(text)
            if match is None:
                return None
            found.update({k.replace("__", "."): (v or "").strip() for k, v in match.groupdict().items()})
        elif cell.label is not None and label(text) != label(cell.label):
            return None
    return found if found.get("dept.code") else None


def _matches(row: Row, spec: RowSpec) -> bool:
    """Whether ``row`` is the template row ``spec``: by its labels, or (a row without labels) its cells."""
    labelled = [(index, cell.label) for index, cell in enumerate(spec.cells) if cell.label]
    if not labelled:
        return len(row.cells) == len(spec.cells)
    return all(index < len(row.cells) and label(row.cells[index]) == label(text) for index, text in labelled)


_PROJECT_FIELDS = ("code", "name", "budget", "fiscal", "other", "purpose", "q1", "q2", "q3", "q4", "goal")
_INDICATOR_FIELDS = ("level1", "level2", "level3", "description", "value", "basis")


def _blank_of(name: str) -> Any:
    """A project field the template does not show (or a row that is missing): blank text, or no number."""
    return None if BY_KIND["projects"].column(name).kind in ("money", "percent") else ""


def _describe(spec: RowSpec) -> str:
    """How a message names a template row: by its first label, else by the fields it holds."""
    if spec.labels:
        return f"“{spec.labels[0]}”行"
    fields = [c.field.split(".", 1)[1] for c in spec.cells if c.field and c.field.startswith("project.")]
    if not fields:
        return "指标表的标题行"
    return "“" + "、".join(BY_KIND["projects"].header_of(f) for f in fields) + "”所在行"


def _describe_all(specs: list[RowSpec]) -> str:
    return "、".join(_describe(spec) for spec in specs)


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


def read_tokens(items: list[Item], *, path: str, year: int | None = None, dept_code: str | None = None,
                dept_name: str | None = None, spaces_are_breaks: bool = True) -> Imported:
    """Parse paragraphs and table rows (from the text export or a .docx) into a Book, with every problem
    found on the way. Raises only for what makes the whole document unusable (no content, no year)."""
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
    for goal in parser.goals:
        book.goals.append(Goal(code, name, year, goal.category, goal.seq, goal.title, "\n".join(goal.parts),
                               row=goal.line))
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
    return Imported(path, book, parser.problems.findings, parser.problems.passages)


def parse_tokens(items: list[Item], *, path: str, year: int | None = None, dept_code: str | None = None,
                 dept_name: str | None = None, spaces_are_breaks: bool = True) -> Book:
    """The Book of a document in which every passage was placed; else DocumentProblems listing them all."""
    return read_tokens(items, path=path, year=year, dept_code=dept_code, dept_name=dept_name,
                       spaces_are_breaks=spaces_are_breaks).placed_book()
