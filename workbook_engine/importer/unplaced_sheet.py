"""The 未归位内容 sheet of an import with --force: every passage that could not be placed, with its place
in the document and the reason, written after the canonical sheets (sheets/unplaced.py)."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..io.cell_text import check_text, report_text
from ..report_sheets import write_table
from ..sheets.unplaced import HEADERS, NAME, TITLE, WIDTHS, Passage

NOTE = "本表不参与校验、合并和比对。请把每段内容移到对应的工作表（部门目标、项目、指标）后删除本表。"


def unplaced_sheet(passages: Sequence[Passage]) -> Callable[[Any, Any, Any], None]:
    """An ``extra_sheets`` writer for canonical_writer.write_book. The passage text is the document's and
    is kept whole (too long for a cell: refused, as any canonical cell); the reason is ours, clipped."""
    rows = []
    for number, passage in enumerate(passages, start=1):
        text = check_text(passage.text, f"工作表“{NAME}”第 {number + 2} 行“{HEADERS[2]}”")
        rows.append([number, passage.place, text, report_text(passage.reason)])

    def write(workbook: Any, formats: Any, layout: Any) -> None:
        write_table(workbook, formats, NAME, TITLE, HEADERS, rows, WIDTHS, notes=[NOTE])

    return write
