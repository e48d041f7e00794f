"""The Excel renderer of the official workbook: 项目汇总, 部门整体绩效目标, then one sheet per project.

Every position, label and style comes from the templates (layout.py); this module only maps abstract
styles to xlsxwriter formats and writes the laid-out rows. Text is always written as text (never a
formula), money as numbers in 0.00, the spending plan as percentages.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

import xlsxwriter

from ..a1 import cell_name, column_letter, sheet_ref
from ..canonical_writer import WORKBOOK_OPTIONS
from ..document_format import PARAGRAPH, part_one
from ..io.atomic import atomic_path
from ..io.cell_text import excel_text
from ..layout import Cell, Context, percent_decimals, project_layout, project_template, title_text, workbook_template
from ..model import Book, Department, Indicator, Project, group_indicators
from ..safe_names import unique_sheet_names
from .heights import row_heights, text_height

CM_PER_INCH = 2.54
A4 = 9  # xlsxwriter paper code
NUMBER_FORMATS = {"money": "0.00", "text": "@"}
# excel_text of each distinct text once: labels and field texts repeat on every sheet (217,000 texts, county)
cell_text = functools.lru_cache(maxsize=8192)(excel_text)


class StyleBook:
    """Abstract template styles -> xlsxwriter formats, created once per (style, number format)."""

    def __init__(self, workbook: xlsxwriter.Workbook, settings: dict[str, Any]):
        self.workbook = workbook
        self.styles: dict[str, dict[str, Any]] = settings["styles"]
        self.fonts: dict[str, Any] = settings["fonts"]
        self.cache: dict[tuple[str, str | None], Any] = {}
        self.percent_cache: dict[tuple[str, type, str], Any] = {}

    def get(self, style: str, num_format: str | None = None):
        key = (style, num_format)
        found = self.cache.get(key)
        if found is not None:
            return found
        props = self.styles[style]
        font = props.get("font", "body")
        spec: dict[str, Any] = {
            "font_name": self.fonts[font],
            "font_size": props.get("size", self.fonts[f"{font}_size"]),
            "bold": bool(props.get("bold")),
            "align": props.get("align", "left"),
            "valign": "vcenter" if props.get("valign", "center") == "center" else "top",
            "text_wrap": bool(props.get("wrap")),
        }
        if props.get("border"):
            spec["border"] = 1
        if props.get("indent"):
            spec["indent"] = props["indent"]
        if props.get("link"):
            spec.update(font_color="#0563C1", underline=1)
        number = num_format or NUMBER_FORMATS.get(props.get("number", ""))
        if number:
            spec["num_format"] = number
        found = self.cache[key] = self.workbook.add_format(spec)
        return found

    def for_cell(self, cell: Cell):
        if cell.kind == "percent" and cell.value not in (None, ""):
            # keyed by the text too: Decimal("25") == Decimal("25.0"), but they show 25% and 25.0%
            key = (cell.style, type(cell.value), str(cell.value))
            found = self.percent_cache.get(key)
            if found is None:
                decimals = percent_decimals(Decimal(cell.value))
                found = self.percent_cache[key] = self.get(
                    cell.style, "0" + ("." + "0" * decimals if decimals else "") + "%")
            return found
        found = self.cache.get((cell.style, None))
        return self.get(cell.style) if found is None else found


def write_value(sheet, row: int, col: int, value: Any, kind: str, fmt) -> None:
    """Numbers as numbers, everything else as text (write_string: never a formula)."""
    if value is None or value == "":
        sheet.write_blank(row, col, None, fmt)
    elif kind == "money":
        sheet.write_number(row, col, float(Decimal(value)), fmt)
    elif kind == "percent":
        sheet.write_number(row, col, float(Decimal(value) / 100), fmt)
    elif isinstance(value, int) and not isinstance(value, bool):
        sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, cell_text(str(value)), fmt)


def merged_data(value: Any, kind: str) -> Any:
    """What write_value would write, as the data of merge_range (number, text, or "" for a blank)."""
    if value is None or value == "":
        return ""
    if kind == "money":
        return float(Decimal(value))
    if kind == "percent":
        return float(Decimal(value) / 100)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return cell_text(str(value))  # cut or cleaned only with --force: validation named the cell (WBE-E028)


def place(sheet, row: int, col: int, last_row: int, last_col: int, value: Any, kind: str, fmt) -> None:
    """One cell, merged over its range when it covers more than one grid cell.

    merge_range writes the first cell itself: with the workbook's strings_to_* options off, text stays
    text (never a formula), so the value is written once instead of a blank overwritten by write_value.
    """
    if last_row > row or last_col > col:
        sheet.merge_range(row, col, last_row, last_col, merged_data(value, kind), fmt)
    else:
        write_value(sheet, row, col, value, kind, fmt)


def print_setup(sheet, settings: dict[str, Any], context: Context) -> None:
    """A4 portrait, one page wide, centred, government-document margins, title row repeated, page numbers."""
    cfg = settings["print"]
    inch = 1 / CM_PER_INCH
    if cfg.get("paper", "A4") == "A4":
        sheet.set_paper(A4)
    if cfg.get("orientation", "portrait") == "portrait":
        sheet.set_portrait()
    else:
        sheet.set_landscape()
    sheet.fit_to_pages(int(cfg.get("fit_width", 1)), 0)
    if cfg.get("center_horizontally", True):
        sheet.center_horizontally()
    sheet.set_margins(left=cfg["margin_left"] * inch, right=cfg["margin_right"] * inch,
                      top=cfg["margin_top"] * inch, bottom=cfg["margin_bottom"] * inch)
    header = context.fill(cfg.get("header", "")).replace("&", "&&")[:200]
    footer = cfg.get("footer", "").replace("&", "&&").replace("{page}", "&P").replace("{pages}", "&N")
    if header:
        sheet.set_header("&C" + header, {"margin": cfg["margin_header"] * inch})
    if footer:
        sheet.set_footer("&C" + footer, {"margin": cfg["margin_footer"] * inch})
    if cfg.get("repeat_title_row", True):
        sheet.repeat_rows(0)


def _title_row(sheet, styles: StyleBook, settings: dict[str, Any], text: str, width: float, last_col: int,
               style: str) -> None:
    heights = settings["heights"]
    scale = settings["styles"][style].get("size", settings["fonts"]["title_size"]) / settings["fonts"]["body_size"]
    needed = text_height(text, width / scale, {**heights, "line": heights["line"] * scale})
    sheet.set_row(0, max(heights["title"], needed))
    place(sheet, 0, 0, 0, last_col, text, "text", styles.get(style))


def write_project_sheet(workbook, styles: StyleBook, name: str, project: Project, dept: Department,
                        indicators: list[Indicator]) -> None:
    template = project_template()
    settings = workbook_template()
    sheet = workbook.add_worksheet(name)
    widths = template.column_widths
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    last_col = template.columns - 1
    _title_row(sheet, styles, settings, title_text(project, dept), sum(widths), last_col, template.title_style)
    rows = project_layout(project, dept, indicators)
    heights = row_heights(rows, widths, settings["heights"])
    set_row, merge_range, for_cell = sheet.set_row, sheet.merge_range, styles.for_cell
    for index, row in enumerate(rows, start=1):  # the hot loop of render: 180 cells a sheet, lookups hoisted
        set_row(index, heights[index - 1])
        for cell in row.cells:
            if cell.covered:
                continue
            col, bottom = cell.col, index + cell.rowspan - 1
            right = col + cell.span - 1
            if bottom > index or right > col:  # as place(): merge_range writes the value once
                merge_range(index, col, bottom, right, merged_data(cell.value, cell.kind), for_cell(cell))
            else:
                write_value(sheet, index, col, cell.value, cell.kind, for_cell(cell))
    print_setup(sheet, settings, Context(project, dept))


def _unit_line(sheet, styles: StyleBook, row: int, parts: list[tuple[str, int, int, str]]) -> None:
    for text, first, last, style in parts:
        place(sheet, row, first, row, last, text, "text", styles.get(style))


def write_summary_sheet(workbook, styles: StyleBook, dept: Department, projects: list[Project],
                        counts: dict[str, int], sheet_names: list[str]) -> None:
    """项目汇总: one row per project, SUM totals, a link to each project sheet, a bar chart of budgets."""
    settings = workbook_template()
    cfg = settings["summary"]
    columns = cfg["columns"]
    sheet = workbook.add_worksheet(cfg["sheet"])
    for col, column in enumerate(columns):
        sheet.set_column(col, col, column["width"])
    last_col = len(columns) - 1
    context = Context(None, dept)
    _title_row(sheet, styles, settings, context.fill(cfg["title"]), sum(c["width"] for c in columns), last_col,
               "title")
    third = max(1, len(columns) // 3)
    _unit_line(sheet, styles, 1, [(context.fill(cfg["unit_left"]), 0, third - 1, "unit"),
                                  (context.fill(cfg["unit_middle"]), third, 2 * third - 1, "unit"),
                                  (context.fill(cfg["unit_right"]), 2 * third, last_col, "unit_right")])
    header_row, first = 2, 3
    sheet.set_row(header_row, settings["heights"]["minimum"] + 4)
    for col, column in enumerate(columns):
        sheet.write_string(header_row, col, column["header"], styles.get("header"))
    for offset, (project, name) in enumerate(zip(projects, sheet_names)):
        row = first + offset
        context = Context(project, dept, extra={"project.indicator_count": counts.get(project.code, 0),
                                                "project.sheet": name})
        sheet.set_row(row, max(text_height(str(context.get(c["field"]) or ""), c["width"], settings["heights"])
                               for c in columns))
        for col, column in enumerate(columns):
            value = context.get(column["field"])
            fmt = styles.get(column["style"])
            if column["field"] == "project.sheet":
                sheet.write_url(row, col, "internal:" + sheet_ref(name, "A1"), fmt, string=name)
            else:
                kind = "money" if styles.styles[column["style"]].get("number") == "money" else "text"
                write_value(sheet, row, col, value, kind, fmt)
    total_row = first + len(projects)
    sheet.set_row(total_row, settings["heights"]["minimum"])
    sheet.write_string(total_row, 0, cfg["total_label"], styles.get("total_label"))
    for col, column in enumerate(columns[1:], start=1):
        fmt = styles.get("total_money" if column["style"] == "money" else "total_label")
        if not column.get("total"):
            sheet.write_blank(total_row, col, None, fmt)
            continue
        letter = column_letter(col)
        cached = sum((Decimal(str(Context(p, dept, extra={"project.indicator_count": counts.get(p.code, 0)})
                                  .get(column["field"]) or 0)) for p in projects), Decimal(0))
        formula = f"=SUM({letter}{first + 1}:{letter}{total_row})" if projects else "=0"
        sheet.write_formula(total_row, col, formula, fmt, float(cached) if column["style"] == "money"
                            else int(cached))
    if projects:
        _budget_chart(workbook, sheet, cfg, columns, first, total_row - 1)
    sheet.freeze_panes(first, 0)
    print_setup(sheet, settings, Context(None, dept))


def _budget_chart(workbook, sheet, cfg: dict[str, Any], columns: list[dict[str, Any]], first: int,
                  last: int) -> None:
    """Budgets by project as horizontal bars, first project on top, below the table."""
    fields = [c["field"] for c in columns]
    names, budgets = fields.index("project.name"), fields.index("project.budget")
    name = sheet.get_name()
    chart = workbook.add_chart({"type": "bar"})
    chart.add_series({
        "name": cfg["chart_title"],
        "categories": [name, first, names, last, names],
        "values": [name, first, budgets, last, budgets],
        "data_labels": {"value": True, "num_format": "0.00"},
        "fill": {"color": "#4472C4"},
    })
    font = {"name": workbook_template()["fonts"]["body"], "size": 9}
    chart.set_title({"name": cfg["chart_title"], "name_font": {**font, "size": 12, "bold": True}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"reverse": True, "num_font": font})
    chart.set_x_axis({"num_format": "0", "num_font": font, "major_gridlines": {"visible": True}})
    count = last - first + 1
    chart.set_size({"width": 640, "height": min(max(300, 26 * count + 90), 4000)})
    sheet.insert_chart(cell_name(last + 4, 0), chart)


# Excel indents a cell's text by about three digit widths (column units) per indent level.
INDENT_UNITS = 3


def write_department_sheet(workbook, styles: StyleBook, dept: Department, book: Book) -> None:
    """部门整体绩效目标: the three sections of part 1, as in the document."""
    settings = workbook_template()
    cfg = settings["department"]
    sheet = workbook.add_worksheet(cfg["sheet"])
    widths = cfg["column_widths"]
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    width, last_col = sum(widths), len(widths) - 1
    context = Context(None, dept)
    _title_row(sheet, styles, settings, context.fill(cfg["title"]), width, last_col, "title")
    _unit_line(sheet, styles, 1, [(context.fill(cfg["unit_left"]), 0, last_col - 1, "unit"),
                                  (context.fill(cfg["unit_right"]), last_col, last_col, "unit_right")])
    row = 2
    heights = settings["heights"]

    def paragraph(text: str, style: str) -> None:
        nonlocal row
        indent = settings["styles"].get(style, {}).get("indent", 0) * INDENT_UNITS
        sheet.set_row(row, max(heights["minimum"], text_height(text, width - indent, heights)))
        place(sheet, row, 0, row, last_col, text, "text", styles.get(style))
        row += 1

    for block in part_one(book, dept.code):
        paragraph(block.text, "paragraph" if block.kind == PARAGRAPH else "section")
    print_setup(sheet, settings, context)


_collector_lock = threading.Lock()
_collector_pauses = 0
_collector_was_enabled = False


@contextlib.contextmanager
def collector_paused():
    """The cyclic garbage collector paused while one workbook is written, its young objects collected after.

    An xlsxwriter workbook and its sheets refer to each other, so every written workbook (its cell tables
    too) is freed only by the cyclic collector; left alone, its full passes over the ever larger heap were
    2.1 s of 10.7 s CPU of rendering the county. Paused, the workbook's objects stay in the youngest
    generation and one collection of it frees them. Reference counting still frees everything else.
    Thread-safe: the collector is resumed when the last pause ends, and only if it was running before.
    """
    global _collector_pauses, _collector_was_enabled
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_pauses += 1
    try:
        yield
    finally:
        gc.collect(0)
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0 and _collector_was_enabled:
                gc.enable()


@dataclass
class RenderedFile:
    path: Path
    department: Department
    projects: int
    indicators: int

    def to_dict(self) -> dict:
        return {"path": str(self.path), "dept_code": self.department.code, "dept_name": self.department.name,
                "projects": self.projects, "indicators": self.indicators}


def render_department(book: Book, dept: Department, path: str | os.PathLike[str], *,
                      inputs: Iterable[str | os.PathLike[str]] = (),
                      on_sheet: Callable[[], None] | None = None, overwrite: bool = False) -> RenderedFile:
    """Write one department's official workbook atomically."""
    part = book.for_department(dept.code)
    projects = part.projects_of(dept.code)
    by_project = group_indicators(part.indicators)
    template = project_template()
    settings = workbook_template()
    names = unique_sheet_names([Context(p, dept).fill(template.sheet_name) for p in projects],
                               reserved=(settings["summary"]["sheet"], settings["department"]["sheet"]))
    with atomic_path(path, inputs=inputs, overwrite=overwrite) as temp, collector_paused():
        _write_workbook(temp, part, dept, projects, names, by_project, settings, on_sheet)
    return RenderedFile(Path(path), dept, len(projects), len(part.indicators))


def _write_workbook(temp: Path, part: Book, dept: Department, projects: list[Project], names: list[str],
                    by_project: dict[str, list[Indicator]], settings: dict[str, Any],
                    on_sheet: Callable[[], None] | None) -> None:
    """The workbook itself: its objects are garbage when this returns (see collector_paused)."""
    # in_memory: xlsxwriter otherwise writes a temporary file per worksheet (2,000 sheets → 2,000 files).
    # The Normal font is the body font (宋体 五号): Excel measures column widths in its digit width, so the
    # text widths that row heights are computed from (heights.py) hold in the printed sheet.
    fonts = settings["fonts"]
    normal = {"font_name": fonts["body"], "font_size": fonts["body_size"], "font_scheme": "none"}
    workbook = xlsxwriter.Workbook(str(temp), {**WORKBOOK_OPTIONS, "in_memory": True,
                                               "default_format_properties": normal})
    styles = StyleBook(workbook, settings)
    counts = {code: len(rows) for code, rows in by_project.items()}
    write_summary_sheet(workbook, styles, dept, projects, counts, names)
    write_department_sheet(workbook, styles, dept, part)
    for project, name in zip(projects, names):
        write_project_sheet(workbook, styles, name, project, dept, by_project.get(project.code, []))
        if on_sheet is not None:
            on_sheet()
    workbook.close()
