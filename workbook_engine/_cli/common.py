"""What every command shares: option types, the error wrapper, and printing a report as text or JSON.

Nothing here imports the library at module level: `wbe --help` must not pay for pandas."""

from __future__ import annotations

import functools
import os
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])

# Every command that writes a file takes this option; without it an existing output is never replaced
# (docs/security.md). An input is never replaced, with or without it. Input paths, for their part, are
# declared readable=False: click's own check would print an English usage box where the library's guard
# says in one Chinese line what is wrong.
OVERWRITE = typer.Option(False, "--overwrite", help="输出文件已存在时替换它（默认拒绝；输入文件永远不会被覆盖）")
FORMAT_HELP = "输出格式：text（表格）或 json（机器可读，字段同 wbe validate --format json）"


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


class Prefer(str, Enum):
    first = "first"
    last = "last"


def fail(message: str, code: int = 2) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def handle_errors(command: F) -> F:
    """Library errors become one line on stderr and their exit status; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..errors import WorkbookEngineError

        try:
            return command(*args, **kwargs)
        except WorkbookEngineError as exc:
            fail(f"错误：{exc}", exc.exit_code)
        except KeyboardInterrupt as exc:  # Ctrl-C, and SIGTERM/SIGHUP (io/interrupts.py)
            from ..io.interrupts import INTERRUPTED, exit_status

            fail(INTERRUPTED, exit_status(exc))
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except OSError as exc:  # a full disk or an I/O error outside the atomic writers
            from ..io.atomic import os_error_text

            fail(f"错误：{os_error_text(exc, writing=False)}", 2)
        except MemoryError:
            fail("错误：内存不足，输入文件可能过大或已损坏。", 2)
        except Exception as exc:  # noqa: BLE001 - the last line of defence for staff
            if os.environ.get("WBE_DEBUG"):
                raise
            fail(f"错误：处理时发生意外问题（{type(exc).__name__}: {str(exc)[:200]}）。"
                 "请检查输入文件；如问题持续，请设置 WBE_DEBUG=1 重试并报告。", 2)

    return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature typer reads


def emit(result: Any, format: OutputFormat, annotate: Optional[Path], printer: Callable[..., None],
         show_all: bool = False) -> None:
    """Print a report (validate) or review result as JSON or text, and exit with its status."""
    if format is OutputFormat.json:
        typer.echo(result.to_json())
    else:
        printer(result, show_all=show_all)
        if annotate is not None:
            typer.echo(f"带批注的副本：{annotate}")
    raise typer.Exit(result.exit_code())


def findings_json(report: Any, **fields: Any) -> str:
    """A report as the JSON of the jobs that gather several files (findings that name their file), plus
    the command's own fields."""
    from ..findings import dumps_report

    return dumps_report({"file": report.file, "valid": report.valid, "findings": report.records(), **fields})


def report_validation(result: Any, book: Path, verb: str) -> None:
    """The validation part of a job that validates first (render, publish): refused (exit 1), forced, or warned."""
    from ..jobs import NEVER_FORCED
    from ..reporting import print_report

    if result.refused:
        print_report(result.report, show_all=True)
        unforceable = all(f.code in NEVER_FORCED for f in result.refused)  # --force cannot override these
        hint = "" if unforceable else f"，或加 --force 强制{verb}"
        fail(f"未{verb}：{book} 有 {len(result.refused)} 个错误。请改正后重试（wbe validate 查看）{hint}。", 1)
    if result.report.errors:
        print_report(result.report, show_all=True)
        typer.echo(f"注意：工作簿有 {len(result.report.errors)} 个错误，已按 --force {verb}。", err=True)
    elif result.report.warnings:
        typer.echo(f"校验：{len(result.report.warnings)} 个警告（wbe validate {book} 查看详情）。", err=True)
