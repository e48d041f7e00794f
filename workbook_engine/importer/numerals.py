"""Chinese numerals as used for enumerations in documents: 一 … 十 … 九十九 … 一万二千三百四十五."""

from __future__ import annotations

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
NAMES = "零一二三四五六七八九"
LIMIT = 10**8  # up to 九千九百九十九万…: far beyond any enumeration in a document


def parse_chinese_number(text: str) -> int | None:
    """一 -> 1, 十 -> 10, 十二 -> 12, 二十 -> 20, 一百零三 -> 103, 一万零一十 -> 10010; None when not a numeral."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    total, section, current = 0, 0, 0
    for ch in text:
        if ch in DIGITS:
            current = DIGITS[ch]
        elif ch in UNITS:
            section += (current or 1) * UNITS[ch]
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
        text += ("零" if gap else "") + NAMES[digit] + unit
        gap, started = False, True
    return text


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 103 -> 一百零三, 1000 -> 一千, 10010 -> 一万零一十
    (for （一） style enumerations)."""
    if n < 0 or n >= LIMIT:
        raise ValueError(f"chinese_number: {n} is outside 0..{LIMIT - 1}")
    if n < 10:
        return NAMES[n]
    high, low = divmod(n, 10000)
    text = _section(high) + "万" if high else ""
    if low:
        text += ("零" if high and low < 1000 else "") + _section(low)
    return text[1:] if text.startswith("一十") else text  # 十二, not 一十二
