"""Which records are "the same" across workbooks: keys, compared fields, and matching old to new.

Merge and diff share these rules (docs/merge-and-diff.md). A department is identified by 部门编码, a project
by 项目编码, a goal by (部门编码, 类别, 序号) and an indicator by (项目编码, 一级, 二级, 三级指标) with names
compared as the validator compares them (no whitespace, no trailing 指标). A department's name and year are
written on every goal row but belong to the department: they are compared once, as department fields.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any, Iterable

from .framework import stem
from .model import Book, Department
from .sheets import BY_KIND, SPECS
from .values import is_blank

# The entity each sheet kind holds (departments live on the goals sheet).
ENTITY_OF_KIND = {"goals": "goal", "projects": "project", "indicators": "indicator",
                  "monitor_projects": "monitor_project", "monitor_indicators": "monitor_indicator",
                  "evaluation_projects": "evaluation_project", "evaluation_indicators": "evaluation_indicator"}
KIND_OF_ENTITY = {entity: kind for kind, entity in ENTITY_OF_KIND.items()}
ENTITY_NAMES = {"department": "部门", "goal": "部门目标", "project": "项目", "indicator": "指标",
                "monitor_project": "监控项目", "monitor_indicator": "监控指标",
                "evaluation_project": "自评项目", "evaluation_indicator": "自评指标"}
# The budget year's sheets: a project row keyed by 项目编码, an indicator row keyed like 指标.
YEAR_PROJECT_KINDS = ("monitor_projects", "evaluation_projects")
YEAR_INDICATOR_KINDS = ("monitor_indicators", "evaluation_indicators")
KINDS = tuple(spec.kind for spec in SPECS)

DEPARTMENT_FIELDS = ("dept_name", "year")
SEQ = "seq"


@dataclass(frozen=True)
class FieldRef:
    """A compared field of a record: a canonical column (by attribute) or an extra column (by header)."""

    kind: str
    name: str
    extra: bool = False

    @property
    def header(self) -> str:
        if self.extra or self.kind == "department":
            return self.name if self.extra else DEPARTMENT_HEADERS[self.name]
        return BY_KIND[self.kind].header_of(self.name)

    @property
    def column_kind(self) -> str:
        if self.extra:
            return "extra"
        if self.kind == "department":
            return "year" if self.name == "year" else "text"
        return BY_KIND[self.kind].column(self.name).kind

    def get(self, record: Any) -> Any:
        return record.extra.get(self.name) if self.extra else getattr(record, self.name)

    def set(self, record: Any, value: Any) -> None:
        if not self.extra:
            setattr(record, self.name, value)
        elif is_blank(value):
            record.extra.pop(self.name, None)
        else:
            record.extra[self.name] = value


DEPARTMENT_HEADERS = {"code": "部门编码", "name": "部门名称", "year": "年度"}
DEPARTMENT_REFS = (FieldRef("department", "name"), FieldRef("department", "year"))


def same(a: Any, b: Any) -> bool:
    """Equal content: blanks (None, "", whitespace) are equal, numbers compare by value (200.0 == 200.00)."""
    if is_blank(a) or is_blank(b):
        return is_blank(a) and is_blank(b)
    return a == b


def canonical_fields(kind: str) -> list[FieldRef]:
    """The canonical fields compared for a record kind (a goal's department fields are the department's)."""
    names = [c.field for c in BY_KIND[kind].columns]
    if kind == "goals":
        names = [n for n in names if n not in DEPARTMENT_FIELDS]
    return [FieldRef(kind, n) for n in names]


def extra_fields(kind: str, records: Iterable[Any]) -> list[FieldRef]:
    """The extra columns present in any of the records, in order of first appearance."""
    seen: dict[str, None] = {}
    for record in records:
        for header in record.extra:
            seen.setdefault(header, None)
    return [FieldRef(kind, h, extra=True) for h in seen]


def compared_fields(kind: str, records: Iterable[Any]) -> list[FieldRef]:
    return [*canonical_fields(kind), *extra_fields(kind, records)]


def record_key(kind: str, record: Any) -> tuple:
    """The identity of a record within a county workbook (see the module docstring)."""
    if kind == "projects":
        return (record.code,)
    if kind == "indicators" or kind in YEAR_INDICATOR_KINDS:
        return (record.project_code, stem(record.level1), stem(record.level2), "".join(record.level3.split()))
    if kind in YEAR_PROJECT_KINDS:
        return (record.project_code,)
    return (record.dept_code, record.category, record.seq)


def key_is_usable(key: tuple) -> bool:
    """A key that can identify a record: every part filled in (an invalid row may lack one)."""
    return all(part not in (None, "") for part in key)


def key_dict(kind: str, record: Any) -> dict[str, Any]:
    """The key as shown to people and in JSON: canonical headers and the values as typed."""
    spec = BY_KIND[kind]
    return {spec.header_of(name): getattr(record, name) for name in spec.key}


def department_key(code: str) -> dict[str, Any]:
    return {"部门编码": code}


def copy_record(record: Any) -> Any:
    """A detached copy to build merged output from; the source row no longer applies."""
    return dataclasses.replace(record, row=None, extra=dict(record.extra))


def departments(book: Book) -> dict[str, Department]:
    """The departments of a book by code; name and year come from its first goal row (Book.departments)."""
    return {d.code: d for d in book.departments()}


def group_of(kind: str, record: Any) -> tuple:
    """The records among which 序号 orders: a department's projects, a project's indicators, a goal category."""
    if kind == "projects":
        return (record.dept_code,)
    if kind == "indicators" or kind in YEAR_INDICATOR_KINDS:
        return (record.project_code,)
    if kind in YEAR_PROJECT_KINDS:
        return (record.dept_code,)
    return (record.dept_code, record.category)


def has_seq(kind: str) -> bool:
    """Whether a sheet kind carries a 序号 (the budget year's sheets follow 项目 and 指标 instead)."""
    return SEQ in BY_KIND[kind].fields


def _goal_signature(goal: Any) -> tuple:
    extras = tuple(sorted((h, str(v)) for h, v in goal.extra.items() if not is_blank(v)))
    return (goal.title, goal.content, extras)


Pair = tuple[Any, Any]


def match(kind: str, old: list[Any], new: list[Any]) -> list[Pair]:
    """Pair each old record with its new version: (old, new), (old, None) removed, (None, new) added.

    Projects and indicators pair by key. Goals are keyed by their 序号, so a reordered goal would look like
    edited text; they are paired by identical text first (a different 序号 is then a move), and the rest by
    序号. Pairs follow the new book's order, removed records come last in the old book's order.
    """
    if kind == "goals":
        return _match_goals(old, new)
    waiting: dict[tuple, deque] = defaultdict(deque)
    for record in old:
        waiting[record_key(kind, record)].append(record)
    pairs: list[Pair] = []
    matched: set[int] = set()
    for record in new:
        queue = waiting.get(record_key(kind, record))
        partner = queue.popleft() if queue else None
        if partner is not None:
            matched.add(id(partner))
        pairs.append((partner, record))
    pairs.extend((record, None) for record in old if id(record) not in matched)
    return pairs


def _match_goals(old: list[Any], new: list[Any]) -> list[Pair]:
    partner_of: dict[int, Any] = {}
    old_groups: dict[tuple, list[Any]] = defaultdict(list)
    for goal in old:
        old_groups[(goal.dept_code, goal.category)].append(goal)
    new_groups: dict[tuple, list[Any]] = defaultdict(list)
    for goal in new:
        new_groups[(goal.dept_code, goal.category)].append(goal)
    for group, new_goals in new_groups.items():
        free = list(old_groups.get(group, ()))
        rules = (
            lambda o, n: o.seq == n.seq and _goal_signature(o) == _goal_signature(n),
            lambda o, n: _goal_signature(o) == _goal_signature(n),
            lambda o, n: o.seq == n.seq and o.seq is not None,
        )
        for rule in rules:
            for goal in new_goals:
                if id(goal) in partner_of:
                    continue
                found = next((o for o in free if rule(o, goal)), None)
                if found is not None:
                    free.remove(found)
                    partner_of[id(goal)] = found
    pairs: list[Pair] = [(partner_of.get(id(goal)), goal) for goal in new]
    used = {id(o) for o in partner_of.values()}
    pairs.extend((goal, None) for goal in old if id(goal) not in used)
    return pairs
