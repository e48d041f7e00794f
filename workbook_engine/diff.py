"""Semantic diff of two canonical workbooks: a change set computed first, shown or written afterwards.

Records are paired by their keys (identity.py), not by row position: departments, goals, projects and
indicators are added, removed, changed (one change per field: old → new) or moved (序号 changed; a reorder
alone is a move, never delete + add). Rows that only changed place in the sheet without a new 序号 are not
a change: 序号 is the published order.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .canonical_writer import CellMark, Layout, Marks, write_book
from .describe import department_label, json_scalar, record_dict, record_label, short, show, show_field, text_change
from .findings import Location
from .identity import (
    DEPARTMENT_REFS,
    ENTITY_NAMES,
    ENTITY_OF_KIND,
    KIND_OF_ENTITY,
    KINDS,
    SEQ,
    FieldRef,
    compared_fields,
    department_key,
    departments,
    key_dict,
    match,
    same,
)
from .io.cell_text import terminal_text
from .model import Book
from .report_sheets import Link, write_table
from .sheets import DIFF_SHEET

KIND_NAMES = {"added": "新增", "removed": "删除", "changed": "修改", "moved": "移动"}
ADDED_FILL, CHANGED_FILL, MOVED_FILL = "#C6EFCE", "#FFEB9C", "#BDD7EE"


@dataclass
class Change:
    """One difference. ``key``, ``field`` (a header), ``old`` and ``new`` are the JSON contract."""

    kind: str  # added | removed | changed | moved
    entity: str  # department | goal | project | indicator | monitor_/evaluation_ project | indicator
    key: dict[str, Any]
    field: str | None
    old: Any
    new: Any
    label: str = ""
    ref: FieldRef | None = None
    old_record: Any = dataclasses.field(default=None, repr=False)
    new_record: Any = dataclasses.field(default=None, repr=False)
    # Where the change is: in the new file, or in the old one for a removal (filled by diff_files).
    location: Location | None = dataclasses.field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        def convert(value: Any) -> Any:
            return value if isinstance(value, dict) else json_scalar(value)

        return {"kind": self.kind, "entity": self.entity, "key": {k: json_scalar(v) for k, v in self.key.items()},
                "field": self.field, "old": convert(self.old), "new": convert(self.new)}

    def text(self) -> str:
        """One line for the terminal: 修改 项目 <编码>（<名称>）：预算数 200.00 → 220.00"""
        head = f"{KIND_NAMES[self.kind]} {self.label}"
        if self.kind in ("added", "removed"):
            return head
        old, new = (show_field(self.ref, self.old), show_field(self.ref, self.new)) if self.ref else \
            (show(self.old), show(self.new))
        if isinstance(self.old, str) and isinstance(self.new, str) and self.old.strip() and self.new.strip():
            old, new = text_change(self.old, self.new)
        return f"{head}：{self.field} {old} → {new}"


@dataclass
class ChangeSet:
    """All differences between two books, in report order (departments, goals, projects, indicators)."""

    changes: list[Change]

    @property
    def identical(self) -> bool:
        return not self.changes

    def exit_code(self) -> int:
        """Like diff(1): 0 identical, 1 different."""
        return 0 if self.identical else 1

    def counts(self) -> dict[str, int]:
        return {kind: sum(1 for c in self.changes if c.kind == kind) for kind in KIND_NAMES}

    def to_dict(self) -> dict[str, Any]:
        return {"changes": [c.to_dict() for c in self.changes]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def summary(self) -> str:
        if self.identical:
            return "两个工作簿内容相同。"
        counts = "，".join(f"{KIND_NAMES[k]} {n}" for k, n in self.counts().items())
        return f"共 {len(self.changes)} 处变化：{counts}。"

    def to_text(self) -> str:
        """One line per change; rows added or removed with their department or project are counted on the
        parent's line instead of listed (the JSON lists every one)."""
        parents = {(c.kind, c.entity, tuple(c.key.values())) for c in self.changes
                   if c.kind in ("added", "removed") and c.entity in ("department", "project")}
        folded: dict[tuple, dict[str, int]] = {}
        lines: list[tuple[tuple | None, str]] = []
        for change in self.changes:
            parent = _parent(change, parents)
            if parent is not None:
                counts = folded.setdefault(parent, {})
                counts[change.entity] = counts.get(change.entity, 0) + 1
                continue
            own = (change.kind, change.entity, tuple(change.key.values()))
            lines.append((own if own in parents else None, terminal_text(change.text(), one_line=True)))
        text = []
        for owner, line in lines:
            folded_counts = folded.get(owner) if owner is not None else None
            if folded_counts:
                units = {"goal": "条部门目标", "project": "个项目", "indicator": "个指标",
                         "monitor_project": "行监控项目", "monitor_indicator": "行监控指标",
                         "evaluation_project": "行自评项目", "evaluation_indicator": "行自评指标"}
                line += "（含 " + "、".join(f"{n} {units[e]}" for e, n in folded_counts.items()) + "）"
            text.append(line)
        return "\n".join([*text, self.summary()])


def _parent(change: Change, parents: set[tuple]) -> tuple | None:
    """The added/removed department or project an added/removed row belongs to, if it is one."""
    if change.kind not in ("added", "removed") or change.entity == "department":
        return None
    record = change.new_record if change.kind == "added" else change.old_record
    if record is None:
        return None
    department = (change.kind, "department", (record.dept_code,))
    if department in parents:
        return department
    if change.entity != "project" and hasattr(record, "project_code"):
        project = (change.kind, "project", (record.project_code,))
        if project in parents:
            return project
    return None


def diff_books(old: Book, new: Book) -> ChangeSet:
    """Every difference from ``old`` to ``new``, by key."""
    changes = _department_changes(old, new)
    old_sorted, new_sorted = old.sorted(), new.sorted()
    for kind in KINDS:
        old_records, new_records = old_sorted.records(kind), new_sorted.records(kind)
        fields = compared_fields(kind, [*old_records, *new_records])
        for before, after in match(kind, old_records, new_records):
            changes.extend(_record_changes(kind, fields, before, after))
    return ChangeSet(changes)


def _department_changes(old: Book, new: Book) -> list[Change]:
    before, after = departments(old), departments(new)
    changes: list[Change] = []
    for code in sorted(after):
        dept = after[code]
        label = department_label(code, dept.name)
        if code not in before:
            changes.append(Change("added", "department", department_key(code), None, None,
                                  {"部门名称": dept.name, "年度": dept.year}, label))
            continue
        for ref in DEPARTMENT_REFS:
            old_value, new_value = getattr(before[code], ref.name), getattr(dept, ref.name)
            if not same(old_value, new_value):
                changes.append(Change("changed", "department", department_key(code), ref.header, old_value,
                                      new_value, label, ref))
    for code in sorted(set(before) - set(after)):
        dept = before[code]
        changes.append(Change("removed", "department", department_key(code), None,
                              {"部门名称": dept.name, "年度": dept.year}, None, department_label(code, dept.name)))
    return changes


def _record_changes(kind: str, fields: list[FieldRef], before: Any, after: Any) -> list[Change]:
    entity = ENTITY_OF_KIND[kind]
    if before is None:
        return [Change("added", entity, key_dict(kind, after), None, None, record_dict(kind, after),
                       record_label(kind, after), new_record=after)]
    if after is None:
        return [Change("removed", entity, key_dict(kind, before), None, record_dict(kind, before), None,
                       record_label(kind, before), old_record=before)]
    changes = []
    key, label = key_dict(kind, after), record_label(kind, after)
    for ref in fields:
        old_value, new_value = ref.get(before), ref.get(after)
        if same(old_value, new_value):
            continue
        moved = ref.name == SEQ and not ref.extra and old_value is not None and new_value is not None
        changes.append(Change("moved" if moved else "changed", entity, key, ref.header, old_value, new_value,
                              label, ref, before, after))
    return changes


@dataclass
class Diff:
    """A change set with the books it was computed from (for writing the diff workbook)."""

    old_path: Path
    new_path: Path
    old: Book
    new: Book
    changes: ChangeSet


def diff_files(old: str | os.PathLike[str], new: str | os.PathLike[str]) -> Diff:
    """Read both workbooks (whatever their findings) and compute their differences."""
    from .validation import check

    before, after = check(Path(old)), check(Path(new))
    changes = diff_books(before.book, after.book)
    for change in changes.changes:
        change.location = _source_location(change, before, after, str(old), str(new))
    return Diff(Path(old), Path(new), before.book, after.book, changes)


def diff_and_write(old: str | os.PathLike[str], new: str | os.PathLike[str], *,
                   output: str | os.PathLike[str] | None = None, overwrite: bool = False) -> Diff:
    """diff_files, and with ``output`` also the marked-up diff workbook (`wbe diff -o`: api.diff, and the
    collection box's diff of two submissions)."""
    result = diff_files(old, new)
    if output is not None:
        write_diff_workbook(result, output, overwrite=overwrite)
    return result


def _source_location(change: Change, before, after, old: str, new: str) -> Location | None:
    """The cell of a change in the file it is seen in (the typed location findings have too)."""
    removed = change.kind == "removed"
    checked, file = (before, old) if removed else (after, new)
    record = change.old_record if removed else change.new_record
    if record is None and change.entity == "department":
        record = next((g for g in checked.book.goals if g.dept_code == change.key["部门编码"]), None)
    if record is None:
        return Location(file)
    kind = KIND_OF_ENTITY.get(change.entity, "goals")
    ref = change.ref
    if ref is None or change.kind in ("added", "removed"):
        return checked.location(kind, record, file=file)
    name = {"name": "dept_name", "year": "year"}.get(ref.name, ref.name) if change.entity == "department" else ref.name
    return checked.location(kind, record, name, extra=ref.extra, file=file)


def write_diff_workbook(diff: Diff, output: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """The new version with changes marked: changed cells yellow with the old value in a comment, added
    rows green, moved rows' 序号 blue, removed rows struck through at the end of each sheet; plus a
    比对结果 sheet listing every change with a link to its cell."""
    shown = Book()
    index: dict[int, tuple[str, int]] = {}
    for kind in KINDS:
        records = shown.records(kind)
        for record in diff.new.records(kind):
            index[id(record)] = (kind, len(records))
            records.append(record)
    for change in diff.changes.changes:
        if change.kind == "removed" and change.old_record is not None:
            records = shown.records(KIND_OF_ENTITY[change.entity])
            index[id(change.old_record)] = (KIND_OF_ENTITY[change.entity], len(records))
            records.append(change.old_record)
    marks = _diff_marks(diff, index)
    locations: list[tuple[str, int, str | None] | None] = [_location(c, index, shown) for c in diff.changes.changes]

    def extra_sheets(workbook, formats, layout: Layout) -> None:
        rows = []
        for number, (change, where) in enumerate(zip(diff.changes.changes, locations), start=1):
            link: Any = ""
            if where is not None:
                sheet, cell = layout.cell(*where)
                link = Link(sheet, cell, f"{sheet}!{cell}")
            old, new = _cell_texts(change)
            rows.append([number, KIND_NAMES[change.kind], ENTITY_NAMES[change.entity], change.label,
                         change.field or "", old, new, link])
        title = f"比对 {diff.old_path.name} → {diff.new_path.name}：{diff.changes.summary()}"
        summary = write_table(workbook, formats, DIFF_SHEET, title,
                              ("序号", "变化", "对象", "记录", "字段", "旧值", "新值", "位置"), rows,
                              (6, 6, 8, 40, 12, 40, 40, 12))
        summary.activate()  # the file opens on the list of changes

    write_book(shown, output, inputs=[diff.old_path, diff.new_path], marks=marks, extra_sheets=extra_sheets,
               overwrite=overwrite)
    return Path(output)


def _cell_texts(change: Change) -> tuple[str, str]:
    if change.kind in ("added", "removed"):
        return ("", "") if change.kind == "added" else ("（整行）", "")
    if change.ref is not None:
        return show_field(change.ref, change.old), show_field(change.ref, change.new)
    return show(change.old), show(change.new)


def _location(change: Change, index: dict[int, tuple[str, int]], shown: Book) -> tuple[str, int, str | None] | None:
    record = change.new_record if change.new_record is not None else change.old_record
    if record is not None and id(record) in index:
        kind, position = index[id(record)]
        return kind, position, change.field if change.kind in ("changed", "moved") else None
    if change.entity == "department":
        code = change.key["部门编码"]
        goal_position = next((i for i, g in enumerate(shown.goals) if g.dept_code == code), None)
        if goal_position is not None:
            return "goals", goal_position, change.field
    return None


def _diff_marks(diff: Diff, index: dict[int, tuple[str, int]]) -> Marks:
    marks: Marks = {}
    for change in diff.changes.changes:
        if change.entity == "department":
            if change.kind == "changed":
                assert change.ref is not None  # a changed department always names its field (diff_books)
                comment = f"原{change.field}：{show_field(change.ref, change.old)}"
                for goal in diff.new.goals:
                    if goal.dept_code == change.key["部门编码"]:
                        marks[("goals", index[id(goal)][1], change.field)] = CellMark(CHANGED_FILL, comment=comment)
            continue
        if change.kind == "added":
            kind, position = index[id(change.new_record)]
            marks[(kind, position, None)] = CellMark(ADDED_FILL, comment="新增")
        elif change.kind == "removed":
            kind, position = index[id(change.old_record)]
            row = f"（旧版第 {change.old_record.row} 行）" if change.old_record.row else ""
            marks[(kind, position, None)] = CellMark(strike=True, comment=f"已删除{row}")
        else:
            kind, position = index[id(change.new_record)]
            assert change.ref is not None  # changed and moved records always name their field (diff_books)
            old = show_field(change.ref, change.old)
            if change.kind == "moved":
                marks[(kind, position, change.field)] = CellMark(MOVED_FILL, comment=f"移动：原序号 {old}")
            else:
                marks[(kind, position, change.field)] = CellMark(CHANGED_FILL, comment=f"原值：{short(old, 500)}")
    return marks
