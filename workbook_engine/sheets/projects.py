"""项目 (projects): one row per budget project, the head of its 绩效目标表."""

from __future__ import annotations

from .base import Column, SheetSpec

PLAN_FIELDS = ("q1", "q2", "q3", "q4")

SPEC = SheetSpec(
    kind="projects",
    name="项目",
    alias="projects",
    note="预算项目：每个项目一行，对应一张绩效目标表的表头部分。",
    key=("code",),
    columns=(
        Column("dept_code", "部门编码", "code", width=10, note="6 位部门编码。"),
        Column("seq", "序号", "int", width=6, note="项目在文本中的顺序号（表名前的 1.、2.……）。"),
        Column("code", "项目编码", "code", width=24,
               note="21 位：6 位行政区划 + 2 位年度 + P + 12 位字母或数字，如 13022524P00CL0E10035D。"),
        Column("name", "项目名称", width=28, note="预算系统中的项目名称。"),
        Column("table_title", "表名", required=False, width=28,
               note="发布时表名与项目名称不同时填写（不含序号和“绩效目标表”），否则留空。"),
        Column("budget", "预算数", "money", width=11, note="万元，两位小数；= 财政资金 + 其他资金。"),
        Column("fiscal", "财政资金", "money", width=11, note="万元，两位小数。"),
        Column("other", "其他资金", "money", required=False, width=11, note="万元，两位小数；没有时留空。"),
        Column("purpose", "资金用途", width=50, note="预算规模及资金用途的说明文字。"),
        Column("q1", "3月底", "percent", width=8, note="截至 3 月底累计支出占预算的百分比。"),
        Column("q2", "6月底", "percent", width=8, note="截至 6 月底累计支出百分比，不小于 3 月底。"),
        Column("q3", "10月底", "percent", width=8, note="截至 10 月底累计支出百分比，不小于 6 月底。"),
        Column("q4", "12月底", "percent", width=8, note="截至 12 月底累计支出百分比，应为 100%。"),
        Column("goal", "绩效目标", width=60, note="项目绩效目标的文字。"),
    ),
)
