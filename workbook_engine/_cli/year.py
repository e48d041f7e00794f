"""The budget year's commands (issue 22): `wbe score`, and `wbe new --from` (in commands.new_command).

As the other commands: options parsed here, one function of workbook_engine.api, the library imported inside."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import FORMAT_HELP, OutputFormat, handle_errors


@handle_errors
def score_command(
    book: Path = typer.Argument(..., help="规范工作簿 .xlsx（含自评项目、自评指标工作表）", readable=False),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", help=FORMAT_HELP),
) -> None:
    from .. import api

    result = api.score(book)
    typer.echo(result.to_json() if format is OutputFormat.json else result.to_text())
    raise typer.Exit(result.exit_code())


def new_from(book: Path, source: Path, year: int | None, overwrite: bool) -> None:
    """`wbe new NEXT --from BOOK --year N`: next year's workbook from this year's."""
    from .. import api
    from ..errors import UsageError

    if year is None:
        raise UsageError("--from 需要同时给出新的预算年度 --year，如 --year 2025。")
    result = api.next_year_workbook(source, book, year=year, overwrite=overwrite)
    typer.echo(result.to_text())


__all__ = ["score_command", "new_from"]
