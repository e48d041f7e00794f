"""The CLI reference, generated from the typer app itself (cog blocks in docs/cli.md and README.md).

sqlite-utils generates docs/cli-reference.rst from `--help` with cog and checks it in CI; so do we:
`cog -I . -r docs/cli.md README.md` regenerates, tests/test_cli_reference.py fails on a stale page, and a
command added to the app without its page is caught there too.
"""

from __future__ import annotations

from collections.abc import Iterator

WIDTH = "100"  # the terminal width the help is rendered at, so the generated text does not depend on the machine


def _group():
    import typer

    from .app import app

    return typer.main.get_command(app)


def command_paths() -> list[list[str]]:
    """Every command as its words after `wbe` (groups first, then their sub-commands), in the app's order."""
    def walk(command, prefix: list[str]) -> Iterator[list[str]]:
        for name, sub in getattr(command, "commands", {}).items():
            if getattr(sub, "hidden", False):
                continue
            yield [*prefix, name]
            yield from walk(sub, [*prefix, name])

    return list(walk(_group(), []))


def help_text(words: list[str]) -> str:
    """`wbe WORDS --help` as a user sees it in a terminal of WIDTH columns."""
    from typer.testing import CliRunner

    from .app import app

    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": WIDTH, "TERM": "dumb"}, color=False)
    return result.stdout.rstrip() + "\n"


def _command(words: list[str]):
    command = _group()
    for word in words:
        command = command.commands[word]
    return command


def commands_table() -> str:
    """README's table: each command's usage line and its summary (the first paragraph of its help)."""
    lines = ["| 命令 | 作用 |", "| --- | --- |"]
    for words in command_paths():
        usage = help_text(words).splitlines()[0].split("：", 1)[-1].strip()
        summary = " ".join((_command(words).help or "").strip().split("\n\n")[0].split()).replace("|", "\\|")
        lines.append(f"| `{usage}` | {summary} |")
    return "\n".join(lines)


def reference() -> str:
    """docs/cli.md: `wbe --help` and each command's help, one section each."""
    parts = ["## wbe", "", "```text", help_text([]).rstrip(), "```"]
    for words in command_paths():
        parts += ["", f"## wbe {' '.join(words)}", "", "```text", help_text(words).rstrip(), "```"]
    return "\n".join(parts)
