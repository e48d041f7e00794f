"""The official layout as data: load templates/*.toml and lay a project out as rows of cells with spans.

Format-neutral on purpose: the Excel renderer, the reader of edited sheets (extract), the text export and
a Word renderer all take their rows, merges, labels and styles from here, so the layout has one source.
A cell is placed on the template's column grid by ``col`` and ``span``; a vertical merge is an anchor
cell with ``rowspan`` > 1 and ``covered`` cells below it. Styles are abstract names (official-workbook.toml).
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from .errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, packaged as tomli
    import tomli as tomllib
from .framework import canonical_level1, canonical_level2
from .model import Department, Indicator, Project
from .sheets import BY_KIND
from .values import decimals_of

TEMPLATE_DIR_ENV = "WBE_TEMPLATE_DIR"
PROJECT_TEMPLATE = "project-table.toml"
WORKBOOK_TEMPLATE = "official-workbook.toml"
PUBLISH_TEMPLATE = "publish.toml"
_MISSING = object()
_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+(?:\.[a-z0-9_]+)?)\}")


def template_dir() -> Path:
    """The folder named by WBE_TEMPLATE_DIR (a county's own layout), else the templates shipped in the package
    (an installed wheel: setup.py copies templates/ to workbook_engine/templates), else the repository's
    templates/ beside the package (a checkout or an editable install)."""
    override = os.environ.get(TEMPLATE_DIR_ENV)
    if override:
        return Path(override)
    return _installed_template_dir()


@functools.lru_cache(maxsize=1)  # resolved once: render and extract ask for the templates once per sheet
def _installed_template_dir() -> Path:
    shipped = importlib.resources.files(__package__ or "workbook_engine") / "templates"
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parent.parent / "templates"


def _read_toml(name: str) -> dict[str, Any]:
    path = template_dir() / name
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise InputError(f"{path}：找不到版式模板。请检查 templates/ 文件夹或环境变量 {TEMPLATE_DIR_ENV}。") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}：版式模板格式有误（{exc}）。") from None


@dataclass(frozen=True)
class CellSpec:
    """One cell of the template: where it sits, what text it shows, how it looks."""

    col: int
    span: int
    style: str
    label: str | None = None
    field: str | None = None
    template: str | None = None
    continues: bool = False
    merge: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowSpec:
    id: str
    table: int
    cells: tuple[CellSpec, ...]

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.cells if c.label]


@dataclass(frozen=True)
class ProjectTemplate:
    name: str
    columns: int
    column_widths: tuple[float, ...]
    sheet_name: str
    title: str
    title_style: str
    patterns: dict[str, str]
    rows: tuple[RowSpec, ...]
    indicator_table: int
    indicator_header: RowSpec
    indicator_cells: tuple[CellSpec, ...]

    def field_pattern(self, name: str) -> str:
        return self.patterns.get(name, ".*?")


def _cells(raw: list[dict[str, Any]], columns: int, where: str) -> tuple[CellSpec, ...]:
    cells: list[CellSpec] = []
    col = 0
    for item in raw:
        span = int(item.get("span", 1))
        cells.append(CellSpec(col, span, item.get("style", "text"), item.get("label"), item.get("field"),
                              item.get("template"), bool(item.get("continue", False)),
                              tuple(item.get("merge", ()))))
        col += span
    if col != columns:
        raise InputError(f"版式模板 {PROJECT_TEMPLATE}：{where} 的各格共占 {col} 列，应为 {columns} 列。")
    return tuple(cells)


@functools.lru_cache(maxsize=4)
def _project_template(directory: str) -> ProjectTemplate:
    data = _read_toml(PROJECT_TEMPLATE)
    columns = int(data["columns"])
    rows = tuple(RowSpec(r["id"], int(r.get("table", 1)), _cells(r["cells"], columns, f"行 {r['id']}"))
                 for r in data["rows"])
    ind = data["indicators"]
    return ProjectTemplate(
        name=data.get("name", ""), columns=columns, column_widths=tuple(data["column_widths"]),
        sheet_name=data["sheet_name"], title=data["title"]["template"], title_style=data["title"]["style"],
        patterns=dict(data.get("patterns", {})), rows=rows, indicator_table=int(ind.get("table", 2)),
        indicator_header=RowSpec("indicator_header", int(ind.get("table", 2)),
                                 _cells(ind["header"], columns, "指标表标题行")),
        indicator_cells=_cells(ind["cells"], columns, "指标行"),
    )


def project_template() -> ProjectTemplate:
    """The project-table template (cached per template folder)."""
    return _project_template(str(template_dir()))


@functools.lru_cache(maxsize=4)
def _workbook_template(directory: str) -> dict[str, Any]:
    return _read_toml(WORKBOOK_TEMPLATE)


def workbook_template() -> dict[str, Any]:
    """Styles, print setup, summary and department sheet settings (official-workbook.toml)."""
    return _workbook_template(str(template_dir()))


@functools.lru_cache(maxsize=4)
def _publish_template(directory: str) -> dict[str, Any]:
    return _read_toml(PUBLISH_TEMPLATE)


def publish_template() -> dict[str, Any]:
    """Page, typography, cover, contents and part headings of the published document (publish.toml)."""
    return _publish_template(str(template_dir()))


# --- values -------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def field_kind(name: str) -> str:
    """'money', 'percent' or 'text' for a template field, from the canonical column kinds."""
    record, _, attr = name.partition(".")
    kind_of = {"project": "projects", "indicator": "indicators"}.get(record)
    if kind_of is None:
        return "text"
    spec = BY_KIND[kind_of]
    if attr in spec.fields:
        return {"money": "money", "percent": "percent"}.get(spec.column(attr).kind, "text")
    return "text"


def percent_decimals(points: Decimal) -> int:
    return min(decimals_of(Decimal(points)), 4)


def display_text(value: Any, kind: str) -> str:
    """A value as the official document shows it: 200.00, 25%, text as typed."""
    if value is None or value == "":
        return ""
    if kind == "money":
        return f"{Decimal(value):.2f}"
    if kind == "percent":
        points = Decimal(value)
        return f"{points:.{percent_decimals(points)}f}%"
    return str(value)


def standard_level(indicator: Indicator, attr: str) -> str:
    """An indicator's 一级/二级 name in its standard form (数量 -> 数量指标) for printed outputs; the name as
    typed when it is not one the framework knows (validation reports those). Validation warns (WBE-W050)."""
    level1 = canonical_level1(indicator.level1)
    if attr == "level1":
        return level1 or indicator.level1
    return canonical_level2(level1, indicator.level2) or indicator.level2


@dataclass
class Context:
    """The records a template's fields refer to."""

    project: Project | None = None
    dept: Department | None = None
    indicator: Indicator | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        if name in self.extra:
            return self.extra[name]
        record, _, attr = name.partition(".")
        if record == "dept" and self.dept is not None:
            if attr == "year_text":
                return "" if self.dept.year is None else str(self.dept.year)
            if attr == "year_prefix":
                return "" if self.dept.year is None else f"{self.dept.year}年度"
            return getattr(self.dept, attr)
        if record == "indicator" and attr in ("level1", "level2") and self.indicator is not None:
            return standard_level(self.indicator, attr)
        target = self.project if record == "project" else self.indicator if record == "indicator" else None
        value = getattr(target, attr, _MISSING)
        if value is _MISSING:
            raise InputError(f"版式模板引用了未知字段 {{{name}}}。")
        return value

    def fill(self, template: str) -> str:
        """A template string with its {record.field} placeholders replaced by display text."""
        return _PLACEHOLDER_RE.sub(lambda m: display_text(self.get(m.group(1)), field_kind(m.group(1))),
                                   template)


def inverse_pattern(template: str, patterns: dict[str, str]) -> re.Pattern[str]:
    """A regex that reads a filled template back: '{project.seq}.{project.title}绩效目标表' -> groups."""
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER_RE.finditer(template):
        parts.append(re.escape(template[position:match.start()]))
        group = match.group(1).replace(".", "__")
        parts.append(f"(?P<{group}>{patterns.get(match.group(1), '.*?')})")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("^" + "".join(parts) + "$", re.S)


# --- laid-out rows ------------------------------------------------------------------------------------

@dataclass(slots=True)  # 246,000 of them for the county's render
class Cell:
    """A cell of a laid-out project: its place on the grid and its typed value."""

    col: int
    span: int
    style: str
    value: Any = None
    kind: str = "text"
    rowspan: int = 1
    covered: bool = False
    spec: CellSpec | None = None

    @property
    def text(self) -> str:
        return "" if self.covered else display_text(self.value, self.kind)


@dataclass
class Row:
    id: str
    table: int
    cells: list[Cell]


def _cell(spec: CellSpec, context: Context) -> Cell:
    if spec.label is not None:
        return Cell(spec.col, spec.span, spec.style, spec.label, "text", spec=spec)
    if spec.template is not None:
        return Cell(spec.col, spec.span, spec.style, context.fill(spec.template), "text", spec=spec)
    if spec.field is not None:
        return Cell(spec.col, spec.span, spec.style, context.get(spec.field), field_kind(spec.field), spec=spec)
    return Cell(spec.col, spec.span, spec.style, None, "text", covered=spec.continues, spec=spec)


def _merge_vertically(rows: list[Row]) -> None:
    """Covered cells extend the rowspan of the anchor above them in the same column."""
    anchors: dict[int, Cell] = {}
    for row in rows:
        for cell in row.cells:
            if cell.covered and cell.col in anchors:
                anchors[cell.col].rowspan += 1
            elif not cell.covered:
                anchors[cell.col] = cell


def title_text(project: Project, dept: Department | None = None) -> str:
    return Context(project, dept).fill(project_template().title)


def _reader(name: str):
    """Context.get(name) for a context without extra fields, as a function of the context: the field's
    record and attribute are looked up once per template cell instead of once per indicator."""
    record, _, attr = name.partition(".")
    if record == "indicator" and attr in ("level1", "level2"):
        return lambda context: (standard_level(context.indicator, attr) if context.indicator is not None
                                else context.get(name))
    if record == "indicator":
        def read(context: Context) -> Any:
            value = getattr(context.indicator, attr, _MISSING)
            return context.get(name) if value is _MISSING else value  # get raises for an unknown field
        return read
    return lambda context: context.get(name)


def project_layout(project: Project, dept: Department, indicators: Iterable[Indicator]) -> list[Row]:
    """The rows of one project's tables (unit line first, title excluded), with merges resolved."""
    template = project_template()
    context = Context(project, dept)
    rows = [Row(spec.id, spec.table, [_cell(c, context) for c in spec.cells]) for spec in template.rows]
    header = template.indicator_header
    rows.append(Row(header.id, header.table, [_cell(c, context) for c in header.cells]))
    # Each field an indicator row shows or compares is read once per indicator (一级指标 is shown and compared
    # by two merges), by a reader made once per field (the field's record and attribute looked up once).
    readers: dict[str, Any] = {}
    for spec in template.indicator_cells:
        for read_name in ((spec.field,) if spec.field and spec.label is None and spec.template is None else ()) \
                + spec.merge:
            readers.setdefault(read_name, _reader(read_name))
    plan = [(spec, spec.field if spec.label is None and spec.template is None else None,
             field_kind(spec.field) if spec.field else "text", spec.merge)
            for spec in template.indicator_cells]
    previous: dict[int, tuple] = {}
    table = template.indicator_table
    for indicator in indicators:
        context.indicator = indicator
        values = {name: read(context) for name, read in readers.items()}
        cells = []
        for spec, name, kind, merge in plan:
            if name is None:
                cell = _cell(spec, context)
            else:
                cell = Cell(spec.col, spec.span, spec.style, values[name], kind, spec=spec)
            if merge:
                key = tuple(values[n] for n in merge)
                if previous.get(spec.col) == key:
                    cell.covered = True
                previous[spec.col] = key
            cells.append(cell)
        rows.append(Row("indicator", table, cells))
    _merge_vertically(rows)
    return rows


def flat_text(rows: list[Row]) -> list[list[str]]:
    """Each row's cells as the document shows them (a covered cell is an empty string)."""
    return [[cell.text for cell in row.cells] for row in rows]
