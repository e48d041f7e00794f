"""Reader of the published document in its text-export form (the seed in shared/seeds/): bytes to text, text
to paragraphs and rows, which importer/parser.py reads (as it reads those of a .docx).

The export writes each table cell as a line starting with a tab, ends a table row with a blank line, and
writes a vertically merged cell's continuation as an empty cell. Bookmarks ("[bookmark: …]") are not
content. A cell-internal line break shows as a run of spaces: in labels it is dropped, in data cells a run of
two or more spaces becomes a line break again (docs/importer.md). Everything else is kept exactly.
Each project table is read against templates/project-table.toml, as render and publish write it: its labels
and the order of its cells (a county whose layout differs edits the template, and import follows); the part
headings come from templates/publish.toml.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from ..errors import DocumentError
from ..io.guard import read_text_document as read_bounded
from ..model import Book
from .parser import parse_tokens, read_tokens
from .problems import Imported, Paragraph, Row

BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]")
__all__ = ["BOOKMARK_RE", "Paragraph", "Row", "decode", "parse_text_document", "read_text_document",
           "read_text_imported", "tokens"]


def refuse_binary(data: bytes, path: str) -> None:
    """A Word, Excel or other binary file given where the text export is expected: say what to do."""
    save_as_text = "请直接导入 Word 文档 (.docx)，或在 Word 中“另存为”纯文本 (*.txt)、编码选 UTF-8 后导入。"
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
        raise DocumentError(f"这是 Word/Excel 或其他 Office 文件，不是文本导出。{save_as_text}", path=path)
    if data.startswith(b"%PDF"):
        raise DocumentError(f"这是 PDF 文件，不是文本导出。{save_as_text}", path=path)
    head = data[:4096]
    if b"\0" in head and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError(f"这不是文本文件（含有二进制数据）。{save_as_text}", path=path)


def decode(data: bytes, path: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK)."""
    refuse_binary(data, path)
    if not data.strip():
        raise DocumentError("文件是空的。请确认导出的文本已完整保存。", path=path)
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].decode("utf-16", errors="replace").count("\n") + 1
            raise DocumentError("UTF-16 文本已损坏，无法解码。请另存为 UTF-8 文本后再导入。", path=path,
                                line=line) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DocumentError("无法识别文本编码（既不是 UTF-8 也不是 GBK）。请另存为 UTF-8 文本后再导入。",
                            path=path, line=line) from None


def tokens(text: str) -> Iterator[Paragraph | Row]:
    """Paragraphs and table rows, in document order, with 1-based line numbers."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    index = 0
    while index < len(lines):
        line = BOOKMARK_RE.sub("", lines[index])
        if line.startswith("\t"):
            start = index
            cells = []
            while index < len(lines) and lines[index].startswith("\t"):
                cells.append(BOOKMARK_RE.sub("", lines[index])[1:])
                index += 1
            yield Row(start + 1, cells, index)
            continue
        if line.strip():
            yield Paragraph(index + 1, line.strip())
        index += 1


def parse_text_document(text: str, *, path: str = "<text>", year: int | None = None,
                        dept_code: str | None = None, dept_name: str | None = None) -> Book:
    """Parse the text export of a published document into a Book (both parts); DocumentProblems lists
    every problem when some passage could not be placed."""
    return parse_tokens(list(tokens(text)), path=path, year=year, dept_code=dept_code, dept_name=dept_name)


def read_text_imported(path: str | Path, *, year: int | None = None, dept_code: str | None = None,
                       dept_name: str | None = None) -> Imported:
    """Read a text-export file (UTF-8 or GBK): the book and every problem found (for --force)."""
    text = decode(read_bounded(path), str(path))
    return read_tokens(list(tokens(text)), path=str(path), year=year, dept_code=dept_code, dept_name=dept_name)


def read_text_document(path: str | Path, *, year: int | None = None, dept_code: str | None = None,
                       dept_name: str | None = None) -> Book:
    """Read and parse a text-export file (UTF-8 or GBK); DocumentProblems when something was not placed."""
    return read_text_imported(path, year=year, dept_code=dept_code, dept_name=dept_name).placed_book()
