"""Cross-row and cross-sheet rules: sums, the spending plan, keys, the indicator framework.

Rules read typed records (model.py) and the tables' column positions (to name cells); they do not know
which library read the file. Each rule is a function that yields findings; RULES lists them in order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Callable, Iterator

from ..canonical_reader import LoadedWorkbook, finding
from ..framework import FRAMEWORKS, canonical_level1, canonical_level2, frameworks_of, stem
from ..model import Book
from ..sheets.goals import CATEGORIES
from ..sheets.projects import PLAN_FIELDS
from ..values import WIDE, parse_indicator_value, to_cents
from .findings import Finding


class RuleContext:
    """The book plus where each record's fields sit, so rules can name cells."""

    def __init__(self, book: Book, loaded: LoadedWorkbook):
        self.book = book
        self.loaded = loaded

    def at(self, code: str, kind: str, row: int | None, field_name: str | None, value: object,
           message: str) -> Finding:
        table = self.loaded.table(kind)
        sheet = table.sheet_name if table else None
        col = table.columns.get(field_name) if table and field_name else None
        header = table.spec.header_of(field_name) if table and field_name else None
        return finding(code, sheet, row, col if row is not None else None, header, value, message)


Rule = Callable[[RuleContext], Iterator[Finding]]


def _fmt(amount: Decimal | None) -> str:
    return f"{amount:.2f}" if amount is not None else "空"


def _pct(points: Decimal) -> str:
    """Percent points without float noise: 50 -> "50%", 12.5 -> "12.5%"."""
    text = format(Decimal(points).quantize(Decimal("0.01"), context=WIDE).normalize(), "f")
    return text + "%"


def budget_adds_up(ctx: RuleContext) -> Iterator[Finding]:
    for p in ctx.book.projects:
        if p.budget is None or p.fiscal is None:
            continue
        if to_cents(p.budget) != to_cents(p.fiscal) + to_cents(p.other):
            total = (p.fiscal or 0) + (p.other or 0)
            yield ctx.at("WBE-E030", "projects", p.row, "budget", float(p.budget),
                         f"预算数 {_fmt(p.budget)} 不等于 财政资金 {_fmt(p.fiscal)} + 其他资金 {_fmt(p.other) if p.other is not None else '（空）0'} "
                         f"= {_fmt(Decimal(total))}（万元）。请核对三个金额，使 预算数 = 财政资金 + 其他资金。")


def plan_is_cumulative(ctx: RuleContext) -> Iterator[Finding]:
    headers = ("3月底", "6月底", "10月底", "12月底")
    for p in ctx.book.projects:
        plan = p.plan
        for i in range(1, 4):
            before, now = plan[i - 1], plan[i]
            if before is not None and now is not None and now < before:
                yield ctx.at("WBE-E031", "projects", p.row, PLAN_FIELDS[i], float(now) / 100,
                             f"{headers[i]} {_pct(now)} 小于 {headers[i - 1]} {_pct(before)}。支出计划是累计百分比，"
                             "应逐期不减，如 25%、50%、75%、100%。")
                break
        if plan[3] is not None and plan[3] != 100:
            yield ctx.at("WBE-E032", "projects", p.row, "q4", float(plan[3]) / 100,
                         f"12月底累计支出为 {_pct(plan[3])}，应为 100%（年底前支出全部预算）。")


def project_keys(ctx: RuleContext) -> Iterator[Finding]:
    first_row: dict[str, int | None] = {}
    for p in ctx.book.projects:
        if not p.code:
            continue
        if p.code in first_row:
            yield ctx.at("WBE-E033", "projects", p.row, "code", p.code,
                         f"项目编码 {p.code} 重复（第一次出现在第 {first_row[p.code]} 行）。项目编码在全县唯一，"
                         "请删除重复行或改正编码。")
        else:
            first_row[p.code] = p.row
    seen: dict[tuple[str, int], int | None] = {}
    for p in ctx.book.projects:
        if p.seq is None:
            continue
        key = (p.dept_code, p.seq)
        if key in seen:
            yield ctx.at("WBE-E045", "projects", p.row, "seq", p.seq,
                         f"部门 {p.dept_code} 的项目序号 {p.seq} 重复（第 {seen[key]} 行已用）。请给每个项目不同的序号。")
        else:
            seen[key] = p.row


def indicators_belong(ctx: RuleContext) -> Iterator[Finding]:
    projects = {p.code: p for p in ctx.book.projects if p.code}
    counted: Counter[str] = Counter()
    for ind in ctx.book.indicators:
        project = projects.get(ind.project_code)
        if project is None:
            if ind.project_code:
                yield ctx.at("WBE-E034", "indicators", ind.row, "project_code", ind.project_code,
                             f"项目编码 {ind.project_code} 在“项目”表中不存在。请改正编码或在“项目”表中补上该项目。")
            continue
        counted[ind.project_code] += 1
        if ind.dept_code and project.dept_code and ind.dept_code != project.dept_code:
            yield ctx.at("WBE-E039", "indicators", ind.row, "dept_code", ind.dept_code,
                         f"指标的部门编码 {ind.dept_code} 与其项目 {project.code} 的部门编码 {project.dept_code} 不一致。")
    for p in ctx.book.projects:
        if p.code and not counted[p.code]:
            yield ctx.at("WBE-E035", "projects", p.row, "code", p.code,
                         f"项目 {p.code}（{p.name}）在“指标”表中没有任何绩效指标。请补充产出、效益和满意度指标。")


def framework_fits(ctx: RuleContext) -> Iterator[Finding]:
    seen_frameworks: dict[str, list] = defaultdict(list)
    by_project: dict[str, set[str]] = defaultdict(set)
    for ind in ctx.book.indicators:
        level1 = canonical_level1(ind.level1)
        if level1 is None:
            continue  # reported by the schema (WBE-E023)
        by_project[ind.project_code].add(level1)
        if not ind.level2.strip():
            continue
        level2 = canonical_level2(level1, ind.level2)
        if level2 is None:
            allowed = sorted({n for fw in FRAMEWORKS.values() for n in fw.get(level1, ())})
            yield ctx.at("WBE-E024", "indicators", ind.row, "level2", ind.level2,
                         f"二级指标“{ind.level2}”不属于一级指标“{ind.level1}”。{level1}下可选："
                         + "、".join(allowed) + "。")
            continue
        fws = frameworks_of(level1, level2)
        if len(fws) == 1:
            seen_frameworks[next(iter(fws))].append(ind)
    if seen_frameworks.get("classic") and seen_frameworks.get("2021"):
        minority = min(("classic", "2021"), key=lambda fw: len(seen_frameworks[fw]))
        ind = seen_frameworks[minority][0]
        names = {"classic": "传统指标体系（成本指标为产出指标下的二级指标）",
                 "2021": "2021 版指标体系（成本指标为一级指标）"}
        yield ctx.at("WBE-W037", "indicators", ind.row, "level2", ind.level2,
                     f"工作簿混用了两套指标体系：此行按{names[minority]}，其他 "
                     f"{len(seen_frameworks['classic' if minority == '2021' else '2021'])} 行按另一套。"
                     "请统一使用一套指标体系。")
    for p in ctx.book.projects:
        present = by_project.get(p.code)
        if not p.code or not present:
            continue
        missing = [name for name in ("产出指标", "效益指标") if name not in present]
        if missing:
            yield ctx.at("WBE-E036", "projects", p.row, "code", p.code,
                         f"项目 {p.code}（{p.name}）缺少" + "、".join(missing) + "。每个项目都要有产出指标和效益指标。")
        if "满意度指标" not in present:
            yield ctx.at("WBE-W044", "projects", p.row, "code", p.code,
                         f"项目 {p.code}（{p.name}）没有满意度指标。面向服务对象的项目应设服务对象满意度指标。")


def indicator_values_parse(ctx: RuleContext) -> Iterator[Finding]:
    for ind in ctx.book.indicators:
        parsed = parse_indicator_value(ind.value)
        if parsed.kind == "malformed":
            yield ctx.at("WBE-E040", "indicators", ind.row, "value", ind.value,
                         f"指标值“{ind.value}”以运算符“{parsed.operator}”开头，但后面没有数字。"
                         "请写成 运算符 + 数字 + 单位，如 ≥12次、≥95%；不能量化时改用定性表述。")


def duplicate_indicators(ctx: RuleContext) -> Iterator[Finding]:
    seen: dict[tuple[str, str, str, str], int | None] = {}
    for ind in ctx.book.indicators:
        key = (ind.project_code, stem(ind.level1), stem(ind.level2), "".join(ind.level3.split()))
        if not ind.level3.strip():
            continue
        if key in seen:
            yield ctx.at("WBE-E042", "indicators", ind.row, "level3", ind.level3,
                         f"项目 {ind.project_code} 中已有相同的指标（{ind.level1}/{ind.level2}/{ind.level3}，"
                         f"第 {seen[key]} 行）。请合并或改名其中一行。")
        else:
            seen[key] = ind.row


def departments_consistent(ctx: RuleContext) -> Iterator[Finding]:
    first: dict[str, tuple[str, int | None, int | None]] = {}
    for g in ctx.book.goals:
        if not g.dept_code:
            continue
        if g.dept_code not in first:
            first[g.dept_code] = (g.dept_name, g.year, g.row)
            continue
        name, year, row = first[g.dept_code]
        if g.dept_name.strip() and g.dept_name.strip() != name.strip():
            yield ctx.at("WBE-E043", "goals", g.row, "dept_name", g.dept_name,
                         f"部门 {g.dept_code} 的名称“{g.dept_name}”与第 {row} 行的“{name}”不一致。请统一部门名称。")
        if g.year is not None and year is not None and g.year != year:
            yield ctx.at("WBE-E043", "goals", g.row, "year", g.year,
                         f"部门 {g.dept_code} 的年度 {g.year} 与第 {row} 行的 {year} 不一致。一个部门只能有一个年度。")
    for kind, records in (("projects", ctx.book.projects), ("indicators", ctx.book.indicators)):
        noted: set[str] = set()
        for r in records:
            if r.dept_code and r.dept_code not in first and r.dept_code not in noted:
                noted.add(r.dept_code)
                yield ctx.at("WBE-E038", kind, r.row, "dept_code", r.dept_code,
                             f"部门编码 {r.dept_code} 在“部门目标”表中没有记录，无法确定部门名称和年度。"
                             "请在“部门目标”表中为该部门至少填写一行。")
    for p in ctx.book.projects:
        dept = first.get(p.dept_code)
        if dept is None or dept[1] is None or len(p.code) < 8 or not p.code[6:8].isdigit():
            continue
        if int(p.code[6:8]) != dept[1] % 100:
            yield ctx.at("WBE-E019", "projects", p.row, "code", p.code,
                         f"项目编码 {p.code} 第 7–8 位年度为 {p.code[6:8]}，与部门年度 {dept[1]} 不符。"
                         "请核对项目编码或“部门目标”表中的年度。")


def goals_keys(ctx: RuleContext) -> Iterator[Finding]:
    seen: dict[tuple[str, str, int], int | None] = {}
    for g in ctx.book.goals:
        if g.seq is None or g.category not in CATEGORIES:
            continue
        key = (g.dept_code, g.category, g.seq)
        if key in seen:
            yield ctx.at("WBE-E041", "goals", g.row, "seq", g.seq,
                         f"部门 {g.dept_code} 的“{g.category}”序号 {g.seq} 重复（第 {seen[key]} 行已用）。请改正序号。")
        else:
            seen[key] = g.row
        if g.category == "分项绩效目标" and not g.title.strip():
            yield ctx.at("WBE-W046", "goals", g.row, "title", g.title,
                         "分项绩效目标应有标题（如 安全生产目标管理奖金），发布时写作“序号、标题”。")


# A single project's amount at or above this many 万元 (1 亿元) is far more often yuan typed into a 万元
# column than a real budget of a county department's project (docs/rules.md, WBE-W049).
IMPLAUSIBLE_WAN = Decimal(10000)
MONEY_FIELDS = (("budget", "预算数"), ("fiscal", "财政资金"), ("other", "其他资金"))


def amounts_plausible(ctx: RuleContext) -> Iterator[Finding]:
    for p in ctx.book.projects:
        for field_name, header in MONEY_FIELDS:
            amount = getattr(p, field_name)
            if amount is not None and amount >= IMPLAUSIBLE_WAN:
                yield ctx.at("WBE-W049", "projects", p.row, field_name, float(amount),
                             f"{header} {_fmt(amount)} 万元（即 {_fmt(amount / 10000)} 亿元）对一个项目来说过大，"
                             f"可能是按元填写的。如果是元，应填 {_fmt(amount / 10000)}（÷10000）；金额列的单位是万元。")
                break


def standard_level_names(ctx: RuleContext) -> Iterator[Finding]:
    for ind in ctx.book.indicators:
        level1 = canonical_level1(ind.level1)
        if level1 is None:
            continue
        names = (("level1", ind.level1, level1), ("level2", ind.level2, canonical_level2(level1, ind.level2)))
        for field_name, typed, standard in names:
            if standard is not None and typed.strip() and typed != standard:
                header = "一级指标" if field_name == "level1" else "二级指标"
                yield ctx.at("WBE-W050", "indicators", ind.row, field_name, typed,
                             f"{header}“{typed}”不是标准名称，按“{standard}”理解；官方格式工作簿和发布文本中写作"
                             f"“{standard}”，本工作簿保留原文。建议改为“{standard}”。")


RULES: tuple[Rule, ...] = (
    departments_consistent,
    goals_keys,
    project_keys,
    budget_adds_up,
    plan_is_cumulative,
    indicators_belong,
    framework_fits,
    indicator_values_parse,
    duplicate_indicators,
    amounts_plausible,
    standard_level_names,
)
