"""The catalogue of finding codes: severity and a short Chinese title for each (docs/rules.md)."""

from __future__ import annotations

from .findings import ERROR, WARNING

CODES: dict[str, tuple[str, str]] = {
    # Structure
    "WBE-E001": (ERROR, "缺少工作表"),
    "WBE-E002": (ERROR, "缺少列标题"),
    "WBE-E003": (ERROR, "列标题重复"),
    "WBE-W004": (WARNING, "未知的额外列"),
    "WBE-W005": (WARNING, "工作表没有数据行"),
    "WBE-W006": (WARNING, "标题行不在第 1 行"),
    "WBE-W008": (WARNING, "规范工作表中有合并单元格"),
    "WBE-W009": (WARNING, "隐藏的行或工作表"),
    # Cells
    "WBE-E010": (ERROR, "必填项为空"),
    "WBE-E011": (ERROR, "金额不是数字"),
    "WBE-E012": (ERROR, "金额为负数"),
    "WBE-E013": (ERROR, "金额超过两位小数"),
    "WBE-E014": (ERROR, "支出计划不是百分比"),
    "WBE-E015": (ERROR, "支出计划超出 0–100%"),
    "WBE-W016": (WARNING, "支出计划的写法有歧义"),
    "WBE-E017": (ERROR, "部门编码不是 6 位数字"),
    "WBE-E018": (ERROR, "项目编码格式不对"),
    "WBE-E019": (ERROR, "项目编码中的年度与年度不符"),
    "WBE-E020": (ERROR, "年度不是四位年份"),
    "WBE-E021": (ERROR, "序号不是正整数"),
    "WBE-E022": (ERROR, "类别不在可选范围内"),
    "WBE-E023": (ERROR, "一级指标不在指标体系内"),
    "WBE-E024": (ERROR, "二级指标不属于所填一级指标"),
    "WBE-W025": (WARNING, "数字以文本形式存储"),
    # Cross-row and cross-sheet
    "WBE-E030": (ERROR, "预算数不等于财政资金与其他资金之和"),
    "WBE-E031": (ERROR, "支出计划不是逐期累计递增"),
    "WBE-E032": (ERROR, "12月底支出计划不是 100%"),
    "WBE-E033": (ERROR, "项目编码重复"),
    "WBE-E034": (ERROR, "指标所属项目不存在"),
    "WBE-E035": (ERROR, "项目没有绩效指标"),
    "WBE-E036": (ERROR, "项目缺少产出或效益指标"),
    "WBE-W037": (WARNING, "混用两套指标体系"),
    "WBE-E038": (ERROR, "部门在部门目标中没有记录"),
    "WBE-E039": (ERROR, "指标的部门编码与项目不一致"),
    "WBE-E040": (ERROR, "指标值有运算符但没有数字"),
    "WBE-E041": (ERROR, "部门目标序号重复"),
    "WBE-E042": (ERROR, "同一项目中指标重复"),
    "WBE-E043": (ERROR, "同一部门的名称或年度不一致"),
    "WBE-W044": (WARNING, "项目缺少满意度指标"),
    "WBE-E045": (ERROR, "项目序号重复"),
    "WBE-W046": (WARNING, "分项绩效目标没有标题"),
}


def severity_of(code: str) -> str:
    return CODES[code][0]


def title_of(code: str) -> str:
    return CODES[code][1]
