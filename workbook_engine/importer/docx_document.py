"""Reader of the published document as .docx: paragraphs and tables in document order.

It turns the Word body into the same stream of paragraphs and table rows the text export gives (a cell
covered by a vertical merge becomes an empty cell, a horizontally merged cell is one cell), so one parser
(parser.DocumentParser) understands both. The cover is skipped by the parser (it comes before the
first section heading); table-of-contents paragraphs are skipped here, by style, as a TOC content control, or
as the result of a TOC field (FieldTracker); headers and footers are not part of the body at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import docx
from docx.oxml.ns import qn

from ..errors import DocumentError
from ..io.containment import run_contained
from ..io.guard import check_docx
from ..model import Book
from .parser import read_tokens
from .problems import Imported, Paragraph, Row

TOC_STYLE_PREFIXES = ("toc", "contents", "目录")  # Word, LibreOffice, WPS


def _text(element) -> str:
    """Visible text of a paragraph element: runs, tabs and breaks; field codes are not text."""
    parts: list[str] = []
    for node in element.iter():
        if node.tag == qn("w:t"):
            parts.append(node.text or "")
        elif node.tag == qn("w:tab") and node.getparent() is not None and node.getparent().tag == qn("w:r"):
            parts.append("\t")
        elif node.tag in (qn("w:br"), qn("w:cr")):
            parts.append("\n")
    return "".join(parts)


def _style_id(paragraph) -> str:
    props = paragraph.find(qn("w:pPr"))
    style = props.find(qn("w:pStyle")) if props is not None else None
    return (style.get(qn("w:val")) or "").lower() if style is not None else ""


def _is_toc(element) -> bool:
    if element.tag == qn("w:sdt"):
        gallery = element.find(".//" + qn("w:docPartGallery"))
        return gallery is not None and "contents" in (gallery.get(qn("w:val")) or "").lower()
    return element.tag == qn("w:p") and _style_id(element).startswith(TOC_STYLE_PREFIXES)


class FieldTracker:
    """Follows complex fields (fldChar begin/separate/end) across paragraphs to tell which paragraphs belong
    to a TOC field: its cached entries (or placeholder text) are not content, whatever their style."""

    def __init__(self) -> None:
        self.stack: list[str] = []  # instruction of each open field ("" until its instrText is seen)

    def in_toc(self, paragraph) -> bool:
        touched = "TOC" in self.stack
        for node in paragraph.iter(qn("w:fldChar"), qn("w:instrText"), qn("w:fldSimple")):
            if node.tag == qn("w:fldSimple"):
                touched |= _field_name(node.get(qn("w:instr")) or "") == "TOC"
            elif node.tag == qn("w:instrText"):
                if self.stack and not self.stack[-1]:
                    self.stack[-1] = _field_name(node.text or "")
                touched |= "TOC" in self.stack
            else:
                kind = node.get(qn("w:fldCharType"))
                if kind == "begin":
                    self.stack.append("")
                elif kind == "end" and self.stack:
                    self.stack.pop()
        return touched


def _field_name(instruction: str) -> str:
    words = instruction.split()
    return words[0].upper() if words else ""


def _cell_text(tc) -> str:
    return "\n".join(_text(p) for p in tc.iter(qn("w:p")))


def _rows(table, line: int, number: int) -> Iterator[Row]:
    """The rows of table ``number``, each named 表 N 第 M 行 in a report."""
    for index, tr in enumerate(table.iter(qn("w:tr")), start=1):
        cells: list[str] = []
        for tc in tr.findall(qn("w:tc")):
            props = tc.find(qn("w:tcPr"))
            merge = props.find(qn("w:vMerge")) if props is not None else None
            continued = merge is not None and merge.get(qn("w:val")) in (None, "continue")
            cells.append("" if continued else _cell_text(tc))
        yield Row(line, cells, line, f"表 {number} 第 {index} 行")


def docx_tokens(path: Path) -> list[Paragraph | Row]:
    """Paragraphs and rows in body order; 'line' numbers count body blocks (paragraphs and rows), from 1, and
    each item names its place as staff find it: 第 N 段 (the body's paragraphs outside tables, the cover, the
    table of contents and empty ones included), 表 N 第 M 行 (tables of the body, in order)."""
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many kinds on a damaged package; name the file instead
        raise DocumentError(f"无法作为 Word 文档读取（{type(exc).__name__}: {str(exc)[:120]}）。"
                            "请用 Word 或 WPS 打开并另存为“Word 文档 (*.docx)”后再试。", path=str(path)) from None
    items: list[Paragraph | Row] = []
    number = paragraphs = tables = 0

    fields = FieldTracker()

    def walk(container) -> None:
        nonlocal number, paragraphs, tables
        for element in container.iterchildren():
            if _is_toc(element):  # not content, but counted: 第 N 段 is the paragraph staff see in Word
                paragraphs += sum(1 for _ in element.iter(qn("w:p")))
                continue
            if element.tag == qn("w:p") and fields.in_toc(element):
                paragraphs += 1
                continue
            if element.tag == qn("w:p"):
                number += 1
                paragraphs += 1
                text = _text(element).strip()
                if text:
                    items.append(Paragraph(number, text, f"第 {paragraphs} 段"))
            elif element.tag == qn("w:tbl"):
                tables += 1
                for row in _rows(element, number + 1, tables):
                    number += 1
                    row.line = row.end_line = number
                    items.append(row)
            elif element.tag == qn("w:sdt"):
                content = element.find(qn("w:sdtContent"))
                if content is not None:
                    walk(content)

    walk(document.element.body)
    return items


def read_docx_imported(path: str | Path, *, year: int | None = None, dept_code: str | None = None,
                       dept_name: str | None = None) -> Imported:
    """Read a published .docx: the book and every problem found (for --force)."""
    p = check_docx(path)
    tokens = run_contained(lambda: docx_tokens(p), path=p, what="读取 Word 文档")  # python-docx contained (issue 26)
    return read_tokens(tokens, path=str(p), year=year, dept_code=dept_code, dept_name=dept_name,
                       spaces_are_breaks=False)


def read_docx_document(path: str | Path, *, year: int | None = None, dept_code: str | None = None,
                       dept_name: str | None = None) -> Book:
    """Read a published .docx into a Book; DocumentProblems when something was not placed."""
    return read_docx_imported(path, year=year, dept_code=dept_code, dept_name=dept_name).placed_book()
