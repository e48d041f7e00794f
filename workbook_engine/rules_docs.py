"""The catalogue as Markdown tables, for the generated parts of docs/rules.md and docs/review-rules.md.

The docs hold cog blocks that call these functions; `cog -r docs/*.md` regenerates them and
tests/test_docs.py fails when a table and the catalogue differ (as `cog --check` does).
"""

from __future__ import annotations

from .findings import CATALOGUE, CRITERIA, Entry


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "—"


def _messages(entry: Entry) -> str:
    """The message templates (the default, then each variant), fields shown as {name}."""
    texts = [entry.template + entry.fix] + [template + fix for template, fix in entry.variants.values()]
    return "<br>".join(_cell(text) for text in texts)


def rules_table(section: str) -> str:
    """One section of docs/rules.md: code, severity, title, what, example, fix, message templates."""
    lines = ["| code | severity | 名称 | what | example | fix | 消息（模板） |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for entry in CATALOGUE.values():
        if entry.section != section:
            continue
        what = f"{entry.criterion}: {entry.what}" if entry.criterion else entry.what
        message = _messages(entry)
        lines.append(f"| {entry.code} | {entry.severity} | {_cell(entry.title)} | {_cell(what)} | "
                     f"{_cell(entry.example)} | {_cell(entry.remedy)} | {message} |")
    return "\n".join(lines)


def review_table() -> str:
    """The review rules of docs/review-rules.md: criterion, code, title and the points a finding costs."""
    lines = ["| 审核要点 | code | 名称 | 扣分 | what |", "| --- | --- | --- | --- | --- |"]
    for criterion in CRITERIA:
        for entry in CATALOGUE.values():
            if entry.criterion == criterion:
                lines.append(f"| {criterion} | {entry.code} | {_cell(entry.title)} | {entry.points} | "
                             f"{_cell(entry.what)} |")
    return "\n".join(lines)
