"""自评指标 (evaluation_indicators): one row per indicator, its 实际完成值 and score."""

from __future__ import annotations

from .base import Column, SheetSpec
from .year_columns import INDICATOR_KEY

ATTAINMENTS = ("达成", "部分达成", "未达成")
# What marks an indicator that does not apply this year, in 实际完成值 or 完成程度: left out of the score.
NOT_APPLICABLE = "不适用"

SPEC = SheetSpec(
    kind="evaluation_indicators",
    name="自评指标",
    alias="evaluation_indicators",
    note="绩效自评的指标部分：每个指标一行，按（项目编码、一级、二级、三级指标）对应指标表。",
    key=("project_code", "level1", "level2", "level3"),
    optional=True,
    columns=(
        *INDICATOR_KEY,
        Column("target", "年度指标值", width=14, note="设定的年度目标，须与指标表的指标值一致。"),
        Column("actual", "实际完成值", width=14,
               note="全年实际完成的值，如 12次、98%；本年不适用的指标填 不适用（不计分，总分按 100 折算）。"),
        Column("attainment", "完成程度", required=False, width=10,
               note="定性指标必填：达成、部分达成、未达成（下拉选择）；不适用的指标填 不适用。",
               choices=(*ATTAINMENTS, NOT_APPLICABLE)),
        Column("points", "分值", "number", required=False, width=8,
               note="留空时按一级指标的分值平均分配（产出 50、效益 30、满意度 10）。"),
        Column("score", "得分", "number", required=False, width=8,
               note="留空时由引擎计算；填写的得分与计算结果不同时给出提示。"),
        Column("analysis", "偏差原因分析及改进措施", required=False, width=36, note="未完成目标的指标必填。"),
    ),
)
