"""Reading official workbooks (made by render, then maybe edited in Excel or WPS) back into a Book.

Rows are found by their labels, not by position, using the same template as the renderer: a field is the
cell after its label in the row (项目编码 → code), the cell under its label (3月底 → q1), or the row's
free text (资金用途); indicator columns are found by the header labels. So changed values, inserted or
deleted indicator rows, changed merges, extra blank rows and re-styled cells are all read. Every
non-empty cell that could not be placed is reported with sheet and cell; unknown sheets are reported and
skipped. Nothing is dropped silently.
"""

from __future__ import annotations

import bisect
import functools
import operator
import os
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Iterable

from ..a1 import cell_name
from ..document_format import parse_chinese_number
from ..errors import UsageError
from ..findings import Finding, Location, Report, finding
from ..grammar import grammar
from ..grammar import label as _label
from ..io.calamine_reader import CalamineWorkbook, SheetGrid
from ..io.parallel import map_in_order
from ..layout import CellSpec, ProjectTemplate, RowSpec, inverse_pattern, project_template, workbook_template
from ..model import Book, Goal, Indicator, Project
from ..parsing import parse_code, parse_int, parse_text
from ..sheets import BY_KIND, spec_for_sheet_name
from ..sheets.goals import CATEGORIES
from ..values import as_text, parse_number, parse_percent_cell, resolve_plan, unreadable_number

# An indicator row as read: field name (indicator.level1 …) -> its text.
IndicatorValues = dict[str, str]


class _IndicatorRows:
    """Reads indicator rows: each sheet column belongs to the indicator column whose header is at or left of
    it, up to the next header; a cell under a merge takes the merge's shown value. One pass per row."""

    def __init__(self, grid: Any, columns: list[tuple[int, int, CellSpec]]) -> None:
        self.grid = grid
        self.owner: list[int | None] = [None] * max(grid.width, max((col + 1 for col, _, _ in columns), default=0))
        for index, (col, nxt, _) in enumerate(columns):
            for c in range(col, min(nxt, len(self.owner))):
                self.owner[c] = index
        self.fields = [spec.field or "" for _, _, spec in columns]
        self.heads_at = [col for col, _, _ in columns]
        self.plain = [spec.field for _, _, spec in columns if not spec.merge and spec.field]
        self.blank: IndicatorValues = dict.fromkeys(self.fields, "")

    def read(self, r: int) -> IndicatorValues | None:
        """Row ``r``'s values, its cells marked used; None when it has no indicator cells of its own."""
        grid, owner = self.grid, self.owner
        # The first filled cell of each column's span (filled cells are never under a merge) ...
        first: dict[int, tuple[int, Any]] = {}
        for cell in grid._filled[r]:  # the grid's row index, read directly: this loop is extract's hot path
            index = owner[cell[0]]
            if index is not None and index not in first:
                first[index] = cell
        # ... unless the column's own cell is under a merge that shows a value there.
        columns_covered = grid.covered.get(r)
        if columns_covered:
            for index, col in enumerate(self.heads_at):
                if col in columns_covered:
                    shown = grid.raw(*columns_covered[col])
                    if not _blank(shown):
                        first[index] = (col, shown)
        values = self.blank.copy()
        used, fields = grid.used, self.fields
        for index, (c, v) in first.items():
            used.add(columns_covered.get(c, (r, c)) if columns_covered else (r, c))
            values[fields[index]] = v if v.__class__ is str else parse_text(v)
        if not any(map(values.get, self.plain)):
            return None
        return values


INDICATOR_KEYS = tuple(f"indicator.{f}" for f in ("level1", "level2", "level3", "description", "value", "basis"))

# The unit line sits under the title; never look further (data rows start with project codes).
UNIT_SEARCH_ROWS = 3


def _blank(value: Any) -> bool:
    """is_blank for cell values, without Unicode folding (str.strip already knows full-width spaces)."""
    if value is None or value == "":
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and value != value


label = functools.lru_cache(maxsize=4096)(_label)


def _text(value: Any) -> str:
    """as_text, with the common case (a string) first."""
    return value if isinstance(value, str) else as_text(value)


class Grid:
    """A sheet's cells with merges resolved: anchors, covered cells and what has been read.

    Each row's non-blank own cells (``filled``) are found once, when the grid is made: every step of
    placing asks for them, most of them several times.
    """

    def __init__(self, grid: SheetGrid):
        self.name = grid.name
        self.rows = grid.rows
        self.date1904 = grid.date1904
        # row -> {column: the anchor (first cell) of the merged range it is in}, for every cell of a merged
        # range but its anchor
        covered: dict[int, dict[int, tuple[int, int]]] = {}
        for r0, c0, r1, c1 in grid.merged or []:
            at = (r0, c0)
            for r in range(r0, r1 + 1):
                spanned = range(c0 + 1, c1 + 1) if r == r0 else range(c0, c1 + 1)
                if spanned:
                    covered.setdefault(r, {}).update(dict.fromkeys(spanned, at))
        self.covered = covered
        self.used: set[tuple[int, int]] = set()
        # Non-blank as _blank decides (None, '', white space and NaN are blank), inlined: this sees every cell.
        self._filled: list[list[tuple[int, Any]]] = [
            [(c, v) for c, v in enumerate(line) if (v.strip() if v.__class__ is str else v is not None and v == v)]
            for line in self.rows
        ]
        for r, columns in covered.items():  # a cell under a merge shows nothing of its own
            if r < len(self._filled):
                self._filled[r] = [(c, v) for c, v in self._filled[r] if c not in columns]
        self._nonempty = [r for r, cells in enumerate(self._filled) if cells]
        self._labels: dict[int, dict[str, int]] = {}
        self.width = max((len(line) for line in self.rows), default=0)

    def raw(self, r: int, c: int) -> Any:
        line = self.rows[r] if r < len(self.rows) else []
        return line[c] if c < len(line) else ""

    def value(self, r: int, c: int) -> Any:
        """The value shown at (r, c): a merged range shows its anchor's value everywhere."""
        return self.raw(*self.anchor(r, c))

    def filled(self, r: int) -> list[tuple[int, Any]]:
        """(column, value) of the row's own non-blank cells: none inside a merged range but its anchor."""
        return self._filled[r] if 0 <= r < len(self._filled) else []

    def nonempty_rows(self) -> list[int]:
        return list(self._nonempty)

    def labels(self, r: int) -> dict[str, int]:
        """Label form -> first column, of the row's filled cells (found once per row)."""
        found = self._labels.get(r)
        if found is None:
            found = {}
            for c, v in self.filled(r):
                found.setdefault(label(_text(v)), c)
            self._labels[r] = found
        return found

    def find_label(self, r: int, text: str) -> int | None:
        return self.labels(r).get(label(text))

    def anchor(self, r: int, c: int) -> tuple[int, int]:
        """The cell whose value (r, c) shows: the first cell of its merged range, or itself."""
        row = self.covered.get(r)
        return row.get(c, (r, c)) if row else (r, c)

    def take(self, r: int, c: int) -> Any:
        self.used.add(self.anchor(r, c))
        return self.value(r, c)


def _note(findings: list[Finding], code: str, sheet: str, r: int | None, c: int | None, value: Any = None, /,
          variant: str | None = None, **fields: Any) -> None:
    """A finding at 0-based (r, c) of ``sheet``; the file is filled in by extract_workbooks."""
    at = Location.at(sheet, None if r is None else r + 1, c)
    findings.append(finding(code, at, value, variant=variant, **fields))


# Per template (kept alive here, so its id stays its own): cell id -> (row of labels above, label).
_UNDER: dict[int, tuple[ProjectTemplate, dict[int, tuple[RowSpec, str]]]] = {}


def _under(template: ProjectTemplate) -> dict[int, tuple[RowSpec, str]]:
    """Field cells that sit right under a label in a row of labels only (3月底 → q1), by cell identity."""
    if id(template) in _UNDER:
        return _UNDER[id(template)][1]
    found: dict[int, tuple[RowSpec, str]] = {}
    _UNDER[id(template)] = (template, found)
    for above, spec in zip(template.rows, template.rows[1:]):
        if any(c.field or c.template for c in above.cells):
            continue
        for cell in spec.cells:
            heads = [c for c in above.cells if c.label and c.col == cell.col and c.span == cell.span]
            if cell.field is not None and heads:
                found[id(cell)] = (above, heads[0].label or "")
    return found


class ProjectSheetReader:
    """One project sheet -> Project and Indicators, guided by the project-table template."""

    def __init__(self, grid: Grid, findings: list[Finding]):
        self.grid = grid
        self.findings = findings
        self.template = project_template()
        self.labels = {label(c.label) for spec in (*self.template.rows, self.template.indicator_header)
                       for c in spec.cells if c.label}
        self.values: dict[str, Any] = {}

    def note(self, code: str, r: int | None, c: int | None, value: Any = None, /, variant: str | None = None,
             **fields: Any) -> None:
        _note(self.findings, code, self.grid.name, r, c, value, variant, **fields)

    @staticmethod
    def recognises(grid: Grid) -> bool:
        template = project_template()
        first = next(spec for spec in template.rows if spec.labels)
        wanted = {label(first.labels[0]), label(template.indicator_header.labels[0])}
        for r in range(min(len(grid.rows), 400)):  # both labels somewhere in the first 400 rows
            wanted.difference_update(grid.labels(r))
            if not wanted:
                return True
        return False

    def row_with(self, spec: RowSpec, rows: list[int]) -> int | None:
        wanted = {label(text) for text in spec.labels}
        for r in rows:
            if wanted <= self.grid.labels(r).keys():
                return r
        return None

    def is_label(self, value: Any) -> bool:
        return label(_text(value)) in self.labels

    def read(self) -> tuple[Project, str, str, list[Indicator]]:
        rows = self.grid.nonempty_rows()
        template = self.template
        header_row = self.row_with(template.indicator_header, rows)
        matched: dict[str, int | None] = {}
        start = 0
        for spec in template.rows:
            if spec.labels:
                r = self.row_with(spec, [x for x in rows[start:] if header_row is None or x < header_row])
                matched[spec.id] = r
                if r is None:
                    self.note("WBE-E072", None, None, labels="、".join(spec.labels))
                else:
                    start = rows.index(r) + 1
        bounds = [r for r in (*matched.values(), header_row) if r is not None]
        previous: int | None = None
        for spec in template.rows:
            if spec.labels:
                previous = matched[spec.id]
                if previous is not None:
                    self.read_labelled(spec, previous)
                continue
            following = [b for b in bounds if previous is not None and b > previous]
            end = min(following) if following else (header_row if header_row is not None else len(self.grid.rows))
            between = [r for r in rows if (previous is None or r > previous) and r < end]
            self.read_free(spec, between, matched)
        unit_row = matched.get(template.rows[0].id)
        title_rows = [r for r in rows if unit_row is not None and r < unit_row] or rows[:1]
        seq, stem = self.read_title(title_rows)
        indicators = self.read_indicators(header_row, rows) if header_row is not None else []
        if header_row is None:
            self.note("WBE-E072", None, None, variant="header")
        report_unplaced(self.grid, rows, self.findings)
        return self.build(seq, stem, indicators)

    # -- fixed rows ---------------------------------------------------------------------------------
    def read_labelled(self, spec: RowSpec, r: int) -> None:
        filled = self.grid.filled(r)
        label_cols = [c for c, v in filled if self.is_label(v)]
        for c in label_cols:
            self.grid.take(r, c)
        before: str | None = None  # the last label left of the cell
        for cell in spec.cells:
            if cell.label:
                before = cell.label
                continue
            if cell.continues:
                continue
            if before is None:
                self.read_free(RowSpec(spec.id, spec.table, (cell,)), [r], {})
                continue
            col = self.grid.find_label(r, before)
            if col is None:
                continue
            nxt = min([c for c in label_cols if c > col], default=10**6)
            value = next(((c, v) for c, v in filled if col < c < nxt), None)  # the first filled cell between
            if value is not None:
                self.assign(cell, r, value[0], self.grid.take(r, value[0]))
            else:
                self.values.setdefault(cell.field or cell.template or "", "")

    def read_free(self, spec: RowSpec, rows: list[int], matched: dict[str, int | None]) -> None:
        """Cells under a label (3月底 → its value) or the row's free text (资金用途)."""
        free = [c for c in spec.cells if not c.label and not c.continues and not self.under(c)]
        for cell in spec.cells:
            under = self.under(cell)
            if under is None:
                continue
            head_spec, head_label = under
            head = matched.get(head_spec.id)
            col = self.grid.find_label(head, head_label) if head is not None else None
            if col is None or not rows:
                continue
            r = rows[0]
            self.assign(cell, r, col, self.grid.take(r, col))
        texts = [(r, c, v) for r in rows for c, v in self.grid.filled(r)
                 if (r, c) not in self.grid.used and not self.is_label(v)]
        for cell, (r, c, v) in zip(free, texts):
            self.grid.take(r, c)
            self.assign(cell, r, c, v)

    def under(self, cell: CellSpec) -> tuple[RowSpec, str] | None:
        return _under(self.template).get(id(cell))

    def assign(self, cell: CellSpec, r: int, c: int, value: Any) -> None:
        if cell.template is not None:
            match = inverse_pattern(cell.template, self.template.patterns).match(as_text(value).strip())
            if match is None:
                self.note("WBE-E071", r, c, value, "pattern", text=as_text(value), pattern=cell.template)
                return
            for key, text in match.groupdict().items():
                self.values[key.replace("__", ".")] = text.strip()
            return
        self.values[cell.field or ""] = value
        self.values[f"@{cell.field}"] = (r, c)

    # -- title ---------------------------------------------------------------------------------------
    def read_title(self, rows: list[int]) -> tuple[int | None, str]:
        pattern = inverse_pattern(self.template.title, self.template.patterns)
        for r in rows:
            for c, v in self.grid.filled(r):
                match = pattern.match(as_text(v).strip())
                if match:
                    self.grid.take(r, c)
                    return int(match.group("project__seq")), match.group("project__title")
        sheet_seq = re.match(r"^(\d+)", self.grid.name)
        self.note("WBE-E072", rows[0] if rows else None, 0 if rows else None, variant="title",
                  pattern=self.template.title)
        return (int(sheet_seq.group(1)) if sheet_seq else None), ""

    # -- indicators ----------------------------------------------------------------------------------
    def read_indicators(self, header_row: int, rows: list[int]) -> list[IndicatorValues]:
        """The indicator block under ``header_row``: one record per row that has its own indicator cells."""
        columns = self._indicator_columns(header_row)
        reader = _IndicatorRows(self.grid, columns)
        merged = [(spec.field or "") for _, _, spec in columns if spec.merge]
        indicators: list[IndicatorValues] = []
        previous: IndicatorValues = {}
        for r in rows[bisect.bisect_right(rows, header_row):]:
            values = reader.read(r)
            if values is None:
                continue  # a row without its own indicator cells: what is left in it is reported below
            self._continue_merges(r, values, previous, merged, columns[0][0])
            previous = values
            indicators.append(values)
        return indicators

    def _indicator_columns(self, header_row: int) -> list[tuple[int, int, CellSpec]]:
        """(first column, next header's column, cell spec) of each header the grammar's indicator block names
        and the sheet has; a missing header is reported."""
        block = grammar().indicator_header
        for c, v in self.grid.filled(header_row):
            if self.is_label(v):
                self.grid.take(header_row, c)
        found = {id(h): self.grid.find_label(header_row, h.label or "") for h in block.cells}
        heads = sorted((col, h) for h in block.cells if (col := found[id(h)]) is not None)
        columns: list[tuple[int, int, CellSpec]] = []
        for index, (col, head) in enumerate(heads):
            nxt = heads[index + 1][0] if index + 1 < len(heads) else 10**6
            spec = next((s for s in grammar().indicator_cells if s.col == head.col), None)
            if spec is not None:
                columns.append((col, nxt, spec))
        missing = [h.label for h in block.cells if found[id(h)] is None]
        if missing:
            self.note("WBE-E072", header_row, 0, variant="columns", labels="、".join(str(m) for m in missing))
        return columns

    def _continue_merges(self, r: int, values: IndicatorValues, previous: IndicatorValues, merged: list[str],
                         first_col: int) -> None:
        """A blank 一级/二级 cell continues the row above (a merge Excel lost); none above is reported."""
        for name in merged:
            if not values[name]:
                values[name] = previous.get(name, "")
                if not values[name]:
                    self.note("WBE-E071", r, first_col, variant="no_merge", row=r + 1,
                              name=BY_KIND["indicators"].header_of(name.split(".", 1)[1]))

    # -- typed values --------------------------------------------------------------------------------
    def build(self, seq: int | None, stem: str, indicator_values: list[dict[str, str]]):
        v = self.values
        spec = BY_KIND["projects"]

        def typed(name: str) -> Any:
            attr = name.split(".", 1)[1]
            raw = v.get(name, "")
            kind = spec.column(attr).kind
            if kind == "code":
                return parse_code(raw)
            if kind == "int":
                return parse_int(raw)
            if kind == "money":
                parsed = parse_number(raw, self.grid.date1904)
                if parsed.error:  # a number shown as a date is read, and said so
                    r, c = v.get(f"@{name}", (None, None))
                    variant, fields = unreadable_number(parsed)
                    self.note("WBE-E073", r, c, raw, variant, header=spec.header_of(attr), text=as_text(raw), **fields)
                return parsed.value
            return parse_text(raw)

        plan_cells = [parse_percent_cell(v.get(f"project.{q}", ""), self.grid.date1904) for q in ("q1", "q2", "q3", "q4")]
        for q, cell in zip(("q1", "q2", "q3", "q4"), plan_cells):
            r, c = v.get(f"@project.{q}", (None, None))
            if cell.style == "invalid" or (cell.style == "date" and cell.points is None):
                self.note("WBE-E073", r, c, cell.raw, "plan", text=as_text(cell.raw))
            elif cell.style == "date":
                self.note("WBE-E073", r, c, cell.raw, "date", header=spec.header_of(q), text=as_text(cell.raw),
                          number=format(cell.points, "f"))
        plan, _ = resolve_plan(plan_cells)
        name = typed("project.name")
        dept_code = parse_code(v.get("dept.code", ""))
        dept_name = as_text(v.get("dept.name", "")).strip()
        project = Project(dept_code, seq, typed("project.code"), name, stem if stem and stem != name else "",
                          typed("project.budget"), typed("project.fiscal"), typed("project.other"),
                          typed("project.purpose"), *plan, typed("project.goal"))  # type: ignore[call-arg, arg-type]  # *plan: the four quarters
        level1, level2, level3, description, value, basis = INDICATOR_KEYS
        indicators = [
            Indicator(dept_code, project.code, n, get(level1, ""), get(level2, ""), get(level3, ""),
                      get(description, ""), get(value, ""), get(basis, ""))
            for n, get in enumerate((values.get for values in indicator_values), start=1)
        ]
        return project, dept_code, dept_name, indicators


def report_unplaced(grid: Grid, rows: list[int], findings: list[Finding]) -> None:
    """Every non-empty cell that nothing took becomes a finding naming its sheet and cell."""
    for r in rows:
        for c, v in grid.filled(r):
            if (r, c) not in grid.used:
                _note(findings, "WBE-E071", grid.name, r, c, v, cell=cell_name(r + 1, c), text=as_text(v)[:40])


def read_unit(grid: Grid, templates: list[str]) -> dict[str, str]:
    """Department code/name/year from the unit line of the summary or department sheet."""
    patterns = project_template().patterns
    found: dict[str, str] = {}
    for r in grid.nonempty_rows()[:UNIT_SEARCH_ROWS]:
        for c, v in grid.filled(r):
            text = as_text(v).strip()
            for template in templates:
                match = inverse_pattern(template, patterns).match(text)
                if match and "{" in template:
                    grid.take(r, c)
                    found.update({k.replace("__", "."): g.strip() for k, g in match.groupdict().items() if g})
    return found


def read_goals(grid: Grid, code: str, name: str, year: int | None, findings: list[Finding]) -> list[Goal]:
    """部门整体绩效目标: section headings, then paragraphs, numbered items and measures."""
    form = grammar()
    sections = {label(s): c for s, c in zip(form.sections, CATEGORIES)}
    title = label(form.department_title)
    goals: list[Goal] = []
    category: str | None = None
    for r in grid.nonempty_rows():
        for c, v in grid.filled(r):
            if (r, c) in grid.used or c != 0:
                continue  # the paragraphs fill column A (merged across); anything beside them is reported
            text = parse_text(v)
            key = label(text)
            if key in sections:
                category = sections[key]
            elif key == title and category is None:
                pass
            elif category is None:
                _note(findings, "WBE-E071", grid.name, r, c, v, "before_heading", cell=cell_name(r + 1, c),
                      text=text[:40], heading=form.sections[0])
                continue
            else:
                same = [g for g in goals if g.category == category]
                if category == CATEGORIES[1]:
                    match = grammar().item_re.match(text)  # items may hold line breaks
                    if match and (not same or same[-1].content):
                        goals.append(Goal(code, name, year, category, int(match.group(1)), match.group(2), ""))
                    elif same and not same[-1].content:
                        same[-1].content = text
                    elif same:
                        same[-1].content += "\n" + text
                    else:
                        _note(findings, "WBE-E071", grid.name, r, c, v, "item", cell=cell_name(r + 1, c),
                              text=text[:30])
                        continue
                elif category == CATEGORIES[2]:
                    match = grammar().measure_re.match(text)
                    number = parse_chinese_number(match.group(1)) if match else None
                    if match and number is not None:
                        goals.append(Goal(code, name, year, category, number, "", match.group(2)))
                    else:
                        goals.append(Goal(code, name, year, category, len(same) + 1, "", text))
                else:
                    goals.append(Goal(code, name, year, category, len(same) + 1, "", text))
            grid.take(r, c)
    return goals


def refuse_canonical(path, sheet_names: list[str], settings: dict) -> None:
    """A canonical workbook given to extract is the wrong kind of file: say so, and what to use instead."""
    official = {settings["summary"]["sheet"], settings["department"]["sheet"]}
    canonical = {spec.kind for spec in (spec_for_sheet_name(n) for n in sheet_names) if spec is not None}
    if len(canonical) >= 2 and not official & set(sheet_names):
        raise UsageError(f"{path}：这是规范工作簿（部门目标/项目/指标），不是官方格式工作簿。"
                         "规范工作簿请用 wbe validate 校验；wbe extract 只读取 wbe render 生成（或照其格式填写）的官方工作簿。")


@dataclass
class FileResult:
    """What one official workbook holds: its department's goals, its projects with their indicators, and
    the findings about it (each naming the file)."""

    goals: list[Goal]
    projects: list[tuple[Project, list[Indicator]]]
    findings: list[Finding]

    # From a worker process (io/parallel.py) indicators travel as tuples: a third of the time to unpickle.
    def __getstate__(self) -> tuple:
        return self.goals, [(p, list(map(_indicator_values, found))) for p, found in self.projects], self.findings

    def __setstate__(self, state: tuple) -> None:
        self.goals, projects, self.findings = state
        self.projects = [(p, [Indicator(*values) for values in found]) for p, found in projects]


_indicator_values = operator.attrgetter(*(f.name for f in fields(Indicator)))


def read_official(path: str | os.PathLike[str]) -> FileResult:
    """Read one official workbook (guard, calamine, then placing every sheet's cells by the template)."""
    settings = workbook_template()
    findings: list[Finding] = []
    with CalamineWorkbook(path) as workbook:
        refuse_canonical(path, workbook.sheet_names, settings)
        grids = {name: Grid(workbook.grid(name)) for name in workbook.sheet_names}
    unit: dict[str, str] = {}
    summary = grids.get(settings["summary"]["sheet"])
    if summary is not None:
        cfg = settings["summary"]
        unit.update(read_unit(summary, [cfg["unit_left"], cfg["unit_middle"]]))
    department = grids.get(settings["department"]["sheet"])
    if department is not None:
        cfg = settings["department"]
        unit.update(read_unit(department, [cfg["unit_left"], cfg["unit_right"]]))
    file_projects: list[tuple[Project, list[Indicator]]] = []
    for name, grid in grids.items():
        if grid is summary or grid is department:
            continue
        if not ProjectSheetReader.recognises(grid):
            _note(findings, "WBE-W070", name, None, None, name=name)
            continue
        project, dept_code, dept_name, indicators = ProjectSheetReader(grid, findings).read()
        if not dept_code:
            project.dept_code = parse_code(unit.get("dept.code", ""))
            for indicator in indicators:
                indicator.dept_code = project.dept_code
        unit.setdefault("dept.code", project.dept_code)
        unit.setdefault("dept.name", dept_name)
        file_projects.append((project, indicators))
    code = parse_code(unit.get("dept.code", ""))
    year = parse_int(unit.get("dept.year_text", "")) if unit.get("dept.year_text") else None
    goals: list[Goal] = []
    if department is not None:
        goals = read_goals(department, code, unit.get("dept.name", ""), year, findings)
        if goals and year is None:
            _note(findings, "WBE-W074", department.name, None, None)
    for other in (summary, department):
        if other is not None:
            for r in other.nonempty_rows()[:2]:
                for c, _ in other.filled(r):
                    other.take(r, c)
    if department is not None:
        report_unplaced(department, department.nonempty_rows(), findings)
    return FileResult(goals, file_projects, [replace(f, file=str(path)) for f in findings])  # each names its file


def extract_workbooks(paths: Iterable[str | os.PathLike[str]], *, workers: int | None = None) -> tuple[Book, Report]:
    """Read official workbooks into one Book (any number of departments) and a report of what was not read.

    Several workbooks are shared with worker processes (``workers`` processes in all; by default one per
    CPU, see io/parallel.py); the book, the report and any error are the same as reading them one after
    another here.
    """
    paths = list(paths)
    report = Report(", ".join(str(p) for p in paths))
    book = Book()
    for result in map_in_order(read_official, paths, workers=workers):
        book.goals.extend(result.goals)
        for project, indicators in result.projects:
            book.projects.append(project)
            book.indicators.extend(indicators)
        report.extend(result.findings)
    report.sort()
    return book.sorted(), report


def extract_file_names(inputs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand folders to the .xlsx files in them (rendered output folders), sorted by name."""
    out: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            out.extend(sorted(p for p in path.glob("*.xlsx") if not p.name.startswith((".", "~$"))))
        else:
            out.append(path)
    return out
