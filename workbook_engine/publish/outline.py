"""Part 1 of the published document as a sequence of blocks, shared by every writer of the document.

The text export and the Word document both write 第一部分 from these blocks, so they cannot disagree on
what is printed, in which order, or how items are numbered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from ..importer.numerals import chinese_number
from ..layout import workbook_template
from ..model import Book
from ..sheets.goals import CATEGORIES

SECTION = "section"      # 一、总体绩效目标
ITEM = "item"            # 1、标题 (分项绩效目标)
PARAGRAPH = "paragraph"  # a goal's text


@dataclass(frozen=True)
class Block:
    kind: str
    text: str


def part_one(book: Book, dept_code: str) -> Iterator[Block]:
    """Section headings, numbered items and paragraphs of 部门整体绩效目标, in document order."""
    cfg = workbook_template()["department"]
    for heading, category in zip(cfg["sections"], CATEGORIES):
        yield Block(SECTION, heading)
        for goal in book.goals_of(dept_code, category):
            if not goal.content and not goal.title:
                continue
            if category == CATEGORIES[1]:
                yield Block(ITEM, cfg["item"].format(seq=goal.seq or "", title=goal.title))
                yield Block(PARAGRAPH, goal.content)
            elif category == CATEGORIES[2]:
                yield Block(PARAGRAPH, cfg["measure"].format(seq_cn=chinese_number(goal.seq or 0),
                                                             content=goal.content))
            else:
                yield Block(PARAGRAPH, goal.content)
