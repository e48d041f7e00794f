"""Next year's workbook from this year's (`wbe new NEXT.xlsx --from BOOK.xlsx --year 2025`, issue 22).

Carried forward: the department's part one (部门目标, its 年度 set to the new year), every project and its
indicators. A 项目编码 that carries the year (6-digit division + 2-digit year + P + 12, domain notes "Codes
and units") is re-issued with the new year's digits, and said so; a deadline of this year in a 指标值
(2024年12月底前) moves to the new year, and is said so. This year's 实际完成值 (自评指标) is added to
指标值确定依据 as a reference, ``2024年实际完成值：12次``, which the review rule WBE-R230 reads to flag a new
target weaker than last year's actual. The 监控 and 自评 sheets are not carried: they belong to the old year.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError
from .identity import record_key
from .model import Book
from .scoring import is_not_applicable

_CODE_RE = re.compile(r"^(\d{6})(\d{2})(P[0-9A-Za-z]{12})$")
ACTUAL_REFERENCE = "{year}年实际完成值：{actual}"
REFERENCE_RE = re.compile(r"(\d{4})年实际完成值：([^；;]+)")


@dataclass
class NextYear:
    """What `wbe new --from` did: the output, re-issued codes, moved deadlines and references added."""

    source: Path
    output: Path
    year: int
    book: Book
    codes: list[tuple[str, str]] = field(default_factory=list)  # (old, new) 项目编码
    deadlines: list[tuple[str, str, str]] = field(default_factory=list)  # (项目编码, old, new) 指标值
    references: int = 0
    source_errors: int = 0

    def to_text(self) -> str:
        lines = [f"已从 {self.source} 生成 {self.year} 年度的工作簿 {self.output}：{len(self.book.departments())} 个部门，"
                 f"{len(self.book.projects)} 个项目，{len(self.book.indicators)} 个指标。"]
        if self.codes:
            lines.append(f"项目编码按 {self.year} 年重新编号（{len(self.codes)} 个，请与预算系统核对）：")
            lines += [f"  {old} → {new}" for old, new in self.codes]
        if self.deadlines:
            lines.append(f"时效指标的期限改为 {self.year} 年（{len(self.deadlines)} 个）：")
            lines += [f"  {code}：{old} → {new}" for code, old, new in self.deadlines]
        if self.references:
            lines.append(f"{self.references} 个指标的指标值确定依据中加上了{self.year - 1}年实际完成值，"
                         "供设定新目标时参考（目标低于上年实际的，wbe review 会提示 WBE-R230）。")
        if self.source_errors:
            lines.append(f"注意：{self.source} 有 {self.source_errors} 个校验错误，已照原样带入（wbe validate 查看）。")
        lines.append("请逐项更新预算数、资金用途、绩效目标和指标值后再校验：wbe validate " + str(self.output))
        return "\n".join(lines)


def next_code(code: str, year: int) -> str | None:
    """The code re-issued for ``year`` when it carries a year (13022524P00CL0E10035D -> 13022525P…), else None."""
    match = _CODE_RE.match(code)
    if not match or int(match.group(2)) == year % 100:
        return None
    return f"{match.group(1)}{year % 100:02d}{match.group(3)}"


def with_reference(basis: str, year: int, actual: str) -> str:
    """指标值确定依据 with this year's 实际完成值 added (replacing an older reference of the same year)."""
    reference = ACTUAL_REFERENCE.format(year=year, actual=actual.strip())
    kept = [part for part in re.split(r"[；;]", basis or "") if part.strip()
            and not part.strip().startswith(f"{year}年实际完成值")]
    return "；".join([*[p.strip() for p in kept], reference])


def carry_forward(source: Path, output: Path, *, year: int, overwrite: bool = False) -> NextYear:
    """Read ``source``, build next year's book and write it to ``output`` (never over the source)."""
    from .canonical_writer import write_book
    from .validation import check

    if not 2000 <= year <= 2100:
        raise UsageError(f"--year {year}：年度应为 4 位数字的年份（2000–2100），如 2025。")
    checked = check(source)
    result = next_year(checked.book, year)
    result.source, result.output = source, output
    result.source_errors = len(checked.report.errors)
    write_book(result.book, output, inputs=[source], overwrite=overwrite)
    return result


def next_year(book: Book, year: int) -> NextYear:
    """Next year's book from this year's (see the module docstring); nothing is written."""
    previous = year - 1
    codes: dict[str, str] = {}
    result = NextYear(Path(), Path(), year, Book())
    for project in book.projects:
        new = next_code(project.code, year)
        if new is not None:
            codes[project.code] = new
            result.codes.append((project.code, new))
    actuals = {record_key("indicators", row): row.actual for row in book.evaluation_indicators
               if row.actual.strip() and not is_not_applicable(row)}
    goals = [dataclasses.replace(g, year=year, row=None, extra=dict(g.extra)) for g in book.goals]
    projects = [dataclasses.replace(p, code=codes.get(p.code, p.code), row=None, extra=dict(p.extra))
                for p in book.projects]
    indicators = []
    for indicator in book.indicators:
        value = _moved_deadline(indicator.value, previous, year)
        if value != indicator.value:
            result.deadlines.append((codes.get(indicator.project_code, indicator.project_code), indicator.value, value))
        basis = indicator.basis
        actual = actuals.get(record_key("indicators", indicator))
        if actual is not None:
            basis = with_reference(basis, previous, actual)
            result.references += 1
        indicators.append(dataclasses.replace(
            indicator, project_code=codes.get(indicator.project_code, indicator.project_code), value=value,
            basis=basis, row=None, extra=dict(indicator.extra)))
    result.book = Book(goals=goals, projects=projects, indicators=indicators)
    return result


def _moved_deadline(value: str, previous: int, year: int) -> str:
    """A deadline of the old year moved to the new one: 2024年12月底前 -> 2025年12月底前 (other text unchanged)."""
    from .values import parse_indicator_value

    if parse_indicator_value(value).kind != "deadline" or f"{previous}" not in value:
        return value
    return value.replace(f"{previous}年", f"{year}年").replace(f"{previous}.", f"{year}.").replace(
        f"{previous}-", f"{year}-")
