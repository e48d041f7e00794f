"""The in-memory form of a canonical workbook: departments' goals, projects and indicators.

Records are plain dataclasses whose fields are the canonical columns (see sheets/). Text is kept as typed;
money is a Decimal in 万元; the spending plan is in percent points (Decimal 25 = 25%). ``row`` (where the
record was read from) and ``extra`` (columns beyond the canonical ones, kept so nothing a user typed is
lost) do not take part in equality: two books are equal when their content is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, Iterable


@dataclass
class Goal:
    dept_code: str
    dept_name: str
    year: int | None
    category: str
    seq: int | None
    title: str
    content: str
    row: int | None = field(default=None, compare=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class Project:
    dept_code: str
    seq: int | None
    code: str
    name: str
    table_title: str
    budget: Decimal | None
    fiscal: Decimal | None
    other: Decimal | None
    purpose: str
    q1: Decimal | None
    q2: Decimal | None
    q3: Decimal | None
    q4: Decimal | None
    goal: str
    row: int | None = field(default=None, compare=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def title(self) -> str:
        """The published table title stem: 表名 where given, else 项目名称."""
        return self.table_title or self.name

    @property
    def plan(self) -> list[Decimal | None]:
        return [self.q1, self.q2, self.q3, self.q4]


@dataclass
class Indicator:
    dept_code: str
    project_code: str
    seq: int | None
    level1: str
    level2: str
    level3: str
    description: str
    value: str
    basis: str
    row: int | None = field(default=None, compare=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class MonitorProject:
    """监控项目: one project's 运行监控 (budget execution and goals) for a period such as 1-7月."""

    dept_code: str
    project_code: str
    period: str
    initial_budget: Decimal | None
    full_budget: Decimal | None
    executed: Decimal | None
    expected_executed: Decimal | None
    goal_progress: str
    note: str
    row: int | None = field(default=None, compare=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class MonitorIndicator:
    """监控指标: one indicator's 运行监控; 偏差原因类别 holds one or more causes separated by 、 or ,."""

    dept_code: str
    project_code: str
    level1: str
    level2: str
    level3: str
    target: str
    progress: str
    expected: str
    deviation_causes: str
    deviation_note: str
    likelihood: str
    corrective: str
    note: str
    row: int | None = field(default=None, compare=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class EvaluationProject:
    """自评项目: one project's year-end 绩效自评 (财预〔2020〕10号), money in 万元."""

    dept_code: str
    project_code: str
    initial_budget: Decimal | None
    full_budget: Decimal | None
    executed: Decimal | None
    achievement: str
    conclusion: str
    problems: str
    improvements: str
    row: int | None = field(default=None, compare=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class EvaluationIndicator:
    """自评指标: one indicator's 实际完成值 and score; 分值 and 得分 are None when not typed."""

    dept_code: str
    project_code: str
    level1: str
    level2: str
    level3: str
    target: str
    actual: str
    attainment: str
    points: Decimal | None
    score: Decimal | None
    analysis: str
    row: int | None = field(default=None, compare=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    year: int | None


RECORD_TYPES: dict[str, type] = {
    "goals": Goal, "projects": Project, "indicators": Indicator,
    "monitor_projects": MonitorProject, "monitor_indicators": MonitorIndicator,
    "evaluation_projects": EvaluationProject, "evaluation_indicators": EvaluationIndicator,
}
# The budget year's sheets (issue 22): optional, an old book without them stays valid.
YEAR_KINDS = ("monitor_projects", "monitor_indicators", "evaluation_projects", "evaluation_indicators")


def record_fields(record_type: type) -> list[str]:
    """The content fields of a record type, in canonical column order."""
    return [f.name for f in fields(record_type) if f.compare]


@dataclass
class Book:
    """A canonical workbook's content: any number of departments."""

    goals: list[Goal] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    monitor_projects: list[MonitorProject] = field(default_factory=list)
    monitor_indicators: list[MonitorIndicator] = field(default_factory=list)
    evaluation_projects: list[EvaluationProject] = field(default_factory=list)
    evaluation_indicators: list[EvaluationIndicator] = field(default_factory=list)

    def departments(self) -> list[Department]:
        """Departments in order of first appearance; name and year come from 部门目标."""
        found: dict[str, Department] = {}
        for goal in self.goals:
            if goal.dept_code not in found:
                found[goal.dept_code] = Department(goal.dept_code, goal.dept_name, goal.year)
        for kind in ("projects", "indicators", *YEAR_KINDS):
            for record in self.records(kind):
                if record.dept_code not in found:
                    found[record.dept_code] = Department(record.dept_code, "", None)
        return list(found.values())

    def department(self, code: str) -> Department | None:
        return next((d for d in self.departments() if d.code == code), None)

    def for_department(self, code: str) -> Book:
        """The part of the book that belongs to one department."""
        return Book(
            goals=[g for g in self.goals if g.dept_code == code],
            projects=[p for p in self.projects if p.dept_code == code],
            indicators=[i for i in self.indicators if i.dept_code == code],
            **{kind: [r for r in self.records(kind) if r.dept_code == code] for kind in YEAR_KINDS},
        )

    def indicators_of(self, project_code: str) -> list[Indicator]:
        """A project's indicators in 序号 order (stable for equal or missing 序号)."""
        rows = [i for i in self.indicators if i.project_code == project_code]
        return sorted(rows, key=lambda i: (i.seq is None, i.seq or 0))

    def goals_of(self, dept_code: str, category: str) -> list[Goal]:
        rows = [g for g in self.goals if g.dept_code == dept_code and g.category == category]
        return sorted(rows, key=lambda g: (g.seq is None, g.seq or 0))

    def projects_of(self, dept_code: str) -> list[Project]:
        rows = [p for p in self.projects if p.dept_code == dept_code]
        return sorted(rows, key=lambda p: (p.seq is None, p.seq or 0))

    def projects_of_all(self) -> list[Project]:
        """Every project, department by department in order of appearance, each in 序号 order."""
        return [p for d in self.departments() for p in self.projects_of(d.code)]

    def year_rows_of(self, kind: str, project_code: str) -> list[Any]:
        """A project's rows of one of the budget year's sheets, in sheet order."""
        return [r for r in self.records(kind) if r.project_code == project_code]

    def total_budget(self) -> Decimal:
        return sum((p.budget or Decimal(0) for p in self.projects), Decimal(0))

    def records(self, kind: str) -> list[Any]:
        if kind not in RECORD_TYPES:
            raise KeyError(kind)
        records: list[Any] = getattr(self, kind)
        return records

    def has_year_sheets(self) -> bool:
        """Whether any of the budget year's sheets holds a row."""
        return any(self.records(kind) for kind in YEAR_KINDS)

    def sorted(self) -> Book:
        """Canonical order: by 部门编码, then 类别/序号 (goals), 序号 (projects), project then 序号."""
        categories = {"总体绩效目标": 0, "分项绩效目标": 1, "工作保障措施": 2}
        project_order = {p.code: (p.dept_code, p.seq or 0) for p in self.projects}
        return Book(
            goals=sorted(self.goals, key=lambda g: (g.dept_code, categories.get(g.category, 9), g.seq or 0)),
            projects=sorted(self.projects, key=lambda p: (p.dept_code, p.seq or 0)),
            indicators=sorted(
                self.indicators,
                key=lambda i: (i.dept_code, project_order.get(i.project_code, ("", 0))[1], i.project_code,
                               i.seq or 0),
            ),
            **{kind: sorted(self.records(kind), key=lambda r: (r.dept_code, project_order.get(r.project_code, ("", 0))[1],
                                                                r.project_code))
               for kind in YEAR_KINDS},
        )


def group_indicators(indicators: Iterable[Indicator]) -> dict[str, list[Indicator]]:
    """Indicators by project code, each list in 序号 order (as Book.indicators_of, in one pass)."""
    groups: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        groups.setdefault(indicator.project_code, []).append(indicator)
    for rows in groups.values():
        rows.sort(key=lambda i: (i.seq is None, i.seq or 0))
    return groups
