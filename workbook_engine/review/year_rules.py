"""The review's part of the budget year (issue 22): next year's targets against this year's results.

``WBE-R230`` flags a target weaker than last year's actual, read from the reference that `wbe new --from`
writes into 指标值确定依据 (``2024年实际完成值：12次``; staff may type one too); the year must be the budget
year's previous one. ``year_view`` puts each project's 绩效自评 grade (scoring.py) beside its goal-setting
grade (grading.py) for `wbe review`. The rule is registered in review/__init__.py beside review/rules.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from ..findings import Finding
from ..model import Book
from ..values import base_unit, parse_indicator_value
from ..year_next import REFERENCE_RE
from .grading import ProjectGrade
from .rules import ReviewContext, ReviewRule, rule


def weaker_than(target_text: str, actual_text: str) -> bool:
    """Whether a target asks less than what was achieved: ≥10次 after 12次, ≤30天 after 20天 (same unit)."""
    target, actual = parse_indicator_value(target_text), parse_indicator_value(actual_text)
    if target.kind != "quantitative" or target.number is None or actual.kind != "quantitative" \
            or actual.number is None or (actual.unit and base_unit(actual.unit) != base_unit(target.unit)):
        return False
    if target.operator in ("≥", ">"):
        return target.number < actual.number
    if target.operator in ("≤", "<"):
        return target.number > actual.number
    return False


@rule("WBE-R230")
def below_last_years_actual(ctx: ReviewContext) -> Iterator[Finding]:
    for n, indicator in enumerate(ctx.book.indicators):
        year = ctx.budget_year(indicator.dept_code, indicator.project_code)
        for match in REFERENCE_RE.finditer(indicator.basis or ""):
            if year is not None and int(match.group(1)) != year - 1:
                continue
            actual = match.group(2).strip()
            if weaker_than(indicator.value, actual):
                yield ctx.indicator("WBE-R230", n, "value", actual=actual, reference=match.group(0))
                break


YEAR_REVIEW_RULES: tuple[ReviewRule, ...] = (below_last_years_actual,)


@dataclass(frozen=True)
class YearView:
    """A project's two grades of the year: its goals as reviewed, and its 绩效自评."""

    code: str
    name: str
    review_score: int
    review_grade: str
    evaluation_total: Decimal | None
    evaluation_grade: str | None

    def to_dict(self) -> dict[str, Any]:
        total = None if self.evaluation_total is None else float(self.evaluation_total)
        return {"code": self.code, "name": self.name, "review_score": self.review_score,
                "review_grade": self.review_grade, "evaluation_total": total,
                "evaluation_grade": self.evaluation_grade}

    def text(self) -> str:
        evaluation = "无法计算" if self.evaluation_total is None else \
            f"{format(self.evaluation_total.normalize(), 'f')} 分，{self.evaluation_grade}"
        return (f"{self.code} {self.name}：目标审核 {self.review_score} 分，{self.review_grade}；"
                f"绩效自评 {evaluation}")


def year_view(book: Book, grades: list[ProjectGrade], workbook: str | Path | None) -> list[YearView]:
    """The projects that have a 绩效自评, each with its review grade (empty for a book without 自评 sheets)."""
    if not (book.evaluation_projects or book.evaluation_indicators):
        return []
    from ..scoring import score_book
    from ..year_config import load_year_config

    scores = {s.project_code: s for s in score_book(book, load_year_config(workbook))}
    return [YearView(g.code, g.name, g.score, g.grade, scores[g.code].total, scores[g.code].grade)
            for g in grades if g.code in scores]
