"""What an import could not place: the findings (each with its place in the document) and the passages.

The parser does not stop at the first problem: it records a finding from the catalogue (WBE-E301…E304),
names the place as staff find it (第 N 行 of the text export, 第 N 段 or 表 N 第 M 行 of a .docx), keeps the
passages it could not place, and goes on. Without --force the import is refused with every problem listed
(``DocumentProblems``, exit 2); with --force the passages go into the 未归位内容 sheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import DocumentError
from ..findings import Finding, Location, Report, finding
from ..model import Book
from ..sheets.unplaced import NAME as UNPLACED_NAME
from ..sheets.unplaced import Passage


@dataclass
class Paragraph:
    """A paragraph of the document; ``place`` names it in a .docx (第 N 段), else it is 第 ``line`` 行."""

    line: int
    text: str
    place: str = ""


@dataclass
class Row:
    """A table row; ``place`` names it in a .docx (表 N 第 M 行), else its cells are lines ``line``…"""

    line: int
    cells: list[str]
    end_line: int
    place: str = ""


Item = Paragraph | Row


def where(item: Item, cell: int | None = None) -> str:
    """An item (or one cell of a row) as a report names it."""
    if item.place:
        return item.place if cell is None else f"{item.place}第 {cell + 1} 格"
    return f"第 {item.line + (cell or 0)} 行"  # the text export writes each cell of a row on its own line


def passage_text(item: Item) -> str:
    return item.text if isinstance(item, Paragraph) else " | ".join(c.strip() for c in item.cells)


@dataclass
class Problems:
    """The findings of one import in document order, and the passages they could not place."""

    path: str
    entries: list[tuple[int, Finding, list[Passage]]] = field(default_factory=list)

    def add(self, code: str, item: Item, cell: int | None = None, /, *, variant: str | None = None,
            value: str | None = None, passages: list[tuple[Item, int | None]] | None = None,
            place: str | None = None, **fields: Any) -> Finding:
        """Record finding ``code`` at ``item`` (``cell``); ``passages`` are the items (or cells) it leaves
        unplaced. A problem that leaves nothing unplaced (a missing row) still gets a row in 未归位内容."""
        here = place or where(item, cell)
        line = item.line + (cell or 0) if not item.place else None
        found = finding(code, Location(file=self.path, row=line), value, variant=variant, place=here, **fields)
        listed = [Passage(where(p, c), passage_text(p) if c is None else _cell(p, c), found.message)
                  for p, c in passages or ()]
        self.entries.append((item.line, found, listed or [Passage(here, "", found.message)]))
        return found

    def __bool__(self) -> bool:
        return bool(self.entries)

    @property
    def findings(self) -> list[Finding]:
        return [f for _, f, _ in sorted(self.entries, key=lambda e: e[0])]

    @property
    def passages(self) -> list[Passage]:
        return [p for _, _, listed in sorted(self.entries, key=lambda e: e[0]) for p in listed]


def _cell(item: Item, cell: int) -> str:
    return item.cells[cell].strip() if isinstance(item, Row) and cell < len(item.cells) else ""


@dataclass
class Imported:
    """An import's result: the book, the findings (empty when every passage was placed) and the passages
    of the 未归位内容 sheet."""

    path: str
    book: Book
    findings: list[Finding]
    passages: list[Passage]

    @property
    def report(self) -> Report:
        return Report(self.path, list(self.findings))

    def refusal(self) -> DocumentProblems:
        return DocumentProblems(self)

    def placed_book(self) -> Book:
        """The book, when every passage was placed; else DocumentProblems listing them all."""
        if self.findings:
            raise self.refusal()
        return self.book


LISTED = 30  # problems a message lists; the rest are counted (all are in --format json and 未归位内容)


def listing(findings: list[Finding]) -> list[str]:
    """The numbered lines of a problem list, at most LISTED of them and a count of the rest."""
    lines = [f"  {number}. [{f.code}] {f.message}" for number, f in enumerate(findings[:LISTED], start=1)]
    if len(findings) > LISTED:
        lines.append(f"  ……另有 {len(findings) - LISTED} 个问题（--format json 列出全部；加 --force 写出后都在"
                     f"“{UNPLACED_NAME}”工作表中）。")
    return lines


class DocumentProblems(DocumentError):
    """An import refused because of problems in the document: every one is listed, with its place."""

    def __init__(self, imported: Imported):
        self.imported = imported
        findings = imported.findings
        first = findings[0]
        force = f"加 --force 可照样写出工作簿，未能归位的内容写在“{UNPLACED_NAME}”工作表中。"
        if len(findings) == 1:  # one problem: one line, as before this list existed
            super().__init__(f"{first.message}未写出工作簿；{force}", path=imported.path)
        else:
            lines = [f"导入时发现 {len(findings)} 个问题，未写出工作簿：", *listing(findings)]
            lines.append(f"请改正文本后重新导入；或{force}")
            super().__init__("\n".join(lines), path=imported.path)
        self.line = first.row  # the first problem's line of a text export (None in a .docx)
