"""自评项目 (evaluation_projects): one row per project, its year-end 绩效自评 (财预〔2020〕10号)."""

from __future__ import annotations

from .base import Column, SheetSpec
from .year_columns import BUDGETS, project_key

SPEC = SheetSpec(
    kind="evaluation_projects",
    name="自评项目",
    alias="evaluation_projects",
    note="绩效自评：每个项目一行，填报全年预算执行和年度总体目标的实际完成情况。",
    key=("project_code",),
    optional=True,
    columns=(
        *project_key("所评价项目的项目编码（项目表中已有）。"),
        *BUDGETS,
        Column("executed", "全年执行数", "money", width=11,
               note="万元，两位小数；执行率 = 全年执行数 ÷ 全年预算数，预算执行率得分 = 10 × 执行率。"),
        Column("achievement", "实际完成情况", width=50, note="年度总体目标的实际完成情况。"),
        Column("conclusion", "评价结论", required=False, width=30, note="自评结论的文字。"),
        Column("problems", "存在问题", required=False, width=30, note="发现的问题。"),
        Column("improvements", "改进措施", required=False, width=30, note="改进措施。"),
    ),
)
