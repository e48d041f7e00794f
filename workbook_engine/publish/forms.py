"""`wbe publish --form monitor|evaluation`: the budget-year forms as Word documents (and PDF), as the 绩效自评
results are published.

One table per project, laid out by official/forms_layout.py from the same templates and rows as the Excel
forms (forms_render.py): the same cells, spans, vertical merges and labels, each layout row one table row
(the unit line the first, borderless). Word has no formulas, so a formula cell shows its value: 执行率 from
the row's figures, and in the 自评表 every 得分, the 总分 and the grade computed by scoring.py with the
county's settings (the wbe.toml beside the book), the figures `wbe score` prints. The page (A4, margins,
fonts) is publish.toml's, turned to landscape for a landscape form; the job (validation, output names,
--overwrite, staging, PDF) is publish/job.py's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from ..errors import UsageError
from ..io.atomic import atomic_path
from ..io.cell_text import word_text
from ..jobs import DepartmentProgress
from ..layout import publish_template, workbook_template
from ..model import Book, Department
from ..official.forms import book_period, form_config
from ..official.forms_layout import (
    EVALUATION,
    FORM_NAMES,
    MONITOR,
    FormCell,
    FormRow,
    FormTemplate,
    fill_text,
    form_layout,
    form_template,
    normalize_period,
)
from ..official.forms_render import EXTRA_STYLES, _no_project, cached_values
from ..official.forms_values import ProjectForm, project_forms
from ..scoring import score_project
from ..year_config import YearConfig
from .document import (
    JC,
    NARROW_EM,
    STYLE_NAMES,
    TWIPS_PER_CM,
    PublishedFile,
    TableGrid,
    _page,
    _page_number_footer,
    _paragraph_style,
    _setup_styles,
    paragraph_xml,
    style_id,
)
from .job import PublishResult, plan_publish, write_planned

FORM_TABLE_STYLE = "WBE Form Table"
KEPT_ROWS = 8  # a merged block of at most this many rows is kept on one page
PX_PER_CHARACTER, PX_PADDING, PT_PER_PX = 7, 5, 0.75  # an Excel column of w characters is 7w + 5 px wide


def table_font_size(template: FormTemplate, page: dict[str, Any], settings: dict[str, Any]) -> float:
    """The form's cell text size: Excel's body size scaled as the printed sheet is scaled to the page width
    (fit to one page wide), so that a cell holds what it holds on paper from Excel; never above publish.toml's
    [forms] size (else [table] size), rounded down to half points."""
    sheet_pt = sum(PX_PER_CHARACTER * w + PX_PADDING for w in template.column_widths) * PT_PER_PX
    text_pt = (page["width"] - page["margin_left"] - page["margin_right"]) * TWIPS_PER_CM / 20
    body = float(workbook_template()["fonts"]["body_size"])
    largest = float(settings.get("forms", {}).get("size", settings["table"]["size"]))
    return max(6.0, min(largest, int(body * text_pt / sheet_pt * 2) / 2))


# --- what a cell shows --------------------------------------------------------------------------------------

def engine_scores(form: ProjectForm, rows: list[FormRow]) -> dict[tuple[int, int], Any]:
    """The value of every formula cell (row index, column): 执行率 from the row's figures (as the formula),
    and for the 自评表 the 得分, 总分 and grade of scoring.py with the county's settings."""
    values = cached_values(form, rows)
    if form.kind != EVALUATION:
        return values
    present = [r for r in form.indicator_records if r is not None]
    scored = score_project(form.record, present, form.config, project_code=form.project.code)
    by_record = {id(s.record): s for s in scored.indicators}
    for r, row in enumerate(rows):
        for cell in row.cells:
            if cell.spec is None or cell.spec.formula is None:
                continue
            if row.id == "funds_total" and cell.spec.id == "score":
                values[(r, cell.col)] = scored.budget_score
            elif row.section == "indicator" and row.index is not None and cell.spec.id == "score":
                record = form.indicator_records[row.index] if row.index < len(form.indicator_records) else None
                found = by_record.get(id(record)) if record is not None else None
                values[(r, cell.col)] = None if found is None else found.score
            elif row.section == "footer" and cell.spec.id == "score":
                values[(r, cell.col)] = scored.total
            elif row.section == "footer" and cell.spec.id == "grade":
                values[(r, cell.col)] = scored.grade or ""
    return values


def shown_text(cell: FormCell, value: Any, styles: dict[str, Any]) -> str:
    """A value as the printed Excel form shows it: money and points with two decimals, ratios in percent."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    number = styles.get(cell.style, {}).get("number")
    amount = Decimal(str(value))
    if number == "ratio":
        return f"{amount * 100:.2f}%"
    if number in ("money", "points") or cell.kind in ("money", "number"):
        return f"{amount:.2f}"
    return format(amount.normalize(), "f")


# --- the Word table -----------------------------------------------------------------------------------------

class FormTableWriter:
    """Writes one project's laid-out form rows as one Word table on the template's grid."""

    def __init__(self, template: FormTemplate, page: dict[str, Any], settings: dict[str, Any]):
        self.template = template
        self.table = settings["table"]
        self.styles = {**workbook_template()["styles"], **EXTRA_STYLES}
        self.grid = TableGrid.for_page(page, template.column_widths)
        self.margin = float(settings.get("forms", {}).get("cell_margin", self.table["cell_margin"]))
        self.size = table_font_size(template, page, settings)

    def _scale(self, cell: FormCell, text: str) -> int | None:
        """A figure is never broken over two lines: the character width (percent) at which it fits its cell."""
        needed = len(text) * self.size * NARROW_EM
        available = self.grid.width(cell.col, cell.span) / 20 - 2 * self.margin * 28.35 - 2
        return None if needed <= available else max(50, int(100 * available / needed))

    def _cell(self, cell: FormCell, text: str, keep_next: bool, figure: bool) -> str:
        props = self.styles.get(cell.style, {})
        merge = "<w:vMerge/>" if cell.covered else '<w:vMerge w:val="restart"/>' if cell.rowspan > 1 else ""
        span = f'<w:gridSpan w:val="{cell.span}"/>' if cell.span > 1 else ""
        borders = "" if props.get("border") else \
            '<w:tcBorders><w:top w:val="nil"/><w:left w:val="nil"/><w:right w:val="nil"/></w:tcBorders>'
        valign = "center" if props.get("valign", "center") == "center" else "top"
        paragraph = paragraph_xml("" if cell.covered else text, style_id(FORM_TABLE_STYLE),
                                  align=JC.get(props.get("align", "left"), "left"), bold=bool(props.get("bold")),
                                  keep_next=keep_next, scale=self._scale(cell, text) if figure else None)
        return (f'<w:tc><w:tcPr><w:tcW w:w="{self.grid.width(cell.col, cell.span)}" w:type="dxa"/>{span}{merge}'
                f'{borders}<w:vAlign w:val="{valign}"/></w:tcPr>{paragraph}</w:tc>')

    def xml(self, rows: list[FormRow], values: dict[tuple[int, int], Any]) -> str:
        border = self.table["border"]
        sides = "".join(f'<w:{side} w:val="single" w:sz="{border}" w:space="0" w:color="000000"/>'
                        for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
        margin = int(self.margin * TWIPS_PER_CM)
        grid = "".join(f'<w:gridCol w:w="{width}"/>' for width in self.grid.columns)
        out = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{sum(self.grid.columns)}" w:type="dxa"/>'
               f'<w:jc w:val="center"/><w:tblBorders>{sides}</w:tblBorders><w:tblLayout w:type="fixed"/>'
               f'<w:tblCellMar><w:left w:w="{margin}" w:type="dxa"/><w:right w:w="{margin}" w:type="dxa"/>'
               f'</w:tblCellMar></w:tblPr><w:tblGrid>{grid}</w:tblGrid>']
        spans: dict[int, int] = {}  # column -> rowspan of the cell merged down it so far
        for index, row in enumerate(rows):
            spans.update({c.col: c.rowspan for c in row.cells if not c.covered})
            following = rows[index + 1] if index + 1 < len(rows) else None
            # a header stays with the first indicator, the last indicator with the footer, a short merged block
            # (an 一级) with its rows; the 绩效指标 column merged down the whole block does not hold it together
            keep = following is not None and (row.section == "header" or following.section == "footer" and
                                              row.section != "footer" or any(
                c.covered and spans.get(c.col, 1) <= KEPT_ROWS for c in following.cells))
            out.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
            for cell in row.cells:
                value = values.get((index, cell.col)) if cell.formula is not None else cell.value
                out.append(self._cell(cell, shown_text(cell, value, self.styles), keep,
                                      figure=value is not None and not isinstance(value, str)))
            out.append("</w:tr>")
        out.append("</w:tbl>")
        return "".join(out)


def form_page(settings: dict[str, Any], template: FormTemplate) -> dict[str, Any]:
    """publish.toml's page with its [forms.page] keys, turned when the form is landscape (width and height
    swapped; the margins are those of the page as printed)."""
    page = {**settings["page"], **settings.get("forms", {}).get("page", {})}
    if template.orientation == "landscape":
        page["width"], page["height"] = page["height"], page["width"]
    return page


@dataclass
class PublishedForm(PublishedFile):
    """A department's published 监控表 or 自评表 (and its PDF); in JSON with ``form`` as `wbe render --form`."""

    kind: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "form": self.kind}


@dataclass
class FormDocument:
    """One department's forms as a python-docx document, with what it holds."""

    document: Any
    projects: int
    indicators: int


def build_form_document(forms: list[ProjectForm], dept: Department, template: FormTemplate,
                        period: str) -> FormDocument:
    """Title and table per project, each from a new page (the first on the first)."""
    settings = publish_template()
    document = docx.Document()
    _setup_styles(document, settings)
    page = form_page(settings, template)
    _paragraph_style(document, FORM_TABLE_STYLE, {"font": settings["table"]["font"],
                                                  "size": table_font_size(template, page, settings)},
                     settings["fonts"]["latin"])
    section = document.sections[0]
    _page(section, page)
    if template.orientation == "landscape":
        section.orientation = WD_ORIENT.LANDSCAPE
    _page_number_footer(section, page, settings["fonts"]["latin"])
    body = document.element.body
    anchor = body.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}sectPr")
    writer = FormTableWriter(template, page, settings)
    title_style = style_id(STYLE_NAMES["project"])

    def paragraph(text: str, *, page_break: bool) -> None:
        xml = paragraph_xml(text, title_style, page_break=page_break, keep_next=True)
        anchor.addprevious(parse_xml(xml.replace("<w:p>", f"<w:p {nsdecls('w')}>", 1)))

    empty = ProjectForm(template.kind, dept, _no_project(dept), [], period)
    if not forms:
        paragraph(fill_text(template.title, empty.project_lookup(), period), page_break=False)
    for number, form in enumerate(forms):
        paragraph(fill_text(template.title, form.project_lookup(), period), page_break=number > 0)
        rows = form_layout(template, form.project_lookup(), form.indicator_lookups(), period)
        anchor.addprevious(parse_xml(writer.xml(rows, engine_scores(form, rows))))
    header = fill_text(template.header, empty.project_lookup(), period)
    if header:
        section.header.is_linked_to_previous = False
        section.header.paragraphs[0].text = word_text(header)
        section.header.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    core = document.core_properties
    core.title = word_text(fill_text(template.title, empty.project_lookup(), period))
    core.author = dept.name
    core.language = "zh-CN"
    return FormDocument(document, len(forms), sum(len(f.indicators) for f in forms))


def write_form_document(book: Book, dept: Department, kind: str, path: str | os.PathLike[str], *, period: str,
                        config: YearConfig, inputs: Iterable[str | os.PathLike[str]] = (),
                        overwrite: bool = False) -> PublishedForm:
    """Write one department's 监控表 or 自评表 (.docx) atomically."""
    template = form_template(kind)
    forms = project_forms(book, dept, kind, period, config)
    built = build_form_document(forms, dept, template, period)
    with atomic_path(path, inputs=inputs, overwrite=overwrite) as temp:
        built.document.save(str(temp))
    return PublishedForm(Path(path), dept, built.projects, built.indicators, kind=kind)


# --- the job ------------------------------------------------------------------------------------------------

def publish_forms(book_path: str | os.PathLike[str], output: str | os.PathLike[str], *, kind: str,
                  period: str | None = None, dept: str | None = None, force: bool = False, pdf: bool = False,
                  progress: DepartmentProgress | None = None, overwrite: bool = False) -> PublishResult:
    """Validate a canonical workbook and write each department's 监控表 or 自评表 as .docx (and PDF), as
    `wbe publish` writes the goals document: the same output names, refusals, staging and exit statuses."""
    template = form_template(kind)  # an unknown form or a missing template before anything else
    if period is not None and kind != MONITOR:
        raise UsageError("--period 只用于 --form monitor（监控表的监控期间）。")
    wanted = normalize_period(period) if period else None
    plan = plan_publish(book_path, output, dept=dept, force=force, pdf=pdf, overwrite=overwrite,
                        what=FORM_NAMES[kind])
    if plan.result.refused:
        return plan.result
    workbook_template(), publish_template()  # a missing layout: before any folder is made
    checked = plan.checked
    config = form_config(checked, kind)
    chosen = wanted or book_period(checked.book, normalize_period(template.period))
    return write_planned(plan, lambda department, path: write_form_document(
        checked.book, department, kind, path, period=chosen, config=config, inputs=[book_path],
        overwrite=overwrite), progress=progress)


__all__ = ["PublishedForm", "publish_forms", "write_form_document", "build_form_document", "engine_scores", "shown_text"]
