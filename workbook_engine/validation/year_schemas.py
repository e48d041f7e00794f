"""pandera models of the budget year's sheets (监控项目, 监控指标, 自评项目, 自评指标; issue 22).

As schemas.py: typed frames, one row per record, money as floats, blanks as None; each field declares its
checks' codes (``coded``: patterns, money and not-null as for 项目 and 指标). The sheets are optional: a book
without them has no frame to check.
"""

from __future__ import annotations

from .pandera_import import Series, pa
from .schemas import (
    DEPT_CODE,
    DEPT_CODE_PATTERN,
    MONEY,
    PROJECT_CODE,
    PROJECT_CODE_PATTERN,
    SheetModel,
    Text,
    _at_most_two_decimals,
    coded,
)


class YearProjectModel(SheetModel):
    """The key of every budget-year row: the project (部门编码, 项目编码), checked as in 项目."""

    dept_code: Series[Text] = coded(DEPT_CODE, nullable=False, str_matches=DEPT_CODE_PATTERN)
    project_code: Series[Text] = coded(PROJECT_CODE, nullable=False, str_matches=PROJECT_CODE_PATTERN)


class YearIndicatorModel(YearProjectModel):
    """An indicator's key (一级/二级/三级) and its goal as set (年度指标值), as in 指标."""

    level1: Series[Text] = pa.Field(nullable=False)
    level2: Series[Text] = pa.Field(nullable=False)
    level3: Series[Text] = pa.Field(nullable=False)
    target: Series[Text] = pa.Field(nullable=False)


class MonitorProjectsSchema(YearProjectModel):
    period: Series[Text] = pa.Field(nullable=False)
    initial_budget: Series[float] = coded(MONEY, nullable=False, ge=0)
    full_budget: Series[float] = coded(MONEY, nullable=False, ge=0)
    executed: Series[float] = coded(MONEY, nullable=False, ge=0)
    expected_executed: Series[float] = coded(MONEY, nullable=True, ge=0)
    goal_progress: Series[Text] = pa.Field(nullable=False)
    note: Series[Text] = pa.Field(nullable=True)

    @pa.check("initial_budget", "full_budget", "executed", "expected_executed", name="cents", element_wise=True)
    def cents(cls, value: float) -> bool:  # noqa: N805 - pandera passes the class
        return _at_most_two_decimals(value)


class MonitorIndicatorsSchema(YearIndicatorModel):
    progress: Series[Text] = pa.Field(nullable=False)
    expected: Series[Text] = pa.Field(nullable=False)
    deviation_causes: Series[Text] = pa.Field(nullable=True)
    deviation_note: Series[Text] = pa.Field(nullable=True)
    likelihood: Series[Text] = pa.Field(nullable=False)
    corrective: Series[Text] = pa.Field(nullable=True)
    note: Series[Text] = pa.Field(nullable=True)


class EvaluationProjectsSchema(YearProjectModel):
    initial_budget: Series[float] = coded(MONEY, nullable=False, ge=0)
    full_budget: Series[float] = coded(MONEY, nullable=False, ge=0)
    executed: Series[float] = coded(MONEY, nullable=False, ge=0)
    achievement: Series[Text] = pa.Field(nullable=False)
    conclusion: Series[Text] = pa.Field(nullable=True)
    problems: Series[Text] = pa.Field(nullable=True)
    improvements: Series[Text] = pa.Field(nullable=True)

    @pa.check("initial_budget", "full_budget", "executed", name="cents", element_wise=True)
    def cents(cls, value: float) -> bool:  # noqa: N805
        return _at_most_two_decimals(value)


class EvaluationIndicatorsSchema(YearIndicatorModel):
    actual: Series[Text] = pa.Field(nullable=False)
    attainment: Series[Text] = pa.Field(nullable=True)
    points: Series[float] = pa.Field(nullable=True)
    score: Series[float] = pa.Field(nullable=True)
    analysis: Series[Text] = pa.Field(nullable=True)


YEAR_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "monitor_projects": MonitorProjectsSchema,
    "monitor_indicators": MonitorIndicatorsSchema,
    "evaluation_projects": EvaluationProjectsSchema,
    "evaluation_indicators": EvaluationIndicatorsSchema,
}
