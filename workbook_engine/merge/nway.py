"""Merging several workbooks without a base: the union by key, identical duplicates kept once.

The same key with different content is a conflict; so are two different records given the same 序号 in one
department (projects) or project (indicators), since without a base we cannot tell which was inserted.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..identity import KINDS, key_is_usable, record_key
from ..model import Book
from .plan import (
    ChoicePolicy,
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
    sequence_collisions,
)


def plan_merge(sources: list[Source], *, prefer: str | None = None, conflicts_sheet: bool = False,
               choices: dict[int, int] | None = None) -> MergePlan:
    """The merged book and its conflicts; settled by ``prefer`` (or first-wins when ``conflicts_sheet``),
    or one by one by ``choices`` (conflict number -> candidate index)."""
    policy = Policy(prefer) if choices is None else ChoicePolicy(choices, prefer)
    conflicts: list[Conflict] = []
    merged_departments = merge_departments(department_versions(sources), policy, conflicts)
    book = Book()
    where: dict[int, list[Member]] = {}
    for kind in KINDS:
        groups = group_by_key(kind, [(s, s.book.records(kind)) for s in sources])
        records = book.records(kind)
        for members in groups.values():
            merged = merge_members(kind, members, policy, conflicts)
            where[id(merged)] = members
            records.append(merged)
        if kind != "goals":  # a goal's key holds its 序号, so goals cannot collide
            sequence_collisions(kind, records, where, policy, conflicts)
    apply_departments(book, merged_departments)
    plan = MergePlan(sources, book, conflicts, [], policy.prefer, conflicts_sheet, chosen=choices is not None)
    if plan.resolved:
        for kind in KINDS:
            plan.renumbered += renumber(kind, book.records(kind),
                                        lambda r: policy.rank(s.order for s, _ in where[id(r)]))
    plan.book = book.sorted()
    return plan


def group_by_key(kind: str, per_source: list[tuple[Source, list[Any]]]) -> dict[tuple, list[Member]]:
    """Versions of each record by key, in input order. A row whose key is incomplete or repeated within its
    own file (possible only with --force) is kept on its own: it cannot be matched safely."""
    groups: dict[tuple, list[Member]] = defaultdict(list)
    for source, records in per_source:
        seen: set[tuple] = set()
        for position, record in enumerate(records):
            key = record_key(kind, record)
            if not key_is_usable(key) or key in seen:
                key = ("#unmatched", source.order, position)
            seen.add(key)
            groups[key].append((source, record))
    return groups
