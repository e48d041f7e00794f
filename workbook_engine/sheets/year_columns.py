"""The columns the four budget-year sheets share: their key (as in 项目 and 指标) and the two budgets."""

from __future__ import annotations

from .base import Column

DEPT_CODE = Column("dept_code", "部门编码", "code", width=10, note="6 位部门编码，与项目表一致。")

# 监控指标 and 自评指标: an indicator is (项目编码, 一级指标, 二级指标, 三级指标), as in 指标.
INDICATOR_KEY = (
    DEPT_CODE,
    Column("project_code", "项目编码", "code", width=24, note="指标所属项目的项目编码。"),
    Column("level1", "一级指标", width=12, note="与指标表相同。"),
    Column("level2", "二级指标", width=18, note="与指标表相同。"),
    Column("level3", "三级指标", width=26, note="与指标表相同。"),
)

# 监控项目 and 自评项目: the budget as set and as adjusted during the year.
BUDGETS = (
    Column("initial_budget", "年初预算数", "money", width=11, note="万元，两位小数；即项目表的预算数。"),
    Column("full_budget", "全年预算数", "money", width=11, note="万元，两位小数；含年中调整后的全年预算。"),
)


def project_key(note: str) -> tuple[Column, Column]:
    """部门编码 and 项目编码 of a project row; ``note`` says which project the row is about."""
    return DEPT_CODE, Column("project_code", "项目编码", "code", width=24, note=note)
