"""Filling the budget-year forms as staff would (openpyxl, the cells a person types into), for the
collection-round tests: the 监控表 with 执行数 as a share of each project's budget, the 自评表 with every
target met (or a chosen project's first quantitative indicator at half its target)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl

_OPERATOR = re.compile(r"^(≥|≤|=|＞|＜|>|<)")


def find(sheet, text: str, *, after: int = 0) -> tuple[int, int]:
    for row in sheet.iter_rows(min_row=after + 1):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip() == text:
                return cell.row, cell.column
    raise AssertionError(f"{text} not in {sheet.title}")


def _indicator_rows(sheet, header: int, skip: int, level3_col: int) -> list[int]:
    rows, r = [], header + skip
    while sheet.cell(r, level3_col).value not in (None, ""):
        rows.append(r)
        r += 1
    return rows


def project_sheets(workbook) -> list:
    return [s for s in workbook.worksheets if s.title != "目标数据"]


def fill_monitor(form: Path, output: Path, shares: dict[int, float] | None = None, default: float = 0.6,
                 period: str = "1-7月") -> dict[str, float]:
    """Every project sheet: 全年预算数 = 年初预算数, 执行数 = share × budget (sheet n → ``shares[n]``), the goal's
    progress, and each indicator on course (执行情况, 全年预计 = the target, 确定能 ticked). Returns the
    执行数 typed per project name."""
    workbook = openpyxl.load_workbook(form)
    typed: dict[str, float] = {}
    for n, sheet in enumerate(project_sheets(workbook)):
        name_r, name_c = find(sheet, "项目名称")
        name = str(sheet.cell(name_r, name_c + 2).value)
        total_r, _ = find(sheet, "年度资金总额")
        initial_c = find(sheet, "年初预算数")[1]
        full_c = find(sheet, "全年预算数")[1]
        executed_c = find(sheet, f"{period}执行数")[1]
        budget = float(sheet.cell(total_r, initial_c).value)
        executed = round(budget * shares.get(n, default) if shares else budget * default, 2)
        sheet.cell(total_r, full_c).value = budget
        sheet.cell(total_r, executed_c).value = executed
        typed[name] = executed
        goal_r, goal_c = find(sheet, f"{period}执行情况")
        sheet.cell(goal_r + 1, goal_c).value = "按计划推进"
        header_r, _ = find(sheet, "一级指标")
        level3_c = find(sheet, "三级指标", after=header_r - 1)[1]
        progress_c = find(sheet, f"{period}执行情况", after=header_r - 1)[1]
        expected_c = find(sheet, "全年预计完成情况")[1]
        likely_c = find(sheet, "完成目标可能性")[1]
        for r in _indicator_rows(sheet, header_r, 2, level3_c):
            target = str(sheet.cell(r, find(sheet, "年度指标值", after=header_r - 1)[1]).value or "")
            sheet.cell(r, progress_c).value = "按计划推进"
            sheet.cell(r, expected_c).value = _OPERATOR.sub("", target)
            sheet.cell(r, likely_c).value = "√"
    workbook.save(output)
    return typed


def fill_evaluation(form: Path, output: Path, *, executed_share: float = 1.0, half_of_first: int | None = None
                    ) -> None:
    """Every project sheet: 全年预算数 = 年初预算数, 全年执行数 = share × budget, the 实际完成情况, every
    indicator met (a qualitative one as 达成：<target>); on sheet ``half_of_first`` the first quantitative
    indicator reaches half its target, with a 偏差原因."""
    workbook = openpyxl.load_workbook(form)
    for n, sheet in enumerate(project_sheets(workbook)):
        total_r, _ = find(sheet, "年度资金总额")
        initial_c = find(sheet, "年初预算数")[1]
        budget = float(sheet.cell(total_r, initial_c).value)
        sheet.cell(total_r, find(sheet, "全年预算数")[1]).value = budget
        sheet.cell(total_r, find(sheet, "全年执行数")[1]).value = round(budget * executed_share, 2)
        goal_r, goal_c = find(sheet, "实际完成情况")
        sheet.cell(goal_r + 1, goal_c).value = "全部完成年度目标"
        header_r, _ = find(sheet, "一级指标")
        level3_c = find(sheet, "三级指标", after=header_r - 1)[1]
        target_c = find(sheet, "年度指标值", after=header_r - 1)[1]
        actual_c = find(sheet, "实际完成值", after=header_r - 1)[1]
        cause_c = find(sheet, "偏差原因分析及改进措施", after=header_r - 1)[1]
        halved = False
        for r in _indicator_rows(sheet, header_r, 1, level3_c):
            target = str(sheet.cell(r, target_c).value or "")
            number = re.match(r"^(≥|>)(\d+(?:\.\d+)?)(.*)$", target)
            if n == half_of_first and number and not halved:
                value = float(number.group(2)) / 2
                sheet.cell(r, actual_c).value = f"{value:g}{number.group(3)}"
                sheet.cell(r, cause_c).value = "汛期推迟，下半年补足"
                halved = True
            elif _OPERATOR.match(target) and re.search(r"\d", target):
                sheet.cell(r, actual_c).value = _OPERATOR.sub("", target)
            else:
                sheet.cell(r, actual_c).value = f"达成：{target}"
    workbook.save(output)
