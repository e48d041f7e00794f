"""Text as an Excel cell can hold it, for every workbook the engine writes.

Excel stores at most 32,767 characters (UTF-16 code units) in a cell and cannot store lone surrogates or
the non-characters U+FFFE/U+FFFF. xlsxwriter silently truncates an over-long string, and a lone surrogate
breaks the file, so the writer refuses such text with a message naming the place: nothing is lost without
a word. Control characters are kept: xlsxwriter escapes them as _xHHHH_ and readers restore them.
Report cells (findings, comments) are ours, not the user's data: there, the same text is clipped and
control characters shown as \\xHH instead (docs/security.md).
"""

from __future__ import annotations

import re

from ..errors import UnwritableText

EXCEL_MAX_CHARS = 32_767
_UNSTORABLE_RE = re.compile("[\ud800-\udfff\ufffe\uffff]")
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def excel_length(text: str) -> int:
    """Length as Excel counts it: characters outside the BMP take two."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def storable(text: str) -> bool:
    """True when ``text`` fits a cell as it is; a cheap test so writers build ``where`` only for the rest."""
    return len(text) <= EXCEL_MAX_CHARS // 2 and _UNSTORABLE_RE.search(text) is None


def check_text(text: str, where: str) -> str:
    """The text unchanged, or UnwritableText saying where and why it cannot go into a cell."""
    bad = _UNSTORABLE_RE.search(text)
    if bad:
        raise UnwritableText(f"{where}：第 {bad.start() + 1} 个字符 U+{ord(bad.group()):04X} 无法保存到 Excel"
                             "（不是有效的 Unicode 字符）。请删除该字符后再试。")
    # Each character is at most two UTF-16 units: short texts need no count.
    length = len(text) if len(text) <= EXCEL_MAX_CHARS // 2 else excel_length(text)
    if length > EXCEL_MAX_CHARS:
        raise UnwritableText(f"{where}：文字长 {length} 个字符，超过 Excel 单元格上限 {EXCEL_MAX_CHARS} 个字符，"
                             "无法完整保存。请缩短该内容（或分到几个单元格）后再试。")
    return text


def report_text(text: str, limit: int = EXCEL_MAX_CHARS) -> str:
    """Text for a report cell or comment: control characters shown as \\xHH, clipped to ``limit``."""
    shown = _XML_ILLEGAL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                                else f"\\u{ord(m.group()):04x}", text)
    if excel_length(shown) > limit:
        shown = shown[: limit // 2 - 1] + "…"
    return shown


_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_WORD_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def all_storable(texts: list[str]) -> bool:
    """True when text_problem would find nothing in any of ``texts``: one regular-expression pass over all
    of them, so that a sheet of clean text (nearly every sheet) is not checked cell by cell."""
    if not texts:
        return True
    if max(map(len, texts)) > EXCEL_MAX_CHARS // 2:
        return False
    return _XML_ILLEGAL_RE.search("\n".join(texts)) is None


def text_problem(text: str) -> tuple[str, dict] | None:
    """What keeps ``text`` from being stored as it is, as (catalogue code, variant and fields), or None.

    WBE-E028: no cell can hold it (too long, a lone surrogate, U+FFFE/U+FFFF); WBE-W029: control characters,
    which Excel keeps (escaped) but a Word document cannot hold. Validation reports it at its cell, so that
    render and publish never change text without a word.
    """
    bad = _UNSTORABLE_RE.search(text)
    if bad:
        return "WBE-E028", {"position": bad.start() + 1, "code": f"{ord(bad.group()):04X}"}
    length = excel_length(text) if len(text) > EXCEL_MAX_CHARS // 2 else len(text)
    if length > EXCEL_MAX_CHARS:
        return "WBE-E028", {"variant": "long", "length": length}
    control = _CONTROL_RE.search(text)
    if control:
        return "WBE-W029", {"position": control.start() + 1, "code": f"{ord(control.group()):04X}",
                            "count": len(_CONTROL_RE.findall(text))}
    return None


def excel_text(text: str) -> str:
    """Text an Excel cell can hold: without lone surrogates and U+FFFE/U+FFFF, cut to 32,767 UTF-16 units.
    Only reached with --force: validation has reported the cell (WBE-E028) with what will change."""
    if _UNSTORABLE_RE.search(text):
        text = _UNSTORABLE_RE.sub("", text)
    if len(text) > EXCEL_MAX_CHARS // 2 and excel_length(text) > EXCEL_MAX_CHARS:
        cut, units = 0, 0
        for cut, ch in enumerate(text):  # noqa: B007 - cut is used after the loop
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > EXCEL_MAX_CHARS:
                break
        text = text[:cut]
    return text


def word_text(text: str) -> str:
    """Text a Word document (XML 1.0) can hold: control characters, lone surrogates and U+FFFE/U+FFFF
    dropped (validation has reported them: WBE-W029, WBE-E028)."""
    return _WORD_ILLEGAL_RE.sub("", text)


_TERMINAL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                          "\ud800-\udfff\ufffe\uffff]")


def terminal_text(text: str, *, one_line: bool = False) -> str:
    """Workbook text made safe to print on a terminal: control and escape characters (ESC sequences, C1
    codes, bidi overrides that reorder what is shown) appear as visible \\xHH / \\uHHHH, never raw. Tab and
    line feed are kept, or with ``one_line`` shown as \\t and \\n (one line per finding or change)."""
    shown = _TERMINAL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                             else f"\\u{ord(m.group()):04x}", text)
    return shown.replace("\t", "\\t").replace("\n", "\\n") if one_line else shown
