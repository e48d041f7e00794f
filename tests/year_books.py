"""Budget-year books for the tests (issue 22): the sample with its 监控 and 自评 sheets filled as staff would."""

from __future__ import annotations

import re
from decimal import Decimal

from workbook_engine.budget_year import with_year_rows
from workbook_engine.model import Book
from workbook_engine.values import parse_indicator_value

_OPERATOR = re.compile(r"^(≥|≤|=|＞|＜|>|<)")


def met(target: str) -> str:
    """An 实际完成值 that just meets a target: ≥12次 -> 12次; a qualitative target is met as written."""
    return _OPERATOR.sub("", target)


def filled_year(book: Book) -> Book:
    """Every project and indicator with clean 监控 (1-7月, on plan) and 自评 rows (every target met)."""
    year = with_year_rows(book)
    budgets = {p.code: p.budget or Decimal(0) for p in book.projects}
    for row in year.monitor_projects:
        row.executed = (budgets[row.project_code] * Decimal("0.6")).quantize(Decimal("0.01"))
        row.goal_progress = "按计划推进"
    for indicator in year.monitor_indicators:
        indicator.progress = "按计划推进"
        indicator.expected = indicator.target
        indicator.likelihood = "确定能"
    for project in year.evaluation_projects:
        project.executed = budgets[project.project_code]
        project.achievement = "全部完成年度目标"
    for evaluated in year.evaluation_indicators:
        evaluated.actual = met(evaluated.target)
        if parse_indicator_value(evaluated.target).kind != "quantitative":
            evaluated.attainment = "达成"
    return year
