"""Writer of the text-export form (the inverse of text_document.py).

It writes a Book the way the seed document's text export looks: paragraphs for part 1, and per project a
title line, the unit row and the two tables, each cell a tab-led line, rows ended by a blank line, vertical
merge continuations as empty cells. Tests use it to build variant documents; `import` of its output gives
the same Book back.
"""

from __future__ import annotations

from ..document_format import part_one
from ..grammar import grammar
from ..layout import flat_text, project_layout, title_text
from ..model import Book, Department

LINE_BREAK_ARTEFACT = "    "


def cell_text(text: str) -> str:
    """A data cell as the export shows it: a line break becomes a run of spaces."""
    return text.replace("\r\n", "\n").replace("\n", LINE_BREAK_ARTEFACT)


def write_text_document(book: Book, dept_code: str | None = None) -> str:
    """The text export of one department's document (the first department when not named)."""
    departments = book.departments()
    if not departments:
        return ""
    dept = next((d for d in departments if d.code == dept_code), departments[0])
    part = book.for_department(dept.code)
    parts = grammar().part_lines
    out: list[str] = [*parts["one"], " "]
    out.extend(block.text for block in part_one(book, dept.code))
    out += ["", " ", parts["two"][0], " ", *parts["two"][1:], " "]
    unit = Department(dept.code, dept.name, None)
    for project in part.projects_of(dept.code):
        out.append(title_text(project, unit))
        rows = project_layout(project, unit, part.indicators_of(project.code))
        for index, (row, texts) in enumerate(zip(rows, flat_text(rows))):
            if index and row.table != rows[index - 1].table and row.table > 1:
                out.append(" ")  # the document's empty paragraph between the two tables
            out.extend("\t" + cell_text(cell) for cell in texts)
            out.append("")
        out.append("")
        out.append(" ")
    return "\n".join(out) + "\n"
