"""指标 (indicators): one row per indicator of a project's 绩效目标表."""

from __future__ import annotations

from .base import Column, SheetSpec

SPEC = SheetSpec(
    kind="indicators",
    name="指标",
    alias="indicators",
    note="绩效指标：每个指标一行，按项目编码归属到项目。",
    key=("project_code", "level1", "level2", "level3"),
    columns=(
        Column("dept_code", "部门编码", "code", width=10, note="6 位部门编码，与项目表一致。"),
        Column("project_code", "项目编码", "code", width=24, note="指标所属项目的项目编码。"),
        Column("seq", "序号", "int", width=6, note="指标在该项目表中的顺序号。"),
        Column("level1", "一级指标", width=12, note="产出指标、效益指标、满意度指标（2021 版另有成本指标），下拉选择。"),
        Column("level2", "二级指标", width=18, note="须属于所填一级指标，如 产出指标 下的 数量指标。"),
        Column("level3", "三级指标", width=26, note="具体指标名称，不要只重复二级指标名称。"),
        Column("description", "绩效指标描述", required=False, width=32, note="对指标含义的说明。"),
        Column("value", "指标值", width=14, note="如 ≥12次、=100%、≥95%、2024年12月底前；不能量化时用定性表述。"),
        Column("basis", "指标值确定依据", required=False, width=22,
               note="计划标准、行业标准、历史标准、其他标准，或如 根据年初工作计划安排。"),
    ),
)
