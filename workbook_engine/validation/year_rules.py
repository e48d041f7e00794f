"""The budget year's checks (issue 22): 运行监控 (监控项目, 监控指标) and 绩效自评 (自评项目, 自评指标).

Each rule names the catalogue codes it reports where it is defined (``@year_rule(...)``, kept in
RULE_CODES). The figures are the county's (wbe.toml, year_config.py). A book without the budget year's
sheets gets no finding from here, and does not read wbe.toml for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..findings import Finding, produces
from ..identity import record_key
from ..model import Project
from ..scoring import score_book
from ..sheets import BY_KIND
from ..sheets.evaluation_indicators import ATTAINMENTS, NOT_APPLICABLE
from ..sheets.evaluation_indicators import SPEC as EVALUATION
from ..sheets.monitor_indicators import DEVIATION_CAUSES, IMPOSSIBLE, LIKELIHOODS
from ..sheets.monitor_indicators import SPEC as MONITOR
from ..values import base_unit, fold, parse_indicator_value
from ..year_config import YearConfig, load_year_config, parse_period
from .rules import RuleContext

YearRule = Callable[[RuleContext, YearConfig], Iterator[Finding]]
YEAR_RULES: list[YearRule] = []
RULE_CODES: dict[str, tuple[str, ...]] = {}  # rule name -> the catalogue codes it reports

PROJECT_KINDS = ("monitor_projects", "evaluation_projects")
INDICATOR_KINDS = ("monitor_indicators", "evaluation_indicators")
# What systems write in an empty cause cell; it is no cause (domain notes: 无偏差 is a placeholder).
NO_CAUSE = ("无偏差", "无", "/", "-", "—", "无偏差原因")
_CAUSE_SEPARATORS = re.compile(r"[、,，;；/\s]+")
# Words with which an expected value says the target will not be met.
_SHORT_WORDS = ("不能", "无法", "未能", "完不成", "难以", "不可能")
# The end of each 资金支出计划 column: month and Project field.
PLAN_POINTS = ((3, "q1"), (6, "q2"), (10, "q3"), (12, "q4"))


def year_rule(*codes: str) -> Callable[[YearRule], YearRule]:
    """Register a rule of the budget year with the catalogue codes it reports (findings.produces)."""
    declare = produces(*codes)

    def register(rule: YearRule) -> YearRule:
        RULE_CODES[rule.__name__] = codes
        YEAR_RULES.append(declare(rule))
        return rule
    return register


def year_findings(ctx: RuleContext) -> Iterator[Finding]:
    """Every finding of the budget year's rules (none, and wbe.toml unread, for a book without the sheets)."""
    if not ctx.book.has_year_sheets():
        return
    config = load_year_config(ctx.loaded.path)
    for rule in YEAR_RULES:
        yield from rule(ctx, config)


def _sheet(ctx: RuleContext, kind: str) -> str:
    """The sheet's name as the workbook spells it (an English alias, a variant), for messages."""
    table = ctx.loaded.table(kind)
    return table.sheet_name if table is not None else BY_KIND[kind].name


def _blank(text: str) -> bool:
    return not (text or "").strip()


def _has_cause(row: Any) -> bool:
    causes = [c for c in _CAUSE_SEPARATORS.split(fold(row.deviation_causes or "").strip()) if c]
    note = (row.deviation_note or "").strip()
    return any(c not in NO_CAUSE for c in causes) or (bool(note) and note not in NO_CAUSE)


def _amount(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else "空"


def _points(points: Decimal) -> str:
    """Percent points to 0.01, half up, without trailing zeros: 56.25, 40."""
    return format(points.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize(), "f")


def _percent(points: Decimal) -> str:
    return _points(points) + "%"


@year_rule("WBE-E230", "WBE-E231", "WBE-E245")
def rows_belong_to_the_goals(ctx: RuleContext, config: YearConfig) -> Iterator[Finding]:
    """Every 监控/自评 row is a project of 项目 or an indicator of 指标, once per sheet."""
    projects = {p.code for p in ctx.book.projects}
    indicators = {record_key("indicators", i) for i in ctx.book.indicators}
    for kind in (*PROJECT_KINDS, *INDICATOR_KINDS):
        sheet = _sheet(ctx, kind)
        first: dict[tuple, int | None] = {}
        for row in ctx.book.records(kind):
            key = record_key(kind, row)
            if not row.project_code:
                continue
            if row.project_code not in projects:
                yield ctx.at("WBE-E230", kind, row.row, "project_code", row.project_code, sheet=sheet,
                             code=row.project_code)
            elif kind in INDICATOR_KINDS and key not in indicators:
                yield ctx.at("WBE-E231", kind, row.row, "level3", row.level3, sheet=sheet, code=row.project_code,
                             level1=row.level1, level2=row.level2, level3=row.level3)
            if key in first:
                names = {} if kind in PROJECT_KINDS else \
                    {"level1": row.level1, "level2": row.level2, "level3": row.level3}
                yield ctx.at("WBE-E245", kind, row.row, "project_code", row.project_code,
                             None if kind in PROJECT_KINDS else "indicator", code=row.project_code, sheet=sheet,
                             first=first[key], **names)
            else:
                first[key] = row.row


def _same_goal(a: str, b: str) -> bool:
    return "".join(fold(a or "").split()) == "".join(fold(b or "").split())


@year_rule("WBE-E232")
def goals_as_set(ctx: RuleContext, config: YearConfig) -> Iterator[Finding]:
    """年度指标值 is 指标's 指标值 and 年初预算数 is 项目's 预算数: a goal changes only by a formal 目标调整."""
    values = {record_key("indicators", i): i.value for i in ctx.book.indicators}
    budgets = {p.code: p.budget for p in ctx.book.projects}
    for kind in INDICATOR_KINDS:
        for row in ctx.book.records(kind):
            goal = values.get(record_key(kind, row))
            if goal is not None and not _blank(row.target) and not _same_goal(row.target, goal):
                yield ctx.at("WBE-E232", kind, row.row, "target", row.target, sheet=_sheet(ctx, kind),
                             value=row.target, goal=goal)
    for kind in PROJECT_KINDS:
        for row in ctx.book.records(kind):
            budget = budgets.get(row.project_code)
            if budget is not None and row.initial_budget is not None and row.initial_budget != budget:
                yield ctx.at("WBE-E232", kind, row.row, "initial_budget", float(row.initial_budget), "budget",
                             sheet=_sheet(ctx, kind), value=_amount(row.initial_budget), goal=_amount(budget))


@year_rule("WBE-E233")
def choices_are_known(ctx: RuleContext, config: YearConfig) -> Iterator[Finding]:
    """偏差原因类别 (one or more), 完成目标可能性 and 完成程度 are among their dropdown's choices."""
    for row in ctx.book.monitor_indicators:
        causes = [c for c in _CAUSE_SEPARATORS.split(fold(row.deviation_causes or "").strip()) if c]
        unknown = [c for c in causes if c not in DEVIATION_CAUSES and c not in NO_CAUSE]
        if unknown:
            yield ctx.at("WBE-E233", "monitor_indicators", row.row, "deviation_causes", row.deviation_causes,
                         "multiple", header=MONITOR.header_of("deviation_causes"), text="、".join(unknown),
                         choices="、".join(DEVIATION_CAUSES))
        likelihood = "".join(fold(row.likelihood or "").split())
        if likelihood and likelihood not in LIKELIHOODS:
            yield ctx.at("WBE-E233", "monitor_indicators", row.row, "likelihood", row.likelihood,
                         header=MONITOR.header_of("likelihood"), text=row.likelihood, choices="、".join(LIKELIHOODS))
    for item in ctx.book.evaluation_indicators:
        attainment = "".join(fold(item.attainment or "").split())
        if attainment and attainment not in (*ATTAINMENTS, NOT_APPLICABLE):
            yield ctx.at("WBE-E233", "evaluation_indicators", item.row, "attainment", item.attainment,
                         header=EVALUATION.header_of("attainment"), text=item.attainment,
                         choices="、".join((*ATTAINMENTS, NOT_APPLICABLE)))


@year_rule("WBE-E234")
def monitoring_period(ctx: RuleContext, config: YearConfig) -> Iterator[Finding]:
    """监控期间 reads like 1-7月 and is the county's period (wbe.toml monitor-period)."""
    wanted = parse_period(config.monitor_period)
    for row in ctx.book.monitor_projects:
        if _blank(row.period):
            continue  # WBE-E010
        period = parse_period(row.period)
        if period is None:
            yield ctx.at("WBE-E234", "monitor_projects", row.row, "period", row.period, text=row.period,
                         period=config.monitor_period)
        elif period != wanted:
            yield ctx.at("WBE-E234", "monitor_projects", row.row, "period", row.period, "other", text=row.period,
                         period=config.monitor_period)


@year_rule("WBE-E235")
def executed_within_budget(ctx: RuleContext, config: YearConfig) -> Iterator[Finding]:
    """执行数 (全年执行数) ≤ 全年预算数."""
    for kind, variant in (("monitor_projects", None), ("evaluation_projects", "evaluation")):
        for row in ctx.book.records(kind):
            if row.executed is not None and row.full_budget is not None and row.executed > row.full_budget:
                yield ctx.at("WBE-E235", kind, row.row, "executed", float(row.executed), variant,
                             executed=_amount(row.executed), budget=_amount(row.full_budget))


def planned_share(project: Project, month: int) -> Decimal | None:
    """The 资金支出计划's cumulative share (percent points) at the end of ``month``, interpolated linearly
    between 0 at the start of the year and the plan's points at 3月底, 6月底, 10月底 and 12月底."""
    points = [(0, Decimal(0))]
    for end, name in PLAN_POINTS:
        value = getattr(project, name)
        if value is None:
            return None
        points.append((end, value))
    for (m0, v0), (m1, v1) in zip(points, points[1:]):
        if m0 <= month <= m1:
            return v0 + (v1 - v0) * (month - m0) / (m1 - m0)
    return None


@year_rule("WBE-W236")
def execution_on_plan(ctx: RuleContext, config: YearConfig) -> Iterator[Finding]:
    """Budget execution at the end of the period is not behind the project's own plan by more than the threshold."""
    projects = {p.code: p for p in ctx.book.projects}
    for row in ctx.book.monitor_projects:
        project = projects.get(row.project_code)
        period = parse_period(row.period)
        budget = row.full_budget or row.initial_budget
        if project is None or period is None or row.executed is None or not budget:
            continue
        expected = planned_share(project, period[1])
        if expected is None:
            continue
        actual = row.executed / budget * 100
        if expected - actual > config.behind_plan_points:
            yield ctx.at("WBE-W236", "monitor_projects", row.row, "executed", float(row.executed),
                         month=period[1], expected=_percent(expected), actual=_percent(actual),
                         executed=_amount(row.executed), budget=_amount(budget),
                         behind=_points(expected - actual),
                         threshold=format(config.behind_plan_points.normalize(), "f"))


def falls_short(target_text: str, expected_text: str) -> bool:
    """Whether a 全年预计完成情况 misses its 年度指标值, compared by the value parser and the target's direction
    (≥: below; ≤: above; =: different); qualitative values only when the expectation says so in words."""
    target, expected = parse_indicator_value(target_text), parse_indicator_value(expected_text)
    if target.kind == "quantitative" and target.number is not None and expected.kind == "quantitative" \
            and expected.number is not None \
            and (not expected.unit or base_unit(expected.unit) == base_unit(target.unit)):
        if target.operator in ("≥", ">"):
            return expected.number < target.number
        if target.operator in ("≤", "<"):
            return expected.number > target.number
        return expected.number != target.number
    return any(word in (expected_text or "") for word in _SHORT_WORDS)


@year_rule("WBE-E237", "WBE-E238")
def deviations_explained(ctx: RuleContext, config: YearConfig) -> Iterator[Finding]:
    """A target that will be missed has a 偏差原因; 完全不可能 has a 纠偏措施."""
    for row in ctx.book.monitor_indicators:
        impossible = "".join(fold(row.likelihood or "").split()) == IMPOSSIBLE
        if not _has_cause(row):
            if not _blank(row.expected) and falls_short(row.target, row.expected):
                yield ctx.at("WBE-E237", "monitor_indicators", row.row, "deviation_causes", row.deviation_causes,
                             name=row.level3, expected=row.expected, target=row.target)
            elif impossible:
                yield ctx.at("WBE-E237", "monitor_indicators", row.row, "deviation_causes", row.deviation_causes,
                             "impossible", name=row.level3)
        if impossible and _blank(row.corrective):
            yield ctx.at("WBE-E238", "monitor_indicators", row.row, "corrective", row.corrective, name=row.level3)


@year_rule("WBE-E239", "WBE-E240", "WBE-W241", "WBE-W242", "WBE-E243", "WBE-E244", "WBE-W246")
def self_evaluation_scores(ctx: RuleContext, config: YearConfig) -> Iterator[Finding]:
    """The issues met while scoring each project (scoring.py), at their cells."""
    for project in score_book(ctx.book, config):
        for row, issue in project.issues:
            yield ctx.at(issue.code, "evaluation_indicators", row.row, issue.attribute,
                         getattr(row, issue.attribute) if issue.attribute else None, issue.variant, **issue.fields)
        for scored in project.indicators:
            row = scored.record
            for issue in scored.issues:
                value = getattr(row, issue.attribute) if issue.attribute else None
                yield ctx.at(issue.code, "evaluation_indicators", row.row, issue.attribute,
                             float(value) if isinstance(value, Decimal) else value, issue.variant, **issue.fields)


def year_book_codes() -> set[str]:
    """Every code the budget year's rules report (for the catalogue test)."""
    return {code for codes in RULE_CODES.values() for code in codes}


__all__ = ["YEAR_RULES", "RULE_CODES", "year_findings", "parse_period", "planned_share", "falls_short",
           "year_book_codes"]
