"""The commands: each parses its options, calls one function of workbook_engine.api and prints the result.

The library is imported inside each command, never at module level (see _cli/app.py)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from .common import FORMAT_HELP, OVERWRITE, OutputFormat, Prefer, emit, findings_json, handle_errors, report_validation

FORMAT = typer.Option(OutputFormat.text, "--format", help=FORMAT_HELP)
SHOW_ALL = typer.Option(False, "--all", help="列出全部问题（默认先给汇总和前几条）")
LIBRARY_OPTION = typer.Option(None, "--library", readable=False,
                              help="指标库文件夹：同时按同类项目审核目标（WBE-R201…R203，见 docs/library.md）")


class FormKind(str, Enum):
    """The budget-year forms (issue 22): 运行监控 and 绩效自评."""

    monitor = "monitor"
    evaluation = "evaluation"


FORM = typer.Option(None, "--form",
                    help="生成年中或年末的表格：monitor 项目支出绩效目标执行监控表，evaluation 项目支出绩效自评表")
PERIOD = typer.Option(None, "--period", help="监控期间，如 1-7（默认 1-7月，或工作簿“监控项目”中已填的期间）；只用于 --form monitor")
FORM_LABELS = {"monitor": "监控表", "evaluation": "自评表"}


@handle_errors
def new_command(
    book: Path = typer.Argument(..., help="要创建的工作簿 .xlsx"),
    dept_code: str = typer.Option("", "--dept-code", help="6 位部门编码，如 450001"),
    dept_name: str = typer.Option("", "--dept-name", help="部门名称，如 乐亭县应急管理局本级"),
    year: Optional[int] = typer.Option(None, "--year", help="预算年度，如 2025"),
    source: Optional[Path] = typer.Option(None, "--from", help="从本年度的工作簿生成下一年度的（需同时给出 --year）",
                                          readable=False),
    overwrite: bool = OVERWRITE,
) -> None:
    from .. import api

    if source is not None:  # the budget year (issue 22): _cli/year.py
        from .year import new_from

        new_from(book, source, year, overwrite)
        return
    api.new_workbook(book, dept_code=dept_code, dept_name=dept_name, year=year, overwrite=overwrite)
    typer.echo(f"已创建 {book}")


@handle_errors
def import_command(
    document: Path = typer.Argument(..., help="发布的部门预算绩效文本（Word .docx，或其文本导出 .txt）", readable=False),
    output: Path = typer.Option(..., "-o", "--output", help="输出的规范工作簿 .xlsx"),
    year: Optional[int] = typer.Option(None, "--year", help="年度；不填则从项目编码推断"),
    dept_code: Optional[str] = typer.Option(None, "--dept-code", help="部门编码（文本中没有时）"),
    dept_name: Optional[str] = typer.Option(None, "--dept-name", help="部门名称（文本中没有时）"),
    force: bool = typer.Option(False, "--force", help="文本有问题时仍然写出工作簿：未能归位的内容写在“未归位内容”工作表中"),
    format: OutputFormat = FORMAT,
    overwrite: bool = OVERWRITE,
) -> None:
    from .. import api
    from ..importer import DocumentProblems

    try:
        imported = api.import_checked(document, output, year=year, dept_code=dept_code, dept_name=dept_name,
                                      overwrite=overwrite, force=force)
    except DocumentProblems as problems:  # every problem listed, nothing written (exit 2)
        if format is not OutputFormat.json:
            raise
        typer.echo(findings_json(problems.imported.report, output=str(output), written=False))
        raise typer.Exit(problems.exit_code) from None
    status = 1 if imported.findings else 0  # written with --force, but the document had problems
    if format is OutputFormat.json:
        typer.echo(findings_json(imported.report, output=str(output), written=True))
        raise typer.Exit(status)
    book = imported.book
    departments = book.departments()
    typer.echo(
        f"已导入 {document} → {output}：{len(departments)} 个部门，{len(book.projects)} 个项目，"
        f"{len(book.indicators)} 个指标，{len(book.goals)} 条部门目标，预算合计 {book.total_budget():.2f} 万元。"
    )
    if imported.findings:
        from ..sheets import UNPLACED_SHEET

        typer.echo(f"注意：导入时发现 {len(imported.findings)} 个问题，已按 --force 写出；"
                   f"未能归位的内容在“{UNPLACED_SHEET}”工作表中（{len(imported.passages)} 行）：")
        from ..importer.problems import listing

        typer.echo("\n".join(listing(imported.findings)))
        raise typer.Exit(status)


@handle_errors
def validate_command(
    book: Path = typer.Argument(..., help="规范工作簿 .xlsx", readable=False),
    format: OutputFormat = FORMAT,
    annotate: Optional[Path] = typer.Option(None, "--annotate", help="写出带批注的工作簿副本"),
    review: bool = typer.Option(True, "--review/--no-review",
                                help="同时运行审核规则（WBE-R…，默认为警告）；--no-review 只做校验"),
    show_all: bool = SHOW_ALL,
    overwrite: bool = OVERWRITE,
    library: Optional[Path] = LIBRARY_OPTION,
) -> None:
    from .. import api
    from ..reporting import print_report

    if annotate is not None:
        api.check_output(annotate, inputs=[book], overwrite=overwrite, suffix=".xlsx")
    if library is not None:  # the peer review (WBE-R201…R203, issue 23)
        report = api.check_with_library(book, library, review=review).report
    else:
        report = api.validate(book, review=review)
    if annotate is not None:
        api.annotate(book, report, annotate, overwrite=overwrite)
    emit(report, format, annotate, print_report, show_all)


@handle_errors
def review_command(
    book: Path = typer.Argument(..., help="规范工作簿 .xlsx", readable=False),
    format: OutputFormat = FORMAT,
    annotate: Optional[Path] = typer.Option(None, "--annotate", help="写出带审核批注的工作簿副本"),
    show_all: bool = SHOW_ALL,
    overwrite: bool = OVERWRITE,
    library: Optional[Path] = LIBRARY_OPTION,
) -> None:
    from .. import api
    from ..reporting import print_review

    if annotate is not None:
        api.check_output(annotate, inputs=[book], overwrite=overwrite, suffix=".xlsx")
    result = api.review(book) if library is None else api.review_with_library(book, library)
    if annotate is not None:
        api.annotate_review(book, result, annotate, overwrite=overwrite)
    emit(result, format, annotate, print_review, show_all)


@handle_errors
def merge_command(
    inputs: list[Path] = typer.Argument(..., help="要合并的规范工作簿；三方合并时为各方修改后的工作簿（我方 对方）",
                                        readable=False),
    output: Path = typer.Option(..., "-o", "--output", help="合并结果 .xlsx（不能是输入文件）"),
    force: bool = typer.Option(False, "--force", help="输入或合并结果有校验错误时仍然合并"),
    prefer: Optional[Prefer] = typer.Option(None, "--prefer", help="冲突时采用靠前(first)或靠后(last)输入的值"),
    conflicts_sheet: bool = typer.Option(False, "--conflicts-sheet",
                                         help="有冲突时仍写出结果，附“冲突”工作表并标出冲突单元格"),
    base: Optional[Path] = typer.Option(None, "--base", help="三方合并：各方共同的基准工作簿", readable=False),
    format: OutputFormat = FORMAT,
    overwrite: bool = OVERWRITE,
) -> None:
    from .. import api
    from ..reporting import print_merge, progress_bar

    with progress_bar("读取工作簿") as progress:
        outcome = api.merge(inputs, output, base=base, prefer=prefer.value if prefer else None,
                            conflicts_sheet=conflicts_sheet, force=force, progress=progress, overwrite=overwrite)
    if format is OutputFormat.json:
        typer.echo(outcome.to_json())
    else:
        print_merge(outcome)
    raise typer.Exit(outcome.exit_code())


@handle_errors
def diff_command(
    old: Path = typer.Argument(..., help="旧版规范工作簿", readable=False),
    new: Path = typer.Argument(..., help="新版规范工作簿", readable=False),
    format: OutputFormat = FORMAT,
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="写出标出变化的比对工作簿 .xlsx"),
    overwrite: bool = OVERWRITE,
) -> None:
    from .. import api

    result = api.diff(old, new, output=output, overwrite=overwrite)
    if format is OutputFormat.json:
        typer.echo(result.changes.to_json())
    else:
        typer.echo(result.changes.to_text())
        if output is not None:
            typer.echo(f"比对工作簿：{output}")
    raise typer.Exit(result.changes.exit_code())


@handle_errors
def render_command(
    book: Path = typer.Argument(..., help="规范工作簿 .xlsx", readable=False),
    output: str = typer.Option(..., "-o", "--output",
                               help="输出的官方工作簿 .xlsx；以 / 结尾的文件夹则每个部门各生成一个工作簿"),
    dept: Optional[str] = typer.Option(None, "--dept", help="只渲染这个部门（部门编码）"),
    force: bool = typer.Option(False, "--force", help="校验有错误时仍然渲染"),
    format: OutputFormat = FORMAT,
    overwrite: bool = OVERWRITE,
    form: Optional[FormKind] = FORM,
    period: Optional[str] = PERIOD,
) -> None:
    from .. import api
    from ..reporting import progress_bar

    if form is not None:
        _render_form(book, output, form.value, period, dept, force, format, overwrite)
        return
    if period is not None:
        from ..errors import UsageError

        raise UsageError("--period 只用于 --form monitor（监控表的监控期间）。")
    with progress_bar("渲染", before="校验中") as progress:
        result = api.render(book, output, dept=dept, force=force, progress=progress, overwrite=overwrite)
    if format is OutputFormat.json:
        typer.echo(result.to_json())
        raise typer.Exit(result.exit_code())
    report_validation(result, book, "渲染")
    for rendered in result.files:
        typer.echo(f"已渲染 {rendered.department.code}{rendered.department.name} → {rendered.path}："
                   f"{rendered.projects} 张项目表，{rendered.indicators} 个指标。")


def _render_form(book: Path, output: str, form: str, period: Optional[str], dept: Optional[str], force: bool,
                 format: OutputFormat, overwrite: bool) -> None:
    """`wbe render --form monitor|evaluation`: the budget-year forms, one sheet per project."""
    from .. import api
    from ..errors import UsageError

    if period is not None and form != "monitor":
        raise UsageError("--period 只用于 --form monitor（监控表的监控期间）。")
    result = api.render_form(book, output, form=form, period=period, dept=dept, force=force, overwrite=overwrite)
    if format is OutputFormat.json:
        typer.echo(result.to_json())
        raise typer.Exit(result.exit_code())
    report_validation(result, book, "渲染")
    for rendered in result.files:
        typer.echo(f"已生成{FORM_LABELS[form]} {rendered.department.code}{rendered.department.name} → {rendered.path}："
                   f"{rendered.projects} 张项目表，{rendered.indicators} 个指标。")


@handle_errors
def extract_command(
    official: list[Path] = typer.Argument(..., help="官方工作簿 .xlsx（可多个，或 render 输出的文件夹）",
                                          readable=False),
    output: Path = typer.Option(..., "-o", "--output", help="输出的规范工作簿 .xlsx"),
    format: OutputFormat = FORMAT,
    show_all: bool = SHOW_ALL,
    overwrite: bool = OVERWRITE,
) -> None:
    from .. import api
    from ..reporting import print_report

    book, report = api.extract(official, output, overwrite=overwrite)
    if format is OutputFormat.json:
        typer.echo(findings_json(report, output=str(output), departments=len(book.departments()),
                                 projects=len(book.projects), indicators=len(book.indicators),
                                 goals=len(book.goals)))
        raise typer.Exit(report.exit_code())
    if report.findings:
        print_report(report, show_all=show_all)
    typer.echo(f"已读取 → {output}：{len(book.departments())} 个部门，{len(book.projects)} 个项目，"
               f"{len(book.indicators)} 个指标，{len(book.goals)} 条部门目标。")
    raise typer.Exit(report.exit_code())


@handle_errors
def publish_command(
    book: Path = typer.Argument(..., help="规范工作簿 .xlsx", readable=False),
    output: str = typer.Option(..., "-o", "--output",
                               help="输出的部门预算绩效文本（或 --form 的表格）.docx；以 / 结尾的文件夹则每个部门各生成一份"),
    dept: Optional[str] = typer.Option(None, "--dept", help="只发布这个部门（部门编码）"),
    pdf: bool = typer.Option(False, "--pdf", help="同时用 LibreOffice 生成 PDF（目录已更新）"),
    finance_bureau: str = typer.Option("", "--finance-bureau", help="封面上的审核单位，如 乐亭县财政局"),
    force: bool = typer.Option(False, "--force", help="校验有错误时仍然发布"),
    format: OutputFormat = FORMAT,
    overwrite: bool = OVERWRITE,
    form: Optional[FormKind] = typer.Option(
        None, "--form", help="发布年中或年末的表格（.docx）：monitor 项目支出绩效目标执行监控表，evaluation 项目支出绩效自评表"),
    period: Optional[str] = PERIOD,
) -> None:
    from .. import api
    from ..errors import UsageError
    from ..reporting import progress_bar

    if period is not None and (form is None or form.value != "monitor"):
        raise UsageError("--period 只用于 --form monitor（监控表的监控期间）。")
    if form is not None and finance_bureau:
        raise UsageError("--finance-bureau 只用于部门预算绩效文本（封面上的审核单位）；监控表、自评表没有封面。")
    with progress_bar("发布", before="校验中") as progress:
        if form is not None:
            result = api.publish_form(book, output, form=form.value, period=period, dept=dept, force=force, pdf=pdf,
                                      progress=progress, overwrite=overwrite)
        else:
            result = api.publish(book, output, dept=dept, force=force, pdf=pdf, finance_bureau=finance_bureau,
                                 progress=progress, overwrite=overwrite)
    if format is OutputFormat.json:
        typer.echo(result.to_json())
        raise typer.Exit(result.exit_code())
    report_validation(result, book, "发布")
    what = FORM_LABELS[form.value] if form is not None else ""
    for published in result.files:
        also = f"，PDF：{published.pdf}" if published.pdf else ""
        typer.echo(f"已发布{what} {published.department.code}{published.department.name} → {published.path}："
                   f"{published.projects} 张项目表，{published.indicators} 个指标{also}。")


__all__ = ["new_command", "import_command", "validate_command", "review_command", "merge_command", "diff_command",
           "render_command", "extract_command", "publish_command"]
