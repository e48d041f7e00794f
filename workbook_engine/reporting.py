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

from .findings import CATALOGUE, CRITERIA, Finding, Report
from .io.cell_text import terminal_text

if TYPE_CHECKING:
    from .merge import MergeOutcome
    from .review import ProjectGrade, ReviewResult

SEVERITY = {"error": "[bold red]错误[/]", "warning": "[yellow]警告[/]"}
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


def _safe(text: object) -> str:
    """Workbook text for the terminal: control and escape characters visible (printed as Text, not markup)."""
    return terminal_text("" if text is None else str(text), one_line=True)


def _as_table(console: Console) -> bool:
    return console.is_terminal and console.width >= TABLE_WIDTH


TABLE_COLUMNS = (("code", "代码"), ("severity", "级别"), ("sheet", "工作表"), ("cell", "单元格"), ("value", "值"),
                 ("message", "说明"))


def _records(report: Report, findings: list[Finding] | None, with_project: bool) -> tuple[list, list[dict]]:
    """The report's flattening (Report.flatten, as the 校验结果 sheet and JSON) for the terminal columns."""
    columns = list(TABLE_COLUMNS)
    if with_project:
        columns.insert(2, ("project", "项目"))
    keys = [key for key, _ in columns]
    # Workbook text made safe for the terminal: control and escape characters shown as \\xHH, one line each.
    records = [{key: terminal_text("" if value is None else str(value), one_line=True) for key, value in zip(keys, row)}
               for row in report.flatten(keys, findings)]
    return columns, records


def _findings_table(columns: list, records: list[dict]) -> Table:
    table = Table(show_lines=False, header_style="bold", expand=False)
    for key, name in columns[:-1]:
        table.add_column(name, overflow="fold", no_wrap=key in ("code", "severity", "cell"))
    table.add_column(columns[-1][1], overflow="fold", ratio=1, min_width=30)
    for record in records:
        table.add_row(*(Text.from_markup(SEVERITY[record[key]]) if key == "severity" else Text(record[key])
                        for key, _ in columns))
    return table


def _finding_lines(record: dict) -> tuple[Text, Text]:
    """A finding as two lines: code, severity, where and the value; then the message, indented."""
    head = Text(f"{record['code']} ")
    head.append_text(Text.from_markup(SEVERITY[record["severity"]]))
    where = f"{record['sheet']}!{record['cell']}" if record["sheet"] and record["cell"] else (record["sheet"] or "工作簿")
    head.append(f" {where}")
    if record.get("project"):
        head.append(f" 项目 {record['project']}")
    if record["value"]:
        head.append(f" 值：{record['value']}")
    return head, Text(record["message"])


def print_findings(report: Report, console: Console, findings: list[Finding] | None = None,
                   with_project: bool = False) -> None:
    """Every finding, whole: a table where the terminal is wide enough, otherwise a list that wraps
    (and into a pipe, one line per message)."""
    columns, records = _records(report, findings, with_project)
    if not records:
        return
    if _as_table(console):
        console.print(_findings_table(columns, records))
        return
    for record in records:
        head, message = _finding_lines(record)
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
            line.append_text(Text.from_markup(SEVERITY[severity]))
            line.append(f" {count} 条  {CATALOGUE[code].title}")
            console.print(line)


def _shown_findings(report: Report, console: Console, show_all: bool, with_project: bool = False) -> None:
    findings = report.findings
    if show_all or len(findings) <= SUMMARY_AFTER:
        print_findings(report, console, with_project=with_project)
        return
    print_summary(findings, console)
    first = sorted(findings, key=lambda f: not f.is_error)[:TOP]  # errors first, each group in report order
    console.print(f"前 {len(first)} 条：")
    print_findings(report, console, first, with_project)
    console.print(f"其余 {len(findings) - len(first)} 条未列出：加 --all 列出全部，"
                  "或加 --annotate 副本.xlsx 写出带批注的副本。")


def print_report(report: Report, console: Console | None = None, show_all: bool = False) -> None:
    """The findings (a summary first when there are many) followed by a one-line verdict."""
    console = console or _console()
    _shown_findings(report, console, show_all)
    status = "[green]通过[/]" if report.valid else "[bold red]未通过[/]"
    console.print(f"{escape(report.file)}：{status}，{len(report.errors)} 个错误，{len(report.warnings)} 个警告。")


def print_review(result: ReviewResult, console: Console | None = None, show_all: bool = False) -> None:
    """Findings under each review criterion (a summary first when there are many), each project's grade,
    then a summary line."""
    from .review.annotate import summary_line

    console = console or _console()
    if show_all or len(result.report.findings) <= SUMMARY_AFTER:
        for criterion, findings in result.by_criterion().items():
            if not findings:
                continue
            console.print(f"[bold]{criterion}[/]（{len(findings)} 条）")
            print_findings(result.report, console, findings, with_project=True)
    else:
        _shown_findings(result.report, console, show_all, with_project=True)
    if result.grades:
        _print_grades(result, console)
    if result.year:  # the budget year (issue 22): each project's 绩效自评 beside its goal-setting grade
        console.print("本年度绩效自评（财预〔2020〕10号）与目标审核：")
        for view in result.year:
            console.print(Text("  " + _safe(view.text())))
    tally = "，".join(f"{grade} {sum(g.grade == grade for g in result.grades)} 个" for grade in GRADE_STYLE)
    console.print(f"{escape(result.report.file)}：{escape(summary_line(result))}。项目等级：{tally}。")


def _print_grades(result: ReviewResult, console: Console) -> None:
    if _as_table(console):
        grades = Table(header_style="bold", expand=False, title="项目等级（满分 100）")
        for name in ("项目编码", "项目名称", *CRITERIA, "扣分", "得分", "等级", "封顶原因"):
            grades.add_column(name, overflow="fold")
        for g in result.grades:
            grades.add_row(Text(_safe(g.code)), Text(_safe(g.name)), *(str(g.counts[c]) for c in CRITERIA), str(g.deduction),
                           str(g.score), GRADE_STYLE[g.grade], Text(_capped(g)))
        console.print(grades)
        return
    console.print("项目等级（满分 100）：")
    for g in result.grades:
        counts = "，".join(f"{c} {g.counts[c]}" for c in CRITERIA)
        line = Text(f"  {_safe(g.code)} {_safe(g.name)}：{counts}；扣 {g.deduction} 分，得 {g.score} 分，等级 ")
        line.append_text(Text.from_markup(GRADE_STYLE[g.grade]))
        if g.limit:
            line.append(f"（{_capped(g)}）")
        console.print(line)


def _capped(grade: ProjectGrade) -> str:
    """Why a project's grade is lower than its points alone would give (empty when it is not)."""
    if grade.limit == "有校验错误":
        return f"有 {grade.errors} 个校验错误，等级最高为 差" if grade.errors else "有校验错误，等级最高为 差"
    if grade.limit == "缺少效益指标":
        return "缺少效益指标，等级最高为 良"
    return grade.limit


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


def print_merge(outcome: MergeOutcome, console: Console | None = None) -> None:
    """What a merge did, in the order staff need it: refused inputs, conflicts, renumbering, the result."""
    console = console or Console(soft_wrap=True, highlight=False)

    def out(line: str) -> None:
        console.out(terminal_text(line))  # conflict lines quote cell values
    for refused in outcome.invalid:
        out(f"{refused.file}：未通过校验，{len(refused.errors)} 个错误。")
        for f in refused.errors:
            out(f"  {f.location.text()} {f.code} {f.message}".replace("   ", " "))
    plan = outcome.plan
    if plan is None:  # only when inputs failed validation: there is nothing to plan from
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
        errors = len(report.errors) if report is not None else 0
        out(f"合并未完成：合并结果有 {errors} 个校验错误，未写出 {outcome.output}。加 --force 仍然写出。")
        return
    book = plan.book
    settled = ""
    if plan.conflicts:
        how = f"按 --prefer {plan.prefer} 处理" if plan.prefer else "按第一个输入取值"
        settled = f"{len(plan.conflicts)} 处冲突已{how}" + ("，见“冲突”工作表" if plan.conflicts_sheet else "") + "；"
    out(f"已合并 {len(plan.sources)} 个工作簿 → {outcome.output}：{settled}{len(book.departments())} 个部门，"
        f"{len(book.projects)} 个项目，{len(book.indicators)} 个指标，预算合计 {book.total_budget():.2f} 万元。")
