"""The review rules: what a finance-bureau reviewer questions in a valid workbook (docs/review-rules.md).

Each rule reads typed records and the library's parsers (values.parse_indicator_value, framework.canonical_*)
and yields findings with the catalogue's code; the runner (review/__init__.py) applies the configuration
(rules off, re-graded) afterwards. Rules leave alone what the validator already reports as an error
(an empty cell, a value with an operator but no number), so a problem is named once.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from decimal import Decimal
from typing import Callable, Iterator

from ..canonical_reader import LoadedWorkbook
from ..findings import Finding, Location, finding
from ..framework import canonical_level1, canonical_level2, stem
from ..io.cell_text import EXCEL_MAX_CHARS
from ..model import Book, Project
from ..values import (
    MONEY_UNITS,
    IndicatorValue,
    base_unit,
    deadline_year_month,
    fold,
    is_blank,
    is_deadline,
    is_duration,
    is_money,
    money_in_wan,
    parse_indicator_value,
    quantities_in_text,
    unit_cost,
)
from .config import ReviewConfig
from .similarity import (
    OVERLAP_CAP,
    all_bigrams,
    content_bigrams,
    overlap,
    sectors_of,
    with_neighbours,
)
from .standards import Standard, scale, standards

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
SAME_PURPOSE = 0.5  # WBE-R118: projects sharing half of their purpose's content are one purpose (town by town)


@functools.lru_cache(maxsize=1 << 16)
def compact(text: str) -> str:
    """Comparison form of a text: NFKC, no whitespace (cached: names, units and levels repeat)."""
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
        self._places: dict[tuple[str, str | None], tuple[str | None, int | None, str | None]] = {}  # see flag
        self.by_project: dict[str, list[int]] = defaultdict(list)
        for n, ind in enumerate(book.indicators):
            self.by_project[ind.project_code].append(n)

    def flag(self, code: str, kind: str, row: int | None, field_name: str | None, cell_value: object,
             project: str | None, variant: str | None = None, /, **fields: object) -> Finding:
        """A review finding: the catalogue's code and message (its template filled with ``fields``), the cell,
        and the project it counts against."""
        place = self._places.get((kind, field_name))
        if place is None:
            table = self.loaded.table(kind)
            place = self._places[(kind, field_name)] = (
                table.sheet_name if table else None,
                table.columns.get(field_name) if table and field_name else None,
                table.spec.header_of(field_name) if table and field_name else None)
        sheet, col, header = place
        return finding(code, Location.at(sheet, row, col, header), cell_value, variant=variant,
                       project=project or None, **fields)

    def has_column(self, kind: str, field_name: str) -> bool:
        """False when the column is missing (WBE-E002): its cells are not empty, they are absent."""
        table = self.loaded.table(kind)
        return table is not None and field_name in table.columns

    def indicator(self, code: str, n: int, field_name: str, variant: str | None = None, /,
                  **fields: object) -> Finding:
        """A finding on an indicator's cell; ``name`` (三级指标) and ``value`` (指标值) are always filled."""
        ind = self.book.indicators[n]
        fields.setdefault("name", ind.level3)
        fields.setdefault("value", ind.value)
        return self.flag(code, "indicators", ind.row, field_name, getattr(ind, field_name), ind.project_code,
                         variant, **fields)

    def budget_year(self, dept_code: str, project_code: str) -> int | None:
        """The department's 年度, else the year in the project code (13022524P… -> 2024)."""
        year = self.years.get(dept_code)
        if year is None and len(project_code) >= 8 and project_code[6:8].isdigit():
            year = 2000 + int(project_code[6:8])
        return year

    def deadline_example(self, dept_code: str, project_code: str) -> str:
        """A deadline in the workbook's own 年度 for advice (never a hard-coded year)."""
        year = self.budget_year(dept_code, project_code)
        return f"{year}年12月底前" if year is not None else "12月底前"

    def project_text(self, code: str) -> str:
        """What a project says it is about: 名称, 表名, 资金用途, 绩效目标, each as much as an Excel cell holds
        (a longer text is an error of its own, WBE-E028; its bigram index would cost the review seconds)."""
        p = self.projects.get(code)
        return " ".join(text[:EXCEL_MAX_CHARS] for text in (p.name, p.table_title, p.purpose, p.goal)) if p else ""

    def is_cost(self, n: int) -> bool:
        """A 成本 indicator that should carry an amount: classic 成本指标, or 2021 经济成本指标."""
        return self.level2[n] in ("成本指标", "经济成本指标")


ReviewRule = Callable[[ReviewContext], Iterator[Finding]]


def rule(*codes: str) -> Callable[[ReviewRule], ReviewRule]:
    """Mark which codes a rule can report, so rules switched off everywhere are not run."""

    def mark(function: ReviewRule) -> ReviewRule:
        function.codes = codes  # type: ignore[attr-defined]  # a rule's codes, on the function
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
                table = ctx.loaded.table(kind)
                header = table.spec.header_of(field_name) if table is not None else field_name
                yield ctx.flag("WBE-R101", kind, record.row, field_name, text, project, header=header,
                               placeholder=match.group(0))


@rule("WBE-R102", "WBE-R103")
def empty_values(ctx: ReviewContext) -> Iterator[Finding]:
    has_basis = ctx.has_column("indicators", "basis")
    for n, ind in enumerate(ctx.book.indicators):
        value = ctx.values[n]
        if (value.kind == "quantitative" and value.operator is None and value.number == 0
                and base_unit(value.unit) == "%"):
            yield ctx.indicator("WBE-R102", n, "value")
        if has_basis and is_blank(ind.basis):
            yield ctx.indicator("WBE-R103", n, "basis")


def missing_categories(book: Book, level1: list[str | None] | None = None,
                       level2: list[str | None] | None = None) -> dict[str, list[str]]:
    """The expected 二级 (数量/质量/时效/成本) each project with indicators lacks (WBE-R104; the grade charges
    each one); ``level1``/``level2`` are the canonical names per indicator when the caller has them."""
    if level1 is None:
        level1 = [canonical_level1(i.level1) for i in book.indicators]
    if level2 is None:
        level2 = [canonical_level2(l1, i.level2) for l1, i in zip(level1, book.indicators)]
    present: dict[str, set[str | None]] = defaultdict(set)
    for n, ind in enumerate(book.indicators):
        present[ind.project_code].add(level2[n])
        if level1[n] == "成本指标":
            present[ind.project_code].add("成本指标")  # the 2021 framework's 成本 is a level 1
    return {code: gaps for code, names in present.items()
            if (gaps := [name for name in EXPECTED_LEVEL2 if name not in names])}


@rule("WBE-R104")
def expected_categories(ctx: ReviewContext) -> Iterator[Finding]:
    gaps = missing_categories(ctx.book, ctx.level1, ctx.level2)
    for p in ctx.book.projects:
        if not p.code or not ctx.by_project.get(p.code):
            continue  # a project without indicators is WBE-E035
        missing = gaps.get(p.code)
        if missing:
            yield ctx.flag("WBE-R104", "projects", p.row, "code", p.code, p.code, code=p.code, name=p.name,
                           missing="、".join(missing), deadline=ctx.deadline_example(p.dept_code, p.code),
                           budget=_amount(p.budget))


@rule("WBE-R111", "WBE-R112", "WBE-R113")
def names_and_descriptions(ctx: ReviewContext) -> Iterator[Finding]:
    has_description = ctx.has_column("indicators", "description")
    for n, ind in enumerate(ctx.book.indicators):
        name = ctx.names[n]
        if not name:
            continue  # WBE-E010
        category_stems = {stem(ind.level2), stem(ctx.level2[n]), stem(ind.level1), stem(ctx.level1[n])} - {""}
        if stem(name) in category_stems:
            yield ctx.indicator("WBE-R111", n, "level3", None if stem(name) != stem(ind.level1) else "level1")
        description = compact(ind.description)
        if not has_description:
            continue
        if not description or description == name:
            yield ctx.indicator("WBE-R112", n, "description", None if not description else "same",
                                example=_description_example(ind.level3))
        elif description.startswith(name) and 1 <= len(description) - len(name) <= 3 \
                and _is_word_char(description[len(name)]):
            yield ctx.indicator("WBE-R113", n, "level3", description=ind.description)


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
            yield ctx.flag("WBE-R114", "projects", p.row, "code", p.code, p.code, code=p.code, name=p.name,
                           count=len(key), others=named)


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
            yield ctx.flag("WBE-R115", "projects", p.row, "goal", p.goal, p.code, missing="、".join(missing))


@rule("WBE-R121", "WBE-R122", "WBE-R123", "WBE-R124")
def quantified(ctx: ReviewContext) -> Iterator[Finding]:
    for n, ind in enumerate(ctx.book.indicators):
        value = ctx.values[n]
        if value.kind in ("empty", "malformed"):
            continue  # WBE-E010 / WBE-E040
        unit = base_unit(value.unit)
        if ctx.level2[n] == "数量指标" and (value.kind != "quantitative" or unit in ("", "%")) \
                and not (unit == "%" and "覆盖" in ctx.names[n]):  # coverage of the targets: a placement real tables use
            yield ctx.indicator("WBE-R121", n, "value",
                                "rate" if unit == "%" and value.kind == "quantitative" else None)
        if ctx.is_cost(n) and not is_money(value):
            project = ctx.projects.get(ind.project_code)
            budget = _amount(project.budget) if project else "预算数"
            yield ctx.indicator("WBE-R122", n, "value", "budget" if value.kind == "budget" else None, budget=budget)
        if ctx.level1[n] == "满意度指标" and not (
                value.kind == "quantitative" and unit == "%" and value.operator in ("≥", ">", None)) \
                and not _is_full_satisfaction(value):
            yield ctx.indicator("WBE-R123", n, "value")
        if ctx.level2[n] == "时效指标" and not (is_deadline(value) or is_duration(value)
                                              or (value.kind == "quantitative" and unit == "%")):
            yield ctx.indicator("WBE-R124", n, "value", deadline=ctx.deadline_example(ind.dept_code, ind.project_code))


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
    any_word = re.compile("|".join(map(re.escape, words)))  # one search per text; the words listed in config order
    for n, ind in enumerate(ctx.book.indicators):
        if any_word.search(ind.value) and not _BASELINE_RE.search(fold(ind.value)):  # 较上年（62%）逐步提高 is checkable
            yield ctx.indicator("WBE-R125", n, "value", words=_words([w for w in words if w in ind.value]))
    for p in ctx.book.projects:
        found = [w for w in words if w in p.goal] if any_word.search(p.goal) else []
        if found:
            yield ctx.flag("WBE-R125", "projects", p.row, "goal", p.goal, p.code or None, "goal", words=_words(found))


# An explicit baseline in brackets: a number the vague word is measured against.
_BASELINE_RE = re.compile(r"[(（][^)）]*\d[^)）]*[)）]")


@rule("WBE-R126")
def value_in_name(ctx: ReviewContext) -> Iterator[Finding]:
    for n, ind in enumerate(ctx.book.indicators):
        match = _VALUE_IN_NAME_RE.search(fold(ind.level3))
        if match:
            yield ctx.indicator("WBE-R126", n, "level3", found=match.group(0))


@rule("WBE-R131", "WBE-R132", "WBE-R133")
def implausible_rates(ctx: ReviewContext) -> Iterator[Finding]:
    for n, ind in enumerate(ctx.book.indicators):
        value = ctx.values[n]
        if value.kind != "quantitative" or base_unit(value.unit) != "%" or value.number is None:
            continue
        if value.number > 100:
            yield ctx.indicator("WBE-R131", n, "value")
        name = fold(ind.level3)
        rising = any(w in name for w in RISING_RATES) and not any(w in name for w in FALLING_RATES)
        if (value.operator in ("≤", "<") and rising and ctx.level1[n] != "满意度指标"):
            yield ctx.indicator("WBE-R132", n, "value")
        if ctx.level1[n] == "满意度指标" and _is_full_satisfaction(value):
            yield ctx.indicator("WBE-R133", n, "value")


@rule("WBE-R134", "WBE-R135")
def amounts_and_deadlines(ctx: ReviewContext) -> Iterator[Finding]:
    for n, ind in enumerate(ctx.book.indicators):
        value = ctx.values[n]
        project = ctx.projects.get(ind.project_code)
        amount = money_in_wan(value) if ctx.is_cost(n) else None
        if amount is not None and project is not None and project.budget is not None and amount > project.budget:
            yield ctx.indicator("WBE-R134", n, "value", amount=f"{amount.normalize():f}",
                                budget=f"{project.budget:.2f}")
        if value.kind == "deadline" and ctx.level2[n] == "时效指标":
            year, _ = deadline_year_month(value)
            budget_year = ctx.budget_year(ind.dept_code, ind.project_code)
            if year is not None and budget_year is not None and year != budget_year:
                yield ctx.indicator("WBE-R135", n, "value", year=budget_year)


# ------------------------------------------------------------------------------------ issue 11 rules

# Inputs (money, staff, budget execution) that 101号 says are not performance targets ("财力、人力和物力等投入
# 数量不能作为绩效目标") when written as outputs or effects.
INPUT_TERMS = re.compile(
    r"(?:资金|预算|经费)(?:到位|拨付|支付|执行|使用|支出|下达)(?:及时)?率|(?:资金|预算|支出|经费)(?:执行|支出)?进度"
    r"|资金投入|财政投入|投入资金|经费投入|投入经费|预算资金|资金总额|资金规模|预算投入|人员投入|投入(?:保洁|工作)?人员"
    r"|投入人力|到位资金")
_INPUT_NAME_WORDS = ("资金", "经费", "投入", "预算", "拨付", "补助金", "补贴金")
_EFFECT_WORDS = ("收入", "增收", "节约", "节省", "产值", "税收", "带动", "拉动", "挽回", "减少损失", "效益", "利润",
                 "受益", "惠及", "就业", "新增")
_SATISFACTION = ("满意度", "满意率", "满意程度")
_TIME_NAME_RE = re.compile(r"(?:时间|日期|期限|时限|时点|工期|截止)$|完成时间")
_TIMELY_WORDS = ("及时", "按时", "准时", "时效", "时限", "限时", "期限", "进度", "当日", "当天", "当月", "当年",
                 "如期", "逾期", "超期", "时间", "日内", "天内", "周期", "按期", "即时", "响应", "时长")
_OUTPUT_VERBS = ("开展", "举办", "组织", "培训", "检查", "召开", "发放", "购置", "采购", "维修", "印发", "编制",
                 "巡查", "宣传", "会诊", "演练", "审查", "抽查", "新建", "改造", "建设")
_COUNT_UNITS = ("次", "个", "人", "人次", "家", "件", "项", "场", "场次", "期", "批", "户", "所", "座", "处", "台",
                "套", "辆", "份", "篇", "册", "本", "条", "名", "班", "轮", "宗", "起", "单")
_RATE_EXEMPT = ("频率", "速率", "功率", "利率", "汇率", "税率", "费率", "概率", "效率", "增长率", "增长", "提高",
                "下降", "降低", "减少", "比上年", "较上年", "同比")
_PERCENT_UNITS = ("%", "‰", "个百分点", "百分点")
_COUNT_NAME_RE = re.compile(r"(?:数|数量|人数|次数|个数|户数|人次|场次|件数|面积|长度|里程|天数)$")
_MONEY_NAME_RE = re.compile(r"(?:金额|资金|费用|经费|成本|投资)$")
# Shares of land or population that are not completion rates, however they are named (森林覆盖率 35%).
_LAND_SHARES = ("森林覆盖", "植被覆盖", "绿化覆盖", "绿地率", "绿化率", "林草覆盖", "城镇化率", "参与率", "就业率", "占比",
                "比例")
# Rates whose wording implies (nearly) all: a low target contradicts the name.
FULL_WORDING = re.compile(r"全覆盖|全部|全面|全员|全额|全程|百分之百|100%|应[^率]{0,6}尽|无一遗漏|全达标")
COMPLETION_RATES = ("完成率", "合格率", "达标率", "及时率", "完好率", "准确率", "正确率", "通过率", "办结率",
                    "兑付率", "发放率", "处置率", "响应率", "知晓率", "覆盖率", "参保率", "规范率",
                    "保障率", "解决率", "落实率", "入库率", "建档率", "审核率", "整改率", "结案率", "出勤率", "验收率",
                    "普及率", "实现率", "完工率", "上线率", "在线率", "救治率", "救助率", "接种率", "巩固率", "达成率")


def _has(text: str, words) -> bool:
    return any(w in text for w in words)


def _is_lower_bound(value: IndicatorValue) -> bool:
    return value.operator in (None, "≥", ">", "=")


@rule("WBE-R116")
def inputs_as_outputs(ctx: ReviewContext) -> Iterator[Finding]:
    for n, ind in enumerate(ctx.book.indicators):
        level1, level2 = ctx.level1[n], ctx.level2[n]
        if level1 not in ("产出指标", "效益指标") or level2 in ("成本指标",):
            continue
        name = ctx.names[n]
        value = ctx.values[n]
        found = INPUT_TERMS.search(name)
        term = found.group(0) if found else None
        money = money_in_wan(value) is not None and _has(name, _INPUT_NAME_WORDS) and not _has(name, _EFFECT_WORDS)
        if term is None and not money:
            continue
        if term:
            yield ctx.indicator("WBE-R116", n, "level3", level2=ind.level2, term=term)
        else:
            yield ctx.indicator("WBE-R116", n, "level3", "money", level2=ind.level2)


@rule("WBE-R117")
def fits_level2(ctx: ReviewContext) -> Iterator[Finding]:
    quantity_rows: dict[str, list[int]] = defaultdict(list)
    for n, ind in enumerate(ctx.book.indicators):
        if ctx.level2[n] == "数量指标":
            quantity_rows[ind.project_code].append(n)
    for n, ind in enumerate(ctx.book.indicators):
        level1, level2, name, value = ctx.level1[n], ctx.level2[n], ctx.names[n], ctx.values[n]
        if level1 is None or level2 is None:
            continue
        unit = base_unit(value.unit)
        if _has(name, _SATISFACTION) and level1 != "满意度指标":
            yield ctx.indicator("WBE-R117", n, "level2", level2=ind.level2)
        elif level2 == "质量指标" and (is_deadline(value) or _TIME_NAME_RE.search(name)):
            yield ctx.indicator("WBE-R117", n, "level2", "date")
        elif level2 == "时效指标" and value.kind == "quantitative" and unit in _PERCENT_UNITS \
                and not _has(name, _TIMELY_WORDS):
            yield ctx.indicator("WBE-R117", n, "value", "rate",
                                deadline=ctx.deadline_example(ind.dept_code, ind.project_code))
        elif level1 == "效益指标" and value.kind == "quantitative" and unit.lstrip("万千百亿") in _COUNT_UNITS \
                and not _has(name, _EFFECT_WORDS):
            restated = next((m for m in quantity_rows.get(ind.project_code, ())
                             if ctx.names[m] == name or (ctx.values[m].number == value.number
                                                         and base_unit(ctx.values[m].unit) == unit)), None)
            if restated is not None or _has(name, _OUTPUT_VERBS):
                if restated is None:
                    yield ctx.indicator("WBE-R117", n, "level2", "count")
                else:
                    yield ctx.indicator("WBE-R117", n, "level2", "restated",
                                        quantity=ctx.book.indicators[restated].level3)


@rule("WBE-R118")
def boilerplate_rows(ctx: ReviewContext) -> Iterator[Finding]:
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for n, ind in enumerate(ctx.book.indicators):
        name = ctx.names[n]
        if (not name or not ind.project_code or ctx.level1[n] != "效益指标"
                or ctx.values[n].kind in ("empty", "malformed") or stem(name) in (stem(ind.level2), stem(ind.level1))):
            continue  # effects only: 验收合格率 100% is a customary output everywhere; a bare category name is R111
        groups[(name, compact(ind.value))].append(n)
    for (_name, _value), rows in groups.items():
        projects = list(dict.fromkeys(ctx.book.indicators[n].project_code for n in rows))
        if len(projects) < ctx.config.boilerplate_min_projects:
            continue
        first = content_bigrams(ctx.project_text(projects[0]))
        # Purposes differ when some project shares little of the first one's content (linear, not all pairs;
        # stops at the first that differs).
        if all(overlap(first, all_bigrams(ctx.project_text(code)), cap=None) >= SAME_PURPOSE
               for code in projects[1:]):
            continue
        for n in rows:
            ind = ctx.book.indicators[n]
            others = [c for c in projects[:3] if c != ind.project_code][:2]
            own = ctx.projects.get(ind.project_code)
            yield ctx.indicator("WBE-R118", n, "level3", count=len(projects), others="、".join(others[:2]),
                                project_name=own.name if own else ind.project_code)


# WBE-R120: an indicator sharing nothing with its own project's texts but at least this many content bigrams,
# and this share of its (capped) content, with another project of the department is that project's indicator.
MISPLACED_SHARED = 2
MISPLACED_FIT = 0.5


def _department_index(ctx: ReviewContext, codes: list[str]) -> dict[str, list[str]]:
    """Each bigram of one department's project texts -> its projects (``codes``, book order) whose texts hold
    it: an indicator is compared with its department's projects through its own few bigrams, never pairwise."""
    index: dict[str, list[str]] = defaultdict(list)
    for code in codes:
        project = ctx.projects[code]
        if code in ctx.by_project or project.purpose or project.goal:
            for bigram in all_bigrams(ctx.project_text(code)):
                index[bigram].append(code)
    return index


def _fits_better(index: dict[str, list[str]], own: str, content: frozenset[str]) -> tuple[str, int] | None:
    """The project of the department whose texts share the most of an indicator's content, when that is
    enough to call it the indicator's project (MISPLACED_SHARED, MISPLACED_FIT); ties go to the first."""
    shared: dict[str, int] = {}
    for bigram in content:
        for code in index.get(bigram, ()):
            if code != own:
                shared[code] = shared.get(code, 0) + 1
    if not shared:
        return None
    best = max(shared, key=lambda code: shared[code])  # max keeps the first of equal counts (book order)
    count = shared[best]
    if count < MISPLACED_SHARED or count / min(len(content), OVERLAP_CAP) < MISPLACED_FIT:
        return None
    return best, count


@rule("WBE-R119", "WBE-R120")
def unrelated_indicators(ctx: ReviewContext) -> Iterator[Finding]:
    """An indicator whose content its project's texts do not share: WBE-R120 when another project of the
    department fits it (named in the message), else WBE-R119 when it names another sector's things."""
    threshold = ctx.config.related_threshold
    members: dict[str, list[str]] = defaultdict(list)  # department -> its projects, book order
    for code, p in ctx.projects.items():
        members[p.dept_code].append(code)
    departments: dict[str, dict[str, list[str]]] = {}  # a department's index, built at its first candidate
    for code, rows in ctx.by_project.items():
        project = ctx.projects.get(code)
        if project is None:
            continue
        text = ctx.project_text(code)
        reference, own_sectors = all_bigrams(text), sectors_of(text)
        near = with_neighbours(own_sectors)
        misplaced = ctx.config.enabled("WBE-R120", code)
        for n in rows:
            ind = ctx.book.indicators[n]
            if ctx.level1[n] in (None, "满意度指标"):
                continue
            own = ind.level3 + " " + ind.description
            content = content_bigrams(own)
            related = overlap(content, reference) >= threshold
            if not related and misplaced and len(content) >= MISPLACED_SHARED:
                if project.dept_code not in departments:
                    departments[project.dept_code] = _department_index(ctx, members[project.dept_code])
                better = _fits_better(departments[project.dept_code], code, content)
                if better is not None:
                    other = ctx.projects[better[0]]
                    yield ctx.indicator("WBE-R120", n, "level3", project_name=project.name, other_name=other.name,
                                        other_code=other.code)
                    continue
            sectors = sectors_of(own)
            # Judged only when the indicator names a sector's things, the project names nothing of those sectors,
            # and not all of them neighbour the project's own (田间道路 in a farmland project is related).
            if not sectors or sectors & own_sectors or sectors <= near or related:
                continue
            yield ctx.indicator("WBE-R119", n, "level3", project_name=project.name)


@rule("WBE-R127")
def unit_contradicts(ctx: ReviewContext) -> Iterator[Finding]:
    for n, ind in enumerate(ctx.book.indicators):
        value = ctx.values[n]
        if value.kind != "quantitative":
            continue
        name, unit = ctx.names[n], base_unit(value.unit)
        money = unit in MONEY_UNITS or unit_cost(value) is not None
        if (name.endswith("率") or _has(name, ("比例", "占比", "比率"))) and not _has(name, _RATE_EXEMPT) \
                and unit and unit not in _PERCENT_UNITS:
            yield ctx.indicator("WBE-R127", n, "value", unit=unit)
        elif _TIME_NAME_RE.search(name) and unit in _PERCENT_UNITS:
            yield ctx.indicator("WBE-R127", n, "value", "time",
                                deadline=ctx.deadline_example(ind.dept_code, ind.project_code))
        elif _COUNT_NAME_RE.search(name) and unit in _PERCENT_UNITS and not _has(name, ("率", "比例", "占比")) \
                and not _has(name, _RATE_EXEMPT) and ctx.level2[n] != "数量指标":
            yield ctx.indicator("WBE-R127", n, "value", "count")
        elif _MONEY_NAME_RE.search(name) and not money and unit and not ctx.is_cost(n) \
                and unit not in _PERCENT_UNITS:
            yield ctx.indicator("WBE-R127", n, "value", "money", unit=unit)


@rule("WBE-R136")
def cost_lower_bound(ctx: ReviewContext) -> Iterator[Finding]:
    for n in range(len(ctx.book.indicators)):
        value = ctx.values[n]
        if (ctx.is_cost(n) or ctx.level1[n] == "成本指标") and value.operator in ("≥", ">") and is_money(value):
            bound = f"≤{value.number:f}{value.unit}"
            yield ctx.indicator("WBE-R136", n, "value", bound=bound)


@rule("WBE-R137", "WBE-R138")
def targets_too_low(ctx: ReviewContext) -> Iterator[Finding]:
    config = ctx.config
    for n, ind in enumerate(ctx.book.indicators):
        value = ctx.values[n]
        if value.kind != "quantitative" or value.number is None or base_unit(value.unit) != "%" \
                or not _is_lower_bound(value):
            continue
        name = ctx.names[n]
        if ctx.level1[n] == "满意度指标" or _has(name, _SATISFACTION):
            if value.number < config.satisfaction_floor:
                yield ctx.indicator("WBE-R137", n, "value", floor=config.satisfaction_floor,
                                    suggest=max(config.satisfaction_floor, 85))
            continue
        if _has(name, FALLING_RATES) or _has(name, _RATE_EXEMPT) or _has(name, _LAND_SHARES):
            continue
        if value.number == 0 and value.operator is None:
            continue  # 0% is WBE-R102 (the system's default), not a low target
        full = FULL_WORDING.search(fold(ind.level3))
        if full and value.number < config.full_rate_floor:
            yield ctx.indicator("WBE-R138", n, "value", word=full.group(0), floor=config.full_rate_floor)
        elif _has(name, COMPLETION_RATES) and value.number < config.rate_floor:
            yield ctx.indicator("WBE-R138", n, "value", "completion", floor=config.rate_floor)


# WBE-R128: an abstract aim (促进…健康发展, 维护社会和谐稳定) given a percentage: nothing countable is measured.
_SLOGAN_RE = re.compile(r"^(?:促进|推动|推进|维护|保障|助力|加快|服务|巩固|确保|实现)"
                        r".*(?:发展|稳定|和谐|繁荣|振兴|进步|大局|建设)$")


@rule("WBE-R128")
def slogans(ctx: ReviewContext) -> Iterator[Finding]:
    for n, _ in enumerate(ctx.book.indicators):
        value = ctx.values[n]
        if ctx.level1[n] == "效益指标" and value.kind == "quantitative" and base_unit(value.unit) == "%" \
                and _SLOGAN_RE.search(ctx.names[n]) and not _has(ctx.names[n], ("率", "数", "量")):
            yield ctx.indicator("WBE-R128", n, "level3")


@rule("WBE-R129")
def qualitative_values(ctx: ReviewContext) -> Iterator[Finding]:
    """Qualitative values outside the accepted scale (templates/review-scale.toml) on the rows that may be
    qualitative; effects only for now (质量 rows like 按时完成 are left to a later decision, docs/decisions.md 24.3)."""
    accepted, vague = scale(), ctx.config.vague_words
    for n, ind in enumerate(ctx.book.indicators):
        value = ctx.values[n]
        if value.kind != "qualitative" or ctx.level1[n] != "效益指标" or is_deadline(value):
            continue
        text = fold(ind.value).replace(" ", "")
        if accepted.accepts(text) or any(w in text for w in vague):  # vague words are WBE-R125
            continue
        yield ctx.indicator("WBE-R129", n, "value")


def norm_missed(name: str, value: IndicatorValue) -> Standard | None:
    """The sector norm (templates/standards.toml) a lower-bound target ``value`` of the indicator ``name``
    (compact form) falls below, or None; WBE-R139 and its peer figures (review/peers.py) both ask here."""
    if value.kind != "quantitative" or value.number is None or not _is_lower_bound(value):
        return None
    for norm in standards():
        if norm.name.search(name) and value.unit == norm.unit and value.number < norm.floor:
            return norm
    return None


def norm_fields(norm: Standard) -> dict[str, str]:
    """The message fields of a missed norm: its floor with unit, and its source."""
    return {"floor": f"{norm.floor.normalize():f}{norm.unit}", "source": norm.source}


@rule("WBE-R139")
def below_sector_norm(ctx: ReviewContext) -> Iterator[Finding]:
    if not standards():
        return
    for n, _ in enumerate(ctx.book.indicators):
        norm = norm_missed(ctx.names[n], ctx.values[n])
        if norm is not None:
            yield ctx.indicator("WBE-R139", n, "value", **norm_fields(norm))


RULES: tuple[ReviewRule, ...] = (
    placeholders,
    empty_values,
    expected_categories,
    names_and_descriptions,
    copied_sets,
    goal_numbers,
    inputs_as_outputs,
    fits_level2,
    boilerplate_rows,
    unrelated_indicators,
    quantified,
    vague_words,
    value_in_name,
    unit_contradicts,
    implausible_rates,
    amounts_and_deadlines,
    cost_lower_bound,
    targets_too_low,
    slogans,
    qualitative_values,
    below_sector_norm,
)
