"""Writing a merge plan: the merged canonical workbook, its 合并记录 sheet and, when asked, the 冲突 sheet
with the conflicting cells marked. The last step of a merge; nothing here decides content.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from ..canonical_writer import CellMark, Layout, Marks, write_book
from ..identity import ENTITY_NAMES, KINDS
from ..model import Book
from ..report_sheets import Link, write_table
from ..sheets import CONFLICTS_SHEET, MERGE_LOG_SHEET
from .plan import CONFLICT_KINDS, Conflict, MergePlan, book_totals

CONFLICT_FILL = "#F8CBAD"
CHOSEN_FILL = "#E2EFDA"


def write_merge(plan: MergePlan, output: str | os.PathLike[str], *,
                verify: Callable[[Path], None] | None = None, overwrite: bool = False) -> Path:
    """Write the plan's book atomically, never over an input; ``verify`` may refuse the finished file."""
    positions = _positions(plan.book)
    marks = _conflict_marks(plan, positions) if plan.conflicts_sheet else None

    def extra_sheets(workbook, formats, layout: Layout) -> None:
        _write_log(workbook, formats, plan).activate()  # the file opens on its 合并记录 (or on 冲突, below)
        if plan.conflicts_sheet:
            sheet = _write_conflicts(workbook, formats, plan, positions, layout)
            if plan.conflicts:
                sheet.activate()

    write_book(plan.book, output, inputs=[s.path for s in plan.sources], marks=marks, extra_sheets=extra_sheets,
               verify=verify, overwrite=overwrite)
    return Path(output)


def _positions(book: Book) -> dict[int, tuple[str, int]]:
    return {id(r): (kind, i) for kind in KINDS for i, r in enumerate(book.records(kind))}


def _targets(conflict: Conflict, book: Book, positions: dict[int, tuple[str, int]]) -> list[tuple[str, int]]:
    if conflict.department is not None:
        return [positions[id(g)] for g in book.goals if g.dept_code == conflict.department]
    return [positions[id(record)] for _, record in conflict.targets if id(record) in positions]


def _comment(conflict: Conflict) -> str:
    lines = [f"冲突：{conflict.title()}"]
    for index, candidate in enumerate(conflict.candidates):
        note = f"（{candidate.note}）" if candidate.note else ""
        used = " ← 采用" if index == conflict.chosen else ""
        lines.append(f"{candidate.origin.text()}：{candidate.shown[:200]}{note}{used}")
    return "\n".join(lines)


def _conflict_marks(plan: MergePlan, positions: dict[int, tuple[str, int]]) -> Marks:
    marks: Marks = {}
    for conflict in plan.conflicts:
        header = conflict.field if conflict.kind != "deleted" else None
        for kind, index in _targets(conflict, plan.book, positions):
            key = (kind, index, header)
            previous = marks.get(key)
            text = _comment(conflict) if previous is None else (previous.comment or "") + "\n\n" + _comment(conflict)
            marks[key] = CellMark(CONFLICT_FILL, comment=text)
    return marks


def _departments_text(book: Book) -> str:
    return "；".join(f"{d.code} {d.name}".strip() for d in book.departments())


def _write_log(workbook, formats, plan: MergePlan) -> Any:
    rows: list[list[Any]] = []
    totals = [0, 0, 0]
    budget: int | Decimal = 0
    for number, source in enumerate(plan.sources, start=1):
        departments, projects, indicators, total = book_totals(source.book)
        rows.append([number, source.role, source.label, source.sha256, _departments_text(source.book), projects,
                     indicators, total])
        if source is not plan.base:
            totals = [totals[0] + departments, totals[1] + projects, totals[2] + indicators]
            budget += total
    departments, projects, indicators, total = book_totals(plan.book)
    rows.append(["", "合计", "各输入之和" + ("（不含基准）" if plan.base else ""), "", f"{totals[0]} 个部门",
                 totals[1], totals[2], budget])
    rows.append(["", "合并结果", "", "", f"{departments} 个部门：{_departments_text(plan.book)}", projects,
                 indicators, total])
    how = {"first": "--prefer first（采用靠前输入的值）", "last": "--prefer last（采用靠后输入的值）"}
    notes = [f"方式：{'三方合并（以基准为参照）' if plan.base else '合并（按键取并集，相同记录只保留一条）'}。",
             f"冲突：{len(plan.conflicts)} 处"
             + ("，按审核人在页面上的逐项选择处理" if plan.conflicts and plan.chosen else
                f"，按 {how[plan.prefer]} 处理" if plan.conflicts and plan.prefer else "")
             + ("，已列在“冲突”工作表并在单元格中标出" if plan.conflicts and plan.conflicts_sheet else "") + "。"]
    if plan.renumbered:
        notes.append(f"序号调整：{len(plan.renumbered)} 处（两条记录序号相同，后者及其后的记录顺延）：")
        notes.extend("  " + item.text() for item in plan.renumbered)
    return write_table(workbook, formats, MERGE_LOG_SHEET, "合并记录", ("序号", "角色", "文件", "SHA-256", "部门", "项目数",
                                                              "指标数", "预算合计（万元）"),
                rows, (6, 8, 28, 66, 40, 8, 8, 14), notes=notes, money_columns=(7,))


def _write_conflicts(workbook, formats, plan: MergePlan, positions: dict[int, tuple[str, int]], layout: Layout):
    rows: list[list[Any]] = []
    fills: dict[int, str] = {}
    for number, conflict in enumerate(plan.conflicts, start=1):
        header = conflict.field if conflict.kind != "deleted" else None
        targets = _targets(conflict, plan.book, positions)
        link: Any = ""
        if targets:
            sheet, cell = layout.cell(targets[0][0], targets[0][1], header)
            link = Link(sheet, cell, f"{sheet}!{cell}")
        for index, candidate in enumerate(conflict.candidates):
            chosen = index == conflict.chosen
            if chosen:
                fills[len(rows)] = CHOSEN_FILL
            origin = candidate.origin
            rows.append([number, CONFLICT_KINDS[conflict.kind], ENTITY_NAMES[conflict.entity], conflict.label,
                         conflict.field or "（整行）", candidate.shown + (f"（{candidate.note}）" if candidate.note else ""),
                         origin.file, f"{origin.sheet}!{origin.cell}" if origin.cell else "", "采用" if chosen else "",
                         link if index == 0 else ""])
    title = f"冲突：{len(plan.conflicts)} 处" if plan.conflicts else "冲突：无"
    return write_table(workbook, formats, CONFLICTS_SHEET, title,
                       ("冲突号", "类型", "对象", "记录", "字段", "取值", "来源文件", "单元格", "采用", "合并结果位置"),
                       rows, (7, 12, 8, 40, 12, 40, 24, 10, 6, 14), fills=fills)
