"""The review rules: what a finance-bureau reviewer questions in a valid workbook (docs/review-rules.md).

Each rule reads typed records and the library's parsers (values.parse_indicator_value, framework.canonical_*)
and yields findings with the catalogue's code; the runner (review/__init__.py) applies the configuration
(rules off, re-graded) afterwards. Rules leave alone what the validator already reports as an error
(an empty cell, a value with an operator but no number), so a problem is named once.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from typing import Callable, Iterator

from ..a1 import cell_name
from ..canonical_reader import LoadedWorkbook
from ..framework import canonical_level1, canonical_level2, stem
from ..model import Book, Project
from ..validation.codes import criterion_of, severity_of
from ..validation.findings import Finding
from ..values import (IndicatorValue, base_unit, deadline_year_month, fold, is_blank, is_deadline, is_duration,
                      money_in_wan, parse_indicator_value, quantities_in_text)
from .config import ReviewConfig

# Placeholders left from a template: **, XX, ××, …, ○○, □□ (after NFKC, ＊ is *, Ｘ is X and … is ...).
_PLACEHOLDER_RE = re.compile(r"\*{2,}|(?<![A-Za-z])[Xx]{2,}(?![A-Za-z])|×{2,}|\.{3,}|○{2,}|□{2,}")
_PLACEHOLDER_HINT = re.compile(r"[*＊XxＸｘ×….．○□]")  # cheap test before folding the text
# A value written into a name: an operator, 不低于 12 / 达 95, or a percentage.
_VALUE_IN_NAME_RE = re.compile(r"[≥≤><=]|(?:不低于|不少于|不高于|不超过|不多于|达到|达)\s*[\d*]|\d+(?:\.\d+)?\s*%")
# Rates that should rise (an upper bound makes no sense) and rates that should fall (a ≤ is right).
RISING_RATES = ("完成率", "覆盖率", "合格率", "达标率", "知晓率", "及时率", "完好率", "普及率", "参保率", "共享率",
                "利用率", "到位率", "实现率", "执行率", "使用率", "准确率", "正确率", "通过率", "受益率", "办结率",
                "处置率", "响应率", "验收率", "规范率", "保障率", "满意率", "满意度", "支付率", "解决率")
FALLING_RATES = ("发生率", "事故率", "死亡率", "伤亡率", "投诉率", "差错率", "误差率", "损失率", "超支率", "空置率",
                 "故障率", "返工率", "失误率", "漏报率", "误报率", "流失率", "不合格率")
EXPECTED_LEVEL2 = ("数量指标", "质量指标", "时效指标", "成本指标")
COPY_MIN_INDICATORS = 3  # smaller sets are too common to call a copy


def compact(text: str) -> str:
    """Comparison form of a text: NFKC, no whitespace."""
    return "".join(fold(text).split())


class ReviewContext:
    """The book, parsed indicator values and per-project lookups that several rules share."""

    def __init__(self, book: Book, loaded: LoadedWorkbook, config: ReviewConfig):
        self.book = book
        self.loaded = loaded
        self.config = config
        self.projects: dict[str, Project] = {}
        for p in book.projects:
            self.projects.setdefault(p.code, p)
        self.years = {d.code: d.year for d in book.departments()}
        self.values: list[IndicatorValue] = [parse_indicator_value(i.value) for i in book.indicators]
        self.level1: list[str | None] = [canonical_level1(i.level1) for i in book.indicators]
        self.level2: list[str | None] = [canonical_level2(l1, i.level2)
                                         for l1, i in zip(self.level1, book.indicators)]
        self.names: list[str] = [compact(i.level3) for i in book.indicators]
        self.by_project: dict[str, list[int]] = defaultdict(list)
        for n, ind in enumerate(book.indicators):
            self.by_project[ind.project_code].append(n)

    def flag(self, code: str, kind: str, row: int | None, field_name: str | None, value: object, message: str,
             project: str | None) -> Finding:
        """A review finding: the catalogue's code, its criterion and the project it counts against."""
        table = self.loaded.table(kind)
        col = table.columns.get(field_name) if table and field_name else None
        return Finding(code, severity_of(code), table.sheet_name if table else None,
                       cell_name(row, col) if row is not None and col is not None else None, row,
                       table.spec.header_of(field_name) if table and field_name else None, value, message,
                       group=criterion_of(code), project=project or None)

    def has_column(self, kind: str, field_name: str) -> bool:
        """False when the column is missing (WBE-E002): its cells are not empty, they are absent."""
        table = self.loaded.table(kind)
        return table is not None and field_name in table.columns

    def indicator(self, code: str, n: int, field_name: str, message: str) -> Finding:
        ind = self.book.indicators[n]
        return self.flag(code, "indicators", ind.row, field_name, getattr(ind, field_name), message,
                         ind.project_code)

    def budget_year(self, dept_code: str, project_code: str) -> int | None:
        """The department's 年度, else the year in the project code (13022524P… -> 2024)."""
        year = self.years.get(dept_code)
        if year is None and len(project_code) >= 8 and project_code[6:8].isdigit():
            year = 2000 + int(project_code[6:8])
        return year

    def is_cost(self, n: int) -> bool:
        """A 成本 indicator that should carry an amount: classic 成本指标, or 2021 经济成本指标."""
        return self.level2[n] in ("成本指标", "经济成本指标")


ReviewRule = Callable[[ReviewContext], Iterator[Finding]]


def rule(*codes: str) -> Callable[[ReviewRule], ReviewRule]:
    """Mark which codes a rule can report, so rules switched off everywhere are not run."""

    def mark(function: ReviewRule) -> ReviewRule:
        function.codes = codes  # type: ignore[attr-defined]
        return function

    return mark


def _words(items: list[str]) -> str:
    return "、".join(f"“{w}”" for w in items)


@rule("WBE-R101")
def placeholders(ctx: ReviewContext) -> Iterator[Finding]:
    fields = {"goals": ("title", "content"), "projects": ("name", "table_title", "purpose", "goal"),
              "indicators": ("level3", "description", "value", "basis")}
    for kind, names in fields.items():
        for n, record in enumerate(ctx.book.records(kind)):
            project = getattr(record, "project_code", None) or (record.code if kind == "projects" else None)
            for field_name in names:
                text = getattr(record, field_name)
                if not text or not _PLACEHOLDER_HINT.search(text):
                    continue
                match = _PLACEHOLDER_RE.search(fold(text))
                if match is None:
                    continue
                if kind == "indicators" and field_name == "value" and ctx.values[n].kind == "malformed":
                    continue  # WBE-E040 already names it
                header = ctx.loaded.table(kind).spec.header_of(field_name)
                yield ctx.flag("WBE-R101", kind, record.row, field_name, text,
                               f"“{header}”中留有占位符“{match.group(0)}”。请把模板里的占位符换成实际内容，"
                               "如把“≥**天”写成实际天数“≥90天”。", project)


@rule("WBE-R102", "WBE-R103")
def empty_values(ctx: ReviewContext) -> Iterator[Finding]:
    has_basis = ctx.has_column("indicators", "basis")
    for n, ind in enumerate(ctx.book.indicators):
        value = ctx.values[n]
        if (value.kind == "quantitative" and value.operator is None and value.number == 0
                and base_unit(value.unit) == "%"):
            yield ctx.indicator("WBE-R102", n, "value",
                                f"指标值“{ind.value}”是预算系统的默认值，等于没有填写目标。请填写实际目标，"
                                "如 ≥95%；目标确为零时写成 =0%，并在指标值确定依据中说明。")
        if has_basis and is_blank(ind.basis):
            yield ctx.indicator("WBE-R103", n, "basis",
                                "指标值确定依据为空。请说明目标值从何而来：计划标准、行业标准、历史标准、其他标准，"
                                "或如“根据年初工作计划安排”。")


@rule("WBE-R104")
def expected_categories(ctx: ReviewContext) -> Iterator[Finding]:
    for p in ctx.book.projects:
        rows = ctx.by_project.get(p.code)
        if not p.code or not rows:
            continue  # a project without indicators is WBE-E035
        present = {ctx.level2[n] for n in rows}
        if any(ctx.level1[n] == "成本指标" for n in rows):
            present.add("成本指标")  # the 2021 framework's 成本 is a level 1
        missing = [name for name in EXPECTED_LEVEL2 if name not in present]
        if missing:
            yield ctx.flag("WBE-R104", "projects", p.row, "code", p.code,
                           f"项目 {p.code}（{p.name}）没有" + "、".join(missing) + "。审核要求产出指标至少各有一个"
                           "数量、质量、时效和成本指标，请补充（如 数量：≥12次；时效：2024年12月底前；"
                           f"成本：≤{_amount(p.budget)}万元）。", p.code)


@rule("WBE-R111", "WBE-R112", "WBE-R113")
def names_and_descriptions(ctx: ReviewContext) -> Iterator[Finding]:
    has_description = ctx.has_column("indicators", "description")
    for n, ind in enumerate(ctx.book.indicators):
        name = ctx.names[n]
        if not name:
            continue  # WBE-E010
        category_stems = {stem(ind.level2), stem(ctx.level2[n]), stem(ind.level1), stem(ctx.level1[n])} - {""}
        if stem(name) in category_stems:
            yield ctx.indicator("WBE-R111", n, "level3",
                                f"三级指标“{ind.level3}”只是重复了{'二级' if stem(name) != stem(ind.level1) else '一级'}"
                                "指标的名称，没有说明考核什么。请写出具体的考核内容，如 生态效益指标 下写"
                                "“废弃物无害化处理率”，成本指标 下写“项目总成本”。")
        description = compact(ind.description)
        if not has_description:
            continue
        if not description or description == name:
            said = "为空" if not description else f"与三级指标“{ind.level3}”相同"
            yield ctx.indicator("WBE-R112", n, "description",
                                f"绩效指标描述{said}，没有说明指标的含义。请说明考核什么、怎样计算，"
                                f"如“{_description_example(ind.level3)}”。")
        elif description.startswith(name) and 1 <= len(description) - len(name) <= 3 \
                and _is_word_char(description[len(name)]):
            yield ctx.indicator("WBE-R113", n, "level3",
                                f"三级指标“{ind.level3}”像是描述“{ind.description}”被截断后的前半部分"
                                "（预算系统常限制指标名称的长度）。请写出完整、简短的名称，如把“…知名”改为“…知晓率”。")


def _description_example(name: str) -> str:
    """An example description for the indicator ``name`` itself (a rate, a count, a cost, a time or a
    satisfaction), so that the advice reads as meant for this row."""
    name = name.strip()
    if "满意" in name:
        return f"反映服务对象对项目的满意程度（{name}），按调查中表示满意的人数 ÷ 调查总人数 × 100% 计算"
    if name.endswith("率") and not name.endswith("效率"):
        return f"反映{name}，按 达到要求的数量 ÷ 应完成的总数 × 100% 计算"
    if any(word in name for word in ("成本", "费用", "经费", "资金", "金额")):
        return f"反映{name}，按实际支出计算（万元）"
    if any(word in name for word in ("时间", "及时", "按时", "时限", "期限", "完成时")):
        return f"反映{name}，以实际完成的日期与计划日期相比"
    if name.endswith(("数", "数量", "次数", "人数", "个数", "面积", "长度", "量")):
        return f"反映全年{name}，按实际完成的数量统计"
    return f"反映{name}的具体内容，写明考核什么、按什么口径计算"


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or "\u4e00" <= ch <= "\u9fff"


@rule("WBE-R114")
def copied_sets(ctx: ReviewContext) -> Iterator[Finding]:
    groups: dict[frozenset, list[Project]] = defaultdict(list)
    for p in ctx.book.projects:
        rows = ctx.by_project.get(p.code, [])
        if not p.code or len(rows) < COPY_MIN_INDICATORS:
            continue
        key = frozenset((ctx.level2[n] or stem(ctx.book.indicators[n].level2), ctx.names[n],
                         compact(ctx.book.indicators[n].value)) for n in rows)
        groups[key].append(p)
    for key, members in groups.items():
        if len(members) < ctx.config.copied_set_min_projects:
            continue
        for p in members:
            others = [o for o in members if o is not p]
            named = "、".join(f"{o.code}（{o.name}）" for o in others[:3]) + (f" 等 {len(others)} 个项目"
                                                                          if len(others) > 3 else "")
            yield ctx.flag("WBE-R114", "projects", p.row, "code", p.code,
                           f"项目 {p.code}（{p.name}）的 {len(key)} 个指标（名称与指标值）与 {named} 完全相同，"
                           "像是复制的指标。请按本项目的实际产出、效益设置指标和目标值。", p.code)


@rule("WBE-R115")
def goal_numbers(ctx: ReviewContext) -> Iterator[Finding]:
    for p in ctx.book.projects:
        stated = quantities_in_text(p.goal)
        if not p.code or not stated or p.code not in ctx.by_project:
            continue
        carried: set[tuple[Decimal, bool]] = set()
        for n in ctx.by_project[p.code]:
            value, ind = ctx.values[n], ctx.book.indicators[n]
            if value.number is not None:
                carried.add((value.number, base_unit(value.unit) == "%"))
            for number, unit in quantities_in_text(ind.level3 + " " + ind.description):
                carried.add((number, unit == "%"))
        missing = list(dict.fromkeys(f"{number.normalize():f}{unit}" for number, unit in stated
                                     if (number, unit == "%") not in carried))
        if missing:
            yield ctx.flag("WBE-R115", "projects", p.row, "goal", p.goal,
                           f"绩效目标中写了 {'、'.join(missing)}，但没有指标的指标值是这个数。目标里承诺的数字应有指标"
                           f"考核：请增加或改正相应指标（如 目标写“知晓率达100%”，指标值写 ≥100% 或把目标改成与指标一致）。",
                           p.code)


@rule("WBE-R121", "WBE-R122", "WBE-R123", "WBE-R124")
def quantified(ctx: ReviewContext) -> Iterator[Finding]:
    for n, ind in enumerate(ctx.book.indicators):
        value = ctx.values[n]
        if value.kind in ("empty", "malformed"):
            continue  # WBE-E010 / WBE-E040
        unit = base_unit(value.unit)
        if ctx.level2[n] == "数量指标" and (value.kind != "quantitative" or unit in ("", "%")):
            why = "是比率" if unit == "%" and value.kind == "quantitative" else "没有数字和计量单位"
            yield ctx.indicator("WBE-R121", n, "value",
                                f"数量指标“{ind.level3}”的指标值“{ind.value}”{why}。数量指标应写成 运算符 + 数字 + "
                                "计量单位，如 ≥12次、≥25家、≥2000人次；比率请放到质量指标。")
        if ctx.is_cost(n) and money_in_wan(value) is None:
            project = ctx.projects.get(ind.project_code)
            budget = _amount(project.budget) if project else "预算数"
            yield ctx.indicator("WBE-R122", n, "value",
                                f"成本指标的指标值“{ind.value}”没有金额。请写明成本上限，如 ≤{budget}万元"
                                "（不超过本项目预算数），或按成本构成分项写金额。")
        if ctx.level1[n] == "满意度指标" and not (
                value.kind == "quantitative" and unit == "%" and value.operator in ("≥", ">")) \
                and not _is_full_satisfaction(value):
            yield ctx.indicator("WBE-R123", n, "value",
                                f"满意度指标的指标值“{ind.value}”不是“≥百分比”。请写成满意度的下限百分比，"
                                "如 ≥90%（常见 85%–95%）。")
        if ctx.level2[n] == "时效指标" and not (is_deadline(value) or is_duration(value)
                                              or (value.kind == "quantitative" and unit == "%")):
            yield ctx.indicator("WBE-R124", n, "value",
                                f"时效指标的指标值“{ind.value}”没有可核对的时间。请写成期限、时长或比率，"
                                "如 2024年12月底前、≤30天、及时率 ≥95%。")


def _is_full_satisfaction(value: IndicatorValue) -> bool:
    return (value.kind == "quantitative" and base_unit(value.unit) == "%" and value.number is not None
            and value.number >= 100 and value.operator in (None, "=", "≥", ">"))


def _amount(amount: Decimal | None) -> str:
    return f"{amount:.2f}" if amount is not None else "预算数"


@rule("WBE-R125")
def vague_words(ctx: ReviewContext) -> Iterator[Finding]:
    words = ctx.config.vague_words
    if not words:
        return
    for n, ind in enumerate(ctx.book.indicators):
        found = [w for w in words if w in ind.value]
        if found:
            yield ctx.indicator("WBE-R125", n, "value",
                                f"指标值用了含糊用语{_words(found)}，无法考核是否达到。请写成可核对的目标，"
                                "如 ≥95%、较上年提高 5 个百分点；确实不能量化时写分级表述（如 优/良/中）。")
    for p in ctx.book.projects:
        found = [w for w in words if w in p.goal]
        if found:
            yield ctx.flag("WBE-R125", "projects", p.row, "goal", p.goal,
                           f"绩效目标用了含糊用语{_words(found)}。请写明要达到的具体结果，如“完成 12 次专家会诊、"
                           "隐患整改率达 95%”。", p.code or None)


@rule("WBE-R126")
def value_in_name(ctx: ReviewContext) -> Iterator[Finding]:
    for n, ind in enumerate(ctx.book.indicators):
        match = _VALUE_IN_NAME_RE.search(fold(ind.level3))
        if match:
            yield ctx.indicator("WBE-R126", n, "level3",
                                f"三级指标“{ind.level3}”的名称里含有指标值（“{match.group(0)}”）。请让名称只写考核什么，"
                                "把目标值写在“指标值”列，如 名称“防汛天数”、指标值“≥90天”。")


@rule("WBE-R131", "WBE-R132", "WBE-R133")
def implausible_rates(ctx: ReviewContext) -> Iterator[Finding]:
    for n, ind in enumerate(ctx.book.indicators):
        value = ctx.values[n]
        if value.kind != "quantitative" or base_unit(value.unit) != "%" or value.number is None:
            continue
        if value.number > 100:
            yield ctx.indicator("WBE-R131", n, "value",
                                f"指标值“{ind.value}”超过 100%。比率最多 100%；如是增长幅度，请在名称和描述中写明"
                                "“较上年增长”，否则请改正。")
        name = fold(ind.level3)
        rising = any(w in name for w in RISING_RATES) and not any(w in name for w in FALLING_RATES)
        if (value.operator in ("≤", "<") and rising and ctx.level1[n] != "满意度指标"):
            yield ctx.indicator("WBE-R132", n, "value",
                                f"“{ind.level3}”是应当提高的比率，指标值“{ind.value}”却只给了上限。"
                                "请改为下限，如 ≥95%。")
        if ctx.level1[n] == "满意度指标" and _is_full_satisfaction(value):
            yield ctx.indicator("WBE-R133", n, "value",
                                f"满意度指标值“{ind.value}”要求人人满意，不切实际，也无法通过抽样核实。"
                                "请设为 ≥90% 左右（常见 85%–95%）。")


@rule("WBE-R134", "WBE-R135")
def amounts_and_deadlines(ctx: ReviewContext) -> Iterator[Finding]:
    for n, ind in enumerate(ctx.book.indicators):
        value = ctx.values[n]
        project = ctx.projects.get(ind.project_code)
        amount = money_in_wan(value) if ctx.is_cost(n) else None
        if amount is not None and project is not None and project.budget is not None and amount > project.budget:
            yield ctx.indicator("WBE-R134", n, "value",
                                f"成本指标“{ind.value}”（{amount.normalize():f} 万元）超过项目预算数 "
                                f"{project.budget:.2f} 万元。成本目标不能高于预算，请改正金额或单位。")
        if value.kind == "deadline" and ctx.level2[n] == "时效指标":
            year, _ = deadline_year_month(value)
            budget_year = ctx.budget_year(ind.dept_code, ind.project_code)
            if year is not None and budget_year is not None and year != budget_year:
                yield ctx.indicator("WBE-R135", n, "value",
                                    f"时效期限“{ind.value}”不在预算年度 {budget_year} 年内。项目资金当年执行，"
                                    f"请把期限定在 {budget_year} 年内，如 {budget_year}年12月底前。")


RULES: tuple[ReviewRule, ...] = (
    placeholders,
    empty_values,
    expected_categories,
    names_and_descriptions,
    copied_sets,
    goal_numbers,
    quantified,
    vague_words,
    value_in_name,
    implausible_rates,
    amounts_and_deadlines,
)
