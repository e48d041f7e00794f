"""The Excel renderer of the budget-year forms: one sheet per project (监控表 or 自评表), live formulas, the goals
locked and the cells left for staff unlocked and shaded, and a hidden sheet that keeps the goals as rendered.

Positions, labels, styles and formulas come from the form templates (forms_layout.py); styles, fonts, row
heights and print setup from official-workbook.toml, as for the official workbook (render.py).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, fields, is_dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import xlsxwriter

from ..a1 import cell_name
from ..canonical_writer import WORKBOOK_OPTIONS
from ..io.atomic import atomic_path
from ..io.cell_text import excel_text
from ..layout import workbook_template
from ..model import Book, Department
from ..safe_names import unique_sheet_names
from ..year_config import YearConfig
from .forms_layout import EVALUATION, FormCell, FormRow, FormTemplate, fill_text, form_layout, form_template
from .forms_values import (
    ProjectForm,
    budget_score,
    grade_of,
    indicator_score,
    is_not_applicable,
    parse_target,
    project_forms,
    total_score,
)
from .heights import text_height
from .render import A4, CM_PER_INCH

# The hidden sheet that keeps the goals (and the year sheets) as rendered: extract keeps these and reports
# any change typed over them in the form (WBE-W221).
DATA_SHEET = "目标数据"
DATA_NOTE = "本表由 wbe render --form 生成，保存渲染时的绩效目标，供 wbe extract 核对。请勿修改。"
INPUT_FILL = "#FFF2CC"
EXTRA_STYLES: dict[str, dict[str, Any]] = {
    "ratio": {"align": "center", "valign": "center", "border": True, "number": "ratio"},
    "points": {"align": "center", "valign": "center", "border": True, "number": "points"},
    "total_points": {"align": "center", "valign": "center", "border": True, "bold": True, "number": "points"},
}
NUMBER_FORMATS = {"money": "0.00", "text": "@", "ratio": "0.00%", "points": "0.00"}
_REF_RE = re.compile(r"\{([a-z_0-9]+)(?:\.([a-z_0-9]+))?\}")
# A county's figure in a formula: {config.weights.预算执行率}, {config.qualitative.达成}, {config.grades.优}
# (year_config.YearConfig, from the wbe.toml beside the book).
_CONFIG_RE = re.compile(r"\{config\.(weights|qualitative|grades)\.([^{}.]+)\}")


class FormStyles:
    """Abstract template styles -> xlsxwriter formats, with an unlocked, shaded variant for staff's cells."""

    def __init__(self, workbook: xlsxwriter.Workbook, settings: dict[str, Any]):
        self.workbook = workbook
        self.styles = {**settings["styles"], **EXTRA_STYLES}
        self.fonts = settings["fonts"]
        self.cache: dict[tuple[str, bool], Any] = {}

    def get(self, style: str, input_cell: bool = False) -> Any:
        key = (style, input_cell)
        found = self.cache.get(key)
        if found is not None:
            return found
        props = self.styles[style]
        font = props.get("font", "body")
        spec: dict[str, Any] = {
            "font_name": self.fonts[font], "font_size": props.get("size", self.fonts[f"{font}_size"]),
            "bold": bool(props.get("bold")), "align": props.get("align", "left"),
            "valign": "vcenter" if props.get("valign", "center") == "center" else "top",
            "text_wrap": bool(props.get("wrap", True)),
        }
        if props.get("border"):
            spec["border"] = 1
        number = NUMBER_FORMATS.get(props.get("number", ""))
        if number:
            spec["num_format"] = number
        if input_cell:
            spec.update(locked=False, bg_color=INPUT_FILL)
        found = self.cache[key] = self.workbook.add_format(spec)
        return found


@dataclass
class RenderedForm:
    path: Path
    department: Department
    kind: str
    projects: int
    indicators: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "dept_code": self.department.code, "dept_name": self.department.name,
                "form": self.kind, "projects": self.projects, "indicators": self.indicators}


# --- formulas ------------------------------------------------------------------------------------------------

@dataclass
class Placed:
    """Where the rows of one form sit: Excel row (0-based) of each row, by id and per indicator."""

    rows: list[FormRow]
    first: int  # Excel row of rows[0]

    def row_of(self, row_id: str) -> int | None:
        for index, row in enumerate(self.rows):
            if row.id == row_id and row.section != "indicator":
                return self.first + index
        return None

    def indicator_rows(self) -> list[int]:
        return [self.first + i for i, row in enumerate(self.rows) if row.section == "indicator"]


def _col_of(cells: Iterable[FormCell], cell_id: str) -> int | None:
    return next((c.col for c in cells if c.spec is not None and c.spec.id == cell_id), None)


def config_figures(formula: str, config: YearConfig) -> str:
    """A template formula with its {config.table.name} figures written in (the county's wbe.toml)."""
    def one(match: re.Match[str]) -> str:
        table: dict[str, Decimal] = getattr(config, match.group(1))
        if match.group(2) not in table:
            raise ValueError(f"formula figure {match.group(0)} not in the year configuration")
        return format(table[match.group(2)].normalize(), "f")

    return _CONFIG_RE.sub(one, formula)


def resolve(formula: str, row: FormRow, at: int, placed: Placed, template: FormTemplate,
            config: YearConfig | None = None) -> str:
    """A template formula with its {id}, {row.id} and {indicators.id} references as A1 references, and the
    county's figures ({config.…}) as numbers."""
    formula = config_figures(formula, config or YearConfig())
    own = [*row.cells, *row.helpers]

    def one(match: re.Match[str]) -> str:
        first, second = match.group(1), match.group(2)
        if second is None:
            col = _col_of(own, first)
            if col is None:
                raise ValueError(f"formula reference {{{first}}} not in row {row.id}")
            return cell_name(at + 1, col)
        if first == "indicators":
            spec = template.indicator(second)
            if spec is None:
                raise ValueError(f"formula reference {{indicators.{second}}} unknown")
            found = placed.indicator_rows()
            if not found:
                header = placed.row_of(template.indicator_header[0].id) or at
                return cell_name(header + 1, spec.col)
            return f"{cell_name(found[0] + 1, spec.col)}:{cell_name(found[-1] + 1, spec.col)}"
        other = placed.row_of(first)
        if other is None:
            raise ValueError(f"formula reference {{{first}.{second}}}: no row {first}")
        col = _col_of(placed.rows[other - placed.first].cells, second)
        if col is None:
            raise ValueError(f"formula reference {{{first}.{second}}} unknown")
        return cell_name(other + 1, col)

    return _REF_RE.sub(one, formula)


# --- cached values (what Excel shows before it recalculates) --------------------------------------------------

def cached_values(form: ProjectForm, rows: list[FormRow]) -> dict[tuple[int, int], Any]:
    """The value each formula cell shows, computed by the engine (row index in ``rows``, column)."""
    out: dict[tuple[int, int], Any] = {}
    rates: dict[str, Decimal | None] = {}
    record = form.record
    for r, row in enumerate(rows):
        if row.section == "fixed" and row.id.startswith("funds_"):
            full = _number(_cell_value(row, "full"))
            executed = _number(_cell_value(row, "executed"))
            rate = executed / full if full is not None and executed is not None and full > 0 else None
            rates[row.id] = rate
            for cell in row.cells:
                if cell.spec is None or cell.spec.formula is None:
                    continue
                if cell.spec.id == "rate":
                    out[(r, cell.col)] = "" if rate is None else float(rate)
                elif cell.spec.id == "score":
                    score = budget_score(full, executed, form.budget_points)
                    out[(r, cell.col)] = "" if score is None else float(score)
    budget = None
    if form.kind == EVALUATION:
        budget = budget_score(_number(getattr(record, "full_budget", None)),
                              _number(getattr(record, "executed", None)), form.budget_points)
    scored: list[tuple[Decimal | None, Decimal | None, bool]] = []
    for r, row in enumerate(rows):
        if row.section != "indicator" or row.index is None:
            continue
        indicator = form.indicators[row.index]
        actual = str(_cell_value(row, "actual") or "")
        points = _number(_cell_value(row, "points"))
        score = indicator_score(parse_target(indicator.value), actual, points, form.config)
        scored.append((score, points, not is_not_applicable(actual)))
        for cell in [*row.cells, *row.helpers]:
            if cell.spec is None or cell.spec.formula is None:
                continue
            if cell.spec.id == "score":
                out[(r, cell.col)] = "" if score is None else float(score)
            elif cell.spec.id == "applies":
                out[(r, cell.col)] = 0 if is_not_applicable(actual) else 1
    total = total_score(budget, scored, form.budget_points) if form.kind == EVALUATION else None
    for r, row in enumerate(rows):
        if row.section != "footer":
            continue
        for cell in row.cells:
            if cell.spec is None or cell.spec.formula is None:
                continue
            if cell.spec.id == "points":
                out[(r, cell.col)] = 100
            elif cell.spec.id == "score":
                out[(r, cell.col)] = "" if total is None else float(total)
            elif cell.spec.id == "grade":
                out[(r, cell.col)] = grade_of(total, form.config)
    return out


def _cell_value(row: FormRow, cell_id: str) -> Any:
    return next((c.value for c in [*row.cells, *row.helpers] if c.spec is not None and c.spec.id == cell_id), None)


def _number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


# --- the workbook --------------------------------------------------------------------------------------------

def _write(sheet: Any, r: int, c: int, last_r: int, last_c: int, cell: FormCell, fmt: Any,
           formula: str | None, cached: Any) -> None:
    merged = last_r > r or last_c > c
    if merged:
        sheet.merge_range(r, c, last_r, last_c, "", fmt)
    if formula is not None:
        sheet.write_formula(r, c, formula, fmt, "" if cached is None else cached)
        return
    value = cell.value
    if value is None or value == "":
        sheet.write_blank(r, c, None, fmt)
    elif cell.kind in ("money", "number") and not isinstance(value, str):
        sheet.write_number(r, c, float(Decimal(value)), fmt)
    elif isinstance(value, Decimal):
        sheet.write_number(r, c, float(value), fmt)
    else:
        sheet.write_string(r, c, excel_text(str(value)), fmt)


def _print_setup(sheet: Any, settings: dict[str, Any], template: FormTemplate, form: ProjectForm) -> None:
    cfg = settings["print"]
    inch = 1 / CM_PER_INCH
    sheet.set_paper(A4)
    if template.orientation == "landscape":
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.fit_to_pages(1, 0)
    sheet.center_horizontally()
    sheet.set_margins(left=cfg["margin_left"] * inch, right=cfg["margin_right"] * inch,
                      top=cfg["margin_top"] * inch, bottom=cfg["margin_bottom"] * inch)
    header = fill_text(template.header, form.project_lookup(), form.period).replace("&", "&&")[:200]
    footer = cfg.get("footer", "").replace("&", "&&").replace("{page}", "&P").replace("{pages}", "&N")
    if header:
        sheet.set_header("&C" + header, {"margin": cfg["margin_header"] * inch})
    if footer:
        sheet.set_footer("&C" + footer, {"margin": cfg["margin_footer"] * inch})
    sheet.repeat_rows(0)
    last = template.columns - 1
    sheet.print_area(0, 0, sheet.dim_rowmax or 0, last)


def write_form_sheet(workbook: xlsxwriter.Workbook, styles: FormStyles, name: str, form: ProjectForm,
                     template: FormTemplate, settings: dict[str, Any]) -> None:
    sheet = workbook.add_worksheet(name)
    widths = template.column_widths
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    helper_count = len(template.helpers)
    if helper_count:
        sheet.set_column(template.columns, template.columns + helper_count - 1, 8, None, {"hidden": True})
    heights = settings["heights"]
    title = fill_text(template.title, form.project_lookup(), form.period)
    scale = settings["fonts"]["title_size"] / settings["fonts"]["body_size"]
    sheet.set_row(0, max(heights["title"], text_height(title, sum(widths) / scale,
                                                       {**heights, "line": heights["line"] * scale})))
    sheet.merge_range(0, 0, 0, template.columns - 1, title, styles.get(template.title_style))
    rows = form_layout(template, form.project_lookup(), form.indicator_lookups(), form.period)
    placed = Placed(rows, 1)
    cached = cached_values(form, rows)
    for index, row in enumerate(rows):
        at = index + 1
        height = heights["minimum"]
        for cell in row.cells:
            if cell.covered:
                continue
            text = "" if cell.value is None else str(cell.value)
            if text and cell.rowspan == 1:
                height = max(height, text_height(text, sum(widths[cell.col:cell.col + cell.span]), heights))
        sheet.set_row(at, height)
        for cell in [*row.cells, *row.helpers]:
            if cell.covered:
                continue
            formula = resolve(cell.formula, row, at, placed, template, form.config) if cell.formula else None
            fmt = styles.get(cell.style, cell.input)
            _write(sheet, at, cell.col, at + cell.rowspan - 1, cell.col + cell.span - 1, cell, fmt, formula,
                   cached.get((index, cell.col)))
            if cell.spec is not None and cell.spec.tick is not None:
                sheet.data_validation(at, cell.col, at, cell.col, {
                    "validate": "list", "source": ["√"], "show_error": False, "input_title": cell.spec.option or "",
                    "input_message": "选中打 √，也可直接填写说明"})
        if row.section == "header" and helper_count:  # the helper columns' captions, for whoever unhides them
            for offset, helper in enumerate(template.helpers):
                sheet.write_string(at, template.columns + offset, helper.header)
    _print_setup(sheet, settings, template, form)
    sheet.protect("", {"format_rows": True, "format_columns": True, "format_cells": True,
                       "select_locked_cells": True, "select_unlocked_cells": True})


def _jsonable(record: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for item in fields(record):
        if not item.compare and item.name != "extra":
            continue
        value = getattr(record, item.name)
        data[item.name] = str(value) if isinstance(value, Decimal) else value
    return data


def write_data_sheet(workbook: xlsxwriter.Workbook, book: Book) -> None:
    """The goals (部门目标, 项目, 指标) and the year sheets as rendered, one JSON record a row; hidden."""
    sheet = workbook.add_worksheet(DATA_SHEET)
    sheet.write_string(0, 0, DATA_NOTE)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 120)
    r = 1
    for kind in ("goals", "projects", "indicators", "monitor_projects", "monitor_indicators",
                 "evaluation_projects", "evaluation_indicators"):
        for record in getattr(book, kind, []) or []:
            if not is_dataclass(record):
                continue
            sheet.write_string(r, 0, kind)
            sheet.write_string(r, 1, json.dumps(_jsonable(record), ensure_ascii=False, default=str))
            r += 1
    sheet.hide()


def render_form_department(book: Book, dept: Department, kind: str, path: str | os.PathLike[str], *,
                           period: str, inputs: Iterable[str | os.PathLike[str]] = (),
                           overwrite: bool = False, config: YearConfig | None = None) -> RenderedForm:
    """Write one department's forms (one sheet per project) atomically; ``config``: the county's weights,
    qualitative shares and grades (the wbe.toml beside the book), in the cached values and the formulas."""
    template = form_template(kind)
    settings = workbook_template()
    forms = project_forms(book, dept, kind, period, config)
    names = unique_sheet_names([fill_text(template.sheet_name, f.project_lookup(), period) for f in forms],
                               reserved=(DATA_SHEET,))
    part = book.for_department(dept.code)
    for name in ("monitor_projects", "monitor_indicators", "evaluation_projects", "evaluation_indicators"):
        if hasattr(book, name):
            setattr(part, name, [r for r in getattr(book, name) if r.dept_code == dept.code])
    with atomic_path(path, inputs=inputs, overwrite=overwrite) as temp:
        fonts = settings["fonts"]
        normal = {"font_name": fonts["body"], "font_size": fonts["body_size"], "font_scheme": "none"}
        workbook = xlsxwriter.Workbook(str(temp), {**WORKBOOK_OPTIONS, "in_memory": True,
                                                   "default_format_properties": normal})
        styles = FormStyles(workbook, settings)
        for form, name in zip(forms, names):
            write_form_sheet(workbook, styles, name, form, template, settings)
        if not forms:
            empty = workbook.add_worksheet(template.name[:31])
            empty.write_string(0, 0, fill_text(template.title, ProjectForm(kind, dept, _no_project(dept), [],
                                                                           period).project_lookup(), period))
        write_data_sheet(workbook, part)
        workbook.close()
    return RenderedForm(Path(path), dept, kind, len(forms), sum(len(f.indicators) for f in forms))


def _no_project(dept: Department) -> Any:
    from ..model import Project

    return Project(dept.code, None, "", "", "", None, None, None, "", None, None, None, None, "")

