"""`wbe suggest`: for every project of a book, the indicators its peers use that it does not have.

Peers are the similar projects of the library (peers.py). A suggestion is an indicator group used by at
least ``min_share`` of the peers (and two of them) that the project lacks; suggestions whose 二级 category the
project has no indicator in at all come first (缺少的类别), then by the number of peers using them, then by
key (deterministic). Each carries the peers' typical value (the median of their most common unit and
direction, or the most common text for qualitative values), the unit, the most common basis and how many
peers use it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .normalise import level1_key, level2_key, level3_key, region_of
from .peers import PeerSettings, find_peers
from .query import Library

if TYPE_CHECKING:
    from ..model import Book

SHEET = "指标建议"
HEADERS = ("项目编码", "项目名称", "缺少的类别", "一级指标", "二级指标", "三级指标", "典型指标值", "单位", "方向",
           "常用依据", "使用的相似项目", "相似项目数")


@dataclass
class Suggestion:
    project_code: str
    project_name: str
    missing_category: bool
    level1: str
    level2: str
    level3: str
    typical: str
    unit: str
    direction: str
    basis: str
    peers_using: int
    peers: int
    median: float | None = None

    def row(self) -> list[Any]:
        return [self.project_code, self.project_name, "是" if self.missing_category else "", self.level1,
                self.level2, self.level3, self.typical, self.unit, self.direction, self.basis, self.peers_using,
                self.peers]


@dataclass
class SuggestResult:
    book: Path
    library: Path
    projects: int
    suggestions: list[Suggestion] = field(default_factory=list)
    without_peers: list[str] = field(default_factory=list)
    output: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"book": str(self.book), "library": str(self.library), "projects": self.projects,
                "output": None if self.output is None else str(self.output),
                "without_peers": self.without_peers, "suggestions": [s.__dict__ for s in self.suggestions]}

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)


def suggestions_for(book: Book, library: Library, *, settings: PeerSettings = PeerSettings(),
                    min_share: float = 0.3) -> tuple[list[Suggestion], list[str]]:
    """Suggestions for every project of ``book`` (and the codes of projects without peers)."""
    projects = book.projects
    region = next((r for r in (region_of(p.code) for p in projects) if r), None)
    groups = find_peers(library, projects, region, settings)
    found: list[Suggestion] = []
    lonely: list[str] = []
    for project in projects:
        group = groups[project.code]
        if not group.size:
            lonely.append(project.code)
            continue
        own = book.indicators_of(project.code)
        own_keys = {(level1_key(i.level1), level2_key(i.level1, i.level2), level3_key(i.level3)) for i in own}
        own_categories = {(k1, k2) for k1, k2, _ in own_keys}
        wanted = max(2, int(min_share * group.size + 0.999))
        items = []
        for usage in group.usage:
            if usage.peers < wanted or usage.key in own_keys:
                continue
            items.append(Suggestion(project.code, project.name, (usage.key_level1, usage.key_level2) not in own_categories,
                                    usage.key_level1, usage.key_level2, usage.name, usage.typical, usage.unit,
                                    usage.direction, usage.basis, usage.peers, group.size, usage.median))
        items.sort(key=lambda s: (not s.missing_category, -s.peers_using, s.level1, s.level2, s.level3))
        found.extend(items)
    return found, lonely


def suggest(book_path: str | os.PathLike[str], library_path: str | os.PathLike[str], *,
            output: str | os.PathLike[str] | None = None, overwrite: bool = False,
            settings: PeerSettings = PeerSettings(), checked_book: Book | None = None) -> SuggestResult:
    """Suggestions for a canonical workbook; with ``output``, a copy of it with a 指标建议 sheet (the book
    itself is never modified; the output is written atomically and replaces a file only with ``overwrite``).
    ``checked_book``: the workbook as a check the caller made read it (it is not read again)."""
    from ..io.atomic import check_output
    from ..validation import check

    if output is not None:
        check_output(output, inputs=[book_path], overwrite=overwrite, suffix=".xlsx")
    book = checked_book if checked_book is not None else check(Path(book_path)).book
    with Library(library_path) as library:
        suggestions, lonely = suggestions_for(book, library, settings=settings)
    result = SuggestResult(Path(book_path), Path(library_path), len(book.projects), suggestions, lonely)
    if output is not None:
        write_suggestions(book, result, Path(output), book_path, overwrite=overwrite)
        result.output = Path(output)
    return result


def write_suggestions(book: Book, result: SuggestResult, output: Path, source: str | os.PathLike[str], *,
                      overwrite: bool) -> None:
    from ..canonical_writer import write_book
    from ..report_sheets import write_table

    def extra(workbook: Any, formats: Any, layout: Any) -> None:
        rows = [s.row() for s in result.suggestions]
        fills = {n: "#FCE4D6" for n, s in enumerate(result.suggestions) if s.missing_category}
        notes = ["相似项目：指标库中名称、资金用途和绩效目标最接近的项目（方法见 docs/library.md）。",
                 "典型指标值：相似项目所用指标值的中位数（最常见的单位和方向）；“缺少的类别”为本项目没有任何指标的二级类别。"]
        if result.without_peers:
            notes.append(f"没有找到相似项目：{'、'.join(result.without_peers)}。")
        write_table(workbook, formats, SHEET, f"指标建议（指标库：{result.library.name}）", HEADERS, rows,
                    (24, 28, 10, 12, 16, 24, 14, 8, 6, 22, 12, 10), fills=fills, notes=notes)

    write_book(book, output, inputs=[source], overwrite=overwrite, extra_sheets=extra)
