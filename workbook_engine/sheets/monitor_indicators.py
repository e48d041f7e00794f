"""监控指标 (monitor_indicators): one row per indicator, its 运行监控 for the period."""

from __future__ import annotations

from .base import Column, SheetSpec
from .year_columns import INDICATOR_KEY

DEVIATION_CAUSES = ("经费保障", "制度保障", "人员保障", "硬件条件保障", "其他")
LIKELIHOODS = ("确定能", "有可能", "完全不可能")
IMPOSSIBLE = "完全不可能"

SPEC = SheetSpec(
    kind="monitor_indicators",
    name="监控指标",
    alias="monitor_indicators",
    note="运行监控的指标部分：每个指标一行，按（项目编码、一级、二级、三级指标）对应指标表。",
    key=("project_code", "level1", "level2", "level3"),
    optional=True,
    columns=(
        *INDICATOR_KEY,
        Column("target", "年度指标值", width=14, note="设定的年度目标，须与指标表的指标值一致；目标调整须走正式程序。"),
        Column("progress", "执行情况", width=18, note="监控期末的完成情况，如 8次、96%。"),
        Column("expected", "全年预计完成情况", width=16, note="预计全年完成的值，如 ≥12次、100%。"),
        Column("deviation_causes", "偏差原因类别", required=False, width=16,
               note="预计完不成时必填：经费保障、制度保障、人员保障、硬件条件保障、其他，可选多项（用、分隔）。",
               choices=DEVIATION_CAUSES, multiple=True),
        Column("deviation_note", "偏差原因说明", required=False, width=30, note="偏差原因的具体说明。"),
        Column("likelihood", "完成目标可能性", width=14, note="确定能、有可能或完全不可能（下拉选择）。",
               choices=LIKELIHOODS),
        Column("corrective", "纠偏措施", required=False, width=30, note="完成目标可能性为 完全不可能 时必填。"),
        Column("note", "备注", required=False, width=20, note="其他说明。"),
    ),
)
