"""The published document's text conventions, shared by everything that writes or reads it: the part-one
outline (sections, numbered items, measures), the text patterns of its headings and items, how labels are
compared, and Chinese numerals. The importer (reads the document), official/ (renders and extracts the
official workbook, whose 部门整体绩效目标 sheet prints part one) and publish/ (writes the document) all use
this module instead of reaching into each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from .model import Book
from .sheets.goals import CATEGORIES

# -- text patterns -----------------------------------------------------------------------------------------
# The patterns of headings, items, measures and titles are compiled from templates/ by grammar.py; these
# names stay for callers that read them once (resolved at each access, so WBE_TEMPLATE_DIR is honoured).
_GRAMMAR_NAMES = {"PROJECT_TITLE_RE": "title_re", "ITEM_RE": "item_re", "MEASURE_RE": "measure_re",
                  "SECTION_RE": "section_re", "PART_RE": "part_re", "SECTION_HEADINGS": "section_names"}


def __getattr__(name: str) -> Any:
    if name in _GRAMMAR_NAMES:
        from .grammar import grammar
        return getattr(grammar(), _GRAMMAR_NAMES[name])
    raise AttributeError(name)


# -- Chinese numerals --------------------------------------------------------------------------------------
DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NAMES = "零一二三四五六七八九"


_LIMIT = 10**8  # up to 九千九百九十九万…: far beyond any enumeration in a document


def parse_chinese_number(text: str) -> int | None:
    """一 -> 1, 十 -> 10, 十二 -> 12, 二十 -> 20, 一百零三 -> 103, 一千 -> 1000, 一万零一十 -> 10010;
    None when not a numeral."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    total, section, current = 0, 0, 0
    for ch in text:
        if ch in DIGITS:
            current = DIGITS[ch]
        elif ch in _UNITS:
            section += (current or 1) * _UNITS[ch]
            current = 0
        elif ch == "万" and total == 0 and section + current:
            total = (section + current) * 10000
            section = current = 0
        else:
            return None
    return total + section + current


def _section(n: int) -> str:
    """0 < n < 10000 as 一千零一十 (one 零 for each run of missing places inside the number)."""
    text, gap, started = "", False, False
    for place, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // place % 10
        if digit == 0:
            gap = gap or started
            continue
        text += ("零" if gap else "") + _NAMES[digit] + unit
        gap, started = False, True
    return text


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 103 -> 一百零三, 1000 -> 一千, 10010 -> 一万零一十
    (for （一） enumerations); defined for 0 to 99,999,999."""
    if n < 0 or n >= _LIMIT:
        raise ValueError(f"{n} is outside 0–{_LIMIT - 1}")
    if n < 10:
        return _NAMES[n]
    high, low = divmod(n, 10000)
    text = _section(high) + "万" if high else ""
    if low:
        text += ("零" if high and low < 1000 else "") + _section(low)
    return text[1:] if text.startswith("一十") else text  # 十二, not 一十二


# -- the part-one outline ----------------------------------------------------------------------------------
SECTION = "section"      # 一、总体绩效目标
ITEM = "item"            # 1、标题 (分项绩效目标)
PARAGRAPH = "paragraph"  # a goal's text


@dataclass(frozen=True)
class Block:
    kind: str
    text: str


def part_one(book: Book, dept_code: str) -> Iterator[Block]:
    """Section headings, numbered items and paragraphs of 部门整体绩效目标, in document order.

    The text export, the Word document and the official workbook's department sheet all write part one
    from these blocks, so they cannot disagree on what is printed, in which order, or how items are numbered."""
    from .grammar import grammar

    form = grammar()
    for heading, category in zip(form.sections, CATEGORIES):
        yield Block(SECTION, heading)
        for goal in book.goals_of(dept_code, category):
            if not goal.content and not goal.title:
                continue
            if category == CATEGORIES[1]:
                yield Block(ITEM, form.item_form.format(seq=goal.seq or "", title=goal.title))
                yield Block(PARAGRAPH, goal.content)
            elif category == CATEGORIES[2]:
                yield Block(PARAGRAPH, form.measure_form.format(seq_cn=chinese_number(goal.seq or 0),
                                                             content=goal.content))
            else:
                yield Block(PARAGRAPH, goal.content)
