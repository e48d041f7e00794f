"""Readable terminal output of a report (rich)."""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import TYPE_CHECKING, Callable, Iterator

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .findings import CRITERIA, Finding, Report, title_of

if TYPE_CHECKING:
    from .merge import MergeOutcome
    from .review import ReviewResult

SEVERITY = {"error": "[bold red]错误[/]", "warning": "[yellow]警告[/]"}
SEVERITY_TEXT = {"error": "错误", "warning": "警告"}
GRADE_STYLE = {"优": "[green]优[/]", "良": "[cyan]良[/]", "中": "[yellow]中[/]", "差": "[bold red]差[/]"}
TABLE_WIDTH = 120    # a terminal at least this wide shows findings as a table; narrower ones, and pipes, a list
SUMMARY_AFTER = 20   # more findings than this: a summary and the first TOP, the whole list with --all
TOP = 5


def _console() -> Console:
    """On a terminal, wrapped to its width; into a pipe or file, one line per line of text (for grep)."""
    console = Console(soft_wrap=False, highlight=False)
    if not console.is_terminal:
        console = Console(soft_wrap=True, highlight=False)
    return console


def _as_table(console: Console) -> bool:
    return console.is_terminal and console.width >= TABLE_WIDTH


def _value(value: object) -> str:
    return "" if value is None else str(value)


def _findings_table(findings: list[Finding], with_project: bool = False) -> Table:
    table = Table(show_lines=False, header_style="bold", expand=False)
    names = ("代码", "级别", *(("项目",) if with_project else ()), "工作表", "单元格", "值")
    for name in names:
        table.add_column(name, overflow="fold", no_wrap=name in ("代码", "级别", "单元格"))
    table.add_column("说明", overflow="fold", ratio=1, min_width=30)
    for f in findings:
        project = (Text(f.project or ""),) if with_project else ()
        table.add_row(f.code, SEVERITY[f.severity], *project, Text(f.sheet or ""), f.cell or "",
                      Text(_value(f.value), overflow="fold"), Text(f.message, overflow="fold"))
    return table


def _finding_lines(f: Finding, with_project: bool) -> tuple[Text, Text]:
    """A finding as two lines: code, severity, where and the value; then the message, indented."""
    head = Text(f"{f.code} ")
    head.append(SEVERITY_TEXT[f.severity], style="bold red" if f.is_error else "yellow")
    where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "工作簿")
    head.append(f" {where}")
    if with_project and f.project:
        head.append(f" 项目 {f.project}")
    if _value(f.value):
        head.append(f" 值：{_value(f.value)}")
    return head, Text(f.message)


def print_findings(findings: list[Finding], console: Console, with_project: bool = False) -> None:
    """Every finding, whole: a table where the terminal is wide enough, otherwise a list that wraps."""
    if not findings:
        return
    if _as_table(console):
        console.print(_findings_table(findings, with_project))
        return
    for f in findings:
        head, message = _finding_lines(f, with_project)
        console.print(head)
        if console.is_terminal:
            console.print(Padding(message, (0, 0, 0, 4)))
        else:  # a pipe: the whole message on one line (Padding would cut it at the console's width)
            console.print(Text("    ") + message)


def print_summary(findings: list[Finding], console: Console) -> None:
    """How many findings of each code, under its review criterion (validation findings first), most
    frequent first."""
    errors = sum(f.is_error for f in findings)
    console.print(f"共 {len(findings)} 条（{errors} 个错误，{len(findings) - errors} 个警告），按代码汇总：")
    groups: dict[str, Counter] = {}
    for f in findings:
        groups.setdefault(f.group or "", Counter())[(f.code, f.severity)] += 1
    for group in sorted(groups, key=lambda g: CRITERIA.index(g) if g in CRITERIA else -1):
        counts = groups[group]
        console.print(f"[bold]{escape(group or '校验')}[/]（{sum(counts.values())} 条）")
        for (code, severity), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            line = Text(f"  {code} ")
            line.append(SEVERITY_TEXT[severity], style="bold red" if severity == "error" else "yellow")
            line.append(f" {count} 条  {title_of(code)}")
            console.print(line)


def _shown_findings(findings: list[Finding], console: Console, show_all: bool, with_project: bool = False) -> None:
    if show_all or len(findings) <= SUMMARY_AFTER:
        print_findings(findings, console, with_project)
        return
    print_summary(findings, console)
    first = sorted(findings, key=lambda f: not f.is_error)[:TOP]  # errors first, each group in report order
    console.print(f"前 {len(first)} 条：")
    print_findings(first, console, with_project)
    console.print(f"其余 {len(findings) - len(first)} 条未列出：加 --all 列出全部，"
                  "或加 --annotate 副本.xlsx 写出带批注的副本。")


def print_report(report: Report, console: Console | None = None, show_all: bool = False) -> None:
    """The findings (a summary first when there are many) followed by a one-line verdict."""
    console = console or _console()
    _shown_findings(report.findings, console, show_all)
    status = "[green]通过[/]" if report.valid else "[bold red]未通过[/]"
    console.print(f"{escape(report.file)}：{status}，{len(report.errors)} 个错误，{len(report.warnings)} 个警告。")


def print_review(result: "ReviewResult", console: Console | None = None, show_all: bool = False) -> None:
    """Findings under each review criterion (a summary first when there are many), each project's grade,
    then a summary line."""
    from .review.annotate import summary_line

    console = console or _console()
    if show_all or len(result.report.findings) <= SUMMARY_AFTER:
        for criterion, findings in result.by_criterion().items():
            if not findings:
                continue
            console.print(f"[bold]{criterion}[/]（{len(findings)} 条）")
            print_findings(findings, console, with_project=True)
    else:
        _shown_findings(result.report.findings, console, show_all, with_project=True)
    if result.grades:
        _print_grades(result, console)
    tally = "，".join(f"{grade} {sum(g.grade == grade for g in result.grades)} 个" for grade in GRADE_STYLE)
    console.print(f"{escape(result.report.file)}：{escape(summary_line(result))}。项目等级：{tally}。")


def _print_grades(result: "ReviewResult", console: Console) -> None:
    if _as_table(console):
        grades = Table(header_style="bold", expand=False, title="项目等级（满分 100）")
        for name in ("项目编码", "项目名称", *CRITERIA, "扣分", "得分", "等级"):
            grades.add_column(name, overflow="fold")
        for g in result.grades:
            grades.add_row(g.code, Text(g.name), *(str(g.counts[c]) for c in CRITERIA), str(g.deduction),
                           str(g.score), GRADE_STYLE[g.grade])
        console.print(grades)
        return
    console.print("项目等级（满分 100）：")
    for g in result.grades:
        counts = "，".join(f"{c} {g.counts[c]}" for c in CRITERIA)
        line = Text(f"  {g.code} {g.name}：{counts}；扣 {g.deduction} 分，得 {g.score} 分，等级 ")
        line.append_text(Text.from_markup(GRADE_STYLE[g.grade]))
        console.print(line)


@contextlib.contextmanager
def progress_bar(description: str, before: str | None = None) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr, shown only on a terminal; yields update(done, total, item=None).

    ``item`` (a file name, or a department) is shown beside the bar; ``before`` is shown until the first
    update (e.g. while the input is validated)."""
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[item]}"))
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task(before or description, total=None, item="")

        def update(done: int, total: int, item=None) -> None:
            label = f"{item.code}{item.name}" if hasattr(item, "code") else (item or "")
            progress.update(task, completed=done, total=total, description=description, item=label)

        yield update


def print_merge(outcome: "MergeOutcome", console: Console | None = None) -> None:
    """What a merge did, in the order staff need it: refused inputs, conflicts, renumbering, the result."""
    console = console or Console(soft_wrap=True, highlight=False)
    out = console.out
    for report in outcome.invalid:
        out(f"{report.file}：未通过校验，{len(report.errors)} 个错误。")
        for f in report.errors:
            where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "")
            out(f"  {where} {f.code} {f.message}".replace("   ", " "))
    plan = outcome.plan
    if outcome.invalid and plan is None:
        out(f"合并未完成：{len(outcome.invalid)} 个输入未通过校验，未写出 {outcome.output}。"
            "请先改正（wbe validate），或加 --force 仍然合并。")
        return
    for number, conflict in enumerate(plan.conflicts, start=1):
        for line in conflict.lines(number, plan.resolved):
            out(line)
    if not plan.resolved:
        out(f"合并未完成：{len(plan.conflicts)} 处冲突，未写出 {outcome.output}。"
            "请用 --prefer first|last 选定取值，或用 --conflicts-sheet 写出带“冲突”工作表的结果。")
        return
    for item in plan.renumbered:
        out(f"序号顺延：{item.text()}")
    report = outcome.result_report
    if report is not None and report.errors:
        for f in report.errors:
            out(f"  合并结果 {f.sheet}!{f.cell} {f.code} {f.message}")
    if not outcome.written:
        out(f"合并未完成：合并结果有 {len(report.errors)} 个校验错误，未写出 {outcome.output}。加 --force 仍然写出。")
        return
    book = plan.book
    settled = ""
    if plan.conflicts:
        how = f"按 --prefer {plan.prefer} 处理" if plan.prefer else "按第一个输入取值"
        settled = f"{len(plan.conflicts)} 处冲突已{how}" + ("，见“冲突”工作表" if plan.conflicts_sheet else "") + "；"
    out(f"已合并 {len(plan.sources)} 个工作簿 → {outcome.output}：{settled}{len(book.departments())} 个部门，"
        f"{len(book.projects)} 个项目，{len(book.indicators)} 个指标，预算合计 {book.total_budget():.2f} 万元。")


def merge_json(outcome: "MergeOutcome") -> str:
    """A merge as JSON: validate's finding fields (each with the file it is in), the conflicts with every
    candidate value and where it is, the records renumbered, and whether the result was written."""
    from .findings import dumps_report, json_value

    findings = [{**f.to_dict(), "file": f.file or report.file} for report in outcome.invalid for f in report.findings]
    if outcome.result_report is not None:
        findings += [{**f.to_dict(), "file": str(outcome.output)} for f in outcome.result_report.findings]
    plan = outcome.plan
    conflicts = [{"title": c.title(), "kind": c.kind, "field": c.field,
                  "candidates": [{"file": k.origin.file, "sheet": k.origin.sheet, "cell": k.origin.cell,
                                  "value": json_value(k.shown), "note": k.note or None,
                                  "used": bool(plan.resolved) and i == c.chosen}
                                 for i, k in enumerate(c.candidates)]}
                 for c in (plan.conflicts if plan is not None else [])]
    return dumps_report({
        "file": str(outcome.output),
        "valid": not any(f["severity"] == "error" for f in findings) and not (plan and plan.conflicts and not plan.resolved),
        "written": outcome.written,
        "findings": findings,
        "conflicts": conflicts,
        "renumbered": [item.text() for item in (plan.renumbered if plan is not None else [])],
    })
