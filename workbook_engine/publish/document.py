"""The Word writer of the published document: cover, contents, part 1, and one table per project.

Page and typography come from templates/publish.toml; each project table is laid out by layout.py from the
same template as the rendered sheets (project-table.toml), so the Word tables have the rendered sheets'
cells and merges. Tables are written as WordprocessingML directly (python-docx's cell API is slow for
thousands of tables): a fixed grid, gridSpan for horizontal and vMerge for vertical merges, rows that never
split across pages, the indicator header repeated on every page.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import docx
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt

from ..document_format import ITEM, SECTION, part_one
from ..errors import InputError
from ..grammar import grammar
from ..io.atomic import atomic_path
from ..io.cell_text import excel_text, word_text
from ..layout import (
    PUBLISH_TEMPLATE,
    Cell,
    Context,
    Row,
    project_layout,
    project_template,
    publish_template,
    title_text,
    workbook_template,
)
from ..model import Book, Department, Indicator, Project, group_indicators

TWIPS_PER_CM = 567
ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
         "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}
JC = {"left": "left", "center": "center", "right": "right", "justify": "both"}
STYLE_NAMES = {"body": "WBE Body", "part": "WBE Part", "section": "WBE Section", "item": "WBE Item",
               "project": "WBE Project", "cover_title": "WBE Cover Title", "cover_line": "WBE Cover Line",
               "contents_title": "WBE Contents Title", "table": "WBE Table", "unit": "WBE Unit",
               "gap": "WBE Gap"}
_FIELD_RE = re.compile(r"\{([a-z_]+(?:\.[a-z0-9_]+)?)\}")


# --- low-level WordprocessingML -----------------------------------------------------------------------

def _el(tag: str, **attrs: str | int) -> Any:
    element = OxmlElement(tag)
    for name, value in attrs.items():
        element.set(qn(f"w:{name}"), str(value))
    return element


def _fonts(rpr, east_asian: str, latin: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = _el("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("ascii", "hAnsi", "cs"):
        fonts.set(qn(f"w:{attr}"), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")
    _chinese(rpr)


# Children of w:rPr that the schema puts after w:lang (Word refuses a run property out of order).
RPR_AFTER_LANG = ("eastAsianLayout", "specVanish", "oMath")


def _chinese(rpr) -> None:
    """East Asian text is Simplified Chinese (zh-CN): LibreOffice then substitutes an SC font, not a Japanese
    one, for a 宋体/仿宋/黑体 that is not installed, and Word uses Chinese line-breaking rules."""
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = _el("w:lang")
        _insert_in_order(rpr, lang, RPR_AFTER_LANG)
    if not lang.get(qn("w:val")):
        lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _escape(text: str) -> str:
    """Text for an XML text node; characters XML cannot hold at all are dropped (validation has named
    them: WBE-W029, WBE-E028)."""
    return word_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def runs_xml(text: str, *, bold: bool = False, scale: int | None = None) -> str:
    """One run of text: a line break in the value becomes <w:br/>, a tab <w:tab/>; ``scale`` narrows the
    characters to that percentage of their width (w:w)."""
    if not text:
        return ""
    text = excel_text(text)  # a cell's limit (validation named longer text, WBE-E028; only with --force)
    props = ("<w:b/>" if bold else "") + (f'<w:w w:val="{scale}"/>' if scale else "")
    parts: list[str] = ["<w:r>", f"<w:rPr>{props}</w:rPr>" if props else ""]
    for index, line in enumerate(text.split("\n")):
        if index:
            parts.append("<w:br/>")
        for part_index, part in enumerate(line.split("\t")):
            if part_index:
                parts.append("<w:tab/>")
            if part:
                parts.append(f'<w:t xml:space="preserve">{_escape(part)}</w:t>')
    parts.append("</w:r>")
    return "".join(parts)


def paragraph_xml(text: str, style_id: str, *, align: str | None = None, page_break: bool = False,
                  bold: bool = False, before: float | None = None, keep_next: bool = False,
                  scale: int | None = None) -> str:
    props = f'<w:pStyle w:val="{style_id}"/>' + ("<w:keepNext/>" if keep_next else "") \
        + ("<w:pageBreakBefore/>" if page_break else "")
    if before is not None:
        props += f'<w:spacing w:before="{int(before * 20)}"/>'
    if align:
        props += f'<w:jc w:val="{align}"/>'
    return f"<w:p><w:pPr>{props}</w:pPr>{runs_xml(text, bold=bold, scale=scale)}</w:p>"


def style_id(name: str) -> str:
    """The id python-docx gives a style it adds: the name without spaces."""
    return name.replace(" ", "")


def add_field(paragraph, instruction: str, placeholder: str = "", *, dirty: bool = False) -> None:
    """A complex field (PAGE, TOC, ...) with a cached result that Word or LibreOffice replace; a dirty field
    is refreshed by Word when the document is opened (it asks first)."""
    def char(kind: str):
        run = paragraph.add_run()
        element = _el("w:fldChar", fldCharType=kind)
        if kind == "begin" and dirty:
            element.set(qn("w:dirty"), "true")
        run._r.append(element)

    char("begin")
    instr = _el("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    char("separate")
    if placeholder:
        paragraph.add_run(placeholder)
    char("end")


# --- styles -----------------------------------------------------------------------------------------------

def _paragraph_style(document, name: str, props: dict[str, Any], latin: str):
    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.quick_style = True
    font = style.font
    font.size = Pt(props.get("size", 12))
    font.bold = bool(props.get("bold", False))
    _fonts(style.element.get_or_add_rPr(), props.get("font", "宋体"), latin)
    fmt = style.paragraph_format
    fmt.alignment = ALIGN[props.get("align", "left")]
    fmt.space_before = Pt(props.get("before", 0))
    fmt.space_after = Pt(props.get("after", 0))
    if props.get("line"):
        fmt.line_spacing = Pt(props["line"])
    if props.get("indent"):
        fmt.first_line_indent = Pt(props["indent"] * props.get("size", 12))
    fmt.keep_with_next = bool(props.get("keep_next", False))
    fmt.widow_control = True
    if props.get("heading"):
        # The outline level makes it a heading for the TOC field (\u) and the navigation pane.
        style.element.get_or_add_pPr().append(_el("w:outlineLvl", val=int(props["heading"]) - 1))
    return style


def _setup_styles(document, settings: dict[str, Any]) -> None:
    latin = settings["fonts"]["latin"]
    styles = settings["styles"]
    normal = document.styles["Normal"]
    normal.font.size = Pt(styles["body"]["size"])
    _fonts(normal.element.get_or_add_rPr(), styles["body"]["font"], latin)
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for rpr in defaults.iter(qn("w:rPr")):
            _chinese(rpr)
    for key, props in styles.items():
        if key == "contents":
            continue
        _paragraph_style(document, STYLE_NAMES[key], props, latin)
    table = settings["table"]
    _paragraph_style(document, STYLE_NAMES["table"], {"font": table["font"], "size": table["size"]}, latin)
    _paragraph_style(document, STYLE_NAMES["unit"], {"font": table["font"], "size": table["unit_size"]}, latin)
    _paragraph_style(document, STYLE_NAMES["gap"], {"font": table["font"], "size": table["gap_size"]}, latin)
    for level in (1, 2, 3):  # the TOC entries' styles: Word's built-in "toc N" (id TOCN), redefined
        entry = _paragraph_style(document, f"toc {level}", {**styles["contents"], "indent": 0}, latin)
        entry.paragraph_format.left_indent = Pt(styles["contents"]["size"] * 2 * (level - 1))
        entry.element.set(qn("w:styleId"), f"TOC{level}")
        entry.element.attrib.pop(qn("w:customStyle"), None)


# --- page setup -----------------------------------------------------------------------------------------

def _page(section, page: dict[str, Any]) -> None:
    section.page_width, section.page_height = Cm(page["width"]), Cm(page["height"])
    section.top_margin, section.bottom_margin = Cm(page["margin_top"]), Cm(page["margin_bottom"])
    section.left_margin, section.right_margin = Cm(page["margin_left"]), Cm(page["margin_right"])
    section.header_distance, section.footer_distance = Cm(page["header_distance"]), Cm(page["footer_distance"])


def _page_number_footer(section, page: dict[str, Any], latin: str) -> None:
    """The body's footer: "— 1 —" centred, numbering restarted at 1."""
    section.footer.is_linked_to_previous = False
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, _, after = page["footer"].partition("{page}")
    paragraph.add_run(before)
    add_field(paragraph, "PAGE", "1")
    paragraph.add_run(after)
    for run in paragraph.runs:
        run.font.size = Pt(page["footer_size"])
        _fonts(run._r.get_or_add_rPr(), page["footer_font"], latin)
    _insert_in_order(section._sectPr, _el("w:pgNumType", start=1), SECT_PR_AFTER_PG_NUM_TYPE)


# The children of w:sectPr that the schema puts after w:pgNumType (Word refuses a file with them out of order).
SECT_PR_AFTER_PG_NUM_TYPE = ("cols", "formProt", "vAlign", "noEndnote", "titlePg", "textDirection", "bidi",
                             "rtlGutter", "docGrid", "printerSettings", "sectPrChange")


def _insert_in_order(parent, child, later: tuple[str, ...]) -> None:
    """Insert ``child`` before the first existing child whose tag the schema orders after it."""
    following = next((c for c in parent if c.tag in {qn(f"w:{name}") for name in later}), None)
    if following is None:
        parent.append(child)
    else:
        following.addprevious(child)


def _empty_footer(section) -> None:
    section.footer.is_linked_to_previous = False


# --- project tables ---------------------------------------------------------------------------------------

@dataclass
class TableGrid:
    """Column widths in twips, scaled from the template's character widths to the text width."""

    columns: list[int]

    @classmethod
    def for_page(cls, page: dict[str, Any], widths: Iterable[float]) -> TableGrid:
        widths = list(widths)
        text = (page["width"] - page["margin_left"] - page["margin_right"]) * TWIPS_PER_CM
        total = sum(widths)
        columns = [int(text * w / total) for w in widths]
        return cls(columns)

    def width(self, col: int, span: int) -> int:
        return sum(self.columns[col:col + span])


# Width of a narrow (Latin, digit) character in em, on the generous side: DejaVu Serif, LibreOffice's stand-in
# for Times New Roman where that is not installed, draws digits 0.64 em wide.
NARROW_EM = 0.66


def _kept_with_next(rows: list[Row]) -> list[bool]:
    """Which rows keep with the next one: every row whose first-column cell continues below it (a 一级 group
    stays on one page, so no page starts with an empty 一级 cell), and a table's header rows."""
    kept = []
    for index, row in enumerate(rows):
        following = rows[index + 1] if index + 1 < len(rows) else None
        continues = following is not None and bool(following.cells) and following.cells[0].covered
        kept.append(continues or (following is not None and row.id != "indicator" and following.id == "indicator"))
    return kept


class TableWriter:
    """Writes laid-out rows (layout.Row) as Word tables: unit line rows open the table that follows them."""

    def __init__(self, settings: dict[str, Any]):
        self.settings = settings
        self.styles = workbook_template()["styles"]
        self.table = settings["table"]
        template = project_template()
        widths = self.table.get("column_widths", template.column_widths)
        if len(widths) != template.columns:
            raise InputError(f"版式模板 {PUBLISH_TEMPLATE}：[table] column_widths 有 {len(widths)} 列，"
                             f"应与 project-table.toml 的 {template.columns} 列一致。")
        self.grid = TableGrid.for_page(settings["page"], widths)
        self.header_ids = {template.indicator_header.id}
        self.one_line_fields = set(self.table.get("one_line_fields", ["project.code"]))
        self.table_start = self._table_start()

    def _table_start(self) -> str:
        border = self.table["border"]
        sides = "".join(f'<w:{side} w:val="single" w:sz="{border}" w:space="0" w:color="000000"/>'
                        for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
        margin = int(self.table["cell_margin"] * TWIPS_PER_CM)
        grid = "".join(f'<w:gridCol w:w="{width}"/>' for width in self.grid.columns)
        return (f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{sum(self.grid.columns)}" w:type="dxa"/>'
                f'<w:jc w:val="center"/><w:tblBorders>{sides}</w:tblBorders><w:tblLayout w:type="fixed"/>'
                f'<w:tblCellMar><w:left w:w="{margin}" w:type="dxa"/><w:right w:w="{margin}" w:type="dxa"/>'
                f'</w:tblCellMar><w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" '
                f'w:lastColumn="0" w:noHBand="1" w:noVBand="1"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>')

    def _fitting_scale(self, text: str, cell: Cell) -> int | None:
        """The character width (percent) at which ``text`` fits its cell on one line, by a generous estimate
        of the glyph widths (wide fallback fonts included); None when it fits as it is."""
        size = float(self.table["size"])
        needed = sum(size * (1.0 if unicodedata.east_asian_width(ch) in "WFA" else NARROW_EM) for ch in text)
        available = self.grid.width(cell.col, cell.span) / 20 - 2 * self.table["cell_margin"] * 28.35 - 2
        if needed <= available or needed == 0:
            return None
        return max(50, int(100 * available / needed))

    def _estimated_height(self, row: Row) -> float:
        """A row's height in points on the generous side (wide fallback fonts, CJK line height 1.5)."""
        size = float(self.table["size"])
        lines = 1
        for cell in row.cells:
            text = cell.text
            if not text or cell.rowspan > 1:
                continue
            width = self.grid.width(cell.col, cell.span) / 20 - 2 * self.table["cell_margin"] * 28.35
            for paragraph in text.split("\n"):
                needed = sum(size * (1.0 if unicodedata.east_asian_width(ch) in "WFA" else NARROW_EM)
                             for ch in paragraph)
                lines = max(lines, math.ceil(needed / max(width, size)) if needed else 1)
        return lines * size * 1.5 + 4

    def _split_long_merges(self, rows: list[Row]) -> None:
        """A vertical merge taller than a page cannot stay on one page: write its name on every row instead,
        so a continued page never starts with an empty 一级 (or 二级) cell."""
        page = self.settings["page"]
        capacity = (page["height"] - page["margin_top"] - page["margin_bottom"]) * 28.35 * 0.85
        heights = [self._estimated_height(row) for row in rows]
        capacity -= max((h for row, h in zip(rows, heights) if row.id in self.header_ids), default=0)
        for index, row in enumerate(rows):
            for cell in row.cells:
                if cell.rowspan > 1 and cell.col in (0, 1) and sum(heights[index:index + cell.rowspan]) > capacity:
                    for below in rows[index + 1:index + cell.rowspan]:
                        for covered in below.cells:
                            if covered.col == cell.col and covered.covered:
                                covered.covered = False
                    cell.rowspan = 1

    def _row(self, row: Row, *, unit: bool, keep_next: bool = False) -> str:
        header = "<w:tblHeader/>" if row.id in self.header_ids else ""
        out = [f"<w:tr><w:trPr><w:cantSplit/>{header}</w:trPr>"]
        paragraph_style = style_id(STYLE_NAMES["unit" if unit else "table"])
        for cell in row.cells:
            props = self.styles.get(cell.style, {})
            merge = '<w:vMerge/>' if cell.covered else '<w:vMerge w:val="restart"/>' if cell.rowspan > 1 else ""
            span = f'<w:gridSpan w:val="{cell.span}"/>' if cell.span > 1 else ""
            borders = '<w:tcBorders><w:top w:val="nil"/><w:left w:val="nil"/><w:right w:val="nil"/></w:tcBorders>' \
                if unit else ""
            valign = "center" if props.get("valign", "center") == "center" else "top"
            text = "" if cell.covered else cell.text
            one_line = cell.spec is not None and cell.spec.field in self.one_line_fields
            scale = self._fitting_scale(text, cell) if one_line else None
            no_wrap = "<w:noWrap/>" if one_line else ""
            out.append(f'<w:tc><w:tcPr><w:tcW w:w="{self.grid.width(cell.col, cell.span)}" w:type="dxa"/>{span}'
                       f'{merge}{borders}{no_wrap}<w:vAlign w:val="{valign}"/></w:tcPr>'
                       + paragraph_xml(text, paragraph_style, align=JC.get(props.get("align", "left"), "left"),
                                       bold=bool(props.get("bold")), keep_next=keep_next, scale=scale)
                       + "</w:tc>")
        out.append("</w:tr>")
        return "".join(out)

    def write(self, anchor, rows: list[Row]) -> None:
        """Insert the project's tables before ``anchor`` (the body's final sectPr), in document order."""
        groups: list[list[tuple[Row, bool]]] = []
        pending: list[tuple[Row, bool]] = []
        current = None
        for row in rows:
            if row.table == 0:
                pending.append((row, True))
                continue
            if current != row.table:
                groups.append(pending)
                pending = []
                current = row.table
            groups[-1].append((row, False))
        gap = f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="{style_id(STYLE_NAMES["gap"])}"/></w:pPr></w:p>'
        for index, members in enumerate(groups):
            if index:
                anchor.addprevious(parse_xml(gap))
            self._split_long_merges([row for row, _ in members])
            kept = _kept_with_next([row for row, _ in members])
            xml = self.table_start + "".join(self._row(row, unit=unit, keep_next=keep)
                                             for (row, unit), keep in zip(members, kept)) + "</w:tbl>"
            anchor.addprevious(parse_xml(xml))


# --- the document -----------------------------------------------------------------------------------------

def _fill(template: str, context: Context) -> str | None:
    """A template line; None when it has fields and all of them are empty (the line is left out)."""
    names = _FIELD_RE.findall(template)
    if names and all(context.fill("{" + name + "}") == "" for name in names):
        return None
    return context.fill(template)


class DocumentWriter:
    """Builds one department's document with python-docx; tables go through TableWriter."""

    def __init__(self, settings: dict[str, Any] | None = None):
        self.settings = settings or publish_template()
        self.document = docx.Document()
        _setup_styles(self.document, self.settings)
        self.tables = TableWriter(self.settings)
        self.body = self.document.element.body
        self.sect_pr = self.body.find(qn("w:sectPr"))

    def paragraph(self, text: str, style: str, *, page_break: bool = False, before: float | None = None) -> None:
        xml = paragraph_xml(text, style_id(STYLE_NAMES[style]), page_break=page_break, before=before)
        self.sect_pr.addprevious(parse_xml(xml.replace("<w:p>", f"<w:p {nsdecls('w')}>", 1)))

    def cover(self, dept: Department, finance_bureau: str) -> None:
        cfg = self.settings["cover"]
        context = Context(None, dept, extra={"finance_bureau": finance_bureau})
        self.paragraph(context.fill(cfg["title"]), "cover_title")
        lines = [text for text in (_fill(line, context) for line in cfg["lines"]) if text]
        for index, text in enumerate(lines):
            self.paragraph(text, "cover_line", before=cfg.get("lines_before") if index == 0 else None)

    def contents(self) -> None:
        cfg = self.settings["contents"]
        self.paragraph(cfg["title"], "contents_title", page_break=True)
        paragraph = self.document.add_paragraph(style=STYLE_NAMES["body"])
        add_field(paragraph, f'TOC \\o "{cfg["levels"]}" \\h \\z \\u', cfg["placeholder"], dirty=True)

    def part_heading(self, lines: list[str]) -> None:
        """第一部分 / 部门整体绩效目标 as one heading on two lines (one contents entry)."""
        self.paragraph("\n".join(lines), "part")

    def part_one(self, book: Book, dept: Department) -> None:
        self.part_heading(list(grammar().part_lines["one"]))
        for block in part_one(book, dept.code):
            style = {SECTION: "section", ITEM: "item"}.get(block.kind, "body")
            self.paragraph(block.text, style)

    def part_two(self, dept: Department, projects: list[Project],
                 indicators: dict[str, list[Indicator]]) -> None:
        page_break = bool(self.settings["styles"]["project"].get("page_break"))
        self.paragraph("\n".join(grammar().part_lines["two"]), "part", page_break=True)
        for index, project in enumerate(projects):
            self.paragraph(title_text(project, dept), "project", page_break=page_break and index > 0)
            rows = project_layout(project, dept, indicators.get(project.code, []))
            self.tables.write(self.sect_pr, rows)

    def build(self, book: Book, dept: Department, projects: list[Project],
              indicators: dict[str, list[Indicator]], finance_bureau: str = ""):
        page = self.settings["page"]
        latin = self.settings["fonts"]["latin"]
        first = self.document.sections[0]
        _page(first, page)
        _empty_footer(first)
        self.cover(dept, finance_bureau)
        self.contents()
        body = self.document.add_section(WD_SECTION.NEW_PAGE)
        _page(body, page)
        _page_number_footer(body, page, latin)
        self.part_one(book, dept)
        self.part_two(dept, projects, indicators)
        core = self.document.core_properties
        core.title = word_text(Context(None, dept).fill(self.settings["cover"]["title"]).replace("\n", ""))
        core.author = dept.name
        core.language = "zh-CN"
        return self.document


@dataclass
class PublishedFile:
    path: Path
    department: Department
    projects: int
    indicators: int
    pdf: Path | None = None

    def to_dict(self) -> dict:
        return {"path": str(self.path), "dept_code": self.department.code, "dept_name": self.department.name,
                "projects": self.projects, "indicators": self.indicators,
                "pdf": str(self.pdf) if self.pdf is not None else None}


def write_document(book: Book, dept: Department, path: str | os.PathLike[str], *, finance_bureau: str = "",
                   inputs: Iterable[str | os.PathLike[str]] = (), overwrite: bool = False) -> PublishedFile:
    """Write one department's published document (.docx) atomically."""
    part = book.for_department(dept.code)
    projects = part.projects_of(dept.code)
    by_project = group_indicators(part.indicators)
    document = DocumentWriter().build(part, dept, projects, by_project, finance_bureau)
    with atomic_path(path, inputs=inputs, overwrite=overwrite) as temp:
        document.save(str(temp))
    return PublishedFile(Path(path), dept, len(projects), len(part.indicators))
