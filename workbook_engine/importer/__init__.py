"""Importers of the published document (部门预算绩效文本) into the canonical form."""

from __future__ import annotations

from pathlib import Path

from ..model import Book
from .docx_document import read_docx_document
from .text_document import parse_text_document, read_text_document

__all__ = ["import_document", "parse_text_document", "read_text_document", "read_docx_document"]


def import_document(path: str | Path, *, year: int | None = None, dept_code: str | None = None,
                    dept_name: str | None = None) -> Book:
    """Read a published document (.docx, or the text export of the Word file) into a Book."""
    reader = read_docx_document if Path(path).suffix.lower() in (".docx", ".doc") else read_text_document
    return reader(path, year=year, dept_code=dept_code, dept_name=dept_name)
