"""`--help` in Chinese that fits the terminal: wrapped by display width, never cut.

click measures text in characters, so a Chinese line is twice as wide as it thinks, and typer's rich
panels crop a Chinese phrase with "…" where it has no space to break at. This formatter (click's own
plain layout, set through the public ``Context.formatter_class``) wraps by terminal cells and may break
between any two Chinese characters; it also says click's few fixed phrases in Chinese.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Sequence

import typer

# click's fixed phrases in help output, and ours.
PHRASES = {
    "Show this message and exit.": "显示本帮助并退出。",
    "[required]": "[必填]",
}
HEADINGS = {"Options": "选项", "Arguments": "参数", "Commands": "命令"}
_DEFAULT = re.compile(r"\[default: ([^\]]*)\]")
# A token is one East Asian character or a run of other non-space characters (an ASCII word, a flag).
_TOKENS = re.compile(r"\s+|[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+")
# Never at the start of a line (Chinese line-breaking rules, simplified).
_NO_LINE_START = set("，。、；：？！）》」』】〉”’…%,.;:?!)]")


def cells(text: str) -> int:
    """Terminal columns the text takes: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` cells (a longer ASCII word stands alone on its line); a line never
    starts with closing punctuation: the Chinese character before it moves down with it."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(text):
        if token.isspace():
            line += " " if line else ""
            continue
        if not line or cells(line.rstrip() + token) <= width:
            line += token
            continue
        carried = ""
        if token in _NO_LINE_START:
            while len(line) > 1 and cells(line[-1]) == 2 and (not carried or carried[0] in _NO_LINE_START):
                carried, line = line[-1] + carried, line[:-1]
        lines.append(line.rstrip())
        line = carried + token
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def chinese(text: str) -> str:
    for english, ours in PHRASES.items():
        text = text.replace(english, ours)
    return _DEFAULT.sub(lambda m: f"[默认：{m.group(1)}]", text)


class HelpFormatter(typer.Context.formatter_class):  # type: ignore[misc,valid-type]  # click's class, wherever typer keeps click
    """click's HelpFormatter, measuring by terminal cells and speaking Chinese."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        self.write(f"{'':>{self.current_indent}}用法：{prog} {args}\n")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{HEADINGS.get(heading, heading)}：\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        for paragraph in text.split("\n"):
            for line in wrap(paragraph, max(self.width - self.current_indent, 20)):
                self.write(f"{indent}{line}\n" if line else "\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first = min(max((cells(term) for term, _ in rows), default=0), col_max)
        indent = " " * self.current_indent
        text_width = max(self.width - self.current_indent - first - col_spacing, 20)
        for term, text in rows:
            lines = wrap(chinese(text), text_width) if text else []
            if cells(term) > first:
                self.write(f"{indent}{term}\n")
                head = ""
            else:
                head = lines.pop(0) if lines else ""
                self.write(f"{indent}{term}{' ' * (first - cells(term) + col_spacing)}{head}".rstrip() + "\n")
            for line in lines:
                self.write(f"{indent}{' ' * (first + col_spacing)}{line}\n")

