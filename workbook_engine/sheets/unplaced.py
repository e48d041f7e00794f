"""未归位内容: passages of an imported document that could not be placed in the canonical sheets.

Written only by `wbe import --force`, beside the canonical sheets, so nothing of the document is dropped
silently. It is not a data sheet: validate, merge and diff do not read it (readers skip it like 说明),
an old book without it is complete, and staff move its passages into the right rows and delete it.
"""

from __future__ import annotations

from dataclasses import dataclass

NAME = "未归位内容"
TITLE = "导入时未能归位的内容（请移到对应的工作表后删除本表）"
HEADERS = ("序号", "来源位置", "内容", "原因")
WIDTHS = (6, 22, 70, 60)


@dataclass(frozen=True)
class Passage:
    """One passage that could not be placed: where it is in the document, its text, and why."""

    place: str
    text: str
    reason: str
