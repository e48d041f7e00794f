"""What the budget-year forms show: the lookups of one project's fields (goals from 项目/指标, progress from
the 监控/自评 sheets), the target as the value parser reads it, and the scores the 得分 formulas compute.

The 监控/自评 records are found by key (项目编码; 项目编码 + 一级/二级/三级指标), as the canonical sheets key
them. Scores: the engine's own scoring (workbook_engine/scoring.py) where it exists; the formulas of
evaluation-form.toml compute the same figures (tests/test_forms.py checks both after LibreOffice recalculates
the sheet). A county's own weights, qualitative shares and grades (wbe.toml, year_config.py) are carried by
``ProjectForm.config``: into the cached values here and into the formulas by the renderer (decision 22.F7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

from ..framework import canonical_level1
from ..layout import standard_level
from ..model import Book, Department, EvaluationIndicator, Indicator, Project
from ..scoring import grade_of as scoring_grade_of
from ..scoring import indicator_points
from ..values import base_unit, parse_indicator_value
from ..year_config import BUDGET_RATE, DEFAULT_QUALITATIVE, YearConfig
from .forms_layout import EVALUATION, MONITOR, Lookup

# 财预〔2020〕10号 原则上: 预算执行率 10 (产出 50, 效益 30, 满意度 10: year_config.DEFAULT_WEIGHTS).
BUDGET_POINTS = YearConfig().weights[BUDGET_RATE]
# The share of 分值 a qualitative row scores, as scoring.py by default (year_config.DEFAULT_QUALITATIVE); the
# band formula of evaluation-form.toml writes the county's shares ({config.qualitative.…}).
QUALITATIVE_BANDS = {word: share / 100 for word, share in DEFAULT_QUALITATIVE.items()}
BAND_WORDS = ("部分达成", "未达成", "达成")  # longest first: 达成 is the tail of the other two
NOT_APPLICABLE = ("不适用", "/", "—")
CENT = Decimal("0.01")

RECORD_LISTS = {MONITOR: ("monitor_projects", "monitor_indicators"),
                EVALUATION: ("evaluation_projects", "evaluation_indicators")}


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def indicator_key(project_code: str, level1: str, level2: str, level3: str) -> tuple[str, str, str, str]:
    """The key of an indicator in every sheet: 项目编码 + 一级/二级/三级 (standard level names, no spaces)."""
    one = canonical_level1(level1) or level1.strip()
    return (project_code.strip(), one, "".join(level2.split()), "".join(level3.split()))


def key_of(indicator: Indicator) -> tuple[str, str, str, str]:
    return indicator_key(indicator.project_code, standard_level(indicator, "level1"),
                         standard_level(indicator, "level2"), indicator.level3)


def records(book: Book, kind: str) -> tuple[list[Any], list[Any]]:
    """The book's 监控 (or 自评) project and indicator records; empty lists for a book without them."""
    projects, indicators = RECORD_LISTS[kind]
    return list(getattr(book, projects, []) or []), list(getattr(book, indicators, []) or [])


def record_key(record: Any) -> tuple[str, str, str, str]:
    level1 = str(getattr(record, "level1", "") or "")
    level2 = str(getattr(record, "level2", "") or "")
    return indicator_key(record.project_code, level1, level2, str(getattr(record, "level3", "") or ""))


@dataclass(frozen=True)
class Target:
    """A 年度指标值 as the 得分 formula needs it: direction (≥ ≤ = 定性), number and unit."""

    direction: str
    number: Decimal | None
    unit: str


def parse_target(text: str) -> Target:
    """The engine's value parser (values.py) on a 年度指标值: quantitative values keep their operator (none is
    =), every other kind (deadline, grade, class, budget bound, text) is scored as qualitative (定性)."""
    value = parse_indicator_value(text)
    if value.kind == "quantitative" and value.number is not None:
        return Target(value.operator or "=", value.number, base_unit(value.unit).replace("%", "") if
                      base_unit(value.unit).startswith("%") else base_unit(value.unit))
    return Target("定性", None, "")


def parse_actual(text: str, target: Target) -> Decimal | None:
    """The number in a typed 实际完成值 as the formula reads it: the text without %, ％ and the target's unit."""
    cleaned = str(text).strip().replace("％", "").replace("%", "")
    if target.unit:
        cleaned = cleaned.replace(target.unit, "")
    try:
        number = Decimal(cleaned.strip())
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def is_not_applicable(text: str) -> bool:
    return str(text).strip() in NOT_APPLICABLE


def band_of(text: str, config: YearConfig | None = None) -> Decimal | None:
    """The share of 分值 (0–1) the 完成程度 leading ``text`` earns: the county's, else the defaults."""
    shares = QUALITATIVE_BANDS if config is None else {w: s / 100 for w, s in config.qualitative.items()}
    stripped = str(text).strip()
    for word in BAND_WORDS:
        if stripped.startswith(word):
            return shares[word]
    return None


def indicator_score(target: Target, actual: str, points: Decimal | None,
                    config: YearConfig | None = None) -> Decimal | None:
    """The score the row's 得分 formula shows (None for a blank cell), exactly as evaluation-form.toml."""
    if is_not_applicable(actual) or points is None:
        return None
    if target.direction == "定性":
        band = band_of(actual, config)
        return None if band is None else round2(points * band)
    number = parse_actual(actual, target) if str(actual).strip() else None
    if number is None:
        return None
    goal = target.number or Decimal(0)
    if target.direction in ("≥", ">"):
        return points if goal <= 0 else round2(min(points, points * number / goal))
    if target.direction in ("≤", "<"):
        return points if number <= 0 else round2(min(points, points * goal / number))
    return points if number == goal else Decimal(0)


def budget_score(full: Decimal | None, executed: Decimal | None, points: Decimal = BUDGET_POINTS) -> Decimal | None:
    if full is None or executed is None or full <= 0:
        return None
    return round2(min(points, points * executed / full))


def default_points(indicators: list[Indicator], config: YearConfig | None = None,
                   typed: list[Decimal | None] | None = None) -> list[Decimal]:
    """Each indicator's 分值 as scoring.py gives it: a ``typed`` one kept, the rest of its 一级's weight (the
    county's, 成本指标 with 产出 unless weighted itself) split evenly, the last taking the remainder."""
    rows = [EvaluationIndicator(i.dept_code, i.project_code, canonical_level1(i.level1) or i.level1, i.level2,
                                i.level3, i.value, "", "", typed[n] if typed and n < len(typed) else None, None, "")
            for n, i in enumerate(indicators)]
    return indicator_points(rows, config or YearConfig())[0]


def total_score(budget: Decimal | None, scores: Iterable[tuple[Decimal | None, Decimal | None, bool]],
                budget_points: Decimal = BUDGET_POINTS) -> Decimal | None:
    """(budget score + Σ scores) × 100 / (预算执行率's weight, when scored, + Σ points of applicable rows), as
    the 总分 formula and scoring.score_project."""
    rows = list(scores)
    if budget is None and all(score is None for score, _, _ in rows):
        return None
    earned = (budget or Decimal(0)) + sum((s for s, _, _ in rows if s is not None), Decimal(0))
    possible = (Decimal(0) if budget is None else budget_points) + sum(
        (p for _, p, applies in rows if applies and p is not None), Decimal(0))
    return round2(earned * 100 / possible) if possible > 0 else None


def grade_of(total: Decimal | None, config: YearConfig | None = None) -> str:
    """scoring.grade_of (the county's grades), blank for no total as the form's cell shows it."""
    return scoring_grade_of(total, config) or ""


@dataclass
class ProjectForm:
    """One project's form: the records it shows and the lookups of its cells."""

    kind: str
    dept: Department
    project: Project
    indicators: list[Indicator]
    period: str
    record: Any = None
    indicator_records: list[Any] = field(default_factory=list)
    points: list[Decimal] = field(default_factory=list)
    config: YearConfig = field(default_factory=YearConfig)

    @property
    def budget_points(self) -> Decimal:
        """预算执行率's weight (the county's)."""
        return self.config.weights.get(BUDGET_RATE, Decimal(0))

    def project_lookup(self) -> Lookup:
        return lambda name: self.get(name, None, None)

    def indicator_lookups(self) -> list[Lookup]:
        return [self._indicator_lookup(i) for i in range(len(self.indicators))]

    def _indicator_lookup(self, index: int) -> Lookup:
        return lambda name: self.get(name, self.indicators[index], index)

    def get(self, name: str, indicator: Indicator | None, index: int | None) -> Any:
        record, _, attr = name.partition(".")
        if record == "dept":
            if attr == "year_text":
                return "" if self.dept.year is None else str(self.dept.year)
            if attr == "year_prefix":
                return "" if self.dept.year is None else f"{self.dept.year}年度"
            return getattr(self.dept, attr)
        if record == "project":
            return getattr(self.project, attr)
        if record in ("monitor", "evaluation"):
            if attr == "budget_points":
                return self.budget_points
            return _attr(self.record, attr)
        if indicator is None or index is None:
            return None
        if record == "indicator":
            return standard_level(indicator, attr) if attr in ("level1", "level2") else getattr(indicator, attr)
        if record in ("monitor_indicator", "evaluation_indicator"):
            found = self.indicator_records[index] if index < len(self.indicator_records) else None
            if attr == "points":
                typed = _attr(found, "points")
                return typed if typed is not None else (self.points[index] if index < len(self.points) else None)
            if attr == "actual" and record == "evaluation_indicator":
                return shown_actual(found)
            return _attr(found, attr)
        if record == "target":
            target = parse_target(indicator.value)
            return {"direction": target.direction, "number": target.number, "unit": target.unit}[attr]
        return None


def shown_actual(record: Any) -> Any:
    """实际完成值 as the form shows it: a qualitative row's 完成程度 leads (``达成：按时完成``), since the form's
    band formula and the read-back take it from there (the form has no column of its own for it)."""
    actual = _attr(record, "actual")
    attainment = str(_attr(record, "attainment") or "").strip()
    if attainment not in QUALITATIVE_BANDS or str(actual or "").strip().startswith(BAND_WORDS):
        return actual
    return f"{attainment}：{actual}" if str(actual or "").strip() else attainment


def split_actual(text: str) -> tuple[str, str]:
    """(完成程度, 实际完成值) of a form's 实际完成值 cell: ``达成：按时完成`` -> (达成, 按时完成)."""
    stripped = text.strip()
    for word in BAND_WORDS:
        if stripped.startswith(word):
            return word, stripped[len(word):].lstrip("：:，,、 ")
    return "", stripped


def _attr(record: Any, attr: str) -> Any:
    if record is None:
        return None
    if attr.startswith("extra."):
        return (getattr(record, "extra", None) or {}).get(attr[len("extra."):])
    return getattr(record, attr, None)


def project_forms(book: Book, dept: Department, kind: str, period: str,
                  config: YearConfig | None = None) -> list[ProjectForm]:
    """The forms of one department's projects, in 序号 order, with what the book's year sheets hold; the
    evaluation's 分值 split by the county's weights (``config``, the wbe.toml beside the book)."""
    from ..model import group_indicators

    part = book.for_department(dept.code)
    by_project = group_indicators(part.indicators)
    project_records, indicator_records = records(book, kind)
    by_code = {r.project_code: r for r in project_records if r.dept_code == dept.code}
    by_key = {record_key(r): r for r in indicator_records if r.dept_code == dept.code}
    config = config or YearConfig()
    forms = []
    for project in part.projects_of(dept.code):
        indicators = by_project.get(project.code, [])
        found = [by_key.get(key_of(i)) for i in indicators]
        typed = [_attr(r, "points") for r in found]
        forms.append(ProjectForm(kind, dept, project, indicators, period, by_code.get(project.code), found,
                                 default_points(indicators, config, typed) if kind == EVALUATION else [],
                                 config))
    return forms
