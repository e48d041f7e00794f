"""绩效自评 scores (财预〔2020〕10号): 预算执行率 and every indicator of a project, the total and the grade.

The rules (weights and figures from wbe.toml, year_config.py; decisions 22.3–22.7 in docs/decisions.md):

- 预算执行率 10, 产出 50, 效益 30, 满意度 10 points. A 一级's points go to its indicators: a typed 分值 is
  kept, the rest of the 一级's points is split evenly over the indicators without one, rounded to 0.01 with
  the last indicator taking the remainder (16.67, 16.67, 16.66), so that the 一级 adds up exactly. A 2021-style
  成本指标 counts with 产出 unless wbe.toml gives 成本指标 a weight of its own.
- 预算执行率 score = weight × 执行率 (全年执行数 / 全年预算数), capped at the weight.
- A quantitative target (运算符 + 数字 + 单位) against the 实际完成值 in the same unit: ≥ (or >) earns
  实际 / 目标 × 分值, capped at 分值; ≤ (or <) earns 分值 when met, else 目标 / 实际 × 分值; = (or no
  operator) earns 分值 or nothing. A cost bounded by the budget (≤预算数) compares a money 实际完成值 with the
  project's 全年预算数.
- Any other target (deadline, grade, words) is qualitative: 完成程度 达成 80–100 %, 部分达成 60–80 %, 未达成
  0–60 % of 分值; a typed 得分 within the band is kept, else the default share (达成 100 %, 部分达成 70 %,
  未达成 30 %) is used.
- An indicator whose 实际完成值 or 完成程度 is 不适用 is left out; the total is the points earned over the points
  that could be earned, times 100 (so a left-out indicator, or a 一级 without indicators, rescales it).
- Every score is rounded to 0.01 (half up, as Excel's ROUND); the total is computed from the rounded scores.
  Grades: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差.

``score_project`` is the one function: the forms engineer's Excel formulas and `wbe score` are checked against
it. Problems met while scoring (a shortfall without analysis, a typed score that differs, …) are returned as
``Issue``s with their catalogue code; validation/year_rules.py turns them into findings with the cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Sequence

from .framework import canonical_level1
from .model import Book, EvaluationIndicator, EvaluationProject
from .sheets.evaluation_indicators import NOT_APPLICABLE
from .values import IndicatorValue, base_unit, fold, money_in_wan, parse_indicator_value
from .year_config import BANDS, BUDGET_RATE, YearConfig

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
GROUPS = ("产出指标", "效益指标", "满意度指标", "成本指标")
HIGHER, LOWER, EQUAL, BUDGET, QUALITATIVE, NOT_SCORED, UNSCORABLE = (
    "higher", "lower", "equal", "budget", "qualitative", "not_applicable", "unscorable")
METHOD_NAMES = {HIGHER: "实际 ÷ 目标 × 分值", LOWER: "目标 ÷ 实际 × 分值", EQUAL: "等于目标得满分，否则 0 分",
                BUDGET: "不超过预算得满分，否则 预算 ÷ 实际 × 分值", QUALITATIVE: "按完成程度分档"}


def cents(value: Decimal) -> Decimal:
    """Rounded to 0.01, half up (Excel's ROUND(x, 2))."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _text(value: str) -> str:
    return "".join(fold(value or "").split())


def is_not_applicable(row: EvaluationIndicator) -> bool:
    """An indicator left out of the score: 实际完成值 or 完成程度 is 不适用."""
    return NOT_APPLICABLE in (_text(row.actual), _text(row.attainment))


@dataclass(frozen=True)
class Issue:
    """A problem met while scoring, as a finding to be: catalogue code, the field it is about, and the fields
    of the message."""

    code: str
    attribute: str | None  # the EvaluationIndicator field the finding names (its cell)
    variant: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class IndicatorScore:
    record: EvaluationIndicator
    group: str | None  # the 一级 whose weight the indicator shares (成本 counts with 产出 by default)
    points: Decimal  # 分值: typed, or the indicator's share of its 一级
    score: Decimal | None  # None when not applicable
    method: str
    ratio: Decimal | None = None  # 实际 / 目标 for quantitative targets
    issues: list[Issue] = field(default_factory=list)

    @property
    def applicable(self) -> bool:
        return self.method != NOT_SCORED

    @property
    def shortfall(self) -> bool:
        """Short of the target: a score below 分值, or for a qualitative one a 完成程度 other than 达成."""
        if self.method == QUALITATIVE:
            return _text(self.record.attainment) != "达成"
        return self.score is not None and self.score < self.points

    def to_dict(self) -> dict[str, Any]:
        return {"level1": self.record.level1, "level2": self.record.level2, "level3": self.record.level3,
                "points": _number(self.points), "score": _number(self.score)}


@dataclass
class ProjectScore:
    project_code: str
    budget_rate: Decimal | None  # 执行率 in percent points (95 = 95 %), unrounded
    budget_points: Decimal
    budget_score: Decimal | None
    indicators: list[IndicatorScore]
    total: Decimal | None
    grade: str | None
    issues: list[tuple[EvaluationIndicator, Issue]] = field(default_factory=list)  # WBE-W246, at a 一级's first row

    def to_dict(self) -> dict[str, Any]:
        return {"project_code": self.project_code,
                "budget_rate": _number(cents(self.budget_rate)) if self.budget_rate is not None else None,
                "budget_score": _number(self.budget_score), "indicators": [i.to_dict() for i in self.indicators],
                "total": _number(self.total), "grade": self.grade}


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    value = cents(value)
    return int(value) if value == value.to_integral_value() else float(value)


def weight_group(level1: str, config: YearConfig) -> str | None:
    """The weight an indicator's 一级 draws on: 产出, 效益, 满意度 (成本 with 产出 unless weighted itself)."""
    name = canonical_level1(level1)
    if name == "成本指标" and "成本指标" not in config.weights:
        return "产出指标"
    return name


def indicator_points(rows: Sequence[EvaluationIndicator], config: YearConfig | None = None
                     ) -> tuple[list[Decimal], list[tuple[EvaluationIndicator, Issue]]]:
    """The 分值 of each row (typed, or its even share of its 一级; see the module docstring), and WBE-W246
    issues where typed 分值 do not add up to the weight."""
    config = config or YearConfig()
    points: list[Decimal] = [Decimal(0)] * len(rows)
    issues: list[tuple[EvaluationIndicator, Issue]] = []
    groups: dict[str | None, list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(weight_group(row.level1, config), []).append(index)
    for group, members in groups.items():
        weight = config.weights.get(group, Decimal(0)) if group is not None else Decimal(0)
        typed = [i for i in members if rows[i].points is not None]
        for i in typed:
            points[i] = rows[i].points or Decimal(0)
        remaining = weight - sum((points[i] for i in typed), Decimal(0))
        untyped = [i for i in members if rows[i].points is None]
        code = rows[members[0]].project_code
        if remaining < 0 or (not untyped and remaining != 0 and group is not None):
            issues.append((rows[members[0]], Issue("WBE-W246", "points", None, {
                "code": code, "level1": group, "total": _show(weight - remaining), "weight": _show(weight)})))
        remaining = max(remaining, Decimal(0))
        if untyped:
            share = cents(remaining / len(untyped))
            for i in untyped[:-1]:
                points[i] = share
            points[untyped[-1]] = remaining - share * (len(untyped) - 1)
    return points, issues


def _show(value: Decimal | None) -> str:
    if value is None:
        return "空"
    return format(cents(value).normalize(), "f")


def _percent(value: Decimal) -> str:
    return format(cents(value).normalize(), "f") + "%"


def score_indicator(row: EvaluationIndicator, points: Decimal, config: YearConfig | None = None,
                    budget: Decimal | None = None) -> IndicatorScore:
    """One indicator's score with the issues met (``budget``: the project's 全年预算数, for ≤预算数 targets)."""
    config = config or YearConfig()
    group = weight_group(row.level1, config)
    if is_not_applicable(row):
        return IndicatorScore(row, group, points, None, NOT_SCORED)
    target, actual = parse_indicator_value(row.target), parse_indicator_value(row.actual)
    name = row.level3
    result = _quantitative(row, points, target, actual, budget, config)
    if result is None:
        result = _qualitative(row, points, target, config)
    result.group = group
    if result.method not in (UNSCORABLE, QUALITATIVE) and row.score is not None \
            and cents(row.score) != result.score:
        result.issues.append(Issue("WBE-W241", "score", None, {
            "name": name, "typed": _show(row.score), "computed": _show(result.score),
            "method": METHOD_NAMES[result.method]}))
    if result.shortfall and result.method != UNSCORABLE and not row.analysis.strip():
        result.issues.append(Issue("WBE-E240", "analysis", None, {
            "name": name, "target": row.target, "actual": row.actual or row.attainment,
            "score": _show(result.score), "points": _show(points)}))
    return result


def _quantitative(row: EvaluationIndicator, points: Decimal, target: IndicatorValue, actual: IndicatorValue,
                  budget: Decimal | None, config: YearConfig) -> IndicatorScore | None:
    """The score of a target with a number (or ≤预算数 against money), None when the target is qualitative."""
    name = row.level3
    if target.kind == "budget":
        spent = money_in_wan(actual)
        if spent is None or budget is None:
            return None  # 控制在预算内 judged by 完成程度
        score = points if spent <= budget else cents(points * budget / spent) if spent > 0 else points
        return IndicatorScore(row, None, points, score, BUDGET)
    if target.kind != "quantitative" or target.number is None:
        return None
    if actual.kind != "quantitative" or actual.number is None:
        if row.attainment.strip() and _text(row.attainment) in BANDS:
            return None  # a number could not be given: judged by 完成程度
        return _unscorable(row, points, "empty" if actual.kind == "empty" else None, target)
    if actual.unit and base_unit(actual.unit) != base_unit(target.unit):
        return _unscorable(row, points, "unit", target, unit=actual.unit, target_unit=target.unit)
    goal, done = target.number, actual.number
    operator = target.operator
    if operator in ("≥", ">"):
        ratio = done / goal if goal > 0 else None
        score = points if ratio is None or ratio >= 1 else cents(points * ratio)
        result = IndicatorScore(row, None, points, score, HIGHER, ratio)
        if ratio is not None and ratio * HUNDRED > config.far_above_percent:
            result.issues.append(Issue("WBE-W242", "actual", None, {
                "name": name, "actual": row.actual, "target": row.target, "ratio": _percent(ratio * HUNDRED),
                "limit": _show(config.far_above_percent)}))
        return result
    if operator in ("≤", "<"):
        ratio = done / goal if goal > 0 else None
        score = points if done <= goal else cents(points * goal / done)
        return IndicatorScore(row, None, points, score, LOWER, ratio)
    return IndicatorScore(row, None, points, points if done == goal else Decimal(0), EQUAL,
                          done / goal if goal else None)


def _unscorable(row: EvaluationIndicator, points: Decimal, variant: str | None, target: IndicatorValue,
                **more: str) -> IndicatorScore:
    example = format(target.number.normalize(), "f") + target.unit if target.number is not None else "12"
    issue = Issue("WBE-E244", "actual", variant, {"name": row.level3, "actual": row.actual, "target": row.target,
                                                  "example": example, **more})
    return IndicatorScore(row, None, points, Decimal(0), UNSCORABLE, issues=[issue])


def _qualitative(row: EvaluationIndicator, points: Decimal, target: IndicatorValue,
                 config: YearConfig) -> IndicatorScore:
    attainment = _text(row.attainment)
    if attainment not in BANDS:
        if attainment:  # not a choice: WBE-E233 names it; the indicator cannot be scored
            return IndicatorScore(row, None, points, Decimal(0), UNSCORABLE)
        issue = Issue("WBE-E243", "attainment", None, {"name": row.level3, "target": row.target})
        return IndicatorScore(row, None, points, Decimal(0), UNSCORABLE, issues=[issue])
    low, high = (cents(points * share / HUNDRED) for share in BANDS[attainment])
    default = cents(points * config.qualitative[attainment] / HUNDRED)
    result = IndicatorScore(row, None, points, default, QUALITATIVE)
    if row.score is not None:
        typed = cents(row.score)
        if low <= typed <= high:  # bands closed at both ends: 80 % is 达成's floor and 部分达成's ceiling
            result.score = typed
        else:
            band_low, band_high = BANDS[attainment]
            result.issues.append(Issue("WBE-E239", "score", None, {
                "name": row.level3, "attainment": attainment, "low": _show(low), "high": _show(high),
                "points": _show(points), "band": f"{band_low}–{band_high}%", "score": _show(typed)}))
    return result


def budget_rate_score(project: EvaluationProject | None, config: YearConfig | None = None
                      ) -> tuple[Decimal | None, Decimal | None]:
    """(执行率 in percent points, its score): weight × 全年执行数 / 全年预算数, capped at the weight."""
    config = config or YearConfig()
    weight = config.weights.get(BUDGET_RATE, Decimal(0))
    if project is None or project.executed is None:
        return None, None
    budget = project.full_budget if project.full_budget else project.initial_budget
    if not budget:
        return None, Decimal(0)
    rate = project.executed / budget * HUNDRED
    return rate, cents(weight * min(rate / HUNDRED, Decimal(1)))


def grade_of(total: Decimal | None, config: YearConfig | None = None) -> str | None:
    config = config or YearConfig()
    if total is None:
        return None
    for grade in ("优", "良", "中"):
        if total >= config.grades[grade]:
            return grade
    return "差"


def score_project(project: EvaluationProject | None, indicators: Sequence[EvaluationIndicator],
                  config: YearConfig | None = None, *, project_code: str | None = None) -> ProjectScore:
    """A project's self-evaluation: 预算执行率, every indicator's 分值 and 得分, the total and the grade."""
    config = config or YearConfig()
    code = project_code or (project.project_code if project is not None else
                            indicators[0].project_code if indicators else "")
    rate, budget_score = budget_rate_score(project, config)
    budget = (project.full_budget or project.initial_budget) if project is not None else None
    points, issues = indicator_points(indicators, config)
    scores = [score_indicator(row, p, config, budget) for row, p in zip(indicators, points)]
    budget_points = config.weights.get(BUDGET_RATE, Decimal(0))
    earned = sum((s.score for s in scores if s.score is not None), Decimal(0))
    possible = sum((s.points for s in scores if s.applicable), Decimal(0))
    if budget_score is not None:
        earned += budget_score
        possible += budget_points
    total = cents(earned * HUNDRED / possible) if possible > 0 else None
    return ProjectScore(code, rate, budget_points, budget_score, scores, total, grade_of(total, config), issues)


def score_book(book: Book, config: YearConfig | None = None) -> list[ProjectScore]:
    """Every project of the 自评 sheets, in 自评项目 order (then projects with 自评指标 rows only)."""
    config = config or YearConfig()
    codes = list(dict.fromkeys([p.project_code for p in book.evaluation_projects] +
                               [i.project_code for i in book.evaluation_indicators]))
    projects = {p.project_code: p for p in book.evaluation_projects}
    return [score_project(projects.get(code), book.year_rows_of("evaluation_indicators", code), config,
                          project_code=code) for code in codes]


EVALUATION_SHEETS = ("自评项目", "自评指标")


@dataclass
class ScoreResult:
    """`wbe score`: every evaluated project's scores, and the validation findings of the 自评 sheets."""

    file: str
    projects: list[ProjectScore]
    findings: list[Any]  # Finding, the 自评 sheets' (errors and warnings)
    names: dict[str, str] = field(default_factory=dict)  # 项目编码 -> 项目名称

    @property
    def errors(self) -> list[Any]:
        return [f for f in self.findings if f.is_error]

    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def to_dict(self) -> dict[str, Any]:
        return {"projects": [p.to_dict() for p in self.projects]}

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        lines: list[str] = []
        for project in self.projects:
            name = self.names.get(project.project_code, "")
            total = "无法计算" if project.total is None else f"{_show(project.total)}（{project.grade}）"
            lines.append(f"项目 {project.project_code}{f'（{name}）' if name else ''}：总分 {total}")
            if project.budget_score is None:
                lines.append("  预算执行率：未填写全年执行数，不计分")
            else:
                rate = "—" if project.budget_rate is None else _percent(project.budget_rate)
                lines.append(f"  预算执行率 {rate}，得分 {_show(project.budget_score)} / {_show(project.budget_points)}")
            for item in project.indicators:
                row = item.record
                score = "不适用，不计分" if not item.applicable else f"得分 {_show(item.score)}"
                lines.append(f"  {row.level1}/{row.level2}/{row.level3}：分值 {_show(item.points)}，{score}")
        if not self.projects:
            lines.append("工作簿中没有绩效自评（自评项目、自评指标工作表为空或不存在）。")
        for found in self.findings:
            where = f"{found.sheet}!{found.cell}" if found.cell else (found.sheet or "")
            level = "错误" if found.is_error else "警告"
            lines.append(f"{level} {found.code} {where}：{found.message}")
        lines.append(f"{self.file}：{len(self.projects)} 个项目，自评表 {len(self.errors)} 个错误，"
                     f"{len(self.findings) - len(self.errors)} 个警告。")
        return "\n".join(lines)
