"""The `wbe` typer app: Chinese help that fits the terminal, and usage errors as one Chinese line.

This module imports only typer and the standard library; each command imports the library when it runs
(`_cli/commands.py`), so `wbe --help` and `wbe --version` start quickly.
"""

from __future__ import annotations

import sys
from enum import Enum
from typing import Any, Sequence

import typer
from typer.core import TyperCommand, TyperGroup

from .help import HelpFormatter

USAGE_EXIT = 2


class Context(typer.Context):
    formatter_class = HelpFormatter


class Command(TyperCommand):
    context_class = Context


def _is_click_error(exc: BaseException) -> bool:
    """click's own exceptions (typer vendors click in recent versions, so match by shape, not class)."""
    return hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int)


def _option_text(exc: Any, args: Sequence[str]) -> str:
    """What the user typed for an unknown option: `-dash.xlsx`, not click's `-d`."""
    name = getattr(exc, "option_name", "") or ""
    return next((arg for arg in args if arg.startswith(name) and arg != "--"), name) if name else ""


def _quoted(message: str) -> str:
    """The first 'quoted' part of click's message (a command name)."""
    start = message.find("'")
    end = message.find("'", start + 1)
    return message[start + 1:end] if 0 <= start < end else ""


def _typed_value(opts: Sequence[str], args: Sequence[str]) -> str:
    """The value the user gave an option (`--year abc` or `--year=abc`)."""
    for index, arg in enumerate(args):
        for opt in opts:
            if arg == opt and index + 1 < len(args):
                return args[index + 1]
            if arg.startswith(opt + "="):
                return arg[len(opt) + 1:]
    return ""


def _choices(param: Any) -> list[str]:
    """The allowed values of an Enum option (typer ≥ 0.2x describes it by annotation, older ones by click.Choice)."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(member.value) for member in annotation]
    return [str(choice) for choice in getattr(getattr(param, "type", None), "choices", None) or []]


def usage_message(exc: Any, args: Sequence[str]) -> str:
    """click's usage error as one Chinese line: what is wrong, and where to read how it is used."""
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "wbe"
    see = f"用 {path} --help 查看用法。"
    kind = type(exc).__name__
    param = getattr(exc, "param", None)
    hint = "/".join(param.opts) if param is not None and getattr(param, "opts", None) else ""
    if kind == "MissingParameter":
        if param is not None and getattr(param, "param_type_name", "") == "argument":
            name = (param.name or "").upper()
            about = f"（{param.help}）" if getattr(param, "help", None) else ""
            return f"用法错误：缺少参数 {name}{about}。{see}"
        return f"用法错误：缺少选项 {hint or _quoted(exc.format_message())}。{see}"
    if kind == "NoSuchOption":
        typed = _option_text(exc, args)
        if typed.startswith("-") and ("." in typed or "/" in typed or not typed.isascii()):
            return (f"用法错误：{typed} 以 - 开头，被当成了选项。文件名请写成 ./{typed}，"
                    f"或写在 -- 之后（如 {path} -- {typed}）。")
        possible = getattr(exc, "possibilities", None) or []
        guess = f"是否想用 {'、'.join(possible)}？" if possible else ""
        return f"用法错误：没有选项 {typed}。{guess}{see}"
    if kind == "BadOptionUsage":
        return f"用法错误：选项 {getattr(exc, 'option_name', '')} 后面需要一个值。{see}"
    if kind == "BadParameter":
        typed = _typed_value(getattr(param, "opts", None) or [], args)
        shown = f" {typed}" if typed else ""
        choices = _choices(param)
        if choices:
            return f"用法错误：{hint} 的值{shown} 无效，只能是 {'、'.join(choices)}。{see}"
        annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        integer = annotation is int or getattr(getattr(param, "type", None), "name", "") == "integer"
        return f"用法错误：{hint or '参数'} 的值{shown} {'不是整数' if integer else '无效'}。{see}"
    message = exc.format_message()
    if message.startswith("No such command"):
        commands = "、".join(getattr(ctx.command, "commands", {})) if ctx is not None else ""
        return f"用法错误：没有命令 {_quoted(message)}。可用的命令：{commands}。{see}"
    if message.startswith("Got unexpected extra argument"):
        extra = message[message.rfind("(") + 1:message.rfind(")")]
        return f"用法错误：多余的参数 {extra}。{see}"
    return f"用法错误：{message} {see}"


class SubGroup(TyperGroup):
    """A group of commands below `wbe` (`wbe collect …`): the same help layout."""

    context_class = Context
    command_class = Command


class Group(TyperGroup):
    """The top-level group: runs click non-standalone so that usage errors can be said in Chinese."""

    context_class = Context
    command_class = Command

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, windows_expand_args: bool = True,
             **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        try:
            status = super().main(argv, prog_name or "wbe", complete_var, standalone_mode=False,
                                  windows_expand_args=windows_expand_args, **extra)
        except Exception as error:
            if not _is_click_error(error):
                raise
            exc: Any = error  # a click exception (format_message, exit_code), matched by shape above
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message(), err=True)  # `wbe` alone: the help, as click does
            elif exc.exit_code == USAGE_EXIT:
                typer.echo(usage_message(exc, argv), err=True)
            else:
                typer.echo(f"错误：{exc.format_message()}", err=True)
            status = exc.exit_code
        if not isinstance(status, int):
            status = 0
        if standalone_mode:
            sys.exit(status)
        return status


app = typer.Typer(
    name="wbe",
    cls=Group,
    help="workbook-engine：部门预算绩效目标的规范工作簿、校验、审核、合并、比对、渲染与发布。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("workbook-engine")
        except PackageNotFoundError:  # run from a source tree that was never installed
            number = "未安装"
        typer.echo(f"wbe（workbook-engine）{number}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                 help="显示版本并退出"),
) -> None:
    """workbook-engine：部门预算绩效目标的规范工作簿、校验、审核、合并、比对、渲染与发布。"""
