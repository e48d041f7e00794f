"""The merge plan as data: inputs, the merged book, every conflict with each value's file and cell, and the
序号 renumbering done to keep the order valid. Planning never writes; output.py writes a finished plan.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

from ..describe import department_label, json_scalar, record_label, short, show_field, where_they_differ
from ..findings import Location
from ..identity import (
    DEPARTMENT_REFS,
    ENTITY_OF_KIND,
    FieldRef,
    compared_fields,
    copy_record,
    departments,
    group_of,
    has_seq,
    key_dict,
    same,
)
from ..model import Book
from ..validation.engine import Checked

PREFER_CHOICES = ("first", "last")
CONFLICT_KINDS = {"field": "取值不同", "sequence": "序号重复", "deleted": "一方删除、一方修改"}


@dataclass
class Source:
    """One input workbook: as named on the command line, its content and findings, and its SHA-256."""

    label: str
    path: Path
    checked: Checked
    sha256: str
    order: int  # position among the sides (the base is -1); --prefer first/last picks by it
    role: str = "输入"

    @property
    def book(self) -> Book:
        return self.checked.book

    def origin(self, kind: str, record: Any, ref: FieldRef | None) -> Location:
        """Where a record's field sits in this file (sheet and cell, when known)."""
        if ref is None:
            return self.checked.location(kind, record, file=self.label)
        return self.checked.location(kind, record, ref.name, extra=ref.extra, file=self.label)

    def department_origin(self, code: str, ref: FieldRef) -> Location:
        goal = next((g for g in self.book.goals if g.dept_code == code), None)
        if goal is None:
            return Location(self.label)
        return self.origin("goals", goal, FieldRef("goals", "dept_name" if ref.name == "name" else "year"))


@dataclass
class Candidate:
    """One of the values in conflict, with its file and cell; ``order`` None cannot be chosen (the base)."""

    shown: str
    origin: Location  # the value's file, sheet and cell
    order: int | None
    note: str = ""
    value: Any = None


@dataclass
class Conflict:
    """Records or fields the inputs disagree on. ``chosen`` is the index of the candidate used, if any."""

    kind: str  # field | sequence | deleted
    entity: str
    key: dict[str, Any]
    label: str
    field: str | None  # header; None for a whole row
    candidates: list[Candidate]
    chosen: int | None = None
    targets: list[tuple[str, Any]] = dataclasses.field(default_factory=list)  # (sheet kind, merged record) to mark
    department: str | None = None  # for department fields: mark every goal row of this department

    def title(self) -> str:
        if self.kind == "field":
            return f"{self.label}：“{self.field}”{CONFLICT_KINDS['field']}"
        if self.kind == "sequence":
            return f"{self.label}：{CONFLICT_KINDS['sequence']}"
        return f"{self.label}：{CONFLICT_KINDS['deleted']}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "entity": self.entity, "key": {k: json_scalar(v) for k, v in self.key.items()},
                "label": self.label, "field": self.field, "chosen": self.chosen,
                "candidates": [{"value": c.shown, "note": c.note, "file": c.origin.file, "sheet": c.origin.sheet,
                                "cell": c.origin.cell, "row": c.origin.row, "column": c.origin.column}
                               for c in self.candidates]}

    def lines(self, number: int, settled: bool = True) -> list[str]:
        """The conflict for the terminal; ``settled`` marks the value used (when the merge was written)."""
        lines = [f"冲突 {number}：{self.title()}"]
        shown = where_they_differ([candidate.shown for candidate in self.candidates], limit=80)
        for index, (candidate, text) in enumerate(zip(self.candidates, shown)):
            note = f"（{candidate.note}）" if candidate.note else ""
            used = "  ← 采用" if settled and index == self.chosen else ""
            lines.append(f"  {candidate.origin.text()}：{short(text, 120)}{note}{used}")
        return lines


@dataclass
class Renumbered:
    """A record whose 序号 was moved on so that two records do not share one (see _renumber)."""

    kind: str
    record: Any
    old: int
    new: int

    def text(self) -> str:
        return f"{record_label(self.kind, self.record)}：序号 {self.old} → {self.new}"

    def to_dict(self) -> dict[str, Any]:
        return {"entity": ENTITY_OF_KIND[self.kind], "label": record_label(self.kind, self.record),
                "old": self.old, "new": self.new}


@dataclass
class MergePlan:
    sources: list[Source]
    book: Book
    conflicts: list[Conflict]
    renumbered: list[Renumbered]
    prefer: str | None = None
    conflicts_sheet: bool = False
    base: Source | None = None
    chosen: bool = False  # conflicts settled one by one by a reviewer (the web page), the rest by prefer

    @property
    def resolved(self) -> bool:
        """True when the plan can be written: no conflicts, or the user said how to settle them."""
        return not self.conflicts or self.prefer is not None or self.conflicts_sheet


class Policy:
    """How a conflict is settled: --prefer first/last picks by input order; the conflicts sheet alone takes
    the first input's value and marks the cell."""

    def __init__(self, prefer: str | None):
        self.prefer = prefer

    def pick(self, orders: list[int | None]) -> int | None:
        """Index (into ``orders``) of the candidate to use; candidates with order None are not eligible."""
        eligible = [(order, i) for i, order in enumerate(orders) if order is not None]
        if not eligible:
            return None
        return (max if self.prefer == "last" else min)(eligible)[1]

    def rank(self, orders: Iterable[int]) -> int:
        """Sort rank of a record found in inputs ``orders``: preferred inputs first."""
        orders = list(orders)
        return -max(orders) if self.prefer == "last" else min(orders)


class ChoicePolicy(Policy):
    """A reviewer's choice per conflict: the n-th conflict met takes candidate ``choices[n]``; conflicts
    without a (usable) choice follow ``prefer`` (first by default). Planning is deterministic, so the
    numbers of an earlier plan of the same inputs name the same conflicts."""

    def __init__(self, choices: dict[int, int], prefer: str | None = None):
        super().__init__(prefer or "first")
        self.choices = dict(choices)
        self.count = 0

    def pick(self, orders: list[int | None]) -> int | None:
        number, self.count = self.count, self.count + 1
        choice = self.choices.get(number)
        if choice is not None and 0 <= choice < len(orders) and orders[choice] is not None:
            return choice
        return super().pick(orders)


Member = tuple[Source, Any]


def settle_field(ref: FieldRef, values: list[Any], origins: list[Location], orders: list[int], policy: Policy,
                 base: tuple[Any, Location] | None = None) -> tuple[Any, list[Candidate], int | None]:
    """The merged value of one field from its values in several inputs, and the candidates if they conflict.

    Without ``base``: values all inputs agree on are kept, different values conflict (an extra column left
    blank in some inputs does not: the filled value is kept). With ``base`` (three-way): a value one side
    changed takes the change; sides that changed it differently conflict.
    """
    if base is not None:
        changed = [i for i, v in enumerate(values) if not same(v, base[0])]
    else:
        changed = [i for i, v in enumerate(values) if not (ref.extra and same(v, None))]
    if not changed:
        return (base[0] if base is not None else values[0]), [], None
    if len(_distinct([values[i] for i in changed])) == 1:
        return values[changed[0]], [], None
    candidates = [Candidate(show_field(ref, base[0]), base[1], None, "基准", base[0])] if base is not None else []
    candidates += [Candidate(show_field(ref, values[i]), origins[i], orders[i], value=values[i]) for i in changed]
    chosen = policy.pick([c.order for c in candidates])
    assert chosen is not None  # every changed value's candidate has an input order, so one is eligible
    return candidates[chosen].value, candidates, chosen


def merge_members(kind: str, members: list[Member], policy: Policy, conflicts: list[Conflict],
                  base: tuple[Source, Any] | None = None) -> Any:
    """One merged record from the versions of one record in several inputs (``base``: three-way)."""
    records = [record for _, record in members]
    if base is None and len(records) == 1:  # the usual case of a county merge: nothing to compare
        return _detached(records[0])
    merged = copy_record(base[1] if base else records[0])
    orders = [source.order for source, _ in members]
    for ref in compared_fields(kind, [*records, *([base[1]] if base else [])]):
        origins = [source.origin(kind, record, ref) for source, record in members]
        reference = (ref.get(base[1]), base[0].origin(kind, base[1], ref)) if base else None
        value, candidates, chosen = settle_field(ref, [ref.get(r) for r in records], origins, orders, policy,
                                                 reference)
        ref.set(merged, value)
        if candidates:
            conflicts.append(Conflict("field", ENTITY_OF_KIND[kind], key_dict(kind, merged),
                                      record_label(kind, merged), ref.header, candidates, chosen, [(kind, merged)]))
    return merged


def _detached(record: Any) -> Any:
    """copy_record (the same copy: content shared, no source row, its own extra columns) without
    dataclasses.replace's call of __init__: a third of planning a county merge."""
    detached = object.__new__(type(record))
    detached.__dict__.update(record.__dict__, row=None, extra=dict(record.extra))
    return detached


def _distinct(values: list[Any]) -> list[Any]:
    found: list[Any] = []
    for value in values:
        if not any(same(value, seen) for seen in found):
            found.append(value)
    return found


def department_versions(sources: list[Source]) -> dict[str, list[tuple[Source, Any]]]:
    """Each department (by code) as each input has it; only inputs with goal rows know its name and year."""
    versions: dict[str, list[tuple[Source, Any]]] = defaultdict(list)
    for source in sources:
        with_goals = {g.dept_code for g in source.book.goals}
        for code, department in departments(source.book).items():
            if code in with_goals:
                versions[code].append((source, department))
    return versions


def merge_departments(versions: dict[str, list[tuple[Source, Any]]], policy: Policy, conflicts: list[Conflict],
                      base: dict[str, tuple[Source, Any]] | None = None) -> dict[str, tuple[str, int | None]]:
    """Name and year of each department (by code), merged like any record's fields."""
    result: dict[str, tuple[str, int | None]] = {}
    for code, members in versions.items():
        base_version = (base or {}).get(code)
        merged: dict[str, Any] = {}
        for ref in DEPARTMENT_REFS:
            origins = [source.department_origin(code, ref) for source, _ in members]
            reference = (getattr(base_version[1], ref.name), base_version[0].department_origin(code, ref)) \
                if base_version else None
            value, candidates, chosen = settle_field(ref, [getattr(d, ref.name) for _, d in members], origins,
                                                     [source.order for source, _ in members], policy, reference)
            merged[ref.name] = value
            if candidates:
                conflicts.append(Conflict("field", "department", {"部门编码": code}, department_label(code),
                                          ref.header, candidates, chosen, department=code))
        result[code] = (merged["name"], merged["year"])
    return result


def apply_departments(book: Book, departments: dict[str, tuple[str, int | None]]) -> None:
    """Write each department's merged name and year on all its goal rows."""
    for goal in book.goals:
        if goal.dept_code in departments:
            goal.dept_name, goal.year = departments[goal.dept_code]


def sequence_collisions(kind: str, records: list[Any], where: dict[int, list[Member]], policy: Policy,
                        conflicts: list[Conflict]) -> None:
    """Different records given the same 序号 in one group (a department's projects, a project's indicators)."""
    if not has_seq(kind):
        return
    groups: dict[tuple, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        if record.seq is not None:
            groups[group_of(kind, record)][record.seq].append(record)
    seq_ref = FieldRef(kind, "seq")
    for group, by_seq in groups.items():
        for seq, clashing in sorted(by_seq.items()):
            if len(clashing) < 2:
                continue
            candidates = []
            for record in clashing:
                source, original = where[id(record)][0]
                orders = [s.order for s, _ in where[id(record)]]
                order = max(orders) if policy.prefer == "last" else min(orders)
                candidates.append(Candidate(record_label(kind, record), source.origin(kind, original, seq_ref),
                                            order, value=record))
            chosen = policy.pick([c.order for c in candidates])
            if kind == "projects":
                label, key = f"部门 {group[0]} 的项目序号 {seq}", {"部门编码": group[0], "序号": seq}
            else:
                label, key = f"项目 {group[0]} 的指标序号 {seq}", {"项目编码": group[0], "序号": seq}
            conflicts.append(Conflict("sequence", ENTITY_OF_KIND[kind], key, label, seq_ref.header, candidates,
                                      chosen, [(kind, r) for r in clashing]))


def renumber(kind: str, records: list[Any], rank: Callable[[Any], Any]) -> list[Renumbered]:
    """Give records that share a 序号 distinct ones, moving later records on as little as possible.

    Within each group records are ordered by (序号, rank); a record whose 序号 is not above the previous
    one's gets the previous plus one, so records after a collision shift by one and the rest keep theirs.
    """
    if not has_seq(kind):
        return []
    groups: dict[tuple, list[Any]] = defaultdict(list)
    for record in records:
        if record.seq is not None:
            groups[group_of(kind, record)].append(record)
    moved: list[Renumbered] = []
    for members in groups.values():
        if len({r.seq for r in members}) == len(members):
            continue
        previous = None
        for record in sorted(members, key=lambda r: (r.seq, rank(r))):
            new = record.seq if previous is None or record.seq > previous else previous + 1
            if new != record.seq:
                moved.append(Renumbered(kind, record, record.seq, new))
                record.seq = new
            previous = new
    return moved


def book_totals(book: Book) -> tuple[int, int, int, Decimal]:
    """(departments, projects, indicators, total budget) of a book."""
    return len(book.departments()), len(book.projects), len(book.indicators), book.total_budget()
