"""The validation engine: load, parse, pandera schemas, rules, extra checks; all findings in one pass.

It never stops at the first problem. Unreadable input raises an InputError (exit status 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd
import pandera.pandas as pa

from ..canonical_reader import LoadedWorkbook, finding, load_workbook
from ..model import Book, record_fields
from ..parsing import parse_book
from ..sheets import BY_KIND
from ..sheets.goals import CATEGORIES
from .findings import Finding, Report
from .rules import RULES, RuleContext
from .schemas import SCHEMAS

# Extra checks run after the rules (the review rules of issue 5 plug in here); each returns findings.
ExtraCheck = Callable[[Book, LoadedWorkbook], Iterable[Finding]]


class Checked:
    """The result of validating a file: the report, and the typed book for commands that go on."""

    def __init__(self, report: Report, book: Book, loaded: LoadedWorkbook):
        self.report = report
        self.book = book
        self.loaded = loaded


def validate(path: str | Path, *, extra_checks: Iterable[ExtraCheck] = (), review: bool = True) -> Report:
    """Validate a canonical workbook file and return all findings.

    With ``review`` (the default, as in `wbe validate`) the review rules (WBE-R…, configured by the wbe.toml
    beside the workbook) run too and report as warnings unless wbe.toml re-grades them.
    """
    return check(path, extra_checks=extra_checks, review=review).report


def check(path: str | Path, *, extra_checks: Iterable[ExtraCheck] = (), review: bool = False) -> Checked:
    """Load, parse and validate; keep the book so render/merge need not read the file twice.

    The review rules are off here by default: commands that only need a valid book should not pay for them
    nor depend on a wbe.toml.
    """
    loaded = load_workbook(path)
    if review:
        from ..review import review_check  # the review builds on the validator

        extra_checks = (*extra_checks, review_check())
    return validate_loaded(loaded, extra_checks=extra_checks)


def validate_loaded(loaded: LoadedWorkbook, *, extra_checks: Iterable[ExtraCheck] = ()) -> Checked:
    report = Report(str(loaded.path))
    report.extend(loaded.findings)
    book, parse_findings = parse_book(loaded)
    report.extend(parse_findings)
    reported = {(f.sheet, f.row, f.column) for f in parse_findings}
    report.extend(schema_findings(book, loaded, reported))
    context = RuleContext(book, loaded)
    for rule in RULES:
        report.extend(rule(context))
    for extra in extra_checks:
        report.extend(extra(book, loaded))
    report.sort()
    return Checked(report, book, loaded)


def _frame(kind: str, records: list[Any]) -> pd.DataFrame:
    """A typed frame of one sheet's records, indexed by Excel row; blanks become missing values."""
    spec = BY_KIND[kind]
    index = [r.row for r in records]
    data: dict[str, pd.Series] = {}
    for field_name in record_fields(type(records[0])) if records else spec.fields:
        column = spec.column(field_name)
        values = [getattr(r, field_name) for r in records]
        if column.kind in ("money", "percent"):
            data[field_name] = pd.Series([float(v) if v is not None else None for v in values], index=index,
                                         dtype="float64")
        elif column.kind in ("int", "year"):
            data[field_name] = pd.Series(values, index=index, dtype="Int64")
        else:
            data[field_name] = pd.Series([v if isinstance(v, str) and v.strip() else None for v in values],
                                         index=index, dtype="str")
    return pd.DataFrame(data, index=index)


def _schema_code(kind: str, field_name: str, check: str) -> str | None:
    if check == "not_nullable":
        return "WBE-E010"
    if check.startswith("str_matches"):
        return "WBE-E017" if field_name == "dept_code" else "WBE-E018"
    if field_name == "year":
        return "WBE-E020"
    if field_name == "seq":
        return "WBE-E021"
    if field_name == "category":
        return "WBE-E022"
    if field_name == "level1":
        return "WBE-E023"
    if check == "cents":
        return "WBE-E013"
    if field_name in ("budget", "fiscal", "other"):
        return "WBE-E012"
    if field_name in ("q1", "q2", "q3", "q4"):
        return "WBE-E015"
    return None


def _schema_message(code: str, header: str, value: Any) -> str:
    shown = "" if value is None else str(value)
    return {
        "WBE-E010": f"“{header}”是必填项，不能为空。请填写{header}。",
        "WBE-E017": f"部门编码“{shown}”不是 6 位数字。请填写 6 位部门编码，如 450001（设置为文本格式以保留开头的 0）。",
        "WBE-E018": f"项目编码“{shown}”格式不对。应为 21 位：6 位行政区划 + 2 位年度 + P + 12 位字母或数字，"
                    "如 13022524P00CL0E10035D。",
        "WBE-E020": f"年度“{shown}”不是 2000–2100 之间的四位年份。请填写如 2024。",
        "WBE-E021": f"序号“{shown}”不是正整数。请填写 1、2、3……",
        "WBE-E022": f"类别“{shown}”不在可选范围内。请从下拉列表选择：" + "、".join(CATEGORIES) + "。",
        "WBE-E023": f"一级指标“{shown}”不在指标体系内。请选择 产出指标、效益指标、满意度指标（2021 版另有 成本指标）。",
        "WBE-E013": f"{header}“{shown}”超过两位小数。金额以万元为单位，保留两位小数（到分）。",
        "WBE-E012": f"{header}“{shown}”是负数。金额不能小于 0。",
        "WBE-E015": f"{header}支出计划 {shown}% 超出 0–100%。请填写 0% 到 100% 之间的累计百分比。",
    }[code]


def schema_findings(book: Book, loaded: LoadedWorkbook, reported: set) -> list[Finding]:
    """Run each sheet's pandera model lazily and turn its failure cases into cell findings."""
    findings: list[Finding] = []
    for kind, schema in SCHEMAS.items():
        table = loaded.table(kind)
        records = book.records(kind)
        if table is None or not records:
            continue
        frame = _frame(kind, records)
        frame = frame[[c for c in frame.columns if c in table.columns]]
        try:
            schema.validate(frame, lazy=True)
            continue
        except pa.errors.SchemaErrors as errors:
            cases = errors.failure_cases
        by_row = {r.row: r for r in records}
        for case in cases.itertuples(index=False):
            field_name, check, row = case.column, str(case.check), case.index
            code = _schema_code(kind, field_name, check)
            if code is None or row is None or (isinstance(row, float) and row != row):
                continue
            row = int(row)
            header = table.spec.header_of(field_name)
            if (table.sheet_name, row, header) in reported:
                continue
            record = by_row.get(row)
            value = getattr(record, field_name, None) if record is not None else None
            if field_name in ("q1", "q2", "q3", "q4") and value is not None:
                value = float(value) / 100
            elif hasattr(value, "as_tuple"):
                value = float(value)
            if code == "WBE-E010":
                value = None if value in ("", None) else value
            shown = case.failure_case if code not in ("WBE-E010",) else None
            if code == "WBE-E015":
                shown = f"{case.failure_case:g}"
            findings.append(finding(code, table.sheet_name, row, table.columns.get(field_name), header, value,
                                    _schema_message(code, header, shown)))
    return findings
