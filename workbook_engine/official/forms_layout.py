"""The budget-year forms as data: load templates/monitor-form.toml and evaluation-form.toml and lay one
project's form out as rows of cells on the template's grid.

Format-neutral, like layout.py: the Excel renderer (forms_render.py), the reader (forms_extract.py) and the
Word tables (publish/forms.py) share these rows. A cell says where its value comes from (a label, a field of
the project, the department, an indicator or a 监控/自评 record, a tick column of a multiple choice, or a live
formula), whether staff fill it in (``input``) and whether it shows a goal that the form must not change
(``goal``). Values are looked up through a ``FormValues`` mapping the caller fills.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..errors import InputError
from ..layout import CellSpec, _read_toml, template_dir

MONITOR = "monitor"
EVALUATION = "evaluation"
FORM_TEMPLATES = {MONITOR: "monitor-form.toml", EVALUATION: "evaluation-form.toml"}
FORM_NAMES = {MONITOR: "项目支出绩效目标执行监控表", EVALUATION: "项目支出绩效自评表"}
DEFAULT_PERIOD = "1-7月"
PERIOD_FIELD = "{period}"
_PERIOD_RE = re.compile(r"^\s*(\d{1,2})\s*(?:[-—–~～至到]\s*(\d{1,2}))?\s*月?\s*$")
_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+(?:\.[a-z0-9_]+)*|[a-z_]+\.extra\.[^}]+)\}")


def normalize_period(text: str) -> str:
    """``1-7``, ``1—7月``, ``1至7月`` -> ``1-7月``; a single month ``7`` -> ``1-7月``. InputError when unreadable."""
    match = _PERIOD_RE.match(str(text))
    if not match:
        raise InputError(f"监控期间“{text}”应写成如 1-7 或 1-7月 的形式。")
    first, last = (match.group(1), match.group(2)) if match.group(2) else ("1", match.group(1))
    if not (1 <= int(first) <= int(last) <= 12):
        raise InputError(f"监控期间“{text}”的月份应在 1 到 12 之间，且起月不晚于止月。")
    return f"{int(first)}-{int(last)}月"


@dataclass(frozen=True)
class FormCellSpec(CellSpec):
    """One cell of a form template: a goal table's cell (layout.CellSpec) that may also be a tick box for one
    option, a formula, a cell staff fill in, or a goal cell read back and compared."""

    id: str | None = None
    tick: str | None = None
    option: str | None = None
    formula: str | None = None
    input: bool = False
    goal: bool = False
    header: str = ""

    @property
    def source(self) -> str | None:
        """The record field this cell reads and writes (a tick column: its multiple-choice field)."""
        return self.field or self.tick


@dataclass(frozen=True)
class FormRowSpec:
    id: str
    cells: tuple[FormCellSpec, ...]

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.cells if c.label]

    def cell(self, cell_id: str) -> FormCellSpec | None:
        return next((c for c in self.cells if c.id == cell_id), None)


@dataclass(frozen=True)
class FormTemplate:
    kind: str
    name: str
    columns: int
    column_widths: tuple[float, ...]
    sheet_name: str
    title: str
    title_style: str
    orientation: str
    header: str
    period: str
    rows: tuple[FormRowSpec, ...]
    indicator_header: tuple[FormRowSpec, ...]
    indicator_cells: tuple[FormCellSpec, ...]
    helpers: tuple[FormCellSpec, ...]
    formulas: Mapping[str, str]
    tick_text: Mapping[str, str]
    footer: tuple[FormRowSpec, ...]

    @property
    def title_pattern(self) -> re.Pattern[str]:
        """The filled title read back: the 年度 as group ``year``."""
        head, _, tail = self.title.partition("{dept.year_text}")
        return re.compile("^" + re.escape(head) + r"\s*(?P<year>\d{4})?\s*" + re.escape(tail) + "$")

    def indicator(self, cell_id: str) -> FormCellSpec | None:
        return next((c for c in (*self.indicator_cells, *self.helpers) if c.id == cell_id), None)


def _cells(raw: list[dict[str, Any]], columns: int, where: str, name: str, *, helpers: bool = False
           ) -> tuple[FormCellSpec, ...]:
    cells: list[FormCellSpec] = []
    col = columns if helpers else 0
    for item in raw:
        span = int(item.get("span", 1))
        cells.append(FormCellSpec(
            col, span, item.get("style", "text"), label=item.get("label"), field=item.get("field"),
            template=item.get("template"), continues=bool(item.get("continue", False)),
            merge=tuple(item.get("merge", ())), id=item.get("id"), tick=item.get("tick"),
            option=item.get("option"), formula=item.get("formula"), input=bool(item.get("input", False)),
            goal=bool(item.get("goal", False)), header=item.get("header", "")))
        col += span
    if not helpers and col != columns:
        raise InputError(f"版式模板 {name}：{where} 的各格共占 {col} 列，应为 {columns} 列。")
    return tuple(cells)


@functools.lru_cache(maxsize=8)
def _form_template(kind: str, directory: str) -> FormTemplate:
    name = FORM_TEMPLATES[kind]
    data = _read_toml(name)
    columns = int(data["columns"])
    widths = tuple(float(w) for w in data["column_widths"])
    if len(widths) != columns:
        raise InputError(f"版式模板 {name}：column_widths 有 {len(widths)} 列，应为 {columns} 列。")

    def rows(raw: list[dict[str, Any]]) -> tuple[FormRowSpec, ...]:
        return tuple(FormRowSpec(r["id"], _cells(r["cells"], columns, f"行 {r['id']}", name)) for r in raw)

    ind = data["indicators"]
    return FormTemplate(
        kind=kind, name=data.get("name", FORM_NAMES[kind]), columns=columns, column_widths=widths,
        sheet_name=data["sheet_name"], title=data["title"]["template"], title_style=data["title"].get("style", "title"),
        orientation=data.get("orientation", "portrait"), header=data.get("header", ""),
        period=data.get("period", DEFAULT_PERIOD), rows=rows(data.get("rows", [])),
        indicator_header=tuple(FormRowSpec(f"indicator_header{n}", _cells(r, columns, "指标表标题行", name))
                               for n, r in enumerate(ind["header"])),
        indicator_cells=_cells(ind["cells"], columns, "指标行", name),
        helpers=_cells(ind.get("helpers", []), columns, "辅助列", name, helpers=True),
        formulas=dict(ind.get("formulas", {})), tick_text=dict(ind.get("tick_text", {})),
        footer=rows(data.get("footer", [])),
    )


def form_template(kind: str) -> FormTemplate:
    """The template of a form (``monitor`` or ``evaluation``), cached per template folder."""
    if kind not in FORM_TEMPLATES:
        raise InputError(f"未知的表格“{kind}”：只能是 {'、'.join(FORM_TEMPLATES)}。")
    return _form_template(kind, str(template_dir()))


# --- laid-out rows ------------------------------------------------------------------------------------------

@dataclass
class FormCell:
    """A cell of a laid-out form: its place, its typed value (or formula) and its role."""

    col: int
    span: int
    style: str
    value: Any = None
    kind: str = "text"       # text, money, number, ratio, formula
    rowspan: int = 1
    covered: bool = False
    spec: FormCellSpec | None = None
    formula: str | None = None  # resolved to A1 references by the renderer

    @property
    def input(self) -> bool:
        return self.spec is not None and self.spec.input

    @property
    def goal(self) -> bool:
        return self.spec is not None and self.spec.goal


@dataclass
class FormRow:
    id: str
    section: str              # "fixed", "header", "indicator", "footer"
    cells: list[FormCell]
    helpers: list[FormCell] = field(default_factory=list)
    index: int | None = None  # the indicator's position (0-based) for indicator rows


# A field's value for the current project / indicator: the caller's lookup.
Lookup = Callable[[str], Any]
TICKS = ("√", "✓", "✔", "☑", "是", "1", "v", "V", "x", "X")
UNTICKED = ("", "否", "0", "无", "×", "☐", "-", "—")
MONEY_STYLES = ("money",)
NUMBER_STYLES = ("points", "total_points")


def fill_text(template: str, lookup: Lookup, period: str) -> str:
    """A template string with its {record.field} placeholders (and {period}) replaced by text."""
    def one(match: re.Match[str]) -> str:
        value = lookup(match.group(1))
        return "" if value is None else str(value)
    return _PLACEHOLDER_RE.sub(one, template.replace(PERIOD_FIELD, period))


def label_text(label: str, period: str) -> str:
    return label.replace(PERIOD_FIELD, period)


def split_choices(text: str) -> list[str]:
    """A multiple-choice text (经费保障、制度保障) as its options."""
    return [part.strip() for part in re.split(r"[、,，;；/\s]+", text or "") if part.strip()]


def _kind_of(spec: FormCellSpec) -> str:
    if spec.formula:
        return "formula"
    if spec.style in MONEY_STYLES:
        return "money"
    if spec.style in NUMBER_STYLES:
        return "number"
    return "text"


def _cell(spec: FormCellSpec, lookup: Lookup, period: str, tick_text: Mapping[str, str]) -> FormCell:
    kind = _kind_of(spec)
    if spec.continues:
        return FormCell(spec.col, spec.span, spec.style, None, kind, covered=True, spec=spec)
    if spec.label is not None:
        return FormCell(spec.col, spec.span, spec.style, label_text(spec.label, period), "text", spec=spec)
    if spec.template is not None:
        return FormCell(spec.col, spec.span, spec.style, fill_text(spec.template, lookup, period), "text", spec=spec)
    if spec.formula is not None:
        return FormCell(spec.col, spec.span, spec.style, None, "formula", spec=spec, formula=spec.formula)
    if spec.tick is not None:
        chosen = split_choices(str(lookup(spec.tick) or ""))
        value = ""
        if spec.option in chosen:
            note_field = tick_text.get(spec.tick)
            note = str(lookup(note_field) or "") if note_field else ""
            first = next((c for c in chosen), None)
            value = note if note and first == spec.option else "√"
        return FormCell(spec.col, spec.span, spec.style, value, "text", spec=spec)
    looked_up = lookup(spec.field) if spec.field else None
    return FormCell(spec.col, spec.span, spec.style, looked_up, kind, spec=spec)


def _merge_vertically(rows: list[FormRow]) -> None:
    anchors: dict[int, FormCell] = {}
    for row in rows:
        for cell in row.cells:
            if cell.covered and cell.col in anchors:
                anchors[cell.col].rowspan += 1
            elif not cell.covered:
                anchors[cell.col] = cell


def form_layout(template: FormTemplate, project_lookup: Lookup, indicator_lookups: list[Lookup],
                period: str) -> list[FormRow]:
    """The rows of one project's form (unit line first, title excluded), with vertical merges resolved."""
    ticks = template.tick_text
    rows = [FormRow(row.id, "fixed", [_cell(c, project_lookup, period, ticks) for c in row.cells])
            for row in template.rows]
    for header in template.indicator_header:
        rows.append(FormRow(header.id, "header", [_cell(c, project_lookup, period, ticks) for c in header.cells]))
    previous: dict[int, tuple[Any, ...]] = {}
    for index, lookup in enumerate(indicator_lookups):
        cells = []
        for spec in template.indicator_cells:
            cell = _cell(spec, lookup, period, ticks)
            if spec.formula is not None:
                cell.formula = template.formulas.get(spec.formula, spec.formula)
            if spec.merge:
                key = tuple(lookup(n) for n in spec.merge)
                if previous.get(spec.col) == key:
                    cell.covered = True
                previous[spec.col] = key
            cells.append(cell)
        helpers = [_cell(spec, lookup, period, ticks) for spec in template.helpers]
        rows.append(FormRow("indicator", "indicator", cells, helpers, index))
    for footer in template.footer:
        rows.append(FormRow(footer.id, "footer", [_cell(c, project_lookup, period, ticks) for c in footer.cells]))
    _merge_vertically(rows)
    return rows
