"""What the diff and merge pages show of two or more versions, as plain JSON data: each change with its
old and new text, each changed record as its whole row grouped by sheet, each merge conflict with its
candidates, and where two texts differ (for highlighting).

The comparison itself is the library's (diff.py, merge/): this module only regroups a ChangeSet's changes by
the record they belong to and shows every field the way the diff workbook does (describe.show_field). Nothing
is compared here except text for highlighting where two values differ. It lives in the library, not in web/,
so that the web reaches the engine only through api.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .describe import show, show_field
from .diff import KIND_NAMES, Diff
from .identity import (
    DEPARTMENT_HEADERS,
    DEPARTMENT_REFS,
    ENTITY_NAMES,
    KIND_OF_ENTITY,
    KINDS,
    SEQ,
    FieldRef,
    departments,
)
from .sheets import BY_KIND

if TYPE_CHECKING:
    from .merge.plan import MergePlan

DEPARTMENT = "department"
ORDER = ("added", "removed", "changed", "moved")
KIND_OPTIONS = tuple((kind, f"只看{KIND_NAMES[kind]}") for kind in ORDER)


def diff_page(diff: Diff) -> dict[str, Any]:
    """The diff page's data: the summary and counts, every change with its old and new text (as the diff
    workbook shows them), and the tables by sheet (sheet_tables)."""
    changes = []
    for c in diff.changes.changes:
        if c.kind in ("added", "removed"):
            before, after = ("", "") if c.kind == "added" else ("（整行）", "")
        else:
            before = show_field(c.ref, c.old) if c.ref else show(c.old)
            after = show_field(c.ref, c.new) if c.ref else show(c.new)
        marked = marked_pair(before, after) if c.kind == "changed" else None
        changes.append({"kind": c.kind, "kind_text": KIND_NAMES[c.kind], "entity": ENTITY_NAMES[c.entity],
                        "label": c.label, "field": c.field or "", "old": before, "new": after,
                        "marked": marked})
    return {"summary": diff.changes.summary(), "counts": diff.changes.counts(), "changes": changes,
            "sheets": sheet_tables(diff)}


def merge_conflicts(plan: MergePlan) -> list[dict[str, Any]]:
    """The merge page's conflicts: each with its candidates (file and cell, whether it may be chosen) and
    their texts split where they differ from the first candidate's."""
    conflicts = []
    for number, conflict in enumerate(plan.conflicts):
        candidates = [{"shown": c.shown, "note": c.note, "file": c.origin.file,
                       "cell": f"{c.origin.sheet}!{c.origin.cell}" if c.origin.cell else "",
                       "eligible": c.order is not None} for c in conflict.candidates]
        _mark_differences(candidates)
        conflicts.append({"number": number, "title": conflict.title(), "label": conflict.label,
                          "key": {k: str(v) for k, v in conflict.key.items()},
                          "field": conflict.field or "（整行）", "kind": conflict.kind,
                          "chosen": conflict.chosen, "candidates": candidates})
    return conflicts


def book_totals(plan: MergePlan) -> dict[str, Any]:
    """What the merged workbook would hold: departments, projects, indicators and the total budget."""
    book = plan.book
    return {"departments": len(book.departments()), "projects": len(book.projects),
            "indicators": len(book.indicators), "budget": f"{book.total_budget():.2f}"}


def _mark_differences(candidates: list[dict[str, Any]]) -> None:
    """Each candidate's text split around where it differs from the first one (whole text kept)."""
    if not candidates:
        return
    first = candidates[0]["shown"]
    pairs = [marked_pair(first, candidate["shown"]) for candidate in candidates]
    for candidate, pair in zip(candidates, pairs):
        candidate["parts"] = pair["new"]
    if len(candidates) > 1:
        candidates[0]["parts"] = pairs[1]["old"]


def marked_pair(old: str, new: str) -> dict[str, list[str]]:
    """Old and new text split into (common prefix, differing middle, common suffix) for highlighting."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    return {"old": [old[:start], old[start:len(old) - end], old[len(old) - end:]],
            "new": [new[:start], new[start:len(new) - end], new[len(new) - end:]]}


def sheet_tables(diff: Diff) -> list[dict[str, Any]]:
    """One table per sheet that has changes (部门 first, then 部门目标, 项目, 指标), each row a whole record."""
    groups: dict[str, dict[tuple, list]] = {DEPARTMENT: {}, **{kind: {} for kind in KINDS}}
    for change in diff.changes.changes:
        if change.entity == DEPARTMENT:
            key: tuple = (change.key["部门编码"],)
            groups[DEPARTMENT].setdefault(key, []).append(change)
        else:
            key = (id(change.old_record), id(change.new_record))
            groups[KIND_OF_ENTITY[change.entity]].setdefault(key, []).append(change)
    tables = []
    if groups[DEPARTMENT]:
        tables.append(_department_table(diff, list(groups[DEPARTMENT].values())))
    for kind in KINDS:
        if groups[kind]:
            tables.append(_record_table(kind, list(groups[kind].values())))
    return tables


def _table(kind: str, name: str, columns: list[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {k: sum(1 for r in rows if r["kind"] == k) for k in ORDER}
    return {"kind": kind, "name": name, "id": f"sheet-{kind}", "columns": columns, "total": len(rows),
            "counts": [{"kind": k, "text": KIND_NAMES[k], "count": counts[k]} for k in ORDER if counts[k]],
            "rows": rows}


def _row(changes: list, label: str, where: str, cells: list[dict[str, Any]]) -> dict[str, Any]:
    kinds = [k for k in ORDER if any(c.kind == k for c in changes)]
    return {"kind": kinds[0], "tags": [{"kind": k, "text": KIND_NAMES[k]} for k in kinds], "label": label,
            "where": where, "cells": cells, "marked": [i for i, c in enumerate(cells) if c["state"] != "same"]}


def _cell(header: str, text: str, change: Any = None, old: str = "", new: str = "") -> dict[str, Any]:
    if change is None or change.kind not in ("changed", "moved"):
        return {"field": header, "state": "same", "text": text}
    return {"field": header, "state": change.kind, "text": new, "old": old, "new": new,
            "marked": marked_pair(old, new)}


def _record_table(kind: str, records: list[list]) -> dict[str, Any]:
    spec = BY_KIND[kind]
    extras: dict[str, None] = {}
    for changes in records:
        for record in (changes[0].old_record, changes[0].new_record):
            for header in (record.extra if record is not None else {}):
                extras.setdefault(header, None)
    refs = [FieldRef(kind, c.field) for c in spec.columns] + [FieldRef(kind, h, extra=True) for h in extras]
    rows = []
    for changes in records:
        first = changes[0]
        record = first.new_record if first.new_record is not None else first.old_record
        by_ref = {c.ref: c for c in changes if c.ref is not None}
        cells = []
        for ref in refs:
            change = by_ref.get(ref)
            if change is not None and change.kind in ("changed", "moved"):
                cells.append(_cell(ref.header, "", change, show_field(ref, change.old), show_field(ref, change.new)))
            else:
                cells.append(_cell(ref.header, show_field(ref, ref.get(record))))
        rows.append(_row(changes, first.label, _where(changes, by_ref.get(FieldRef(kind, SEQ))), cells))
    return _table(kind, spec.name, [ref.header for ref in refs], rows)


def _where(changes: list, moved: Any) -> str:
    """Where the row is: its row in the new file (or the old one for a removed row), and a move of 序号."""
    first = changes[0]
    old_row = first.old_record.row if first.old_record is not None else None
    new_row = first.new_record.row if first.new_record is not None else None
    if first.kind == "removed":
        text = f"旧版第 {old_row} 行" if old_row else "旧版"
    elif first.kind == "added":
        text = f"新版第 {new_row} 行" if new_row else "新版"
    elif old_row and new_row and old_row != new_row:
        text = f"第 {old_row} 行 → 第 {new_row} 行"
    else:
        text = f"第 {new_row} 行" if new_row else ""
    if moved is not None and moved.kind == "moved":
        text += f"；序号 {show(moved.old)} → {show(moved.new)}"
    return text


def _department_table(diff: Diff, records: list[list]) -> dict[str, Any]:
    """Departments' own fields (部门名称, 年度: written on each goal row but compared once)."""
    before, after = departments(diff.old), departments(diff.new)
    headers = [DEPARTMENT_HEADERS["code"], *(ref.header for ref in DEPARTMENT_REFS)]
    rows = []
    for changes in records:
        first = changes[0]
        code = first.key["部门编码"]
        dept = after.get(code) or before.get(code)
        by_header = {c.field: c for c in changes if c.field}
        cells = [_cell(headers[0], code)]
        for ref in DEPARTMENT_REFS:
            change = by_header.get(ref.header)
            if change is not None:
                cells.append(_cell(ref.header, "", change, show_field(ref, change.old), show_field(ref, change.new)))
            else:
                cells.append(_cell(ref.header, show_field(ref, getattr(dept, ref.name) if dept else None)))
        where = {"added": "新版", "removed": "旧版"}.get(first.kind, "")
        rows.append(_row(changes, first.label, where, cells))
    return _table(DEPARTMENT, "部门", headers, rows)
