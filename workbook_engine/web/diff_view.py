"""The diff page's tables as the page shows them: the filter by kind of change and at most MAX_ROWS rows a
sheet. The tables themselves (each changed record as its whole row, grouped by sheet, changed cells marked)
are the library's (change_view.py, through api.py), stored in diff.json by tasks.diff_task.
"""

from __future__ import annotations

from typing import Any

from .. import api

MAX_ROWS = 500  # per sheet on the page; the rest are in the diff workbook (the page says so)
KIND_OPTIONS = api.diff_kind_options()


def shown_tables(tables: list[dict[str, Any]], kind: str = "") -> list[dict[str, Any]]:
    """The tables as the page shows them: only rows with a change of ``kind`` (all when blank), at most
    MAX_ROWS per sheet (``hidden`` says how many more there are)."""
    shown = []
    for table in tables:
        rows = [r for r in table["rows"] if not kind or any(t["kind"] == kind for t in r["tags"])]
        shown.append({**table, "rows": rows[:MAX_ROWS], "hidden": max(0, len(rows) - MAX_ROWS)})
    return shown
