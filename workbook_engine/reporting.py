"""Readable terminal output of a report (rich)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Callable, Iterator

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from .findings import CRITERIA, Finding, Report
from .io.cell_text import terminal_text

if TYPE_CHECKING:
    from .merge import MergeOutcome
    from .review import ReviewResult

SEVERITY = {"error": "[bold red]错误[/]", "warning": "[yellow]警告[/]"}
GRADE_STYLE = {"优": "[green]优[/]", "良": "[cyan]良[/]", "中": "[yellow]中[/]", "差": "[bold red]差[/]"}


def _console() -> Console:
    console = Console(soft_wrap=False)
    if not console.is_terminal:
        console = Console(soft_wrap=False, width=160)  # piped output: wide enough for the messages
    return console


def _safe(text: object) -> str:
    """Workbook text for the terminal: control and escape characters visible, rich markup ("[red]") literal."""
    return escape(terminal_text("" if text is None else str(text), one_line=True))


def _shown(value: object) -> str:
    text = "" if value is None else str(value)
    return text[:24] + ("…" if len(text) > 24 else "")


TABLE_COLUMNS = (("code", "代码"), ("severity", "级别"), ("sheet", "工作表"), ("cell", "单元格"), ("value", "值"),
                 ("message", "说明"))


def _findings_table(report: Report, findings: list[Finding] | None = None, with_project: bool = False) -> Table:
    """The terminal table: columns of the report's flattening (Report.flatten), as the 校验结果 sheet and JSON."""
    columns = list(TABLE_COLUMNS)
    if with_project:
        columns.insert(2, ("project", "项目"))
    table = Table(show_lines=False, header_style="bold", expand=False)
    for key, name in columns[:-1]:
        table.add_column(name, overflow="fold", no_wrap=key in ("code", "severity", "cell", "project"))
    table.add_column(columns[-1][1], overflow="fold", ratio=1, min_width=30)
    for row in report.flatten([key for key, _ in columns], findings):
        record = dict(zip((key for key, _ in columns), row))
        record["value"] = _shown(record["value"])
        cells = {key: _safe(record[key]) for key, _ in columns}
        cells["severity"] = SEVERITY[record["severity"]]
        table.add_row(*(cells[key] for key, _ in columns))
    return table


def print_report(report: Report, console: Console | None = None) -> None:
    """A table of findings followed by a one-line summary."""
    console = console or _console()
    if report.findings:
        console.print(_findings_table(report))
    status = "[green]通过[/]" if report.valid else "[bold red]未通过[/]"
    console.print(f"{report.file}：{status}，{len(report.errors)} 个错误，{len(report.warnings)} 个警告。",
                  soft_wrap=True)


def print_review(result: "ReviewResult", console: Console | None = None) -> None:
    """Findings under each review criterion, then each project's grade, then a summary line."""
    from .review.annotate import summary_line

    console = console or _console()
    for criterion, findings in result.by_criterion().items():
        if not findings:
            continue
        console.print(f"[bold]{criterion}[/]（{len(findings)} 条）")
        console.print(_findings_table(result.report, findings, with_project=True))
    grades = Table(header_style="bold", expand=False, title="项目等级（满分 100）")
    for name in ("项目编码", "项目名称", *CRITERIA, "扣分", "得分", "等级"):
        grades.add_column(name, overflow="fold")
    for g in result.grades:
        grades.add_row(_safe(g.code), _safe(g.name), *(str(g.counts[c]) for c in CRITERIA), str(g.deduction), str(g.score),
                       GRADE_STYLE[g.grade])
    if result.grades:
        console.print(grades)
    tally = "，".join(f"{grade} {sum(g.grade == grade for g in result.grades)} 个" for grade in GRADE_STYLE)
    console.print(f"{result.report.file}：{summary_line(result)}。项目等级：{tally}。", soft_wrap=True)


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

    def out(line: str) -> None:
        console.out(terminal_text(line))  # conflict lines quote cell values
    for report in outcome.invalid:
        out(f"{report.file}：未通过校验，{len(report.errors)} 个错误。")
        for f in report.errors:
            out(f"  {f.location.text()} {f.code} {f.message}".replace("   ", " "))
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
