"""What the findings pages show of `wbe suggest` (issue 23): for each project its top suggested indicators,
as plain JSON data the web writes beside the analysis (suggestions.json) and the templates draw.

The suggestions are exactly `wbe suggest`'s (library/suggest.py, same order), cut to ``per_project`` a
project. The page shows aggregates only (decisions 23.7): a suggestion whose library group is used by fewer
than ``min_departments`` departments keeps its name, category and peer count, but not its typical value or
basis (they would be one department's own values).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Book

PER_PROJECT = 5
MAX_PROJECTS = 200  # a county's merged workbook has 2,000 projects: the page lists the first 200 (the CLI all)
MIN_DEPARTMENTS = 3  # as the 指标库 page (web/library_page.py)


def suggestions_view(book: str | os.PathLike[str], library: str | os.PathLike[str], *,
                     per_project: int = PER_PROJECT, min_departments: int = MIN_DEPARTMENTS,
                     checked_book: Book | None = None) -> dict[str, Any]:
    """``{"projects": [{code, name, peers, more, indicators: [...]}], "more_projects": n, "without_peers": [...],
    "total": n}`` (at most MAX_PROJECTS projects; ``more_projects`` says how many more have suggestions)."""
    from .library.normalise import level3_key
    from .library.query import Library
    from .library.suggest import suggest

    result = suggest(Path(book), Path(library), checked_book=checked_book)
    projects: dict[str, dict[str, Any]] = {}
    used_by: dict[tuple[str, str, str], int] = {}  # each group's departments, as Library.record finds them
    with Library(library) as opened:  # (looked up once, not by a scan of every record per suggestion)
        for record, _, _ in opened.records():
            used_by.setdefault(record.key, record.departments)
    for s in result.suggestions:
        project = projects.setdefault(s.project_code, {"code": s.project_code, "name": s.project_name,
                                                       "peers": s.peers, "indicators": [], "more": 0})
        if len(project["indicators"]) >= per_project:
            project["more"] += 1
            continue
        departments = used_by.get((s.level1, s.level2, level3_key(s.level3)), 0)
        shown = departments >= min_departments
        project["indicators"].append({
            "missing_category": s.missing_category, "level1": s.level1, "level2": s.level2,
            "level3": s.level3, "typical": s.typical if shown else "", "unit": s.unit,
            "direction": s.direction, "basis": s.basis if shown else "", "peers_using": s.peers_using,
            "peers": s.peers, "departments": departments, "shown": shown})
    listed = list(projects.values())
    return {"projects": listed[:MAX_PROJECTS], "more_projects": max(0, len(listed) - MAX_PROJECTS),
            "without_peers": result.without_peers, "total": len(result.suggestions),
            "min_departments": min_departments}
