"""Three-way merge: each side's edits relative to a common base, applied field by field.

Records are paired with the base as the diff pairs them (identity.match): a renamed 三级指标 is a delete plus
an add, a reordered row is a 序号 edit, goals are followed by their text. A field changed by one side takes
that change; changed by several sides to different values it is a conflict; a record deleted by one side and
edited by another is a conflict. Rows added by different sides that land on the same 序号 are kept, existing
rows first, then ours, then theirs, and later rows are renumbered (listed in 合并记录).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..describe import record_label
from ..findings import Location
from ..identity import ENTITY_OF_KIND, KINDS, compared_fields, departments, key_dict, match, same
from ..model import Book
from .nway import group_by_key
from .plan import (
    Candidate,
    Conflict,
    Member,
    MergePlan,
    Policy,
    Source,
    apply_departments,
    department_versions,
    merge_departments,
    merge_members,
    renumber,
)


def plan_three_way(base: Source, sides: list[Source], *, prefer: str | None = None,
                   conflicts_sheet: bool = False) -> MergePlan:
    """Apply every side's changes to ``base``; conflicts settled by ``prefer`` (first = ours, last = theirs)."""
    policy = Policy(prefer)
    conflicts: list[Conflict] = []
    merged_departments = _departments(base, sides, policy, conflicts)
    book = Book()
    rank: dict[int, tuple] = {}
    for kind in KINDS:
        records = book.records(kind)
        base_records = base.book.records(kind)
        partners: list[dict[int, Any]] = []
        added: list[tuple[Source, list[Any]]] = []
        for side in sides:
            found: dict[int, Any] = {}
            new_rows = []
            for before, after in match(kind, base_records, side.book.records(kind)):
                if before is None:
                    new_rows.append(after)
                elif after is not None:
                    found[id(before)] = after
            partners.append(found)
            added.append((side, new_rows))
        for position, original in enumerate(base_records):
            versions = [found.get(id(original)) for found in partners]
            merged = _merge_existing(kind, base, original, sides, versions, policy, conflicts)
            if merged is not None:
                rank[id(merged)] = (0, position)
                records.append(merged)
        for members in _added_groups(kind, added).values():
            merged = merge_members(kind, members, policy, conflicts)
            rank[id(merged)] = (1, min(s.order for s, _ in members))
            records.append(merged)
    apply_departments(book, merged_departments)
    plan = MergePlan([base, *sides], book, conflicts, [], prefer, conflicts_sheet, base)
    for kind in KINDS:
        plan.renumbered += renumber(kind, book.records(kind), lambda r: rank[id(r)])
    plan.book = book.sorted()
    return plan


def _merge_existing(kind: str, base: Source, original: Any, sides: list[Source], versions: list[Any],
                    policy: Policy, conflicts: list[Conflict]) -> Any | None:
    """A base record after every side's edits, or None when deleted (and nobody edited it)."""
    fields = compared_fields(kind, [original, *(v for v in versions if v is not None)])
    edited = [v is not None and any(not same(f.get(original), f.get(v)) for f in fields) for v in versions]
    deleted = [v is None for v in versions]
    if any(deleted) and not any(edited):
        return None
    present = [(side, v) for side, v in zip(sides, versions) if v is not None]
    if any(deleted):
        candidates = [Candidate(record_label(kind, original), base.origin(kind, original, None), None, "基准")]
        for side, version, was_edited in zip(sides, versions, edited):
            if version is None:
                candidates.append(Candidate("已删除", Location(side.label), side.order, value="deleted"))
            elif was_edited:
                what = [f.header for f in fields if not same(f.get(original), f.get(version))]
                candidates.append(Candidate("已修改：" + "、".join(what), side.origin(kind, version, None), side.order,
                                            value="edited"))
            else:
                candidates.append(Candidate("未改动", side.origin(kind, version, None), side.order, value="kept"))
        # Without --prefer (the conflicts sheet) the edited row is kept: nothing is lost.
        chosen = policy.pick([c.order for c in candidates]) if policy.prefer else \
            next(i for i, c in enumerate(candidates) if c.value == "edited")
        conflict = Conflict("deleted", ENTITY_OF_KIND[kind], key_dict(kind, original), record_label(kind, original),
                            None, candidates, chosen)
        conflicts.append(conflict)
        assert chosen is not None  # every side's candidate has its input order, so one is eligible
        if candidates[chosen].value == "deleted":
            return None
        merged = merge_members(kind, present, policy, conflicts, base=(base, original))
        conflict.targets.append((kind, merged))
        return merged
    return merge_members(kind, present, policy, conflicts, base=(base, original))


def _added_groups(kind: str, added: list[tuple[Source, list[Any]]]) -> dict[tuple, list[Member]]:
    """Rows new on some side, grouped across sides: by key; new goals by their text (their 序号 is where
    they were put, not who they are)."""
    if kind != "goals":
        return group_by_key(kind, added)
    groups: dict[tuple, list[Member]] = defaultdict(list)
    for source, records in added:
        for position, goal in enumerate(records):
            key: tuple[Any, ...] = (goal.dept_code, goal.category, goal.title, goal.content)
            if any(s is source for s, _ in groups.get(key, ())):
                key = ("#unmatched", source.order, position)
            groups[key].append((source, goal))
    return groups


def _departments(base: Source, sides: list[Source], policy: Policy, conflicts: list[Conflict]):
    base_departments = {code: (base, d) for code, d in departments(base.book).items()}
    return merge_departments(department_versions(sides), policy, conflicts, base_departments)
