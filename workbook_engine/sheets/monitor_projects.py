"""监控项目 (monitor_projects): one row per project, its 运行监控 of budget execution for a period (1-7月)."""

from __future__ import annotations

from .base import Column, SheetSpec
from .year_columns import BUDGETS, project_key

SPEC = SheetSpec(
    kind="monitor_projects",
    name="监控项目",
    alias="monitor_projects",
    note="运行监控（双监控）：每个项目一行，填报监控期间的预算执行和年度目标执行情况。",
    key=("project_code",),
    optional=True,
    columns=(
        *project_key("所监控项目的项目编码（项目表中已有）。"),
        Column("period", "监控期间", width=10, note="如 1-7月（部分县为 1-6月）。"),
        *BUDGETS,
        Column("executed", "执行数", "money", width=11, note="万元，两位小数；截至监控期末的累计支出，不超过全年预算数。"),
        Column("expected_executed", "全年预计执行数", "money", required=False, width=13,
               note="万元，两位小数；预计全年支出。"),
        Column("goal_progress", "年度目标执行情况", width=50, note="年度总体目标在监控期间的完成情况。"),
        Column("note", "备注", required=False, width=24, note="其他说明。"),
    ),
)
