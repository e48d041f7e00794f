"""Cross-row and cross-sheet rules: sums, the spending plan, keys, the indicator framework.

Rules read typed records (model.py) and the tables' column positions (to name cells); they do not know
which library read the file. Each rule is a function that yields findings and declares the codes it can
report (``produces``); RULES lists them in order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any, Callable, Iterator

from ..canonical_reader import LoadedWorkbook
from ..findings import Finding, Location, finding, produces
from ..framework import FRAMEWORKS, canonical_level1, canonical_level2, frameworks_of, stem
from ..model import Book
from ..sheets.goals import CATEGORIES
from ..sheets.projects import PLAN_FIELDS
from ..values import WIDE, parse_indicator_value, to_cents


class RuleContext:
    """The book plus where each record's fields sit, so rules can name cells."""

    def __init__(self, book: Book, loaded: LoadedWorkbook):
        self.book = book
        self.loaded = loaded

    def at(self, code: str, kind: str, row: int | None, field_name: str | None, value: object, /,
           variant: str | None = None, **fields: Any) -> Finding:
        """A finding of ``code`` at a record's field; the message is the catalogue's, with ``fields``."""
        table = self.loaded.table(kind)
        sheet = table.sheet_name if table else None
        col = table.columns.get(field_name) if table and field_name else None
        header = table.spec.header_of(field_name) if table and field_name else None
        return finding(code, Location.at(sheet, row, col if row is not None else None, header), value,
                       variant=variant, **fields)


Rule = Callable[[RuleContext], Iterator[Finding]]


def _fmt(amount: Decimal | None) -> str:
    return f"{amount:.2f}" if amount is not None else "空"


def _pct(points: Decimal) -> str:
    """Percent points without float noise: 50 -> "50%", 12.5 -> "12.5%"."""
    text = format(Decimal(points).quantize(Decimal("0.01"), context=WIDE).normalize(), "f")
    return text + "%"


@produces("WBE-E030")
def budget_adds_up(ctx: RuleContext) -> Iterator[Finding]:
    for p in ctx.book.projects:
        if p.budget is None or p.fiscal is None:
            continue
        if to_cents(p.budget) != to_cents(p.fiscal) + to_cents(p.other):
            total = (p.fiscal or 0) + (p.other or 0)
            yield ctx.at("WBE-E030", "projects", p.row, "budget", float(p.budget), budget=_fmt(p.budget),
                         fiscal=_fmt(p.fiscal), other=_fmt(p.other) if p.other is not None else "（空）0",
                         total=_fmt(Decimal(total)))


@produces("WBE-E031", "WBE-E032")
def plan_is_cumulative(ctx: RuleContext) -> Iterator[Finding]:
    headers = ("3月底", "6月底", "10月底", "12月底")
    for p in ctx.book.projects:
        plan = p.plan
        for i in range(1, 4):
            before, now = plan[i - 1], plan[i]
            if before is not None and now is not None and now < before:
                yield ctx.at("WBE-E031", "projects", p.row, PLAN_FIELDS[i], float(now) / 100, period=headers[i],
                             percent=_pct(now), previous_period=headers[i - 1], previous_percent=_pct(before))
                break
        if plan[3] is not None and plan[3] != 100:
            yield ctx.at("WBE-E032", "projects", p.row, "q4", float(plan[3]) / 100, percent=_pct(plan[3]))


@produces("WBE-E033", "WBE-E045")
def project_keys(ctx: RuleContext) -> Iterator[Finding]:
    first_row: dict[str, int | None] = {}
    for p in ctx.book.projects:
        if not p.code:
            continue
        if p.code in first_row:
            yield ctx.at("WBE-E033", "projects", p.row, "code", p.code, code=p.code, first_row=first_row[p.code])
        else:
            first_row[p.code] = p.row
    seen: dict[tuple[str, int], int | None] = {}
    for p in ctx.book.projects:
        if p.seq is None:
            continue
        key = (p.dept_code, p.seq)
        if key in seen:
            yield ctx.at("WBE-E045", "projects", p.row, "seq", p.seq, dept=p.dept_code, seq=p.seq,
                         first_row=seen[key])
        else:
            seen[key] = p.row


@produces("WBE-E034", "WBE-E035", "WBE-E039")
def indicators_belong(ctx: RuleContext) -> Iterator[Finding]:
    projects = {p.code: p for p in ctx.book.projects if p.code}
    counted: Counter[str] = Counter()
    for ind in ctx.book.indicators:
        project = projects.get(ind.project_code)
        if project is None:
            if ind.project_code:
                yield ctx.at("WBE-E034", "indicators", ind.row, "project_code", ind.project_code,
                             code=ind.project_code)
            continue
        counted[ind.project_code] += 1
        if ind.dept_code and project.dept_code and ind.dept_code != project.dept_code:
            yield ctx.at("WBE-E039", "indicators", ind.row, "dept_code", ind.dept_code, dept=ind.dept_code,
                         project_code=project.code, project_dept=project.dept_code)
    for p in ctx.book.projects:
        if p.code and not counted[p.code]:
            yield ctx.at("WBE-E035", "projects", p.row, "code", p.code, code=p.code, name=p.name)


@produces("WBE-E023", "WBE-E024", "WBE-E036", "WBE-W037", "WBE-W044")
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
            yield ctx.at("WBE-E024", "indicators", ind.row, "level2", ind.level2, level2=ind.level2,
                         level1=ind.level1, canonical=level1, allowed="、".join(allowed))
            continue
        fws = frameworks_of(level1, level2)
        if len(fws) == 1:
            seen_frameworks[next(iter(fws))].append(ind)
    if seen_frameworks.get("classic") and seen_frameworks.get("2021"):
        minority = min(("classic", "2021"), key=lambda fw: len(seen_frameworks[fw]))
        ind = seen_frameworks[minority][0]
        others = len(seen_frameworks["classic" if minority == "2021" else "2021"])
        yield ctx.at("WBE-W037", "indicators", ind.row, "level2", ind.level2,
                     variant=None if minority == "classic" else "2021", others=others)
    for p in ctx.book.projects:
        present = by_project.get(p.code)
        if not p.code or not present:
            continue
        missing = [name for name in ("产出指标", "效益指标") if name not in present]
        if missing:
            yield ctx.at("WBE-E036", "projects", p.row, "code", p.code, code=p.code, name=p.name,
                         missing="、".join(missing))
        if "满意度指标" not in present:
            yield ctx.at("WBE-W044", "projects", p.row, "code", p.code, code=p.code, name=p.name)


@produces("WBE-E040")
def indicator_values_parse(ctx: RuleContext) -> Iterator[Finding]:
    for ind in ctx.book.indicators:
        parsed = parse_indicator_value(ind.value)
        if parsed.kind == "malformed":
            yield ctx.at("WBE-E040", "indicators", ind.row, "value", ind.value, text=ind.value,
                         operator=parsed.operator)


@produces("WBE-E042")
def duplicate_indicators(ctx: RuleContext) -> Iterator[Finding]:
    seen: dict[tuple[str, str, str, str], int | None] = {}
    for ind in ctx.book.indicators:
        key = (ind.project_code, stem(ind.level1), stem(ind.level2), "".join(ind.level3.split()))
        if not ind.level3.strip():
            continue
        if key in seen:
            yield ctx.at("WBE-E042", "indicators", ind.row, "level3", ind.level3, project_code=ind.project_code,
                         level1=ind.level1, level2=ind.level2, level3=ind.level3, first_row=seen[key])
        else:
            seen[key] = ind.row


@produces("WBE-E019", "WBE-E038", "WBE-E043")
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
            yield ctx.at("WBE-E043", "goals", g.row, "dept_name", g.dept_name, dept=g.dept_code, name=g.dept_name,
                         first_row=row, first_name=name)
        if g.year is not None and year is not None and g.year != year:
            yield ctx.at("WBE-E043", "goals", g.row, "year", g.year, variant="year", dept=g.dept_code, year=g.year,
                         first_row=row, first_year=year)
    for kind, records in (("projects", ctx.book.projects), ("indicators", ctx.book.indicators)):
        noted: set[str] = set()
        for r in records:
            if r.dept_code and r.dept_code not in first and r.dept_code not in noted:
                noted.add(r.dept_code)
                yield ctx.at("WBE-E038", kind, r.row, "dept_code", r.dept_code, dept=r.dept_code)
    for p in ctx.book.projects:
        dept = first.get(p.dept_code)
        if dept is None or dept[1] is None or len(p.code) < 8 or not p.code[6:8].isdigit():
            continue
        if int(p.code[6:8]) != dept[1] % 100:
            yield ctx.at("WBE-E019", "projects", p.row, "code", p.code, code=p.code, digits=p.code[6:8],
                         year=dept[1])


@produces("WBE-E041", "WBE-W046")
def goals_keys(ctx: RuleContext) -> Iterator[Finding]:
    seen: dict[tuple[str, str, int], int | None] = {}
    for g in ctx.book.goals:
        if g.seq is None or g.category not in CATEGORIES:
            continue
        key = (g.dept_code, g.category, g.seq)
        if key in seen:
            yield ctx.at("WBE-E041", "goals", g.row, "seq", g.seq, dept=g.dept_code, category=g.category, seq=g.seq,
                         first_row=seen[key])
        else:
            seen[key] = g.row
        if g.category == "分项绩效目标" and not g.title.strip():
            yield ctx.at("WBE-W046", "goals", g.row, "title", g.title)


# A single project's amount at or above this many 万元 (1 亿元) is far more often yuan typed into a 万元
# column than a real budget of a county department's project (docs/rules.md, WBE-W049).
IMPLAUSIBLE_WAN = Decimal(10000)
MONEY_FIELDS = (("budget", "预算数"), ("fiscal", "财政资金"), ("other", "其他资金"))


@produces("WBE-W049")
def amounts_plausible(ctx: RuleContext) -> Iterator[Finding]:
    for p in ctx.book.projects:
        for field_name, header in MONEY_FIELDS:
            amount = getattr(p, field_name)
            if amount is not None and amount >= IMPLAUSIBLE_WAN:
                yield ctx.at("WBE-W049", "projects", p.row, field_name, float(amount), header=header,
                             amount=_fmt(amount), yi=_fmt(amount / 10000), divided=_fmt(amount / 10000))
                break


@produces("WBE-W050")
def standard_level_names(ctx: RuleContext) -> Iterator[Finding]:
    for ind in ctx.book.indicators:
        level1 = canonical_level1(ind.level1)
        if level1 is None:
            continue
        names = (("level1", ind.level1, level1), ("level2", ind.level2, canonical_level2(level1, ind.level2)))
        for field_name, typed, standard in names:
            if standard is not None and typed.strip() and typed != standard:
                header = "一级指标" if field_name == "level1" else "二级指标"
                yield ctx.at("WBE-W050", "indicators", ind.row, field_name, typed, header=header, typed=typed,
                             standard=standard)


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
