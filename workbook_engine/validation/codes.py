"""The catalogue of finding codes: severity and a short Chinese title for each (docs/rules.md).

The review rules (WBE-R…, docs/review-rules.md) are part of the same catalogue; ``REVIEW`` adds, for each of
them, the review criterion it belongs to and the points it costs a project's score (review/grading.py).
"""

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
    "WBE-W007": (WARNING, "数据中有公式（已按保存的计算结果读取）"),
    "WBE-W009": (WARNING, "隐藏的行、列或工作表"),
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
    "WBE-W026": (WARNING, "公式没有保存计算结果"),
    # The file as a whole
    "WBE-W027": (WARNING, "工作簿含有宏（不会运行，也不会保留）"),
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
    # Reading the official (formatted) workbook back: wbe extract
    "WBE-W070": (WARNING, "未识别的工作表，已跳过"),
    "WBE-E071": (ERROR, "单元格内容无法归位"),
    "WBE-E072": (ERROR, "项目表缺少必需的行"),
    "WBE-E073": (ERROR, "项目表中的数值无法读取"),
    "WBE-W074": (WARNING, "无法确定部门或年度"),
    # Review rules (docs/review-rules.md): warnings by default, re-gradable per project in wbe.toml
    "WBE-R101": (WARNING, "文字中留有占位符"),
    "WBE-R102": (WARNING, "指标值为 0%（系统默认值）"),
    "WBE-R103": (WARNING, "指标值确定依据为空"),
    "WBE-R104": (WARNING, "缺少审核要求的二级指标"),
    "WBE-R111": (WARNING, "三级指标只重复二级指标名称"),
    "WBE-R112": (WARNING, "绩效指标描述没有说明"),
    "WBE-R113": (WARNING, "三级指标名称被截断"),
    "WBE-R114": (WARNING, "指标与其他项目完全相同"),
    "WBE-R115": (WARNING, "绩效目标中的数字没有指标体现"),
    "WBE-R116": (WARNING, "把投入当作产出或效益"),
    "WBE-R117": (WARNING, "指标不符合二级指标的含义"),
    "WBE-R118": (WARNING, "多个不同项目使用相同的套话指标"),
    "WBE-R119": (WARNING, "指标与项目内容无关"),
    "WBE-R121": (WARNING, "数量指标没有数量"),
    "WBE-R122": (WARNING, "成本指标没有金额"),
    "WBE-R123": (WARNING, "满意度指标不是“≥百分比”"),
    "WBE-R124": (WARNING, "时效指标没有期限、时长或比率"),
    "WBE-R125": (WARNING, "含糊用语"),
    "WBE-R126": (WARNING, "指标名称中含有指标值"),
    "WBE-R127": (WARNING, "计量单位与指标不符"),
    "WBE-R131": (WARNING, "百分比超过 100%"),
    "WBE-R132": (WARNING, "应提高的比率用了“≤”"),
    "WBE-R133": (WARNING, "满意度为 100%"),
    "WBE-R134": (WARNING, "成本金额超过预算数"),
    "WBE-R135": (WARNING, "时效期限不在预算年度内"),
    "WBE-R136": (WARNING, "成本指标用了下限"),
    "WBE-R137": (WARNING, "满意度目标过低"),
    "WBE-R138": (WARNING, "比率目标远低于指标含义"),
}

# The four review criteria, in the order reports list them.
CRITERIA: tuple[str, ...] = ("完整性", "相关性", "适当性", "可行性")

# Review code -> (criterion, points deducted per finding from the project's score of 100).
REVIEW: dict[str, tuple[str, int]] = {
    "WBE-R101": ("完整性", 10),
    "WBE-R102": ("完整性", 5),
    "WBE-R103": ("完整性", 2),
    "WBE-R104": ("完整性", 5),
    "WBE-R111": ("相关性", 6),
    "WBE-R112": ("相关性", 1),
    "WBE-R113": ("相关性", 3),
    "WBE-R114": ("相关性", 10),
    "WBE-R115": ("相关性", 3),
    "WBE-R116": ("相关性", 6),
    "WBE-R117": ("相关性", 4),
    "WBE-R118": ("相关性", 3),
    "WBE-R119": ("相关性", 6),
    "WBE-R121": ("适当性", 4),
    "WBE-R122": ("适当性", 8),
    "WBE-R123": ("适当性", 4),
    "WBE-R124": ("适当性", 4),
    "WBE-R125": ("适当性", 2),
    "WBE-R126": ("适当性", 3),
    "WBE-R127": ("适当性", 4),
    "WBE-R131": ("可行性", 5),
    "WBE-R132": ("可行性", 5),
    "WBE-R133": ("可行性", 3),
    "WBE-R134": ("可行性", 8),
    "WBE-R135": ("可行性", 5),
    "WBE-R136": ("可行性", 5),
    "WBE-R137": ("可行性", 4),
    "WBE-R138": ("可行性", 4),
}

# Codes of `wbe extract` (reading the official workbook back); their failing cases are in test_extract.py.
EXTRACT: tuple[str, ...] = ("WBE-W070", "WBE-E071", "WBE-E072", "WBE-E073", "WBE-W074")


def severity_of(code: str) -> str:
    return CODES[code][0]


def title_of(code: str) -> str:
    return CODES[code][1]


def criterion_of(code: str) -> str | None:
    return REVIEW[code][0] if code in REVIEW else None
