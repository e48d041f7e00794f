"""How records and values are shown to people (terminal, comments, report sheets) and to machines (JSON).

Money is shown with two decimals, the spending plan as a percentage, blanks as （空）; JSON keeps numbers
as numbers (money in 万元, the plan in percent points: 25 means 25%).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .findings import json_value
from .identity import ENTITY_NAMES, ENTITY_OF_KIND, FieldRef
from .sheets import BY_KIND
from .values import as_text, is_blank

BLANK = "（空）"


def show(value: Any, column_kind: str = "text") -> str:
    """One value as staff read it."""
    if is_blank(value):
        return BLANK
    if column_kind in ("money", "number"):
        return f"{Decimal(value):.2f}"
    if column_kind == "percent":
        return format(Decimal(value).quantize(Decimal("0.01")).normalize(), "f") + "%"
    return as_text(value)


def show_field(field: FieldRef, value: Any) -> str:
    return show(value, field.column_kind)


def short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_change(old: str, new: str, context: int = 8, limit: int = 40) -> tuple[str, str]:
    """Two long texts cut down to where they differ, with a little context: (…前文【旧】后文…, …)."""
    cut_old, cut_new = where_they_differ([old, new], context, limit)
    return cut_old, cut_new


def where_they_differ(texts: list[str], context: int = 8, limit: int = 40) -> list[str]:
    """Long texts cut down to the part where they differ from each other, marked 【】, with a little
    context on either side; texts that are all short are returned whole."""
    if all(len(text) <= limit for text in texts) or len(texts) < 2:
        return list(texts)
    shortest = min(len(text) for text in texts)
    start = 0
    while start < shortest and len({text[start] for text in texts}) == 1:
        start += 1
    end = 0
    while end < shortest - start and len({text[-1 - end] for text in texts}) == 1:
        end += 1

    def cut(text: str) -> str:
        head = text[max(0, start - context):start]
        middle = text[start:len(text) - end]
        tail = text[len(text) - end:len(text) - end + context]
        prefix = "…" if start > context else ""
        suffix = "…" if end > context else ""
        return f"{prefix}{head}【{short(middle, limit)}】{tail}{suffix}"

    return [cut(text) for text in texts]


def json_scalar(value: Any) -> Any:
    """A value as JSON carries it: Decimals become numbers (int when whole), blanks null."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str):
        return value
    if is_blank(value):
        return None
    return json_value(value)


def record_dict(kind: str, record: Any) -> dict[str, Any]:
    """A whole row by header (canonical columns, then extra columns), for JSON."""
    data = {column.header: json_scalar(getattr(record, column.field)) for column in BY_KIND[kind].columns}
    for header, value in record.extra.items():
        data.setdefault(header, json_scalar(value))
    return data


def record_label(kind: str, record: Any) -> str:
    """A record named the way staff would look for it: 项目 <编码>（<名称>）, 指标 <项目编码> 产出/数量/…"""
    entity = ENTITY_NAMES[ENTITY_OF_KIND[kind]]
    if kind == "projects":
        return f"{entity} {record.code}（{short(record.name, 30)}）"
    if kind in ("monitor_projects", "evaluation_projects"):
        return f"{entity} {record.project_code}"
    if kind in ("indicators", "monitor_indicators", "evaluation_indicators"):
        return f"{entity} {record.project_code} {record.level1}/{record.level2}/{short(record.level3, 30)}"
    seq = "" if record.seq is None else f" 第 {record.seq} 条"
    return f"{entity} {record.dept_code} {record.category}{seq}"


def department_label(code: str, name: str = "") -> str:
    return f"{ENTITY_NAMES['department']} {code}" + (f"（{name}）" if name else "")
