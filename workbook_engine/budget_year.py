"""The budget year's rows started from the goals (issue 22): what the engine already knows, for staff to fill.

``monitor_rows`` and ``evaluation_rows`` give, per project of the book, the 监控 or 自评 rows with the project,
its budget and every indicator with its 年度指标值 filled in from 项目 and 指标; rows the book already holds
(matched by key) are kept as they are, so nothing typed is lost. The official forms (render --form) and
the tests start from these.
"""

from __future__ import annotations

from typing import Any

from .identity import record_key
from .model import Book, EvaluationIndicator, EvaluationProject, MonitorIndicator, MonitorProject

DEFAULT_PERIOD = "1-7月"


def monitor_rows(book: Book, period: str = DEFAULT_PERIOD) -> tuple[list[MonitorProject], list[MonitorIndicator]]:
    """One 监控项目 row per project and one 监控指标 row per indicator, the book's own rows where present."""
    projects = _keep(book, "monitor_projects", [
        MonitorProject(p.dept_code, p.code, period, p.budget, p.budget, None, None, "", "")
        for p in book.projects_of_all()])
    indicators = _keep(book, "monitor_indicators", [
        MonitorIndicator(i.dept_code, i.project_code, i.level1, i.level2, i.level3, i.value, "", "", "", "", "", "", "")
        for i in _indicators_in_order(book)])
    return projects, indicators


def evaluation_rows(book: Book) -> tuple[list[EvaluationProject], list[EvaluationIndicator]]:
    """One 自评项目 row per project and one 自评指标 row per indicator, the book's own rows where present."""
    projects = _keep(book, "evaluation_projects", [
        EvaluationProject(p.dept_code, p.code, p.budget, p.budget, None, "", "", "", "")
        for p in book.projects_of_all()])
    indicators = _keep(book, "evaluation_indicators", [
        EvaluationIndicator(i.dept_code, i.project_code, i.level1, i.level2, i.level3, i.value, "", "", None, None, "")
        for i in _indicators_in_order(book)])
    return projects, indicators


def with_year_rows(book: Book, *, period: str = DEFAULT_PERIOD, monitor: bool = True,
                   evaluation: bool = True) -> Book:
    """A copy of the book whose 监控 and/or 自评 sheets hold a row for every project and indicator."""
    result = Book(goals=list(book.goals), projects=list(book.projects), indicators=list(book.indicators),
                  monitor_projects=list(book.monitor_projects), monitor_indicators=list(book.monitor_indicators),
                  evaluation_projects=list(book.evaluation_projects),
                  evaluation_indicators=list(book.evaluation_indicators))
    if monitor:
        result.monitor_projects, result.monitor_indicators = monitor_rows(book, period)
    if evaluation:
        result.evaluation_projects, result.evaluation_indicators = evaluation_rows(book)
    return result


def _indicators_in_order(book: Book) -> list[Any]:
    return [i for p in book.projects_of_all() for i in book.indicators_of(p.code)]


def _keep(book: Book, kind: str, started: list[Any]) -> list[Any]:
    """The started rows with the book's own rows in their place (same key); the book's other rows follow."""
    own = {record_key(kind, r): r for r in book.records(kind)}
    used: set[int] = set()
    rows = []
    for row in started:
        mine = own.get(record_key(kind, row))
        if mine is not None and id(mine) not in used:
            used.add(id(mine))
            rows.append(mine)
        else:
            rows.append(row)
    rows.extend(r for r in book.records(kind) if id(r) not in used)
    return rows
