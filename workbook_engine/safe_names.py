"""Worksheet and file names that Excel and file systems accept."""

from __future__ import annotations

import re

MAX_SHEET_NAME = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_FILE_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f]')
# Bidi controls (and other invisible format characters) make a listing show another name than the real
# one ("报告\u202excod.exe" shows as 报告exe.docx): dropped from file names built from workbook text.
_FILE_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")


def excel_length(text: str) -> int:
    """Length as Excel counts it: UTF-16 code units (a character beyond the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose Excel length is at most ``limit``."""
    while excel_length(text) > limit:
        text = text[:-1]
    return text


def clean_sheet_name(wanted: str) -> str:
    """Forbidden characters replaced by _, no apostrophe at either end, at most 31 characters."""
    name = _SHEET_FORBIDDEN.sub("_", wanted).strip().strip("'")
    return shorten(name, MAX_SHEET_NAME).strip().strip("'") or "Sheet"


def unique_sheet_names(wanted: list[str], reserved: tuple[str, ...] = ()) -> list[str]:
    """Clean names made unique within the workbook (Excel compares names case-insensitively)."""
    taken = {name.casefold() for name in reserved}
    result: list[str] = []
    for raw in wanted:
        name = clean_sheet_name(raw)
        number = 2
        while name.casefold() in taken:
            suffix = f"~{number}"
            name = shorten(clean_sheet_name(raw), MAX_SHEET_NAME - len(suffix)) + suffix
            number += 1
        taken.add(name.casefold())
        result.append(name)
    return result


def clean_file_name(wanted: str) -> str:
    """A file name safe on Windows and Linux (staff open the outputs on Windows)."""
    name = _FILE_FORBIDDEN.sub("_", _FILE_INVISIBLE.sub("", wanted)).strip().rstrip(". ")
    return name[:120].rstrip(". ") or "department"
