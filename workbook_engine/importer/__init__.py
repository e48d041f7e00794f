"""Importers of the published document (部门预算绩效文本) into the canonical form."""

from __future__ import annotations

from pathlib import Path

from ..io.guard import OLE_MAGIC, check_input_file
from ..model import Book
from .docx_document import read_docx_document, read_docx_imported
from .problems import DocumentProblems, Imported
from .text_document import parse_text_document, read_text_document, read_text_imported

__all__ = ["import_document", "read_document", "parse_text_document", "read_text_document", "read_docx_document",
           "DocumentProblems", "Imported"]


def read_document(path: str | Path, *, year: int | None = None, dept_code: str | None = None,
                  dept_name: str | None = None) -> Imported:
    """Read a published document (.docx, or the text export of the Word file): the book and every problem
    found in it, each with its place. Raises only when the document cannot be read at all.

    A zip or OLE file is read as Word whatever its name, so a .docx saved as .txt still imports and an
    .xlsx or .doc is refused by the docx guard with what to do.
    """
    check_input_file(path)  # before opening it: a FIFO would block the open forever
    reader = read_docx_imported if _is_office_file(path) else read_text_imported
    return reader(path, year=year, dept_code=dept_code, dept_name=dept_name)


def import_document(path: str | Path, *, year: int | None = None, dept_code: str | None = None,
                    dept_name: str | None = None) -> Book:
    """The Book of a published document whose every passage was placed; else DocumentProblems (all listed)."""
    return read_document(path, year=year, dept_code=dept_code, dept_name=dept_name).placed_book()


def _is_office_file(path: str | Path) -> bool:
    if Path(path).suffix.lower() in (".docx", ".doc"):
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:  # the reader's own checks say what is wrong
        return False
    return head.startswith((b"PK\x03\x04", OLE_MAGIC))
