"""The importer reads a .docx of the published document: paragraphs and tables in order, merged cells."""

from __future__ import annotations

import docx
import pytest

from workbook_engine.errors import UnsupportedFormat
from workbook_engine.importer import import_document
from workbook_engine.importer.text_document import Row, tokens
from workbook_engine.importer.text_export import write_text_document

GRID = 7


def spans(count: int) -> list[int]:
    """Distribute the 7-column grid over a row of ``count`` cells (the last cell takes the rest)."""
    return [1] * (count - 1) + [GRID - (count - 1)]


def build_docx(text: str, path) -> None:
    """A Word document with the structure of the text export, built independently of the publisher:
    a cover and a TOC-styled paragraph first, horizontal merges for short rows, vertical merges where the
    export shows a continuation (empty first cells)."""
    document = docx.Document()
    document.add_paragraph("乐亭县应急管理局2024年部门预算绩效文本")
    document.add_paragraph("目录")
    items = list(tokens(text))
    table = None
    previous_cells: list | None = None
    for index, item in enumerate(items):
        if not isinstance(item, Row):
            table = None
            document.add_paragraph(item.text)
            continue
        if table is None:
            table = document.add_table(rows=0, cols=GRID)
            previous_cells = None
        row = table.add_row()
        cells, start = [], 0
        for width in spans(len(item.cells)):
            cell = row.cells[start]
            if width > 1:
                cell = cell.merge(row.cells[start + width - 1])
            cells.append(cell)
            start += width
        for position, (cell, value) in enumerate(zip(cells, item.cells)):
            if value == "" and previous_cells is not None and position < 2 and index > 0:
                previous_cells[position].merge(cell)  # a vertical merge: continuation of the cell above
            else:
                lines = value.strip().split("    ")
                cell.text = "\n".join(lines)
        previous_cells = cells if len(cells) == len(item.cells) else None
        next_item = items[index + 1] if index + 1 < len(items) else None
        if isinstance(next_item, Row) and len(next_item.cells) != len(item.cells) and "一级指标" in next_item.cells:
            table = None
    document.save(str(path))


def test_docx_of_the_seed_imports_equal(tmp_path, seed_book):
    path = tmp_path / "doc.docx"
    build_docx(write_text_document(seed_book), path)
    assert import_document(path) == seed_book


def test_legacy_doc_is_refused(tmp_path):
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(UnsupportedFormat, match="docx"):
        import_document(path)
