"""A copy of a workbook without its trailing formatting-only rows, for the commands that load it whole
(and without the U+FFFE/U+FFFF characters openpyxl's XML parser refuses).

Formatting a whole column by hand can leave a million empty, formatted rows in a sheet. calamine skips
them cheaply, but openpyxl builds an object per cell (a million-row sheet takes over a minute and more than
a gigabyte). Rows after the last one holding a value or formula carry nothing but formatting, so the
copy keeps the first TRAILING_ROWS_KEPT of them and drops the rest. The input file is never modified;
the copy lives in a temporary folder and is deleted afterwards.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .guard import Inspection, inspect_xlsx
from .xml_scan import NEW_ERROR_VALUES_RE, NonCharacterFilter

TRAILING_ROWS_KEPT = 1_000
TRIM_FROM_BYTES = 8 * 1024 * 1024  # smaller sheets are loaded as they are
CHUNK = 4 * 1024 * 1024

_ROW_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_CONTENT_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:v|f|is)[\s/>]")
_SHEETDATA_END_RE = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?sheetData\s*>")


@dataclass
class Cut:
    """Bytes [start, end) of a worksheet part are trailing formatting-only rows."""

    start: int
    end: int


def _chunks(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    with archive.open(name) as source:
        while data := source.read(CHUNK):
            yield data


def find_cut(archive: zipfile.ZipFile, name: str, keep: int = TRAILING_ROWS_KEPT) -> Cut | None:
    """Where the droppable trailing rows of one worksheet part are, or None when there are too few."""
    offset = 0
    carry = b""
    rows_after: list[int] = []  # offsets of the first keep + 1 rows after the last content
    end = None
    for data in _chunks(archive, name):
        text = carry + data
        cut = text.rfind(b"<")
        cut = cut if cut > 0 else len(text)
        text, carry = text[:cut], text[cut:]
        base = offset
        offset += len(text)
        last = None
        for match in _CONTENT_RE.finditer(text):
            last = match.start()
        if last is not None:
            rows_after = []
        start = last if last is not None else 0
        if len(rows_after) <= keep:
            rows = itertools.islice(_ROW_RE.finditer(text, start), keep + 1 - len(rows_after))
            rows_after.extend(base + m.start() for m in rows)
        closing = _SHEETDATA_END_RE.search(text)
        if closing:
            end = base + closing.start()
            break
    if end is None:  # the closing tag sits in the carried tail
        tail_end = _SHEETDATA_END_RE.search(carry)
        end = offset + tail_end.start() if tail_end else None
    if end is None or len(rows_after) <= keep or rows_after[keep] >= end:
        return None
    return Cut(rows_after[keep], end)


@contextlib.contextmanager
def trimmed_copy(path: str | os.PathLike[str], inspection: Inspection | None = None) -> Iterator[Path]:
    """Yield the path of a workbook openpyxl can load quickly: the file itself, or a trimmed copy."""
    inspection = inspection or inspect_xlsx(path)
    with zipfile.ZipFile(inspection.readable) as archive:
        cuts = {
            name: cut for name, part in inspection.parts.items()
            if name.lower().startswith("xl/worksheets/") and part.size >= TRIM_FROM_BYTES
            and (cut := find_cut(archive, name)) is not None
        }
        cleaned = {name for name, part in inspection.parts.items() if part.facts.non_characters}
        if not cuts and not cleaned:
            yield inspection.readable
            return
        with tempfile.TemporaryDirectory(prefix="wbe-trim-") as folder:
            copy = Path(folder) / ("trimmed" + inspection.readable.suffix.lower())
            with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
                for info in archive.infolist():
                    with archive.open(info) as source, out.open(_fresh(info), "w", force_zip64=True) as target:
                        if info.filename in cuts:
                            _copy_without(source, target, cuts[info.filename])
                        elif info.filename in cleaned:
                            _copy_cleaned(source, target)
                        else:
                            shutil.copyfileobj(source, target, CHUNK)
            yield copy


def _fresh(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    fresh = zipfile.ZipInfo(info.filename, info.date_time)
    fresh.compress_type = zipfile.ZIP_DEFLATED
    return fresh


def _copy_cleaned(source, target) -> None:
    """Copy without U+FFFE/U+FFFF, which openpyxl's XML parser refuses (validation named them, WBE-E028)."""
    clean = NonCharacterFilter()
    while data := source.read(CHUNK):
        target.write(clean.feed(data))
    target.write(clean.flush())


def _copy_without(source, target, cut: Cut) -> None:
    position = 0
    while data := source.read(CHUNK):
        start, stop = position, position + len(data)
        position = stop
        keep_until = max(0, min(cut.start, stop) - start)
        resume_from = max(0, cut.end - start)
        target.write(data[:keep_until])
        if resume_from < len(data):
            target.write(data[max(resume_from, keep_until):])


_NEW_ERROR_CELL_RE = re.compile(rb"(<(?:[A-Za-z_][\w.-]*:)?v>)" + NEW_ERROR_VALUES_RE.pattern + rb"(</)")


def calamine_copy(inspection: Inspection, folder: str | os.PathLike[str]) -> Path:
    """A copy for calamine in ``folder`` where cached error values it does not know (#SPILL!, #CALC!, …, from
    Excel 365) read as #N/A: an error value like the others, instead of a sheet calamine refuses whole."""
    copy = Path(folder) / "errors-mapped.xlsx"
    with zipfile.ZipFile(inspection.readable) as archive, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED,
                                                                   allowZip64=True) as out:
        for info in archive.infolist():
            with archive.open(info) as source, out.open(_fresh(info), "w", force_zip64=True) as target:
                part = inspection.parts.get(info.filename)
                if part is not None and part.facts.new_error_values:
                    data = source.read()  # a worksheet within the guard's limits
                    target.write(_NEW_ERROR_CELL_RE.sub(rb"\1#N/A\2", data))
                else:
                    shutil.copyfileobj(source, target, CHUNK)
    return copy
