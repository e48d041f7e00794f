"""部门目标 (goals): the department part of the document, one row per paragraph or item."""

from __future__ import annotations

from .base import Column, SheetSpec

CATEGORIES = ("总体绩效目标", "分项绩效目标", "工作保障措施")

SPEC = SheetSpec(
    kind="goals",
    name="部门目标",
    alias="goals",
    note="部门整体绩效目标：每个段落或条目一行。",
    key=("dept_code", "category", "seq"),
    columns=(
        Column("dept_code", "部门编码", "code", width=10, note="6 位部门编码，如 450001。"),
        Column("dept_name", "部门名称", width=24, note="如 乐亭县应急管理局本级。"),
        Column("year", "年度", "year", width=8, note="预算年度，如 2024。"),
        Column("category", "类别", width=14, note="总体绩效目标、分项绩效目标或工作保障措施（下拉选择）。"),
        Column("seq", "序号", "int", width=6, note="同一类别内的顺序号：1、2、3……"),
        Column("title", "标题", required=False, width=24,
               note="分项绩效目标的小标题（如 安全生产目标管理奖金）；其他类别留空。"),
        Column("content", "内容", width=80, note="段落正文。工作保障措施不写“（一）”等编号，由序号生成。"),
    ),
)
