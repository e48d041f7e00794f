"""The `wbe` command: a thin layer over the library. Each command parses options, calls one library
function and turns library errors into one clear line on stderr and an exit status (0 ok, 1 findings or
differences, 2 unusable input). Set WBE_DEBUG=1 to see tracebacks of unexpected errors.
"""

from __future__ import annotations

import functools
import os
from enum import Enum
from pathlib import Path
from typing import Callable, Optional

import typer

from . import api
from .errors import WorkbookEngineError

app = typer.Typer(
    name="wbe",
    help="workbook-engine：部门预算绩效目标的规范工作簿、校验、导入与渲染。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# Every command that writes a file takes this option; without it an existing output is never replaced
# (docs/security.md). An input is never replaced, with or without it. Input paths, for their part, are
# declared readable=False: click's own check would print an English usage box where the library's guard
# says in one Chinese line what is wrong.
OVERWRITE = typer.Option(False, "--overwrite", help="输出文件已存在时替换它（默认拒绝；输入文件永远不会被覆盖）")


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


class Prefer(str, Enum):
    first = "first"
    last = "last"


def fail(message: str, code: int = 2) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def handle_errors(command: Callable) -> Callable:
    """Library errors become one line on stderr and their exit status; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except WorkbookEngineError as exc:
            fail(f"错误：{exc}", exc.exit_code)
        except KeyboardInterrupt as exc:  # Ctrl-C, and SIGTERM/SIGHUP (io/interrupts.py)
            from .io.interrupts import INTERRUPTED, exit_status
            fail(INTERRUPTED, exit_status(exc))
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except OSError as exc:  # a full disk or an I/O error outside the atomic writers
            from .io.atomic import os_error_text
            fail(f"错误：{os_error_text(exc, writing=False)}", 2)
        except MemoryError:
            fail("错误：内存不足，输入文件可能过大或已损坏。", 2)
        except Exception as exc:  # noqa: BLE001 - the last line of defence for staff
            if os.environ.get("WBE_DEBUG"):
                raise
            fail(f"错误：处理时发生意外问题（{type(exc).__name__}: {str(exc)[:200]}）。"
                 "请检查输入文件；如问题持续，请设置 WBE_DEBUG=1 重试并报告。", 2)

    return wrapper


def emit(result, format: OutputFormat, annotate: Optional[Path], printer: Callable) -> None:
    """Print a report (validate) or review result as JSON or text, and exit with its status."""
    if format is OutputFormat.json:
        typer.echo(result.to_json())
    else:
        printer(result)
        if annotate is not None:
            typer.echo(f"带批注的副本：{annotate}")
    raise typer.Exit(result.exit_code())


def report_validation(result, book: Path, verb: str) -> None:
    """The validation part of a job that validates first (render, publish): refused (exit 1), forced, or warned."""
    from .jobs import NEVER_FORCED
    from .reporting import print_report

    if result.refused:
        print_report(result.report)
        unforceable = all(f.code in NEVER_FORCED for f in result.refused)  # --force cannot override these
        hint = "" if unforceable else f"，或加 --force 强制{verb}"
        fail(f"未{verb}：{book} 有 {len(result.refused)} 个错误。请改正后重试（wbe validate 查看）{hint}。", 1)
    if result.report.errors:
        print_report(result.report)
        typer.echo(f"注意：工作簿有 {len(result.report.errors)} 个错误，已按 --force {verb}。", err=True)
    elif result.report.warnings:
        typer.echo(f"校验：{len(result.report.warnings)} 个警告（wbe validate {book} 查看详情）。", err=True)


@app.command("new")
@handle_errors
def new_command(
    book: Path = typer.Argument(..., help="要创建的工作簿 .xlsx"),
    dept_code: str = typer.Option("", "--dept-code", help="6 位部门编码，如 450001"),
    dept_name: str = typer.Option("", "--dept-name", help="部门名称，如 乐亭县应急管理局本级"),
    year: Optional[int] = typer.Option(None, "--year", help="预算年度，如 2025"),
    overwrite: bool = OVERWRITE,
) -> None:
    """Create an empty canonical workbook that is good to edit in Excel/WPS."""
    api.new_workbook(book, dept_code=dept_code, dept_name=dept_name, year=year, overwrite=overwrite)
    typer.echo(f"已创建 {book}")


@app.command("import")
@handle_errors
def import_command(
    document: Path = typer.Argument(..., help="发布的部门预算绩效文本（Word .docx，或其文本导出 .txt）", readable=False),
    output: Path = typer.Option(..., "-o", "--output", help="输出的规范工作簿 .xlsx"),
    year: Optional[int] = typer.Option(None, "--year", help="年度；不填则从项目编码推断"),
    dept_code: Optional[str] = typer.Option(None, "--dept-code", help="部门编码（文本中没有时）"),
    dept_name: Optional[str] = typer.Option(None, "--dept-name", help="部门名称（文本中没有时）"),
    overwrite: bool = OVERWRITE,
) -> None:
    """Import a published document into a canonical workbook."""
    book = api.import_document(document, output, year=year, dept_code=dept_code, dept_name=dept_name,
                               overwrite=overwrite)
    departments = book.departments()
    typer.echo(
        f"已导入 {document} → {output}：{len(departments)} 个部门，{len(book.projects)} 个项目，"
        f"{len(book.indicators)} 个指标，{len(book.goals)} 条部门目标，预算合计 {book.total_budget():.2f} 万元。"
    )


@app.command("validate")
@handle_errors
def validate_command(
    book: Path = typer.Argument(..., help="规范工作簿 .xlsx", readable=False),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text 或 json"),
    annotate: Optional[Path] = typer.Option(None, "--annotate", help="写出带批注的工作簿副本"),
    review: bool = typer.Option(True, "--review/--no-review",
                                help="同时运行审核规则（WBE-R…，默认为警告）；--no-review 只做校验"),
    overwrite: bool = OVERWRITE,
) -> None:
    """Validate a canonical workbook: all findings in one pass (exit 0 valid, 1 errors, 2 unreadable)."""
    if annotate is not None:
        api.check_output(annotate, inputs=[book], overwrite=overwrite, suffix=".xlsx")
    report = api.validate(book, review=review)
    if annotate is not None:
        api.annotate(book, report, annotate, overwrite=overwrite)
    from .reporting import print_report

    emit(report, format, annotate, print_report)


@app.command("review")
@handle_errors
def review_command(
    book: Path = typer.Argument(..., help="规范工作簿 .xlsx", readable=False),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text 或 json"),
    annotate: Optional[Path] = typer.Option(None, "--annotate", help="写出带审核批注的工作簿副本"),
    overwrite: bool = OVERWRITE,
) -> None:
    """Review a workbook as the finance bureau does: findings by criterion and a grade per project
    (exit 0 no errors, 1 errors, 2 unreadable)."""
    if annotate is not None:
        api.check_output(annotate, inputs=[book], overwrite=overwrite, suffix=".xlsx")
    result = api.review(book)
    if annotate is not None:
        api.annotate_review(book, result, annotate, overwrite=overwrite)
    from .reporting import print_review

    emit(result, format, annotate, print_review)


@app.command("merge")
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
    overwrite: bool = OVERWRITE,
) -> None:
    """Merge canonical workbooks (exit 0 written; 1 invalid input or conflicts, nothing written; 2 unreadable)."""
    from .reporting import print_merge, progress_bar

    with progress_bar("读取工作簿") as progress:
        outcome = api.merge(inputs, output, base=base, prefer=prefer.value if prefer else None,
                            conflicts_sheet=conflicts_sheet, force=force, progress=progress, overwrite=overwrite)
    print_merge(outcome)
    raise typer.Exit(outcome.exit_code())


@app.command("diff")
@handle_errors
def diff_command(
    old: Path = typer.Argument(..., help="旧版规范工作簿", readable=False),
    new: Path = typer.Argument(..., help="新版规范工作簿", readable=False),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text 或 json"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="写出标出变化的比对工作簿 .xlsx"),
    overwrite: bool = OVERWRITE,
) -> None:
    """Semantic differences between two versions (exit 0 identical, 1 different, 2 unreadable)."""
    result = api.diff(old, new, output=output, overwrite=overwrite)
    if format is OutputFormat.json:
        typer.echo(result.changes.to_json())
    else:
        typer.echo(result.changes.to_text())
        if output is not None:
            typer.echo(f"比对工作簿：{output}")
    raise typer.Exit(result.changes.exit_code())


@app.command("render")
@handle_errors
def render_command(
    book: Path = typer.Argument(..., help="规范工作簿 .xlsx", readable=False),
    output: str = typer.Option(..., "-o", "--output",
                               help="输出的官方工作簿 .xlsx；以 / 结尾的文件夹则每个部门各生成一个工作簿"),
    dept: Optional[str] = typer.Option(None, "--dept", help="只渲染这个部门（部门编码）"),
    force: bool = typer.Option(False, "--force", help="校验有错误时仍然渲染"),
    overwrite: bool = OVERWRITE,
) -> None:
    """Render the official workbook (项目汇总, 部门整体绩效目标, one sheet per project); validates first."""
    from .reporting import progress_bar

    with progress_bar("渲染", before="校验中") as progress:
        result = api.render(book, output, dept=dept, force=force, progress=progress, overwrite=overwrite)
    report_validation(result, book, "渲染")
    for rendered in result.files:
        typer.echo(f"已渲染 {rendered.department.code}{rendered.department.name} → {rendered.path}："
                   f"{rendered.projects} 张项目表，{rendered.indicators} 个指标。")


@app.command("extract")
@handle_errors
def extract_command(
    official: list[Path] = typer.Argument(..., help="官方工作簿 .xlsx（可多个，或 render 输出的文件夹）",
                                          readable=False),
    output: Path = typer.Option(..., "-o", "--output", help="输出的规范工作簿 .xlsx"),
    overwrite: bool = OVERWRITE,
) -> None:
    """Read official workbooks (maybe edited in Excel/WPS) back into a canonical workbook."""
    from .reporting import print_report

    book, report = api.extract(official, output, overwrite=overwrite)
    if report.findings:
        print_report(report)
    typer.echo(f"已读取 → {output}：{len(book.departments())} 个部门，{len(book.projects)} 个项目，"
               f"{len(book.indicators)} 个指标，{len(book.goals)} 条部门目标。")
    raise typer.Exit(report.exit_code())


@app.command("publish")
@handle_errors
def publish_command(
    book: Path = typer.Argument(..., help="规范工作簿 .xlsx", readable=False),
    output: str = typer.Option(..., "-o", "--output",
                               help="输出的部门预算绩效文本 .docx；以 / 结尾的文件夹则每个部门各生成一份"),
    dept: Optional[str] = typer.Option(None, "--dept", help="只发布这个部门（部门编码）"),
    pdf: bool = typer.Option(False, "--pdf", help="同时用 LibreOffice 生成 PDF（目录已更新）"),
    finance_bureau: str = typer.Option("", "--finance-bureau", help="封面上的审核单位，如 乐亭县财政局"),
    force: bool = typer.Option(False, "--force", help="校验有错误时仍然发布"),
    overwrite: bool = OVERWRITE,
) -> None:
    """Publish the document (部门预算绩效文本) as .docx, and PDF with --pdf; validates first."""
    from .reporting import progress_bar

    with progress_bar("发布", before="校验中") as progress:
        result = api.publish(book, output, dept=dept, force=force, pdf=pdf, finance_bureau=finance_bureau,
                             progress=progress, overwrite=overwrite)
    report_validation(result, book, "发布")
    for published in result.files:
        also = f"，PDF：{published.pdf}" if published.pdf else ""
        typer.echo(f"已发布 {published.department.code}{published.department.name} → {published.path}："
                   f"{published.projects} 张项目表，{published.indicators} 个指标{also}。")


@app.command("serve")
@handle_errors
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址；默认只允许本机访问"),
    port: int = typer.Option(8765, "--port", help="端口"),
    open_browser: bool = typer.Option(False, "--open", help="启动后打开浏览器"),
    max_upload_mb: float = typer.Option(20, "--max-upload-mb", help="单个上传文件的大小上限（MB）"),
    token: Optional[str] = typer.Option(None, "--token", help="访问口令；监听非本机地址时必需（不给则自动生成并显示）"),
    data: Optional[Path] = typer.Option(None, "--data", help="收集模式：收集箱的数据文件夹（wbe collect init 创建）"),
    database: Optional[str] = typer.Option(None, "--database", help="收集模式的数据库，如 postgresql://…（默认 DATA 中的 SQLite）"),
) -> None:
    """Start the web page (Chinese) for staff who do not use a terminal: http://HOST:PORT/."""
    import webbrowser

    import uvicorn

    from .web import create_app
    from .web.app import access_token

    token, generated = access_token(host, token)
    if generated:
        typer.echo(f"监听 {host} 需要访问口令；本次生成的口令：{token}")
    web_app = create_app(max_upload_mb=max_upload_mb, token=token, data_dir=data, database_url=database)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    typer.echo(f"网页已启动：{url}（按 Ctrl+C 停止）")
    if open_browser:
        webbrowser.open(url)
    uvicorn.run(web_app, host=host, port=port, log_level="warning")


collect_app = typer.Typer(help="征集：各部门在网页上提交工作簿，财政局审核、退回、合并（wbe serve --data 提供网页）。",
                          no_args_is_help=True)
app.add_typer(collect_app, name="collect")


@collect_app.command("init")
@handle_errors
def collect_init_command(
    data_dir: Path = typer.Argument(..., help="数据文件夹（数据库和每个提交的文件都存放在这里）"),
    year: int = typer.Option(..., "--year", help="预算年度，如 2025"),
    departments: Path = typer.Option(..., "--departments", readable=False,
                                     help="部门名单 .xlsx（第一个工作表表头：部门编码 | 部门名称），或去年合并后的县级工作簿"),
    database: Optional[str] = typer.Option(None, "--database", help="PostgreSQL 地址 postgresql://…（默认：数据文件夹中的 SQLite）"),
    passwords: Optional[Path] = typer.Option(None, "--passwords", help="初始密码表 .xlsx 的位置（默认：数据文件夹/初始密码.xlsx）"),
) -> None:
    """Create a collection for a budget year: departments, their accounts and one administrator."""
    from .collect.initialise import init_collection

    target, accounts = init_collection(data_dir, year, departments, database_url=database, passwords=passwords)
    typer.echo(f"已初始化 {year} 年度征集：{len(accounts) - 1} 个部门账号和 1 个管理员账号（admin）。")
    typer.echo(f"初始密码表：{target}（只在这个文件中；请分发后妥善保管）。启动网页：wbe serve --data {data_dir}")


@collect_app.command("export")
@handle_errors
def collect_export_command(
    data_dir: Path = typer.Argument(..., help="数据文件夹"),
    output: Path = typer.Option(..., "-o", "--output", help="导出到这个文件夹"),
    every: bool = typer.Option(False, "--all", help="导出每个部门的全部提交（默认只导出最新一次）"),
    database: Optional[str] = typer.Option(None, "--database", help="PostgreSQL 地址（默认：数据文件夹中的 SQLite）"),
    overwrite: bool = OVERWRITE,
) -> None:
    """Export every department's latest (or every) submission and the status board as xlsx."""
    from .collect.county import export
    from .collect.service import Collect

    collect = Collect(data_dir, database)
    try:
        written = export(collect, output, every=every, overwrite=overwrite)
    finally:
        collect.close()
    typer.echo(f"已导出 {len(written) - 1} 个提交和征集状态表 → {output}")


def main() -> None:
    """Console-script entry point: SIGTERM/SIGHUP are handled like Ctrl-C (io/interrupts.py)."""
    from .io import interrupts

    interrupts.install()
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
