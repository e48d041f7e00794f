"""Readable terminal output of a report (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .validation.findings import Report

SEVERITY = {"error": "[bold red]错误[/]", "warning": "[yellow]警告[/]"}


def print_report(report: Report, console: Console | None = None) -> None:
    """A table of findings followed by a one-line summary."""
    if console is None:
        console = Console(soft_wrap=False)
        if not console.is_terminal:
            console = Console(soft_wrap=False, width=160)  # piped output: wide enough for the messages
    if report.findings:
        table = Table(show_lines=False, header_style="bold", expand=False)
        for name in ("代码", "级别", "工作表", "单元格", "值"):
            table.add_column(name, overflow="fold", no_wrap=name in ("代码", "级别", "单元格"))
        table.add_column("说明", overflow="fold", ratio=1, min_width=30)
        for f in report.findings:
            value = "" if f.value is None else str(f.value)
            table.add_row(f.code, SEVERITY[f.severity], f.sheet or "", f.cell or "",
                          value[:24] + ("…" if len(value) > 24 else ""), f.message)
        console.print(table)
    status = "[green]通过[/]" if report.valid else "[bold red]未通过[/]"
    console.print(f"{report.file}：{status}，{len(report.errors)} 个错误，{len(report.warnings)} 个警告。")
