"""The findings catalogue: every code with its severity, title, message template and fix, in one place.

Modelled on frictionless-py: an error type carries its title and a message template with named fields
(``error/error.py``), and a report flattens its errors into rows (``report/report.py``). Here a producer
(reader, validator, review, extract) says *what* it found and *where* — ``finding("WBE-E030", at, value,
budget=…, fiscal=…)`` — and the catalogue says how it reads; no message text is written anywhere else.
The terminal table, the 校验结果 sheet and the JSON all come from one flattening (``Finding.to_dict`` /
``Report.flatten``). docs/rules.md and docs/review-rules.md tables are generated from ``CATALOGUE``
(tests/test_catalogue.py runs ``cog --check``).

A leaf module: it imports nothing from the package but a1.py, so that every layer may use it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

from .a1 import cell_name

ERROR = "error"
WARNING = "warning"

# The four review criteria, in the order reports list them.
CRITERIA: tuple[str, ...] = ("完整性", "相关性", "适当性", "可行性")

# Sections of the catalogue, in the order docs/rules.md lists them.
STRUCTURE, CELLS, CROSS, EXTRACT_SECTION, COLLECT_SECTION, REVIEW_SECTION = (
    "structure", "cells", "cross", "extract", "collect", "review")
YEAR_SECTION = "year"  # the budget year's sheets: 运行监控 and 绩效自评 (issue 22)
INPUT_SECTION = "input"  # WBE-I…: input refused before it is read (issue 26)


# -- where -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Location:
    """Where a finding (or a merge conflict's value) is: file, sheet, A1 cell, Excel row, header name."""

    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    row: int | None = None
    column: str | None = None

    @classmethod
    def at(cls, sheet: str | None, row: int | None = None, col: int | None = None, column: str | None = None,
           file: str | None = None) -> Location:
        """A location from an Excel row and a 0-based column index (the cell is named when both are known)."""
        cell = cell_name(row, col) if row is not None and col is not None else None
        return cls(file, sheet, cell, row, column)

    def text(self) -> str:
        """As staff read it: ``file sheet!cell`` (or less, as far as known)."""
        place = f"{self.sheet}!{self.cell}" if self.sheet and self.cell else (self.sheet or "")
        return " ".join(part for part in (self.file, place) if part)


NOWHERE = Location()


# -- the catalogue -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One code of the catalogue.

    ``template`` and ``fix`` are Chinese with named fields (``{header}``); the message is the two joined.
    A code whose finding reads differently in different situations has ``variants`` (name -> (template,
    fix)); the code stays one code, since tools branch on it. ``what``, ``example`` and ``remedy`` are the
    English documentation of docs/rules.md. Review codes also have their criterion and points.
    """

    code: str
    severity: str
    section: str
    title: str
    template: str
    fix: str = ""
    variants: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    what: str = ""
    example: str = ""
    remedy: str = ""
    criterion: str | None = None
    points: int = 0

    def texts(self, variant: str | None = None) -> tuple[str, str]:
        if variant is None:
            return self.template, self.fix
        return self.variants[variant]

    def message(self, variant: str | None = None, /, **fields: Any) -> str:
        if variant is None:
            return self._whole.format(**fields)
        template, fix = self.texts(variant)
        return (template + fix).format(**fields)

    @functools.cached_property
    def _whole(self) -> str:
        return self.template + self.fix


def _entry(code: str, section: str, title: str, template: str, fix: str = "", *, what: str, example: str,
           remedy: str, variants: Mapping[str, tuple[str, str]] | None = None, criterion: str | None = None,
           points: int = 0) -> Entry:
    # WBE-E… errors and WBE-I… input refusals are errors; WBE-W… and WBE-R… warnings
    severity = ERROR if code[4] in "EI" else WARNING
    return Entry(code, severity, section, title, template, fix, dict(variants or {}), what, example, remedy,
                 criterion, points)


_HIDDEN_FIX = "请取消隐藏以便核对。"

_ENTRIES: tuple[Entry, ...] = (
    # Structure
    _entry("WBE-E001", STRUCTURE, "缺少工作表",
           "缺少工作表“{name}”（也可命名为 {alias}）。", "请按规范工作簿添加该工作表及其标题行：{headers}。",
           what="a canonical sheet is missing", example="no sheet `指标` (nor `indicators`)",
           remedy="add the sheet with its header row"),
    _entry("WBE-E002", STRUCTURE, "缺少列标题",
           "缺少列“{header}”。", "请在标题行添加“{header}”列（{note}）",
           variants={"renamed": ("第 {position} 列的标题是“{found}”，应为“{header}”。", "请把标题改为“{header}”。")},
           what="a header is missing or renamed; the cell is the renamed header, or the next free header cell",
           example="`项目!D1` reads 项目名", remedy="rename it to 项目名称 / add the column"),
    _entry("WBE-E003", STRUCTURE, "列标题重复",
           "列标题“{header}”重复（第一次出现在 {first}）。", "请删除或改名重复的列；本列数据未被读取。",
           what="a header appears twice; the second column is not read", example="`项目!O1` = 项目名称 again",
           remedy="delete or rename the duplicate column"),
    _entry("WBE-W004", STRUCTURE, "未知的额外列",
           "“{header}”不是规范列，校验时不检查它，但会原样保留。", "如是拼写错误请改正。",
           variants={"unlabelled": ("这一列没有标题，但有数据；数据不会被读取。", "请给该列加上标题或移走数据。")},
           what="an unknown extra column, or data under an empty header", example="`项目!O1` = 备注",
           remedy="fine if intended (kept as is); else fix the spelling"),
    _entry("WBE-W005", STRUCTURE, "工作表没有数据行",
           "工作表“{name}”没有数据行。", "请在标题行下方填写数据。",
           what="a sheet has no data rows", example="`部门目标` holds only its header", remedy="fill it in"),
    _entry("WBE-W006", STRUCTURE, "标题行不在第 1 行",
           "标题行在第 {header_row} 行而不是第 1 行；已按第 {header_row} 行读取。", "建议删除标题行上方的行。",
           what="the header row is not row 1 (found up to row 10)", example="a title row above the headers",
           remedy="delete the rows above the header"),
    _entry("WBE-W007", STRUCTURE, "数据中有公式（已按保存的计算结果读取）",
           "“{header}”列有 {count} 个公式单元格（从 {first} 起）；引擎不计算公式，按 Excel 最后一次保存的计算结果读取。",
           "建议在上报前把公式粘贴为数值。",
           variants={"unlabelled": ("该列有 {count} 个公式单元格（从 {first} 起）；引擎不计算公式，"
                                    "按 Excel 最后一次保存的计算结果读取。", "建议在上报前把公式粘贴为数值。")},
           what="formulas in a canonical sheet: the value Excel last saved is read (one finding per column: "
                "count, first cell)", example="`项目!F2` = `=G2+H2`", remedy="paste as values before submitting"),
    _entry("WBE-W008", STRUCTURE, "规范工作表中有合并单元格",
           "{start}:{end} 是合并单元格；已把它的值填入合并范围内的每一格。",
           "规范工作表中请不要合并单元格（取消合并后逐行填写）。",
           what="merged cells in a canonical sheet; the value is filled into every covered cell",
           example="`指标!A2:A3` merged", remedy="unmerge and fill each row"),
    _entry("WBE-W009", STRUCTURE, "隐藏的行、列或工作表",
           "工作表“{name}”是隐藏的，其内容仍会被读取。", _HIDDEN_FIX,
           variants={"row": ("第 {first} 行是隐藏的，其内容仍会被读取和校验。", _HIDDEN_FIX),
                     "rows": ("第 {first}–{last} 行是隐藏的，其内容仍会被读取和校验。", _HIDDEN_FIX),
                     "column": ("“{header}”列是隐藏的，其内容仍会被读取和校验。", _HIDDEN_FIX)},
           what="a canonical sheet, a run of data rows or a named column is hidden (its content is still read)",
           example="`指标` hidden; 指标 rows 3–5 hidden", remedy="unhide it so it can be checked"),
    _entry("WBE-W027", STRUCTURE, "工作簿含有宏（不会运行，也不会保留）",
           "工作簿含有宏（VBA）。引擎只读取单元格数据，从不运行宏；引擎写出的文件（如带批注的副本）不含宏。",
           "请在原文件中保留宏。",
           what="the workbook contains macros (VBA, Excel 4.0 macro sheets): never run, not kept in the engine's "
                "outputs", example="a `.xlsm`", remedy="keep the macros in your own file"),
    _entry("WBE-W028", STRUCTURE, "旧版格式的工作簿（按数值读取，输出为 xlsx）",
           "这是{kind}，已直接读取其中各工作表的数值。引擎写出的文件（如带批注的副本）是 .xlsx，原文件不变；"
           "旧版文件中的数字格式、隐藏行列和公式不在读取范围，文本列中的数字按存储的值读取（如 0.9 而非 90%）。",
           "需要按显示的样子核对时，请在 Excel 或 WPS 中另存为 .xlsx 后再校验。",
           what="an Excel 97-2003 (.xls) or WPS (.et/.ett) file: its values read directly, outputs written as .xlsx; "
                "number formats, hidden rows and formulas of such a file are not read",
           example="`部门目标.xls`, `部门目标.et`", remedy="save as .xlsx to have numbers checked as they are shown"),
    # Cells (pandera schemas and parsing)
    _entry("WBE-E010", CELLS, "必填项为空",
           "“{header}”是必填项，不能为空。", "请填写{header}。",
           what="a required cell is blank", example="`项目!N2` (绩效目标) empty", remedy="fill it in"),
    _entry("WBE-E011", CELLS, "金额不是数字",
           "“{header}”{problem}：“{text}”。", "请填写以万元为单位的数字，如 200.00。",
           variants={"date": ("“{header}”的单元格格式是日期，显示为“{text}”，其中保存的数字是 {number}。",
                              "请把单元格格式改为“数值”，核对金额后保存；强制输出时按 {number} 写出。")},
           what="a money cell is not a number (or a number shown as a date: its number is kept)",
           example="预算数 = 二百", remedy="type the amount in 万元, e.g. 200.00"),
    _entry("WBE-E012", CELLS, "金额为负数",
           "{header}“{text}”是负数。", "金额不能小于 0。",
           what="a money cell is negative", example="预算数 = -1", remedy="amounts are ≥ 0"),
    _entry("WBE-E013", CELLS, "金额超过两位小数",
           "{header}“{text}”超过两位小数。", "金额以万元为单位，保留两位小数（到分）。",
           what="a money cell has more than 2 decimals", example="200.123", remedy="round to the cent (万元, 2 decimals)"),
    _entry("WBE-E014", CELLS, "支出计划不是百分比",
           "“{header}”不是百分比：“{text}”。", "请填写如 25% 的累计支出百分比。",
           variants={"date": ("“{header}”的单元格格式是日期或时间，显示为“{text}”，其中保存的数字是 {number}。",
                              "请把单元格格式改为“百分比”，核对后保存；强制输出时按 {number} 写出。")},
           what="a plan cell is not a percentage (or a number shown as a date or time: its number is kept)",
           example="3月底 = 一季度", remedy="type e.g. 25%"),
    _entry("WBE-E015", CELLS, "支出计划超出 0–100%",
           "{header}支出计划 {text}% 超出 0–100%。", "请填写 0% 到 100% 之间的累计百分比。",
           what="a plan cell is outside 0–100%", example="12月底 = 150%", remedy="a cumulative share between 0% and 100%"),
    _entry("WBE-E048", CELLS, "支出计划混用小数和百分数",
           "支出计划（{cells}）混用了小数（如 0.25）和百分数（如 100），含义不明：按小数读是 {fractions}，"
           "按百分数读是 {points}。", "请把四格统一写成百分比格式，如 25%、50%、75%、100%。",
           what="a plan row mixes fractions and points (ambiguous); the message gives both readings; such a plan "
                "is never rendered or published, not even with `--force`. It replaces the former warning "
                "WBE-W016, which read the row as points (0.25 printed as 0.25%)",
           example="0.25, 0.5, 0.75, 100", remedy="format the four cells as percentages"),
    _entry("WBE-E017", CELLS, "部门编码不是 6 位数字",
           "部门编码“{text}”不是 6 位数字。", "请填写 6 位部门编码，如 450001（设置为文本格式以保留开头的 0）。",
           what="部门编码 is not 6 digits", example="4500", remedy="6 digits, stored as text (keeps leading zeros)"),
    _entry("WBE-E018", CELLS, "项目编码格式不对",
           "项目编码“{text}”格式不对。", "应为 21 位：6 位行政区划 + 2 位年度 + P + 12 位字母或数字，如 13022524P00CL0E10035D。",
           what="项目编码 does not match 6-digit division + 2-digit year + P + 12 letters/digits", example="ABC-123",
           remedy="e.g. 13022524P00CL0E10035D"),
    _entry("WBE-E019", CELLS, "项目编码中的年度与年度不符",
           "项目编码 {code} 第 7–8 位年度为 {digits}，与部门年度 {year} 不符。", "请核对项目编码或“部门目标”表中的年度。",
           what="项目编码's year digits differ from the department's 年度", example="13022525P… in a 2024 workbook",
           remedy="fix the code or the year"),
    _entry("WBE-E020", CELLS, "年度不是四位年份",
           "年度“{text}”不是 2000–2100 之间的四位年份。", "请填写如 2024。",
           variants={"not_integer": ("“{header}”应为整数，现为“{text}”。", "请填写整数。")},
           what="年度 is not a year between 2000 and 2100", example="24", remedy="2024"),
    _entry("WBE-E021", CELLS, "序号不是正整数",
           "序号“{text}”不是正整数。", "请填写 1、2、3……",
           variants={"not_integer": ("“{header}”应为整数，现为“{text}”。", "请填写整数。")},
           what="序号 is not a positive integer", example="一, 0, 2.5", remedy="1, 2, 3 …"),
    _entry("WBE-E022", CELLS, "类别不在可选范围内",
           "类别“{text}”不在可选范围内。", "请从下拉列表选择：{choices}。",
           what="类别 is not one of the three", example="目标", remedy="总体绩效目标 / 分项绩效目标 / 工作保障措施"),
    _entry("WBE-E023", CELLS, "一级指标不在指标体系内",
           "一级指标“{text}”不在指标体系内。", "请选择 产出指标、效益指标、满意度指标（2021 版另有 成本指标）。",
           what="一级指标 is not in the framework", example="投入指标", remedy="产出指标 / 效益指标 / 满意度指标 / 成本指标"),
    _entry("WBE-E099", CELLS, "单元格未通过校验",
           "“{header}”的值“{text}”未通过校验“{check}”。", "请按说明页中该列的要求改正。",
           what="a schema check that declares no code of its own failed (the finding names pandera's check); "
                "such a failure is never dropped", example="a `str_length` check added to 项目名称",
           remedy="fix the value as the column's note says"),
    _entry("WBE-E024", CELLS, "二级指标不属于所填一级指标",
           "二级指标“{level2}”不属于一级指标“{level1}”。", "{canonical}下可选：{allowed}。",
           what="二级指标 does not belong to its 一级指标", example="产出指标 / 经济效益指标",
           remedy="pick from the 一级's list (message lists them)"),
    _entry("WBE-W025", CELLS, "数字以文本形式存储",
           "“{header}”是以文本形式存储的数字“{text}”，已按 {number} 读取。", "建议转换为数字（Excel：选中单元格→转换为数字）。",
           what="a number stored as text (read anyway)", example="预算数 = '200.00'", remedy="convert to number"),
    _entry("WBE-W047", CELLS, "文本列中的数字或日期已按单元格显示读取",
           "{cell}（{header}）被 Excel 存成了{kind} {stored}，单元格显示为“{shown}”；已按“{shown}”读取。",
           "请把“{header}”列设为文本格式（开始→数字→文本）后重新输入，以免 Excel 再次转换。",
           what="a number or date in a free-text column (Excel converted what was typed): read as the cell "
                "showed it, through its number format",
           example="指标值 `0.9` with format `0%` → 90%; `=100%` → 100%; a date → 2025/12/31",
           remedy="format the column as text (开始→数字→文本) and type it again"),
    _entry("WBE-W026", CELLS, "公式没有保存计算结果",
           "{cell} 是公式，但文件里没有保存它的计算结果，按空白读取。",
           "请在 Excel 或 WPS 中打开该文件、重新计算（F9）并保存后再试，或把公式换成数值。",
           what="a formula without a saved result (files written by scripts): read as blank",
           example="`项目!F2` = `=G2+H2` saved by openpyxl",
           remedy="open in Excel/WPS, recalculate (F9), save; or type the value"),
    _entry("WBE-E028", CELLS, "文字无法保存到 Excel 或 Word",
           "“{header}”的第 {position} 个字符 U+{code} 不是有效的字符，Excel 和 Word 都无法保存它。",
           "请删除该字符；加 --force 渲染或发布时会删去它。",
           variants={"long": ("“{header}”的文字长 {length} 个字符，超过 Excel 单元格上限 32767 个字符。",
                              "请缩短该内容或分到几个单元格；加 --force 渲染或发布时只保留前 32767 个字符。")},
           what="text no Excel cell can hold: over 32,767 characters (UTF-16 units), a lone surrogate, "
                "U+FFFE or U+FFFF (render would cut it or write a file nobody can open)",
           example="资金用途 of 3.5 million characters; a name ending in U+FFFF",
           remedy="shorten it / delete the character; with --force the output is cut or the character dropped"),
    _entry("WBE-W029", CELLS, "文字中有控制字符",
           "“{header}”的第 {position} 个字符是控制字符 U+{code}（共 {count} 个）；Word 文档无法保存控制字符，"
           "发布时会删去它们（工作簿中按原样保留）。",
           "请删除这些字符（常见于从其他软件复制的文字）。",
           what="control characters (U+0000–U+001F other than tab and line breaks): kept in workbooks, "
                "dropped from the published document",
           example="a vertical tab (U+000B) pasted from Word", remedy="delete them"),
    # Cross-row and cross-sheet
    _entry("WBE-E030", CROSS, "预算数不等于财政资金与其他资金之和",
           "预算数 {budget} 不等于 财政资金 {fiscal} + 其他资金 {other} = {total}（万元）。",
           "请核对三个金额，使 预算数 = 财政资金 + 其他资金。",
           what="预算数 ≠ 财政资金 + 其他资金, to the cent", example="201.00 ≠ 200.00 + 0", remedy="correct one of the three"),
    _entry("WBE-E031", CROSS, "支出计划不是逐期累计递增",
           "{period} {percent} 小于 {previous_period} {previous_percent}。",
           "支出计划是累计百分比，应逐期不减，如 25%、50%、75%、100%。",
           what="the plan decreases (it is cumulative)", example="3月底 25%, 6月底 20%",
           remedy="non-decreasing: 25% 50% 75% 100%"),
    _entry("WBE-E032", CROSS, "12月底支出计划不是 100%",
           "12月底累计支出为 {percent}，", "应为 100%（年底前支出全部预算）。",
           what="12月底 is not 100%", example="12月底 90%", remedy="the whole budget is spent by year end"),
    _entry("WBE-E033", CROSS, "项目编码重复",
           "项目编码 {code} 重复（第一次出现在第 {first_row} 行）。", "项目编码在全县唯一，请删除重复行或改正编码。",
           what="项目编码 used twice (unique across the county)", example="two rows 13022524P00CL0E10035D",
           remedy="delete the duplicate or fix the code"),
    _entry("WBE-E034", CROSS, "指标所属项目不存在",
           "项目编码 {code} 在“项目”表中不存在。", "请改正编码或在“项目”表中补上该项目。",
           what="an indicator's 项目编码 has no project", example="13022524P00CL0E1XXXXX",
           remedy="fix the code or add the project"),
    _entry("WBE-E035", CROSS, "项目没有绩效指标",
           "项目 {code}（{name}）在“指标”表中没有任何绩效指标。", "请补充产出、效益和满意度指标。",
           what="a project has no indicators", example="a new project row only", remedy="add its indicators"),
    _entry("WBE-E036", CROSS, "项目缺少产出或效益指标",
           "项目 {code}（{name}）缺少{missing}。", "每个项目都要有产出指标和效益指标。",
           what="a project lacks 产出指标 or 效益指标", example="no 效益指标 rows", remedy="every project has both"),
    _entry("WBE-W037", CROSS, "混用两套指标体系",
           "工作簿混用了两套指标体系：此行按传统指标体系（成本指标为产出指标下的二级指标），其他 {others} 行按另一套。",
           "请统一使用一套指标体系。",
           variants={"2021": ("工作簿混用了两套指标体系：此行按2021 版指标体系（成本指标为一级指标），其他 {others} 行按另一套。",
                              "请统一使用一套指标体系。")},
           what="the workbook mixes the classic and the 2021 framework",
           example="成本指标 as 一级 in one project, as 二级 in others", remedy="use one framework"),
    _entry("WBE-E038", CROSS, "部门在部门目标中没有记录",
           "部门编码 {dept} 在“部门目标”表中没有记录，无法确定部门名称和年度。", "请在“部门目标”表中为该部门至少填写一行。",
           what="a 部门编码 in 项目/指标 has no row in 部门目标", example="450002 only in 项目",
           remedy="add a 部门目标 row (name and year live there)"),
    _entry("WBE-E039", CROSS, "指标的部门编码与项目不一致",
           "指标的部门编码 {dept} 与其项目 {project_code} 的部门编码 {project_dept} 不一致。", "请改为一致。",
           what="an indicator's 部门编码 differs from its project's", example="指标 450002, project 450001",
           remedy="make them agree"),
    _entry("WBE-E040", CROSS, "指标值有运算符但没有数字",
           "指标值“{text}”以运算符“{operator}”开头，但后面没有数字。",
           "请写成 运算符 + 数字 + 单位，如 ≥12次、≥95%；不能量化时改用定性表述。",
           what="指标值 starts with an operator but has no number", example="≥**次", remedy="≥12次; or a qualitative value"),
    _entry("WBE-E041", CROSS, "部门目标序号重复",
           "部门 {dept} 的“{category}”序号 {seq} 重复（第 {first_row} 行已用）。", "请改正序号。",
           what="two goal rows with the same (部门编码, 类别, 序号)", example="总体绩效目标 1 twice", remedy="renumber"),
    _entry("WBE-E042", CROSS, "同一项目中指标重复",
           "项目 {project_code} 中已有相同的指标（{level1}/{level2}/{level3}，第 {first_row} 行）。", "请合并或改名其中一行。",
           what="two indicators with the same key in one project", example="数量指标/组织专家审查次数 twice",
           remedy="merge or rename"),
    _entry("WBE-E043", CROSS, "同一部门的名称或年度不一致",
           "部门 {dept} 的名称“{name}”与第 {first_row} 行的“{first_name}”不一致。", "请统一部门名称。",
           variants={"year": ("部门 {dept} 的年度 {year} 与第 {first_row} 行的 {first_year} 不一致。",
                              "一个部门只能有一个年度。")},
           what="a department's name or year differs between goal rows", example="别的名称",
           remedy="one name and one year per department"),
    _entry("WBE-W044", CROSS, "项目缺少满意度指标",
           "项目 {code}（{name}）没有满意度指标。", "面向服务对象的项目应设服务对象满意度指标。",
           what="a project has no 满意度指标", example="—", remedy="add 服务对象满意度指标 where the project serves people"),
    _entry("WBE-E045", CROSS, "项目序号重复",
           "部门 {dept} 的项目序号 {seq} 重复（第 {first_row} 行已用）。", "请给每个项目不同的序号。",
           what="two projects of one department share a 序号", example="序号 1 twice", remedy="renumber"),
    _entry("WBE-W046", CROSS, "分项绩效目标没有标题",
           "分项绩效目标没有标题（发布时写作“序号、标题”）。", "请填写标题，如 安全生产目标管理奖金。",
           what="a 分项绩效目标 row has no 标题", example="—", remedy="add the item's title"),
    _entry("WBE-W049", CROSS, "金额对万元来说过大（可能按元填写）",
           "{header} {amount} 万元（即 {yi} 亿元）对一个项目来说过大，可能是按元填写的。",
           "如果是元，应填 {divided}（÷10000）；金额列的单位是万元。",
           what="a project's 预算数, 财政资金 or 其他资金 is 10,000 万元 (1 亿元) or more: most likely yuan typed into "
                "the 万元 column (one finding per project, at the first such cell)",
           example="预算数 125000", remedy="if it is yuan, divide by 10000 (125000 → 12.50)"),
    _entry("WBE-W050", CROSS, "指标名称不是标准写法（输出中改为标准名称）",
           "{header}“{typed}”不是标准名称，按“{standard}”理解；官方格式工作簿和发布文本中写作“{standard}”，"
           "本工作簿保留原文。", "建议改为“{standard}”。",
           what="a 一级/二级指标 name accepted as a synonym of a standard name: the official workbook and the "
                "published document print the standard name, the canonical workbook keeps what was typed",
           example="二级指标 数量, 服务对象满意度", remedy="type the standard name (数量指标, 服务对象满意度指标)"),
    # Reading the official (formatted) workbook back: wbe extract
    _entry("WBE-W070", EXTRACT_SECTION, "未识别的工作表，已跳过",
           "工作表“{name}”不是项目绩效目标表、项目汇总或部门整体绩效目标，已跳过。", "如需读取，请把内容移到对应的工作表。",
           what="a sheet that is neither a project sheet, 项目汇总 nor 部门整体绩效目标; skipped", example="a sheet 备注",
           remedy="move its content or ignore"),
    _entry("WBE-E071", EXTRACT_SECTION, "单元格内容无法归位",
           "{cell} 的内容“{text}”不在官方表格的任何位置上，未能读入规范工作簿。", "请把它移到对应的单元格，或删除。",
           variants={
               "pattern": ("“{text}”不是“{pattern}”的形式，未能读取。", "请按该形式填写。"),
               "no_merge": ("第 {row} 行的指标没有{name}，上方也没有可延续的合并单元格。", "请填写。"),
               "before_heading": ("{cell} 的内容“{text}”在第一个标题（{heading}）之前，未能读取。",
                                  "请把它移到对应的标题下，或删除。"),
               "item": ("{cell}：分项绩效目标应以“1、标题”开头，实际为“{text}”，未能读取。", "请改为“序号、标题”的形式。"),
           },
           what="a non-empty cell that is in no position of the official layout; not read", example="text typed in J5",
           remedy="move it into the right cell, or delete it"),
    _entry("WBE-E072", EXTRACT_SECTION, "项目表缺少必需的行",
           "项目表中找不到含“{labels}”的行；这些内容未能读取。", "请恢复该行的标签。",
           variants={
               "header": ("项目表中找不到指标表的标题行（一级指标、二级指标……）；指标未能读取。", "请恢复该标题行。"),
               "columns": ("指标表标题行缺少“{labels}”；这些列未能读取。", "请恢复这些列标题。"),
               "title": ("找不到“{pattern}”形式的表名；序号取自工作表名，表名按项目名称。", "如需保留表名，请按该形式恢复。"),
           },
           what="a labelled row (or the title, or the indicator header) is missing", example="预算数 overwritten",
           remedy="restore the label"),
    _entry("WBE-E073", EXTRACT_SECTION, "项目表中的数值无法读取",
           "{header}“{text}”{problem}，未能读取。", "请填写数字。",
           variants={"plan": ("支出计划“{text}”不是百分比，未能读取。", "请填写如 25% 的百分比。"),
                     "date": ("{header}的单元格格式是日期，显示为“{text}”，其中保存的数字是 {number}，已按 {number} 读入。",
                              "请核对该数，并把单元格格式改为“数值”或“百分比”。")},
           what="a money or plan cell that is not a number / percentage", example="预算数 “约200”", remedy="type a number"),
    _entry("WBE-W074", EXTRACT_SECTION, "无法确定部门或年度",
           "部门整体绩效目标表中找不到年度（“年度：2024”），部门目标的年度留空。", "请在规范工作簿中填写年度。",
           what="goals found but no 年度 in the department sheet's unit line", example="年度 cell cleared",
           remedy="restore `年度：2024`"),
    # Reading the budget-year forms back (监控表, 自评表; issue 22): wbe extract
    _entry("WBE-W221", EXTRACT_SECTION, "表格中的绩效目标被改动（未采用）",
           "{cell}：表中的{name}为“{typed}”，与绩效目标“{goal}”不同；目标只能经正式的目标调整修改，已保留原目标。",
           "如确需调整，请在规范工作簿中修改目标后重新生成表格。",
           what="a goal (年度指标值, 指标 text, budget, project name or goal) typed over in a 监控表/自评表; the goal "
                "as rendered is kept", example="年度指标值 ≥12次 changed to ≥10次 in the form",
           remedy="change the goal in the canonical workbook (目标调整) and render the form again"),
    _entry("WBE-E222", EXTRACT_SECTION, "表格中的数值无法读取",
           "{cell}：{name}“{text}”不是数字，未能读取。", "请填写数字（金额以万元计）。",
           what="a money, 分值 or 得分 cell of a form that is not a number; not read", example="执行数 “约80”",
           remedy="type a number"),
    _entry("WBE-W223", EXTRACT_SECTION, "表格中的项目或指标与目标对不上",
           "表中的项目“{name}”在表格保存的绩效目标中找不到，本表未读取。", "请用 wbe render --form 重新生成表格后填写。",
           variants={"indicator": ("{cell}：表中的指标“{name}”在该项目的绩效目标中找不到，本行未读取。",
                                   "请不要在表中增删指标；如需调整，请在规范工作簿中修改后重新生成表格。")},
           what="a form sheet or indicator row that matches no project or indicator of the goals kept in the form",
           example="a row added under the indicators", remedy="render the form again from the canonical workbook"),
    _entry("WBE-W224", EXTRACT_SECTION, "表格缺少保存的绩效目标",
           "工作簿中没有隐藏的“目标数据”工作表，无法核对表中的绩效目标；监控和自评内容未能读取。",
           "请用 wbe render --form 生成的表格填写（不要删除隐藏的工作表）。",
           what="a form workbook without its hidden 目标数据 sheet: the goals cannot be checked, nothing is read",
           example="the form's sheets copied into a new workbook", remedy="fill in a form made by wbe render --form"),
    # The collection box (wbe serve): a reviewer's opinion, marked in the annotated copy
    _entry("WBE-W080", COLLECT_SECTION, "审核人员的意见",
           "{author}（{when}）：“{text}”。", "请按意见修改后重新提交。",
           what="a reviewer's opinion on a submission (project or indicator), in the annotated copy",
           example="王审核：满意度指标偏低", remedy="change the workbook and submit it again"),
    # The annotated copy holds nothing that was not in the input as such (issue 26; docs/decisions.md 26.T3)
    _entry("WBE-W261", STRUCTURE, "共享公式在批注副本中写为数值",
           "工作表 {sheet} 有 {count} 个单元格使用共享公式（如 {first}），批注副本无法原样保留共享公式，"
           "这些单元格在副本中写为原文件保存的计算结果。",
           "原文件中的公式未改动；如需查看或修改公式，请打开原文件。",
           what="the annotated copy writes a shared formula's cached value (openpyxl would expand it into new formulas)",
           example="B2:B9 filled down with =A2*2", remedy="open the original file for the formulas"),
    _entry("WBE-W262", STRUCTURE, "外部链接未带入批注副本",
           "工作簿含 {count} 个外部链接（引用其他工作簿），批注副本已将其删除；"
           "引用外部工作簿的 {cells} 个公式在副本中写为原文件保存的计算结果。",
           "原文件未改动；请核对外部数据是否应直接填入本工作簿。",
           what="external links (xl/externalLinks/) are dropped from the annotated copy, their formulas written as values",
           example="=[1]Sheet1!A1", remedy="type the linked values into the workbook"),
)


def _review(code: str, criterion: str, points: int, title: str, what: str, example: str, remedy: str,
            template: str, fix: str = "", *, variants: Mapping[str, tuple[str, str]] | None = None) -> Entry:
    """A review rule (review/rules.py): its criterion and points, and its message template and fix with named
    fields the rule passes (``name``, ``value``, ``budget`` …)."""
    return _entry(code, REVIEW_SECTION, title, template, fix, what=what, example=example, remedy=remedy,
                  variants=variants, criterion=criterion, points=points)


_REVIEW_ENTRIES: tuple[Entry, ...] = (
    _review("WBE-R101", "完整性", 10, "文字中留有占位符", "a placeholder left in a text", "防汛天数（≥**天）",
            "防汛天数, value ≥90天",
            "“{header}”中留有占位符“{placeholder}”。", "请把模板里的占位符换成实际内容，如把“≥**天”写成实际天数“≥90天”。"),
    _review("WBE-R102", "完整性", 5, "指标值为 0%（系统默认值）", "指标值 0% / 0.00% (the system's default)", "0.00%",
            "≥95%; a real zero as =0%",
            "指标值“{value}”是预算系统的默认值，等于没有填写目标。",
            "请填写实际目标，如 ≥95%；目标确为零时写成 =0%，并在指标值确定依据中说明。"),
    _review("WBE-R103", "完整性", 2, "指标值确定依据为空", "指标值确定依据 empty", "—", "计划标准 / 根据年初工作计划安排",
            "指标值确定依据为空。", "请说明目标值从何而来：计划标准、行业标准、历史标准、其他标准，或如“根据年初工作计划安排”。"),
    _review("WBE-R104", "完整性", 5, "缺少审核要求的二级指标", "a project lacks a 数量, 质量, 时效 or 成本 indicator",
            "no 时效指标", "add one of each",
            "项目 {code}（{name}）没有{missing}。",
            "审核要求产出指标至少各有一个数量、质量、时效和成本指标，请补充（如 数量：≥12次；时效：{deadline}；"
            "成本：≤{budget}万元）。"),
    _review("WBE-R111", "相关性", 6, "三级指标只重复二级指标名称", "三级指标 only repeats its 二级 (or 一级) name",
            "生态效益指标 / 生态效益指标", "name what is measured",
            "三级指标“{name}”只是重复了二级指标的名称，没有说明考核什么。",
            "请写出具体的考核内容，如 生态效益指标 下写“废弃物无害化处理率”，成本指标 下写“项目总成本”。",
            variants={"level1": ("三级指标“{name}”只是重复了一级指标的名称，没有说明考核什么。",
                                 "请写出具体的考核内容，如 生态效益指标 下写“废弃物无害化处理率”，成本指标 下写“项目总成本”。")}),
    _review("WBE-R112", "相关性", 1, "绩效指标描述没有说明", "绩效指标描述 empty or identical to the 三级指标",
            "满意率 / 满意率", "explain how it is counted",
            "绩效指标描述为空，没有说明指标的含义。", "请说明考核什么、怎样计算，如“{example}”。",
            variants={"same": ("绩效指标描述与三级指标“{name}”相同，没有说明指标的含义。",
                               "请说明考核什么、怎样计算，如“{example}”。")}),
    _review("WBE-R113", "相关性", 3, "三级指标名称被截断", "三级指标 is its description cut short", "…宣传知名 / …宣传知名度",
            "a complete short name",
            "三级指标“{name}”像是描述“{description}”被截断后的前半部分（预算系统常限制指标名称的长度）。",
            "请写出完整、简短的名称，如把“…知名”改为“…知晓率”。"),
    _review("WBE-R114", "相关性", 10, "指标与其他项目完全相同",
            "the same indicator set (二级, 三级, 指标值) in several projects", "two projects, nine identical rows",
            "indicators of the project's own",
            "项目 {code}（{name}）的 {count} 个指标（名称与指标值）与 {others} 完全相同，像是复制的指标。",
            "请按本项目的实际产出、效益设置指标和目标值。"),
    _review("WBE-R115", "相关性", 3, "绩效目标中的数字没有指标体现", "a number in 绩效目标 that no indicator carries",
            "goal 知晓率达100%, indicator ≥95%", "add the indicator or align the goal",
            "绩效目标中写了 {missing}，但没有指标的指标值是这个数。",
            "目标里承诺的数字应有指标考核：请增加或改正相应指标（如 目标写“知晓率达100%”，指标值写 ≥100% "
            "或把目标改成与指标一致）。"),
    _review("WBE-R116", "相关性", 6, "把投入当作产出或效益", "an input (money, budget execution) posing as an output or effect",
            "数量 资金到位率 ≥100%", "what the money buys",
            "{level2}“{name}”考核的是投入“{term}”，不是产出或效益（财预〔2021〕101号：财力、人力和物力等投入数量"
            "不能作为绩效目标）。",
            "请改为这笔资金带来的产出或效果，如“完成维修的监控点位数 ≥50个”“隐患整改率 ≥95%”；金额请写在成本指标。",
            variants={"money": ("{level2}“{name}”考核的是投入的资金金额“{value}”，不是产出或效益（财预〔2021〕101号："
                                "财力、人力和物力等投入数量不能作为绩效目标）。",
                                "请改为这笔资金带来的产出或效果，如“完成维修的监控点位数 ≥50个”“隐患整改率 ≥95%”；"
                                "金额请写在成本指标。")}),
    _review("WBE-R117", "相关性", 4, "指标不符合二级指标的含义", "indicator does not fit its 二级's definition",
            "满意度 under 社会效益", "move it / rewrite it",
            "“{name}”是满意度，却放在{level2}下。",
            "请移到满意度指标（服务对象满意度指标）；效益指标应写项目带来的效果，如“群众安全感提升”“受益人数 ≥2000人”。",
            variants={
                "date": ("“{name}”（{value}）是时间或期限，却放在质量指标下。",
                         "请移到时效指标；质量指标应写合格率、达标率、验收标准等，如“验收合格率 ≥95%”。"),
                "rate": ("时效指标“{name}”写成了普通比率“{value}”，没有说明时间要求。",
                         "请写期限（如 {deadline}）、时长（如 ≤30天），或改为及时率（如“资金发放及时率 ≥95%”）；"
                         "完成率等请放到质量或数量指标。"),
                "count": ("效益指标“{name}”（{value}）只是产出的数量。",
                          "请改写为产出带来的效果，如“隐患整改率 ≥95%”“受益群众 ≥5000人”“事故起数较上年下降”。"),
                "restated": ("效益指标“{name}”（{value}）只是产出的数量，与数量指标“{quantity}”重复。",
                             "请改写为产出带来的效果，如“隐患整改率 ≥95%”“受益群众 ≥5000人”“事故起数较上年下降”。"),
            }),
    _review("WBE-R118", "相关性", 3, "多个不同项目使用相同的套话指标",
            "the same 效益 row (三级 + 指标值) in 3+ projects with different purposes", "维护社会稳定 ≥95% everywhere",
            "a project-specific effect",
            "“{name} {value}”原样出现在 {count} 个用途不同的项目中（如 {others}），是套话，不能说明本项目的产出和效益。",
            "请按本项目（{project_name}）的实际写具体指标，如“化工企业隐患整改率 ≥95%”。"),
    _review("WBE-R119", "相关性", 6, "指标与项目内容无关", "indicator unrelated to its project's texts",
            "秸秆综合利用率 in a sewage plant", "an indicator of this project",
            "三级指标“{name}”与项目“{project_name}”的名称、资金用途和绩效目标都没有关系，像是从别的项目复制来的。",
            "请换成本项目资金带来的产出或效果，或在绩效目标中说明两者的联系。"),
    _review("WBE-R120", "相关性", 6, "指标更像是本部门另一个项目的",
            "an indicator that fits another project of the department better than its own",
            "农村公路路面完好率 in a school-meal project, beside 农村公路养护", "each project its own indicators",
            "三级指标“{name}”与本项目“{project_name}”的名称、资金用途和绩效目标没有共同内容，"
            "却与本部门的项目“{other_name}”（{other_code}）内容相近，可能放错了项目。",
            "请核对：属于项目“{other_name}”的，移到该项目的指标中；本项目请换成自己资金带来的产出或效果。"),
    _review("WBE-R121", "适当性", 4, "数量指标没有数量", "数量指标 without number and count unit", "全部承保, ≥95%", "≥12次",
            "数量指标“{name}”的指标值“{value}”没有数字和计量单位。",
            "数量指标应写成 运算符 + 数字 + 计量单位，如 ≥12次、≥25家、≥2000人次；比率请放到质量指标。",
            variants={"rate": ("数量指标“{name}”的指标值“{value}”是比率。",
                               "数量指标应写成 运算符 + 数字 + 计量单位，如 ≥12次、≥25家、≥2000人次；比率请放到质量指标。")}),
    _review("WBE-R122", "适当性", 8, "成本指标没有金额", "成本指标 without an amount", "预算成本, ≤预算数", "≤200万元",
            "成本指标的指标值“{value}”没有金额。",
            "请写明成本上限，如 ≤{budget}万元（不超过本项目预算数），或按成本构成分项写金额、单价（如 ≤710元/亩）。",
            variants={"budget": ("成本指标的指标值“{value}”以预算为上限，但没有写出金额，审核时无法核对。",
                                 "请写成金额，如 ≤{budget}万元（本项目预算数），或按成本构成分项写金额、单价"
                                 "（如 ≤710元/亩）。")}),
    _review("WBE-R123", "适当性", 4, "满意度指标不是“≥百分比”", "满意度 not a percentage with ≥", "=95%, 较高", "≥90%",
            "满意度指标的指标值“{value}”不是“≥百分比”。", "请写成满意度的下限百分比，如 ≥90%（常见 85%–95%）。"),
    _review("WBE-R124", "适当性", 4, "时效指标没有期限、时长或比率", "时效 neither deadline, duration nor rate", "按时完成",
            "2024年12月底前, ≤30天, ≥95%",
            "时效指标的指标值“{value}”没有可核对的时间。", "请写成期限、时长或比率，如 {deadline}、≤30天、及时率 ≥95%。"),
    _review("WBE-R125", "适当性", 2, "含糊用语", "vague wording as value or goal (configurable list)", "逐渐提升, 进一步提高",
            "a checkable target",
            "指标值用了含糊用语{words}，无法考核是否达到。",
            "请写成可核对的目标，如 ≥95%、较上年提高 5 个百分点；确实不能量化时写分级表述（如 优/良/中）。",
            variants={"goal": ("绩效目标用了含糊用语{words}。",
                               "请写明要达到的具体结果，如“完成 12 次专家会诊、隐患整改率达 95%”。")}),
    _review("WBE-R126", "适当性", 3, "指标名称中含有指标值", "a value inside the indicator name", "监管覆盖率达95%",
            "value in 指标值",
            "三级指标“{name}”的名称里含有指标值（“{found}”）。",
            "请让名称只写考核什么，把目标值写在“指标值”列，如 名称“防汛天数”、指标值“≥90天”。"),
    _review("WBE-R127", "适当性", 4, "计量单位与指标不符", "unit contradicts the indicator",
            "合格率 ≥12个, 完成时间 ≥95%", "≥95%, 2024年12月底前",
            "“{name}”是比率，指标值却以“{unit}”计（“{value}”），单位与指标相矛盾。", "请改正单位或指标名称，如 ≥95%。",
            variants={
                "time": ("“{name}”是时间，指标值却是百分比（“{value}”），单位与指标相矛盾。",
                         "请改正单位或指标名称，如 {deadline}。"),
                "count": ("“{name}”是数量，指标值却是百分比（“{value}”），单位与指标相矛盾。",
                          "请改正单位或指标名称，如 ≥500人。"),
                "money": ("“{name}”是金额，指标值却以“{unit}”计（“{value}”），单位与指标相矛盾。",
                          "请改正单位或指标名称，如 ≤50万元。"),
            }),
    _review("WBE-R128", "适当性", 4, "口号式指标配了百分比", "an abstract aim (促进…发展, 维护…稳定) with a percentage",
            "促进林业健康发展 ≥100%", "a countable effect",
            "效益指标“{name}”是口号式的目标，指标值“{value}”没有可以计数或核对的对象。",
            "请写成本项目带来的可核对效果，如“林木病虫害成灾率 ≤3‰”“受益群众 ≥5000人”“事故起数较上年下降 10%”。"),
    _review("WBE-R129", "适当性", 4, "定性指标值既不是等级也不是事实", "a qualitative value outside the accepted scale",
            "有效, 影响程度明显, 是/否", "好/较好/一般/差, 达到…标准",
            "指标值“{value}”既不是等级（如 好/较好/一般/差、优/良/中/差、达标/合格），也不是可核对的事实，无法考核。",
            "请写成数值目标（如 ≥95%、≤3起），或用分级表述、标准（如“达到国家C级标准”“显著提升”）；"
            "可接受的分级见 templates/review-scale.toml。"),
    _review("WBE-R131", "可行性", 5, "百分比超过 100%", "a percentage above 100%", "≥120%", "≤100%",
            "指标值“{value}”超过 100%。", "比率最多 100%；如是增长幅度，请在名称和描述中写明“较上年增长”，否则请改正。"),
    _review("WBE-R132", "可行性", 5, "应提高的比率用了“≤”", "≤ on a rate that should rise", "覆盖率 ≤95%", "≥95%",
            "“{name}”是应当提高的比率，指标值“{value}”却只给了上限。", "请改为下限，如 ≥95%。"),
    _review("WBE-R133", "可行性", 3, "满意度为 100%", "满意度 =100% or ≥100%", "≥100%", "≥90%",
            "满意度指标值“{value}”要求人人满意，不切实际，也无法通过抽样核实。", "请设为 ≥90% 左右（常见 85%–95%）。"),
    _review("WBE-R134", "可行性", 8, "成本金额超过预算数", "成本 amount above the project's 预算数", "≤300万元 on 200.00",
            "≤200万元",
            "成本指标“{value}”（{amount} 万元）超过项目预算数 {budget} 万元。", "成本目标不能高于预算，请改正金额或单位。"),
    _review("WBE-R135", "可行性", 5, "时效期限不在预算年度内", "时效 deadline outside the budget year",
            "2025年12月底前 in 2024", "2024年12月底前",
            "时效期限“{value}”不在预算年度 {year} 年内。", "项目资金当年执行，请把期限定在 {year} 年内，如 {year}年12月底前。"),
    _review("WBE-R136", "可行性", 5, "成本指标用了下限", "a cost with a lower bound", "≥600万元", "≤600万元",
            "成本指标“{value}”给的是下限。成本目标控制的是上限：花得多不等于完成得好。", "请写成 {bound}（不超过本项目预算数）。"),
    _review("WBE-R137", "可行性", 4, "满意度目标过低", "满意度 below the floor (80%, wbe.toml)", "≥70%", "≥85%",
            "满意度目标“{value}”低于 {floor}%。这样的目标意味着接受多数服务对象不满意。",
            "请设为 ≥{suggest}% 以上（常见 85%–95%），或在指标值确定依据中说明理由。"),
    _review("WBE-R138", "可行性", 4, "比率目标远低于指标含义", "a rate far below what its wording implies",
            "整改完成率 ≥40%, 全覆盖率 ≥80%", "≥95%, =100%",
            "“{name}”的名称（“{word}”）意味着全部或接近全部，目标“{value}”却远低于此。",
            "请把目标提高到 ≥{floor}%（或写 =100%），或改正名称。",
            variants={"completion": ("“{name}”是应当接近 100% 的比率，目标“{value}”低于 {floor}%，达到了也说明不了完成得好。",
                                     "请设为 ≥90% 左右，或在指标值确定依据中说明为何这么低。")}),
    _review("WBE-R139", "可行性", 4, "目标低于行业标准", "a target below the sector norm (templates/standards.toml)",
            "造林成活率 ≥60%", "≥85%",
            "“{name}”的目标“{value}”低于行业标准 {floor}（{source}）。",
            "请把目标提高到不低于 {floor}，或在指标值确定依据中说明本项目为何低于标准。",
            variants={"peers": ("“{name}”的目标“{value}”低于行业标准 {floor}（{source}）；指标库中 {peers} 个同类"
                                "目标（单位 {unit}）的中位数为 {median}，10% 分位数为 {p10}。",
                                "请把目标提高到不低于 {floor}（同类项目多为 {median}），或在指标值确定依据中说明本项目"
                                "为何低于标准。")}),
)

# -- the budget year (issue 22): 监控 and 自评 sheets, validation/year_rules.py and scoring.py; WBE-E230…W249,
# and the next-year review rule WBE-R230 (review/year_rules.py).
_YEAR_ENTRIES: tuple[Entry, ...] = (
    _entry("WBE-E230", YEAR_SECTION, "项目表中没有这个项目",
           "{sheet}的项目编码“{code}”在项目表中不存在。", "请改正项目编码，或先在项目表中添加该项目。",
           what="a 监控/自评 row names a project that 项目 does not hold", example="监控项目 B2 = 13022524P00CL0E1003XX",
           remedy="correct the code"),
    _entry("WBE-E231", YEAR_SECTION, "指标表中没有这个指标",
           "{sheet}中的指标“{level1}/{level2}/{level3}”在指标表的项目 {code} 下不存在。",
           "监控和自评只针对已设定的绩效指标：请与指标表的一级、二级、三级指标名称保持一致。",
           what="a 监控/自评 indicator row that 指标 does not hold (key 项目编码, 一级, 二级, 三级)",
           example="三级指标 renamed in 监控指标", remedy="use the indicator's names as set"),
    _entry("WBE-E232", YEAR_SECTION, "年度指标值与设定的目标不一致",
           "{sheet}的年度指标值“{value}”与指标表的指标值“{goal}”不一致。",
           "年度指标值是设定的目标，只能通过正式的目标调整改变：请改回“{goal}”。",
           variants={"budget": ("{sheet}的年初预算数 {value} 与项目表的预算数 {goal} 不一致。",
                                "年初预算数即项目表的预算数，请改为 {goal}；年中调整请填在全年预算数。")},
           what="年度指标值 differs from 指标's 指标值 (or 年初预算数 from 项目's 预算数)",
           example="监控指标 F2 = ≥10次, 指标 ≥12次", remedy="keep the goal as set"),
    _entry("WBE-E233", YEAR_SECTION, "选项不在可选范围内",
           "“{header}”的“{text}”不是可选项。", "请从下拉列表选择：{choices}。",
           variants={"multiple": ("“{header}”的“{text}”不是可选项。", "请从下拉列表选择，可选多项（用、分隔）：{choices}。")},
           what="偏差原因类别, 完成目标可能性 or 完成程度 not one of its choices", example="完成目标可能性 = 能",
           remedy="choose from the dropdown"),
    _entry("WBE-E234", YEAR_SECTION, "监控期间不对",
           "监控期间“{text}”不是“1-7月”这样的写法。", "请写成起止月份，如 {period}。",
           variants={"other": ("监控期间“{text}”与本县规定的监控期间 {period} 不同。",
                               "请改为 {period}；如本县另有规定，请在 wbe.toml 的 [tool.workbook-engine.year] 中设置 "
                               "monitor-period。")},
           what="监控期间 is not like 1-7月, or not the county's period (wbe.toml monitor-period, default 1-7月)",
           example="7月 / 1-6月", remedy="1-7月"),
    _entry("WBE-E235", YEAR_SECTION, "执行数超过全年预算数",
           "执行数 {executed} 万元超过全年预算数 {budget} 万元。", "请核对执行数和全年预算数（万元）。",
           variants={"evaluation": ("全年执行数 {executed} 万元超过全年预算数 {budget} 万元。",
                                    "请核对全年执行数和全年预算数（万元）。")},
           what="执行数 (全年执行数) above 全年预算数", example="执行数 250.00, 全年预算数 200.00",
           remedy="correct the amounts"),
    _entry("WBE-W236", YEAR_SECTION, "预算执行进度落后于支出计划",
           "截至 {month}月末，按项目的资金支出计划应支出约 {expected}，实际执行 {actual}（{executed} / {budget} 万元），"
           "落后 {behind} 个百分点。",
           "请分析原因并在年度目标执行情况或备注中说明纠偏措施（阈值 {threshold} 个百分点，可在 wbe.toml 设置）。",
           what="execution share behind the project's own 资金支出计划 at the end of the period (interpolated "
                "between 3月底/6月底/10月底/12月底; threshold wbe.toml behind-plan-points, default 10)",
           example="plan 58.3% at 1-7月, executed 30%", remedy="explain and correct"),
    _entry("WBE-E237", YEAR_SECTION, "预计完不成目标但没有偏差原因",
           "“{name}”全年预计完成“{expected}”达不到年度指标值“{target}”，但没有填写偏差原因。",
           "请在偏差原因类别中选择原因（经费保障、制度保障、人员保障、硬件条件保障、其他）并填写偏差原因说明。",
           variants={"impossible": ("“{name}”完成目标可能性为 完全不可能，但没有填写偏差原因。",
                                    "请在偏差原因类别中选择原因并填写偏差原因说明。")},
           what="全年预计完成情况 short of 年度指标值 (direction-aware), or 完全不可能, without a 偏差原因 (无偏差 "
                "counts as none)", example="年度指标值 ≥12次, 全年预计 10次, no cause", remedy="give the cause"),
    _entry("WBE-E238", YEAR_SECTION, "完全不可能完成目标但没有纠偏措施",
           "“{name}”完成目标可能性为 完全不可能，但没有填写纠偏措施。", "请填写将采取的纠偏措施。",
           what="完全不可能 without 纠偏措施", example="完成目标可能性 = 完全不可能, 纠偏措施 empty",
           remedy="describe the corrective action"),
    _entry("WBE-E239", YEAR_SECTION, "定性指标得分超出完成程度的分档",
           "“{name}”完成程度为 {attainment}，得分应在 {low}–{high} 分（分值 {points} 的 {band}），填写的得分是 {score}。",
           "请按财预〔2020〕10号的分档改正得分或完成程度。",
           what="a qualitative indicator's typed 得分 outside its band (达成 80–100 %, 部分达成 60–80 %, "
                "未达成 0–60 % of 分值)", example="部分达成, 分值 10, 得分 9", remedy="a score within the band"),
    _entry("WBE-E240", YEAR_SECTION, "未完成目标但没有偏差原因分析及改进措施",
           "“{name}”没有完成年度指标值“{target}”（实际 {actual}，得分 {score} / {points}），但没有填写偏差原因分析及改进措施。",
           "请说明未完成的原因和改进措施。",
           what="an indicator short of its target (score below 分值) without 偏差原因分析及改进措施",
           example="≥12次, actual 10次, analysis empty", remedy="explain the shortfall"),
    _entry("WBE-W241", YEAR_SECTION, "得分与计算结果不同",
           "“{name}”填写的得分 {typed} 与按实际完成值计算的 {computed} 不同（{method}）。",
           "请核对实际完成值和得分；如按单位自定的评分规则，请在偏差原因分析中说明。",
           what="a typed 得分 differs from the computed one (both shown)", example="得分 10, computed 8.33",
           remedy="check the value and the score"),
    _entry("WBE-W242", YEAR_SECTION, "实际完成值远超目标（目标可能定得过低）",
           "“{name}”实际完成 {actual}，是年度指标值“{target}”的 {ratio}，超过 {limit}%。",
           "实际远超目标说明目标设定偏低（财预〔2020〕10号：可按偏离程度扣分，本工具不自动扣分，请评价人员酌情考虑）；明年请按实际水平设定目标。",
           what="实际完成值 far above a ≥ target (default > 150 %, wbe.toml far-above-percent): the target was set "
                "too low", example="≥10次, actual 20次", remedy="set next year's target from the actual"),
    _entry("WBE-E243", YEAR_SECTION, "定性指标没有完成程度",
           "“{name}”的年度指标值“{target}”是定性表述，需要在完成程度中选择 达成、部分达成 或 未达成。",
           "请选择完成程度；本年不适用的指标填 不适用。",
           what="a qualitative indicator without 完成程度 (it cannot be scored)", example="按时完成, 完成程度 empty",
           remedy="choose 达成 / 部分达成 / 未达成"),
    _entry("WBE-E244", YEAR_SECTION, "实际完成值无法与年度指标值比较",
           "“{name}”的实际完成值“{actual}”不是数值，无法与年度指标值“{target}”比较。",
           "请填写与目标同单位的数值，如 {example}；本年不适用的指标填 不适用。",
           variants={"unit": ("“{name}”的实际完成值“{actual}”的单位“{unit}”与年度指标值“{target}”的单位“{target_unit}”不同，"
                              "无法比较。", "请填写与目标同单位的数值，如 {example}。"),
                     "empty": ("“{name}”的实际完成值为空，无法与年度指标值“{target}”比较。",
                               "请填写与目标同单位的数值，如 {example}；本年不适用的指标填 不适用。")},
           what="实际完成值 not a number in the target's unit (a quantitative target cannot be scored)",
           example="≥12次, actual 较多", remedy="a number with the target's unit"),
    _entry("WBE-E245", YEAR_SECTION, "同一项目或指标重复填报",
           "项目 {code} 在{sheet}中重复（第一次在第 {first} 行）。", "请删除重复的行。",
           variants={"indicator": ("指标 {level1}/{level2}/{level3} 在{sheet}中重复（第一次在第 {first} 行）。",
                                   "请删除重复的行。")},
           what="a project or indicator appears twice in a 监控/自评 sheet", example="two 监控项目 rows for one project",
           remedy="delete the duplicate"),
    _entry("WBE-W246", YEAR_SECTION, "分值之和与权重不符",
           "项目 {code} 的{level1}填写的分值合计 {total}，与权重 {weight} 分不同。",
           "财预〔2020〕10号原则上：预算执行率 10、产出 50、效益 30、满意度 10 分；请核对分值或在 wbe.toml 中调整权重。",
           what="typed 分值 of a 一级 add up to more than, or (all typed) differ from, its weight",
           example="产出 分值 20+20+20", remedy="points that add up"),
    _review("WBE-R230", "适当性", 4, "指标值低于上年实际完成值", "a new target weaker than last year's actual (历史标准)",
            "2025 ≥10次, 2024 actual 12次", "≥12次",
            "“{name}”的目标“{value}”低于上年实际完成值“{actual}”（指标值确定依据：{reference}）。",
            "目标应不低于已达到的水平（财预〔2015〕88号 适当性）：请提高目标，或在指标值确定依据中说明为何降低。"),
)

CATALOGUE: dict[str, Entry] = {e.code: e for e in (*_ENTRIES, *_REVIEW_ENTRIES, *_YEAR_ENTRIES)}

# -- the review that knows the peers (issue 23: review/peers.py, the 指标库) ---------------------------------
PEERS_SECTION = "peers"
_PEER_ENTRIES: tuple[Entry, ...] = (
    _entry("WBE-R201", PEERS_SECTION, "目标明显低于同类项目",
           "“{name}”的目标“{value}”明显低于同类项目：指标库中 {peers} 个项目对这个指标（单位 {unit}，{direction}）"
           "设定的中位数为 {median}，10% 分位数为 {p10}。",
           "请参考同类项目把目标调整到 {typical} 左右，或在指标值确定依据中说明本项目为何更低。",
           variants={"upper": ("“{name}”的上限“{value}”明显宽于同类项目：指标库中 {peers} 个项目对这个指标（单位 {unit}，"
                               "{direction}）设定的中位数为 {median}，90% 分位数为 {p90}。",
                               "请参考同类项目把上限调整到 {typical} 左右，或在指标值确定依据中说明本项目为何更宽。")},
           what="a target weaker than the peers' (below their p10, or above their p90 for ≤; ≥ 20 peers, wbe.toml)",
           example="≥60% where 25 peers set a median of ≥95%", remedy="a target near the peers' median, or a reason",
           criterion="适当性", points=4),
    _entry("WBE-R202", PEERS_SECTION, "指标与相似项目不符",
           "“{name}”在 {peers} 个相似项目中没有一个使用，而本项目缺少多数相似项目都有的指标：{missing}。",
           "请核对这个指标是否适合本项目，并考虑补充上述指标（wbe suggest 列出它们的典型指标值和依据）。",
           what="an indicator no similar project uses while the project lacks the ones most peers use",
           example="提高效率 in a project whose 8 peers all measure 隐患整改率", remedy="the indicators of similar projects",
           criterion="相关性", points=3),
    _entry("WBE-R203", PEERS_SECTION, "照抄上年目标而上年已超额完成",
           "“{name}”的目标“{value}”与上年（{last_year} 年）相同，而上年实际完成值“{actual}”已超过这个目标。",
           "请按历史标准参考上年的实际完成情况调整目标（如 {suggest}），或在指标值确定依据中说明为何不变。",
           what="a target copied unchanged from last year while last year's actual result exceeded it",
           example="≥90% again after an actual 98%", remedy="a target that reflects last year's result",
           criterion="适当性", points=3),
)
CATALOGUE.update({e.code: e for e in _PEER_ENTRIES})

# Codes by section, in catalogue order.
REVIEW_CODES: tuple[str, ...] = tuple(c for c, e in CATALOGUE.items() if e.section == REVIEW_SECTION)
EXTRACT_CODES: tuple[str, ...] = tuple(c for c, e in CATALOGUE.items() if e.section == EXTRACT_SECTION)



# -- the finding -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One finding: its code, its location as fields, the cell's value and the catalogue's message.

    Tests and the CLI branch on ``code``, never on the message text. ``cell`` is an A1 name, ``row`` the
    Excel row number, ``column`` the header name; ``file`` is set when a report covers several files.
    Build findings with ``finding()``, which takes severity and message from the catalogue.
    """

    code: str
    severity: str
    sheet: str | None
    cell: str | None
    row: int | None
    column: str | None
    value: Any
    message: str
    # Where the finding belongs for grouping (review criteria, project code); not part of the JSON contract.
    group: str | None = field(default=None, compare=False)
    project: str | None = field(default=None, compare=False)
    file: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def location(self) -> Location:
        return Location(self.file, self.sheet, self.cell, self.row, self.column)

    @property
    def title(self) -> str:
        return CATALOGUE[self.code].title

    def to_dict(self) -> dict[str, Any]:
        """The flattening every output derives from (the JSON contract's fields; ``file`` when set).

        Built directly: asdict deep-copies and is slow for a county's 30,000 findings."""
        data = {"code": self.code, "severity": self.severity, "sheet": self.sheet, "cell": self.cell,
                "row": self.row, "column": self.column, "value": json_value(self.value), "message": self.message}
        if self.file is not None:
            data["file"] = self.file
        return data


def finding(code: str, at: Location = NOWHERE, value: Any = None, /, *, variant: str | None = None,
            project: str | None = None, **fields: Any) -> Finding:
    """A finding of ``code`` at ``at``: severity, criterion and message (``fields`` filled into the
    template of ``variant``) from the catalogue."""
    item = CATALOGUE[code]
    return Finding(code, item.severity, at.sheet, at.cell, at.row, at.column, value,
                   item.message(variant, **fields), group=item.criterion, project=project, file=at.file)


F = TypeVar("F", bound=Callable[..., Any])


def produces(*codes: str) -> Callable[[F], F]:
    """Declare the codes a check can report, where the check is defined (frictionless: "a check declares its
    errors"). An unknown code fails at import; tests derive "every code has a producer" from these marks."""
    unknown = [code for code in codes if code not in CATALOGUE]
    if unknown:
        raise KeyError(f"codes not in the catalogue: {', '.join(unknown)}")

    def mark(check: F) -> F:
        check.codes = codes  # type: ignore[attr-defined]  # a plain function attribute, read by declared_codes
        return check

    return mark


def declared_codes(check: Callable[..., Any]) -> tuple[str, ...]:
    """The codes a check declared with ``produces`` (none for an undeclared one)."""
    return tuple(getattr(check, "codes", ()))


_SHEET_ORDER = {"部门目标": 1, "项目": 2, "指标": 3, "监控项目": 4, "监控指标": 5, "自评项目": 6, "自评指标": 7}


def position_key(f: Finding) -> tuple:
    """File, then the canonical workbook's sheet order, then row, then column; workbook-level findings first."""
    return (
        f.file or "",
        _SHEET_ORDER.get(f.sheet or "", 0 if f.sheet is None else 8),
        f.sheet or "",
        f.row or 0,
        len(f.cell or ""),
        f.cell or "",
        f.code,
    )


_ENCODER = json.JSONEncoder(ensure_ascii=False)  # one encoder: json.dumps(ensure_ascii=False) builds one per call


def dumps_report(data: dict[str, Any]) -> str:
    """JSON with one top-level key and one list item per line: readable, and encoded by the C encoder
    (``indent`` would switch json to its pure-Python encoder, seconds for a county's 30,000 findings)."""
    encode = _ENCODER.encode
    parts = []
    for key, value in data.items():
        name = encode(key)
        if isinstance(value, list) and value:
            items = ",\n    ".join(map(encode, value))
            parts.append(f"  {name}: [\n    {items}\n  ]")
        else:
            parts.append(f"  {name}: {encode(value)}")
    return "{\n" + ",\n".join(parts) + "\n}"


def json_value(value: Any) -> Any:
    """A cell value as JSON can carry it: numbers stay numbers, everything else becomes text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    return str(value)


# The JSON contract's fields of a finding (validate, review), in order; reports of several files add "file".
JSON_FIELDS = ("code", "severity", "sheet", "cell", "row", "column", "value", "message")
# Every column the flattening offers.
FLAT_FIELDS = (*JSON_FIELDS, "file", "title", "group", "project")


@dataclass
class Report:
    """All findings of one pass over one file (or several, each finding naming its file)."""

    file: str
    findings: list[Finding] = field(default_factory=list)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    @property
    def valid(self) -> bool:
        return not self.errors

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def sort(self, key: Callable[[Finding], tuple] | None = None) -> None:
        """By ``key``, by default ``position_key``: the order a person reads the workbook in."""
        self.findings.sort(key=key or position_key)

    def flatten(self, spec: Sequence[str] = JSON_FIELDS,
                findings: Iterable[Finding] | None = None) -> list[list[Any]]:
        """One row per finding with the ``spec`` columns (frictionless' ``Report.flatten``): the terminal
        table and the 校验结果 sheet take theirs from here, the JSON its records. ``file`` falls back on
        the report's file; ``title``, ``group`` and ``project`` are the catalogue title and grouping."""
        rows = []
        for f in self.findings if findings is None else findings:
            record = f.to_dict()
            record.setdefault("file", self.file)
            record["title"], record["group"], record["project"] = f.title, f.group, f.project
            rows.append([record[name] for name in spec])
        return rows

    def records(self, findings: Iterable[Finding] | None = None) -> list[dict[str, Any]]:
        """The flattening as JSON records that always name their file: for results that gather the
        reports of several files (merge, render, publish, extract)."""
        spec = (*JSON_FIELDS, "file")
        return [dict(zip(spec, row)) for row in self.flatten(spec, findings)]

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "valid": self.valid, "findings": [f.to_dict() for f in self.findings]}

    def to_json(self) -> str:
        return dumps_report(self.to_dict())

    def exit_code(self) -> int:
        return 0 if self.valid else 1


# -- input refusals (issue 26, hostile input round 3) --------------------------------------------------------
# WBE-I… codes: the input was refused before anything of it was read (severity error, like WBE-E…). A refusal
# is not a finding of a report: it is the one line an InputError carries (``errors.coded``), with the code
# tools can branch on (``exc.code``). Every template names the file (``{path}``) and, where there is one, the
# part (``{part}``). They are catalogue entries like the others, so docs/rules.md lists them and the
# declaration test requires a producer and a test for each.
_RESAVE = "请用 Excel 或 WPS 打开并另存后再试；打不开时请向发件人要一份新的。"
_INPUT_ENTRIES: tuple[Entry, ...] = (
    _entry("WBE-I010", INPUT_SECTION, "读取程序无法读取",
           "{path}：{what}时读取程序无法读取该文件（{error}），文件已损坏或不是 Office/WPS 生成的，已拒绝。", _RESAVE,
           what="the contained reader raised on the file (any exception of calamine, openpyxl or python-docx)",
           example="a truncated sheet part", remedy="re-save in Excel or WPS"),
    _entry("WBE-I011", INPUT_SECTION, "读取程序异常终止",
           "{path}：{what}时读取程序{how}（内存上限 {memory} MB），文件已损坏或是恶意构造的，已拒绝。", _RESAVE,
           what="the contained reader died (signal, abort, allocation failure) or ran out of its memory limit",
           example="a far cell that makes calamine allocate 512 GB", remedy="re-save in Excel or WPS"),
    _entry("WBE-I012", INPUT_SECTION, "读取超时",
           "{path}：{what}超过 {seconds} 秒的时间上限，已停止并拒绝该文件。",
           "请用 Excel 或 WPS 打开并另存（删除不需要的内容）后再试。",
           what="the contained reader ran past its deadline (WBE_READER_SECONDS)", example="a merge bomb",
           remedy="re-save without the unneeded content"),
    _entry("WBE-I020", INPUT_SECTION, "压缩包中的内部文件重名",
           "{path}：压缩包中的内部文件 {part} 出现不止一次（或名称含空字符等不可见字符），不同程序会读到不同的内容，已拒绝。",
           _RESAVE, what="a zip entry name appears twice, or differs from another only by a NUL or invisible suffix",
           example="xl/worksheets/sheet1.xml and xl/worksheets/sheet1.xml\\0", remedy="re-save in Excel or WPS"),
    _entry("WBE-I021", INPUT_SECTION, "压缩包目录与文件头不一致",
           "{path}：压缩包目录中的内部文件 {part} 与其文件头记录的名称（{local}）不一致，文件已损坏或被篡改，已拒绝。",
           _RESAVE, what="the central directory names an entry differently from its local header",
           example="central sheet1.xml, local sheet2.xml", remedy="re-save in Excel or WPS"),
    _entry("WBE-I022", INPUT_SECTION, "压缩包有多个目录结尾",
           "{path}：压缩包含有 {count} 个目录结尾记录（应为 1 个），不同程序会读到不同的内容，已拒绝。", _RESAVE,
           what="more than one end-of-central-directory record (two packages in one file)",
           example="a second zip appended", remedy="re-save in Excel or WPS"),
    _entry("WBE-I023", INPUT_SECTION, "内部文件的根元素不对",
           "{path}：内部文件 {part} 的根元素是 <{root}>，应为 <{expected}>，Excel 不会生成这样的文件，已拒绝。", _RESAVE,
           what="a part's root is not the element its role requires (wrapped, chartsheet, dialogsheet)",
           example="<wrap><worksheet>…</worksheet></wrap>", remedy="re-save in Excel or WPS"),
    _entry("WBE-I024", INPUT_SECTION, "XML 声明重复或根元素前有内容",
           "{path}：内部文件 {part} {problem}，Excel 不会生成这样的文件，已拒绝。", _RESAVE,
           what="a second XML declaration, or text or markup before the root", example="two <?xml …?> lines",
           remedy="re-save in Excel or WPS"),
    _entry("WBE-I025", INPUT_SECTION, "内部文件的名称或类型不对",
           "{path}：内部文件 {part} {problem}，Excel 不会生成这样的文件，已拒绝。", _RESAVE,
           what="a part named or typed other than the content types and relationships give it",
           example="a worksheet stored as xl/worksheets/sheet1.bin", remedy="re-save in Excel or WPS"),
    _entry("WBE-I026", INPUT_SECTION, "XML 编码不是 UTF-8",
           "{path}：内部文件 {part} 声明的编码是“{encoding}”，不是 UTF-8，Excel 不会生成这样的文件，已拒绝。", _RESAVE,
           what="a part declares an encoding other than UTF-8/UTF-16 (GBK, unknown)", example='encoding="GBK"',
           remedy="re-save in Excel or WPS"),
    _entry("WBE-I030", INPUT_SECTION, "内部文件的元素过多",
           "{path}：内部文件 {part} 含有超过 {limit} 个 XML 标记（<{element}> 等），处理会过慢，已拒绝。",
           "请用 Excel 或 WPS 打开，清除不需要的格式、批注或合并后另存再试。",
           what="a part has more elements than its limit (styles, comments, merges)",
           example="1.5 M <xf/> in styles.xml", remedy="clear unneeded formats, comments or merges"),
)
CATALOGUE.update({e.code: e for e in _INPUT_ENTRIES})
INPUT_CODES: tuple[str, ...] = tuple(e.code for e in _INPUT_ENTRIES)

# -- importing the published document (issue 21: wbe import reports every problem at once) -------------------
# Findings of `wbe import`: each names its place in the document ({place}: 第 N 行 of the text export, 第 N 段 or
# 表 N 第 M 行 of a .docx) and what to do. Without --force they refuse the import (exit 2, nothing written); with
# --force the workbook is written and the passages that could not be placed are in its 未归位内容 sheet.
IMPORT_SECTION = "import"
_TABLE_FIX = "请检查该表是否缺行、多行或列数不对，改正后重新导入。"
_IMPORT_ENTRIES: tuple[Entry, ...] = (
    _entry("WBE-E301", IMPORT_SECTION, "文本缺少标题",
           "{place}：缺少标题“{heading}”（应在“{before}”之后）；其后的 {count} 段无法确定属于哪一部分，未能读取。",
           "请补上该标题后重新导入。",
           variants={"empty": ("{place}：缺少标题“{heading}”（应在“{before}”之后），这一部分没有读到内容。",
                               "请补上该标题和它的内容后重新导入。")},
           what="a part-one section heading (一、总体绩效目标 …) is missing; the paragraphs that would belong to it "
                "are listed, not guessed into another section", example="二、分项绩效目标 deleted",
           remedy="restore the heading"),
    _entry("WBE-E302", IMPORT_SECTION, "项目表缺少行",
           "{place}：表“{table}”缺少{what}（应在这一行之前），这些内容没有读到。", _TABLE_FIX,
           variants={"end": ("{place}：表“{table}”在这里中断：缺少{what}，实际为{found}。",
                             "请检查该表是否缺行或被截断，补上后重新导入。")},
           what="a row of the project table (templates/project-table.toml) is missing, or the table ends early",
           example="the 项目编码 row deleted", remedy="restore the row"),
    _entry("WBE-E303", IMPORT_SECTION, "项目表中的数值无法读取",
           "{place}：表“{table}”的{header}“{text}”不是数字，未能读取。", "请改为数字（万元）后重新导入。",
           variants={"plan": ("{place}：表“{table}”的支出计划“{text}”不是百分比，未能读取。",
                              "请改为如 25% 的百分比后重新导入。")},
           what="a money or quarterly plan cell of a project table that is not a number / percentage",
           example="3月底 “一半”", remedy="type a number"),
    _entry("WBE-E304", IMPORT_SECTION, "文本内容无法归位",
           "{place}：{what}，未能读取。", "请检查文本的这一处，改正后重新导入。",
           variants={
               "labels": ("{place}：{what}第 {index} 格应为“{expected}”，实际为“{found}”，这一行未能读取。", _TABLE_FIX),
               "cells": ("{place}：{what}应有 {expected} 格，实际 {found} 格，这一行未能读取。", _TABLE_FIX),
               "wide": ("{place}：{what}应有 {expected} 格，实际 {found} 格，多出的格未能读取。", _TABLE_FIX),
               "narrow": ("{place}：{what}应有 {expected} 格，实际 {found} 格，缺少的格留空。", _TABLE_FIX),
               "continued": ("{place}：{what}第 {index} 格应为空（上方合并单元格的延续），实际为“{found}”，未能读取。",
                             "请检查列数，改正后重新导入。"),
               "no_merge": ("{place}：指标行的{heads}为空，且上方没有可延续的合并单元格，这一行未能读取。",
                            "请填写后重新导入。"),
               "table": ("{place}：这里有一个表格，但前面没有“{form}”形式的表名，该表未能读取。",
                         "请检查表名是否缺失，补上后重新导入。"),
               "item": ("{place}：分项绩效目标应以“1、标题”开头，实际为“{text}”，未能读取。",
                        "请改为“序号、标题”的形式后重新导入。"),
               "unit": ("{place}：表“{table}”的第一行应为“{expected}”，实际为“{found}”，未能读取部门。",
                        "请改正这一行后重新导入。"),
               "outside": ("{place}：“{text}”不在任何标题或项目表之下，未能读取。",
                           "请把它移到对应的标题下，或删除后重新导入。"),
               "outside_many": ("{place}：从“{text}”起的 {count} 段不在任何标题或项目表之下，未能读取。",
                                "请把它们移到对应的标题下，或删除后重新导入。"),
           },
           what="a paragraph, table row or cell that is in no place of the document's grammar (a row with the "
                "wrong labels or cells, a table without its title, text outside every section); listed, not read",
           example="a row 预算金额 where the template says 预算数", remedy="correct it, or move it into place"),
    _entry("WBE-W305", IMPORT_SECTION, "工作簿中有未归位的导入内容",
           "工作簿中有“{name}”工作表：导入时未能归位的原文。校验、合并和比对都不读取它，合并的结果中也没有它。",
           "请把其中的内容移到对应的工作表后删除该表。",
           what="validate, merge and diff: the book holds the 未归位内容 sheet of `wbe import --force` (not read, "
                "not merged)", example="a book imported with --force",
           remedy="move its passages into place and delete the sheet"),
)
CATALOGUE.update({e.code: e for e in _IMPORT_ENTRIES})


def refusal_message(code: str, /, **fields: Any) -> str:
    """The one line of refusal ``code`` (a WBE-I… entry) with its fields; a missing field is a bug (KeyError)."""
    entry = CATALOGUE[code]
    assert entry.section == INPUT_SECTION, code
    return entry.message(**fields)
