"""Checks made before any parser touches an input file.

A workbook is a zip of XML parts. We look at the bytes, the zip directory and then every part's real
inflated content (streamed, never held whole) first, so that a legacy or encrypted file, a file of another
kind, a zip bomb or an XML bomb is refused with a clear message and exit status 2 before calamine or
openpyxl spend memory on it. The limits and the reasons for them are in docs/security.md.
"""

from __future__ import annotations

import itertools
import os
import posixpath
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..a1 import cell_name
from ..errors import (
    EncryptedWorkbook,
    InputNotFound,
    InputUnreadable,
    UnsafeInput,
    UnsupportedFormat,
    WorkbookEngineError,
    coded,
)
from .xml_scan import (
    CONTENT_TYPES,
    SHARED_STRINGS,
    WORKBOOK,
    WORKSHEET,
    PartFacts,
    PartScanner,
    TooManyElements,
    XmlProblem,
)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

# Limits checked before parsing (docs/security.md). The county-scale workbook (2,000 projects, 30,000
# indicators) is far below each; 1,048,576 rows of trailing formatting inflate to about 100 MB.
MAX_ENTRY_BYTES = 256 * 1024 * 1024  # one inflated part
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # all inflated parts together
MAX_LEGACY_BYTES = 64 * 1024 * 1024  # an .xls or WPS file (binary, uncompressed: a county's is a few MB)
MAX_RATIO = 200  # inflated / compressed, for parts larger than RATIO_FLOOR
RATIO_FLOOR = 8 * 1024 * 1024
MAX_ENTRIES = 10_000
MAX_SHEETS = 5_000  # <sheet> entries in the workbook (a rendered county workbook has one per project)
MAX_VALUE_CELLS = 4_000_000  # cells that hold a value, over all sheets (a part counts once per sheet using it)
MAX_CELLS = 6_000_000  # every <c>, formatted empty ones included, over all sheets
MAX_SHEET_AREA = 5_000_000  # rows x columns from A1 to a sheet's farthest value (readers fill it densely)
MAX_TOTAL_AREA = 10_000_000  # the same, summed over all sheets
MAX_MERGED_CELLS = 2_000_000  # cells covered by merged ranges, over all sheets (readers visit each)
MAX_SHARED_STRINGS = 2_000_000  # <si> entries, declared (calamine reserves room for them) or real
MAX_XML_ELEMENTS = 8_000_000  # elements in the worksheets, shared strings and workbook parts together: what
# every reader parses (1,048,576 rows of trailing formatting are about 3,100,000)
# What the slower jobs handle within 30 s of CPU and 1 GB on the development machine, in cells holding a
# value (benchmarks/capacity.py, docs/performance.md): above it the command refuses instead of grinding.
# Reading and validating (validate, review, merge, diff) is bounded by MAX_VALUE_CELLS itself (issue 15
# measures ten times the county workbook).
WORKLOADS = {"annotate": 150_000, "render": 400_000, "publish": 350_000}
_WORKLOAD_NAMES = {"annotate": "写出带批注的副本", "render": "渲染", "publish": "发布"}
MAX_TEXT_DOCUMENT_BYTES = 32 * 1024 * 1024  # a text export for import: a county's document is a few MB
PROLOG_BYTES = 64 * 1024  # an XML part's declaration must end (root element start) within this

READ_CHUNK = 1024 * 1024
INFLATE_CHUNK = 4 * 1024 * 1024

SAVE_AS_XLSX = "请在 Excel 或 WPS 中打开它，另存为“Excel 工作簿 (*.xlsx)”后再试。"
RESAVE = "请用 Excel 或 WPS 打开并另存后再试；打不开时请向发件人要一份新的。"

_ROOT_RE = re.compile(rb"<[A-Za-z_]")
_ROOT_RE_UTF16 = re.compile(rb"<\x00[A-Za-z_]\x00|\x00<\x00[A-Za-z_]")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_DECLARATION_RE = re.compile(rb"\s*<\?xml\s[^>]{0,512}?\?>")
_DECLARED_ENCODING_RE = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
_ENCODINGS = {b"utf-8", b"utf8", b"utf-16", b"utf-16le", b"utf-16be", b"us-ascii", b"ascii"}
_MACRO_PARTS = re.compile(r"(?i)(^|/)(vbaProject\.bin|macrosheets/|dialogsheets/|vbaProjectSignature)")


@dataclass
class PartInfo:
    """What streaming one zip entry found: its real size, and what its XML scan saw (io/xml_scan.py)."""

    name: str
    size: int
    facts: PartFacts = field(default_factory=PartFacts)
    problem: str | None = None  # why its XML cannot be read, reported with the sheet's name
    uses: int = 0  # how many <sheet> entries of the workbook point at this part
    markup: int = 0  # "<" characters in an XML part: a bound on its elements, counted at C speed

    @property
    def is_sheet(self) -> bool:
        return self.facts.kind == WORKSHEET

    @property
    def has_formulas(self) -> bool:
        return self.facts.has_formulas

    @property
    def has_hidden(self) -> bool:
        return self.facts.has_hidden

    @property
    def value_cells(self) -> int:
        return self.facts.value_cells

    @property
    def last_row(self) -> int:
        return self.facts.last_row

    @property
    def last_col(self) -> int:
        return self.facts.last_col

    def area(self) -> int:
        """Rows x columns from A1 to the farthest content cell or merged area."""
        return self.facts.last_row * (self.facts.last_col + 1)


@dataclass
class Inspection:
    """The result of checking a workbook file; the parts are safe to parse within the limits above."""

    path: Path  # the user's file, named in every message
    parts: dict[str, PartInfo] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)  # sheet name -> worksheet part
    copy: Path | None = None  # an .xls or WPS file's private .xlsx (io/legacy.py), parsed in its place
    legacy: str | None = None  # the kind of such a file, for WBE-W028

    @property
    def readable(self) -> Path:
        """The zip to parse: the file itself, or an .xls's copy."""
        return self.path if self.copy is None else self.copy

    @property
    def date1904(self) -> bool:
        """Whether the workbook counts dates from 1904 (what turns a date back into its number)."""
        return any(part.facts.date1904 for part in self.parts.values() if part.facts.kind == WORKBOOK)

    @property
    def has_macros(self) -> bool:
        return any(_MACRO_PARTS.search(name) for name in self.parts)

    def value_cells(self) -> int:
        """Cells holding a value, each worksheet part counted once per sheet reading it."""
        return sum(part.value_cells * max(part.uses, 1) for part in self.parts.values() if part.is_sheet)

    def sheet_name(self, part_name: str) -> str:
        """The sheet a worksheet part belongs to (for messages); the part name when none."""
        return next((name for name, part in self.sheets.items() if part == part_name), part_name)


def check_input_file(path: str | os.PathLike[str]) -> Path:
    """The path as a readable regular file, or an InputError saying what is wrong and what to do."""
    p = Path(path)
    try:
        exists, is_dir, is_file = p.exists(), p.is_dir(), p.is_file()
    except OSError as exc:  # e.g. a folder on the way that we may not enter
        raise InputUnreadable(f"{p}：无法访问（{exc.strerror or exc}）。请检查文件夹和文件的权限。") from None
    if not exists:
        raise InputNotFound(f"{p}：文件不存在。请检查路径和文件名。")
    if is_dir:
        raise InputNotFound(f"{p}：这是一个文件夹，不是文件。请给出文件的路径。")
    if not is_file:
        raise InputNotFound(f"{p}：不是普通文件（是管道、设备或套接字），无法读取。请给出保存在磁盘上的文件。")
    if not os.access(p, os.R_OK):
        raise InputUnreadable(f"{p}：没有读取该文件的权限。请检查文件权限，或先把文件复制到自己的文件夹。")
    try:
        with p.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise InputUnreadable(f"{p}：无法读取（{exc.strerror or exc}）。请检查文件权限。") from None
    return p


def read_text_document(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a text export for import, read in bounded memory: a regular file of at most
    MAX_TEXT_DOCUMENT_BYTES (checked before reading, and again while reading, since a file may grow)."""
    p = check_input_file(path)
    limit = MAX_TEXT_DOCUMENT_BYTES
    too_big = (f"{p}：文件大于 {limit // 2**20} MB 的上限，不是部门预算绩效文本的文本导出，已拒绝。"
               "请确认选对了文件（一个县的文本导出通常只有几 MB）。")
    try:
        if p.stat().st_size > limit:
            raise UnsafeInput(too_big)
        with p.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputUnreadable(f"{p}：无法读取（{exc.strerror or exc}）。请检查文件权限。") from None
    if len(data) > limit:
        raise UnsafeInput(too_big)
    return data


def check_xlsx(path: str | os.PathLike[str]) -> Path:
    """Refuse anything that is not a safe .xlsx/.xlsm before it is parsed."""
    return inspect_xlsx(path).path


def check_workload(path: str | os.PathLike[str] | Inspection, job: str) -> None:
    """Refuse a workbook larger than ``job`` handles in 30 s (WORKLOADS), before the work starts."""
    inspection = path if isinstance(path, Inspection) else inspect_xlsx(path)
    cells = inspection.value_cells()
    limit = WORKLOADS[job]
    if cells > limit:
        raise UnsafeInput(f"{inspection.path}：工作簿有 {cells} 个有值的单元格，超过{_WORKLOAD_NAMES[job]}在 30 秒内能处理的"
                          f"上限 {limit} 个（见 docs/performance.md），已拒绝。请按部门拆分成几个工作簿后分别处理。")


_CACHE: dict[tuple, Inspection] = {}  # the same file inspected again by the next step of one command


def inspect_xlsx(path: str | os.PathLike[str]) -> Inspection:
    """Check kind, zip directory and every part's real content; return what was found."""
    p = check_input_file(path)
    try:
        stat = p.stat()
        key = (str(p.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns, _limits())
    except OSError:
        key = None
    if key in _CACHE:
        return _CACHE[key]
    inspection = _inspect_xlsx(p)
    if key is not None:
        if len(_CACHE) >= 16:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = inspection
    return inspection


def _limits() -> tuple:
    """The limits in force (a result found under other limits is not reused)."""
    return (MAX_ENTRY_BYTES, MAX_TOTAL_BYTES, MAX_RATIO, RATIO_FLOOR, MAX_ENTRIES, MAX_SHEETS, MAX_VALUE_CELLS,
            MAX_CELLS, MAX_SHEET_AREA, MAX_TOTAL_AREA, MAX_MERGED_CELLS, MAX_SHARED_STRINGS, MAX_XML_ELEMENTS,
            PROLOG_BYTES, INFLATE_CHUNK)


def _inspect_xlsx(p: Path) -> Inspection:
    try:
        with p.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise InputUnreadable(f"{p}：无法读取（{exc.strerror or exc}）。") from None
    suffix = p.suffix.lower()
    if not head:
        raise UnsupportedFormat(f"{p}：文件是空的（0 字节）。请确认文件已完整保存或下载。")
    if head.startswith(OLE_MAGIC):
        if _ole_is_encrypted(p):
            raise EncryptedWorkbook(
                f"{p}：工作簿设置了打开密码（已加密），无法读取。请在 Excel 中取消密码（文件→信息→保护工作簿）后另存再试。"
            )
        return _inspect_legacy(p)
    if not any(head.startswith(m) for m in ZIP_MAGIC):
        kind = "CSV/文本文件" if suffix in (".csv", ".txt", ".tsv") else "不是 Excel 工作簿"
        raise UnsupportedFormat(f"{p}：{kind}（不是 xlsx 格式）。{SAVE_AS_XLSX}")
    inspection = _inspect_zip(p, _check_kind, "xlsx")
    _check_prologs(inspection)
    _map_sheets(inspection)
    _check_workbook_limits(inspection)  # first: the far cell or the bomb named when the guard sees it
    _check_sheet_parts(inspection)
    return inspection


def _inspect_legacy(p: Path) -> Inspection:
    """An .xls or WPS .et: calamine's reading of it as a private .xlsx (io/legacy.py), guarded as any
    other; the inspection names the user's file and reads the copy."""
    from .legacy import as_xlsx, kind_of

    try:
        size = p.stat().st_size
    except OSError as exc:
        raise InputUnreadable(f"{p}：无法读取（{exc.strerror or exc}）。") from None
    if size > MAX_LEGACY_BYTES:
        raise UnsafeInput(f"{p}：文件大于 {MAX_LEGACY_BYTES // 2**20} MB 的上限，已拒绝。请按部门拆分后另存为 xlsx 再试。")
    copy = as_xlsx(p, max_area=MAX_SHEET_AREA, max_sheets=MAX_SHEETS)
    try:
        inspection = _inspect_xlsx(copy)
    except WorkbookEngineError as exc:  # a limit of the copy: said of the user's file
        exc.args = (str(exc).replace(str(copy), str(p)),)
        raise
    inspection.path, inspection.copy, inspection.legacy = p, copy, kind_of(p)
    return inspection


def _map_sheets(inspection: Inspection) -> None:
    """Which worksheet part each <sheet> of the workbook reads, and how many sheets read each part.

    Every part whose root is a workbook counts (calamine reads xl/workbook.xml, openpyxl the one the
    package relationships name); a sheet is counted against every part its relationship ids could mean.
    """
    p, parts = inspection.path, inspection.parts
    sheets = 0
    for book in [part for part in parts.values() if part.facts.kind == WORKBOOK]:
        if book.problem:
            raise InputUnreadable(f"{p}：内部文件 {book.name} 的{book.problem}，无法读取。{RESAVE}")
        folder, base = posixpath.split(book.name)
        rels = parts.get(posixpath.join(folder, "_rels", base + ".rels"))
        targets = rels.facts.targets if rels is not None else {}
        for name, ids in book.facts.sheets:
            sheets += 1
            for rel_id in dict.fromkeys(ids):
                target = targets.get(rel_id)
                if target is None:
                    continue
                target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                    posixpath.join(folder, target))
                part = parts.get(target)
                if part is not None:
                    part.uses += 1
                    inspection.sheets.setdefault(name, target)
    if sheets > MAX_SHEETS:
        raise UnsafeInput(f"{p}：工作簿有 {sheets} 个工作表，超过上限 {MAX_SHEETS}，疑似恶意文件，已拒绝。")


def _check_workbook_limits(inspection: Inspection) -> None:
    """Limits on what the readers will really do: each worksheet part counts once per sheet reading it."""
    p = inspection.path
    worksheets = [part for part in inspection.parts.values() if part.is_sheet]
    for part in worksheets:
        if part.problem:
            raise InputUnreadable(f"{p}：工作表“{inspection.sheet_name(part.name)}”的{part.problem}，无法读取。{RESAVE}")
    for part in inspection.parts.values():
        facts = part.facts
        if facts.kind == SHARED_STRINGS:
            if part.problem:
                raise InputUnreadable(f"{p}：共享字符串表 {part.name} 的{part.problem}，无法读取。{RESAVE}")
            if max(facts.declared_strings, facts.strings) > MAX_SHARED_STRINGS:
                raise UnsafeInput(f"{p}：共享字符串表声明或含有 {max(facts.declared_strings, facts.strings)} 个字符串"
                                  f"（实有 {facts.strings} 个），超过上限 {MAX_SHARED_STRINGS}，疑似恶意文件，已拒绝。{RESAVE}")
    for part in worksheets:
        if part.area() > MAX_SHEET_AREA:
            raise UnsafeInput(_far_cell_message(inspection, part))
        if part.facts.merged_cells > MAX_SHEET_AREA:
            raise UnsafeInput(f"{p}：工作表“{inspection.sheet_name(part.name)}”的合并单元格共覆盖 "
                              f"{part.facts.merged_cells} 个单元格，超过上限 {MAX_SHEET_AREA}，已拒绝。"
                              "请取消远处或整行整列的合并后另存再试。")
    totals = {
        "value": sum(part.value_cells * max(part.uses, 1) for part in worksheets),
        "cells": sum(part.facts.cells * max(part.uses, 1) for part in worksheets),
        "area": sum(part.area() * max(part.uses, 1) for part in worksheets),
        "merged": sum(part.facts.merged_cells * max(part.uses, 1) for part in worksheets),
    }
    shared = "（含多个工作表共用同一内部文件，按每个工作表各计一次）" if any(part.uses > 1 for part in worksheets) else ""
    if totals["value"] > MAX_VALUE_CELLS:
        raise UnsafeInput(f"{p}：工作簿有 {totals['value']} 个有值的单元格{shared}，超过上限 {MAX_VALUE_CELLS}，已拒绝。"
                          "请删除不需要的工作表或数据后再试。")
    if totals["cells"] > MAX_CELLS:
        raise UnsafeInput(f"{p}：工作簿有 {totals['cells']} 个单元格（含只有格式的空单元格）{shared}，超过上限 "
                          f"{MAX_CELLS}，已拒绝。请清除不需要的格式（或删除多余的行列）后另存再试。")
    if totals["area"] > MAX_TOTAL_AREA:
        raise UnsafeInput(f"{p}：各工作表从 A1 到最远内容的范围共 {totals['area']} 个单元格{shared}，超过上限 "
                          f"{MAX_TOTAL_AREA}，已拒绝。请删除远处误填的内容或不需要的工作表后另存再试。")
    if totals["merged"] > MAX_MERGED_CELLS:
        raise UnsafeInput(f"{p}：合并单元格共覆盖 {totals['merged']} 个单元格{shared}，超过上限 {MAX_MERGED_CELLS}，"
                          "已拒绝。请取消不需要的合并后另存再试。")


def _inspect_zip(p: Path, check_kind, kind: str) -> Inspection:
    """Directory limits, then every part streamed (real size, CRC, DTD, XML scan)."""
    inspection = Inspection(p)
    try:
        with p.open("rb") as raw:
            _check_end_records(p, raw)
        with zipfile.ZipFile(p) as archive:
            infos = archive.infolist()
            _check_names(p, infos)
            check_kind(p, {info.filename for info in infos})
            _check_directory(p, infos)
            with p.open("rb") as raw:
                budget = MAX_XML_ELEMENTS
                for info in infos:
                    _check_local_header(p, raw, info)
                    part = inspection.parts[info.filename] = _stream_part(p, raw, info, budget)
                    budget -= part.facts.elements
                    _check_markup(p, part)
    except zipfile.BadZipFile:
        raise UnsupportedFormat(f"{p}：文件已损坏或不完整（不是有效的 zip/{kind}）。请重新保存或重新下载该文件。") from None
    except OSError as exc:
        raise InputUnreadable(f"{p}：无法读取（{exc.strerror or exc}）。") from None
    return inspection


def _far_cell_message(inspection: Inspection, part: PartInfo) -> str:
    far = cell_name(part.last_row, part.last_col) if part.last_col < 16_384 and part.last_row < 10**9 else \
        f"第 {part.last_row} 行、第 {part.last_col + 1} 列"
    return (f"{inspection.path}：工作表“{inspection.sheet_name(part.name)}”在很远的单元格（最远到 {far}）有内容或合并，"
            f"使表格范围达到 {part.last_row} 行 × {part.last_col + 1} 列，超过上限 {MAX_SHEET_AREA} 个单元格，已拒绝。"
            "请删除远处误填的内容（Ctrl+End 可跳到最后一个单元格）后另存再试。")


def _check_kind(path: Path, names: set[str]) -> None:
    if "mimetype" in names and "content.xml" in names:
        raise UnsupportedFormat(f"{path}：这是 OpenDocument 表格 (.ods)，不支持。{SAVE_AS_XLSX}")
    if "xl/workbook.bin" in names:
        raise UnsupportedFormat(f"{path}：这是 Excel 二进制工作簿 (.xlsb)，不支持。{SAVE_AS_XLSX}")
    if "word/document.xml" in names:
        raise UnsupportedFormat(f"{path}：这是 Word 文档 (.docx)，不是 Excel 工作簿。请给出 .xlsx 工作簿。")
    if "xl/workbook.xml" not in names:
        raise UnsupportedFormat(f"{path}：压缩包里没有 Excel 工作簿 (xl/workbook.xml)，不是 xlsx 文件。{SAVE_AS_XLSX}")


def _check_directory(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Limits on what the zip directory declares: entry count, sizes, ratio, encryption, compression."""
    if len(infos) > MAX_ENTRIES:
        raise UnsafeInput(f"{path}：工作簿内部文件数 {len(infos)} 超过上限 {MAX_ENTRIES}，疑似恶意文件，已拒绝。")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise EncryptedWorkbook(f"{path}：工作簿内部文件 {info.filename} 已加密，无法读取。请取消密码后另存再试。")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnsupportedFormat(f"{path}：内部文件 {info.filename} 使用了 Excel 不用的压缩方式，无法读取。{SAVE_AS_XLSX}")
        total += info.file_size
        _check_size(path, info.filename, info.file_size, info.compress_size)
    if total > MAX_TOTAL_BYTES:
        raise UnsafeInput(f"{path}：工作簿解压后共 {total // 2**20} MB，超过上限 {MAX_TOTAL_BYTES // 2**20} MB，"
                          "疑似“压缩炸弹”，已拒绝。")


def _check_size(path: Path, name: str, size: int, compressed: int) -> None:
    if size > MAX_ENTRY_BYTES:
        raise UnsafeInput(f"{path}：内部文件 {name} 解压后超过 {MAX_ENTRY_BYTES // 2**20} MB 的上限，"
                          "疑似“压缩炸弹”，已拒绝。")
    if size > RATIO_FLOOR and size > MAX_RATIO * max(compressed, 1):
        raise UnsafeInput(f"{path}：内部文件 {name} 压缩比异常（{size // max(compressed, 1)} 倍，上限 {MAX_RATIO} 倍），"
                          "疑似“压缩炸弹”，已拒绝。")


def _inflate(raw, info: zipfile.ZipInfo):
    """The entry's inflated bytes in chunks of at most INFLATE_CHUNK, read from its raw compressed data."""
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(info.filename)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + name_length + extra_length)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left = info.compress_size
    while left > 0:
        data = raw.read(min(READ_CHUNK, left))
        if not data:
            raise zipfile.BadZipFile(info.filename)
        left -= len(data)
        if inflater is None:
            yield data
            continue
        while data:
            out = inflater.decompress(data, INFLATE_CHUNK)
            if out:
                yield out
            data = inflater.unconsumed_tail
    if inflater is not None:
        while not inflater.eof and (out := inflater.decompress(b"", INFLATE_CHUNK)):
            yield out
        if not inflater.eof:
            raise zipfile.BadZipFile(info.filename)


def _stream_part(path: Path, raw, info: zipfile.ZipInfo, budget: int) -> PartInfo:
    """Inflate one entry in bounded chunks, trusting nothing the zip directory declares.

    The real inflated size may not exceed the declared one (nor the limits), the CRC must match, and an XML
    part may not carry a document type declaration: OOXML never has one, and it is where entity bombs
    (billion laughs) and external entities live. Every part that looks like XML, whatever its name, is fed
    to the XML scan in the same pass.
    """
    part = PartInfo(info.filename, 0)
    is_xml = info.filename.lower().endswith(_XML_SUFFIXES)
    scanner: PartScanner | None = None
    head = b""
    crc = 0
    chunks = 0
    for out in _inflate(raw, info):
        chunks += 1
        part.size += len(out)
        if part.size > info.file_size:
            raise UnsafeInput(f"{path}：内部文件 {info.filename} 实际解压后大于声明的 {info.file_size} 字节，"
                              "疑似“压缩炸弹”或被篡改，已拒绝。")
        _check_size(path, info.filename, part.size, info.compress_size)
        crc = zlib.crc32(out, crc)
        if is_xml:
            part.markup += out.count(b"<")
        if not head:
            is_xml = is_xml or _looks_like_xml(out)
            if is_xml:
                _check_encoding(path, info.filename, out)
                scanner = PartScanner(budget)
        if is_xml and len(head) < PROLOG_BYTES:
            head += out[: PROLOG_BYTES - len(head)]
        if scanner is not None and not scanner.done:
            _feed(path, part, scanner, out)
            if scanner.declined:
                scanner = _rescan(path, info, part, budget, chunks)
    if part.size != info.file_size or crc != info.CRC:
        raise UnsafeInput(f"{path}：内部文件 {info.filename} 的实际内容与声明不符（大小或校验和不对），"
                          "文件已损坏或被篡改，已拒绝。请重新保存或重新下载该文件。")
    if is_xml and part.size:
        _check_prolog(path, info.filename, head)
    if scanner is not None:
        if not scanner.done:
            _close(path, part, scanner)
            if scanner.declined:
                scanner = _rescan(path, info, part, budget, chunks)
                if not scanner.done:
                    _close(path, part, scanner)
        part.facts = scanner.facts
        if part.problem and "DTD" in part.problem:
            _refuse_dtd(path, info.filename)
    return part


def _feed(path: Path, part: PartInfo, scanner: PartScanner, data: bytes) -> None:
    try:
        scanner.feed(data)
    except XmlProblem as problem:
        part.problem, scanner.done = str(problem), True
    except TooManyElements:
        _refuse_elements(path)


def _close(path: Path, part: PartInfo, scanner: PartScanner) -> None:
    try:
        scanner.close()
    except XmlProblem as problem:
        part.problem = str(problem)
    except TooManyElements:
        _refuse_elements(path)


def _rescan(path: Path, info: zipfile.ZipInfo, part: PartInfo, budget: int, chunks: int) -> PartScanner:
    """The part's first ``chunks`` chunks fed again to a handler scan, after the fast scan declined (a
    worksheet not spelled plainly, or one the handler scan refuses: it says where and why)."""
    scanner = PartScanner(budget, fast=False)
    with path.open("rb") as raw:
        for out in itertools.islice(_inflate(raw, info), chunks):
            if scanner.done:
                break
            _feed(path, part, scanner, out)
    return scanner


def _looks_like_xml(data: bytes) -> bool:
    start = data[:64].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n\x00")
    return start.startswith(b"<")


def _check_encoding(path: Path, name: str, head: bytes) -> None:
    """Worksheets must be UTF-8, as Excel, WPS and LibreOffice write them (readers differ on the rest); no
    part may declare an encoding other than UTF-8 or UTF-16 (GBK, an unknown name: expat and calamine
    would each do something else with it)."""
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<")
    if utf16 and name.lower().startswith("xl/worksheets/"):
        raise UnsupportedFormat(f"{path}：工作表 {name} 不是 UTF-8 编码，Excel 不会生成这样的文件。{SAVE_AS_XLSX}")
    if utf16:
        return
    declaration = _DECLARATION_RE.match(head.lstrip(b"\xef\xbb\xbf"))
    if declaration is not None:
        encoding = _DECLARED_ENCODING_RE.search(declaration.group(0))
        if encoding is not None and encoding.group(1).strip().lower() not in _ENCODINGS:
            raise coded(UnsupportedFormat, "WBE-I026", path=path, part=name,
                        encoding=encoding.group(1)[:40].decode("ascii", "replace"))


def _refuse_elements(path: Path) -> None:
    raise UnsafeInput(f"{path}：工作簿的工作表内容超过 {MAX_XML_ELEMENTS} 个 XML 元素（单元格、行等）的上限，"
                      "处理会过慢，已拒绝。请删除不需要的工作表、数据或格式后另存再试。")


def _refuse_dtd(path: Path, name: str) -> None:
    raise UnsafeInput(f"{path}：内部文件 {name} 含有 DTD/实体声明（可能是“XML 炸弹”或外部实体攻击），"
                      "Excel 不会生成这样的文件，已拒绝。请用 Excel 重新保存或向发件人核实。")


def _check_prolog(path: Path, name: str, head: bytes) -> None:
    """Refuse a DTD (entity declarations, external entities) before the root element of an XML part."""
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<")
    match = (_ROOT_RE_UTF16 if utf16 else _ROOT_RE).search(head)
    prolog = head[: match.start()] if match else head
    markers: tuple[bytes, ...] = (b"<!DOCTYPE", b"<!ENTITY")
    if utf16:
        markers += tuple(m.decode().encode(enc) for m in markers for enc in ("utf-16-le", "utf-16-be"))
    if any(m in prolog for m in markers) or (match is None and len(head) >= PROLOG_BYTES):
        _refuse_dtd(path, name)


def _ole_is_encrypted(path: Path) -> bool:
    """An OLE compound file holding EncryptionInfo is an encrypted OOXML workbook, not a legacy .xls."""
    try:
        with path.open("rb") as handle:
            data = handle.read(4 * 1024 * 1024)
    except OSError:
        return False
    return "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data


def check_docx(path: str | os.PathLike[str]) -> Path:
    """Refuse anything that is not a safe .docx before python-docx parses it (same limits as workbooks)."""
    p = check_input_file(path)
    with p.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise UnsupportedFormat(f"{p}：文件是空的（0 字节）。请确认文件已完整保存或下载。")
    if head.startswith(OLE_MAGIC):
        raise UnsupportedFormat(f"{p}：这是旧版 Word 97-2003 (.doc) 文件或已加密的文档，不支持。"
                                "请在 Word 或 WPS 中另存为“Word 文档 (*.docx)”后再试。")
    if not any(head.startswith(m) for m in ZIP_MAGIC):
        raise UnsupportedFormat(f"{p}：不是 docx 文件。请另存为“Word 文档 (*.docx)”，或导入文本导出 (.txt)。")
    _check_prologs(_inspect_zip(p, _check_docx_kind, "docx"))
    return p


def _check_docx_kind(path: Path, names: set[str]) -> None:
    if "xl/workbook.xml" in names:
        raise UnsupportedFormat(f"{path}：这是 Excel 工作簿，不是发布的绩效文档。校验工作簿请用 wbe validate。")
    if "word/document.xml" not in names:
        raise UnsupportedFormat(f"{path}：压缩包里没有 Word 正文 (word/document.xml)，不是 docx 文件。")


# -- canonical packages (issue 26) ---------------------------------------------------------------------------
# The guard and the readers must see one package: what two zip or XML parsers could read differently is
# refused, not guessed (docs/security.md, "Canonical packages only").
_BAD_NAME_RE = re.compile(r"[\x00-\x1f\x7f\\]|(^|/)\.\.?(/|$)|^/|//")
MAX_STYLE_MARKUP = 400_000  # "<" in styles.xml: Excel keeps at most 64,000 cell formats and 1,024 fonts
MAX_COMMENT_MARKUP = 2_000_000  # "<" in a comments or VML part (30,000 annotated cells are about 400,000)
MAX_PART_MARKUP = 4_000_000  # "<" in any other XML part that is not a worksheet or the shared strings
_MARKUP_LIMITS = {"styleSheet": (MAX_STYLE_MARKUP, "xf>、<font"), "comments": (MAX_COMMENT_MARKUP, "comment"),
                  "xml": (MAX_COMMENT_MARKUP, "shape")}
_SHEET_TYPES = {"worksheet": "worksheet", "chartsheet": "chartsheet", "dialogsheet": "dialogsheet",
                "macrosheet": "macrosheet", "xlMacrosheet": "macrosheet", "xlIntlMacrosheet": "macrosheet"}


def _check_names(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Each entry named once (case ignored, as OPC part names are), without NUL, control characters,
    backslashes or path tricks: zipfile cuts a name at NUL, other readers do not."""
    seen: set[str] = set()
    for info in infos:
        raw = info.orig_filename
        if "\x00" in raw:
            raise coded(UnsafeInput, "WBE-I020", path=path, part=_shown(raw))
        if _BAD_NAME_RE.search(raw):
            raise coded(UnsafeInput, "WBE-I025", path=path, part=_shown(raw), problem="的名称含有控制字符、反斜杠或路径跳转")
        keys = {_name_key(spelling) for spelling in _spellings(raw, info.flag_bits)}
        if keys & seen:
            raise coded(UnsafeInput, "WBE-I020", path=path, part=_shown(raw))
        seen |= keys


def _spellings(name: str, flags: int) -> set[str]:
    """The name as zipfile read it and, without the UTF-8 flag, as a reader that assumes UTF-8 reads it."""
    names = {name}
    if not flags & 0x800:
        try:
            names.add(name.encode("cp437").decode("utf-8"))
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return names


def _name_key(name: str) -> str:
    """A name as a lenient reader might match it: case, Unicode form, outer spaces and invisible format
    characters (zero-width space) ignored; two entries with one key are ambiguous."""
    text = unicodedata.normalize("NFKC", name)
    return "".join(c for c in text if unicodedata.category(c) != "Cf").strip().casefold()


def _shown(name: str) -> str:
    text = name.encode("unicode_escape").decode("ascii") if any(ord(c) < 32 for c in name) else name
    return text[:120]


def _check_local_header(path: Path, raw, info: zipfile.ZipInfo) -> None:
    """The local header names the entry as the central directory does (readers that walk local headers,
    and those that trust the directory, would otherwise read different entries)."""
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(info.filename)
    flags, = struct.unpack("<H", header[6:8])
    name_length, = struct.unpack("<H", header[26:28])
    local = raw.read(name_length)
    text = local.decode("utf-8" if flags & 0x800 else "cp437", "replace")
    if text != info.orig_filename:
        raise coded(UnsafeInput, "WBE-I021", path=path, part=_shown(info.orig_filename), local=_shown(text))


def _check_end_records(path: Path, raw) -> None:
    """One end-of-central-directory record: a second one (a zip appended to a zip, a record hidden in the
    comment) lets two readers open two different packages."""
    raw.seek(0, os.SEEK_END)
    size = raw.tell()
    start = max(0, size - (65_535 + 22 + 20))
    raw.seek(start)
    tail = raw.read()
    found = 0
    at = tail.find(b"PK\x05\x06")
    while at >= 0:
        record = tail[at:at + 22]
        if len(record) == 22:
            cd_size, cd_offset = struct.unpack("<II", record[12:20])
            here = start + at
            if cd_offset == 0xFFFFFFFF or _points_at_directory(raw, cd_offset, cd_size, size) or \
                    _points_at_directory(raw, here - cd_size, cd_size, size):  # where zipfile looks (concat)
                found += 1
        at = tail.find(b"PK\x05\x06", at + 1)
    if found > 1:
        raise coded(UnsafeInput, "WBE-I022", path=path, count=found)
    if b"PK\x06\x06" in tail[:-22] and tail.count(b"PK\x06\x06") > 1:
        raise coded(UnsafeInput, "WBE-I022", path=path, count=tail.count(b"PK\x06\x06"))


def _points_at_directory(raw, offset: int, length: int, size: int) -> bool:
    if length == 0:
        return True
    if offset < 0 or offset + 4 > size:
        return False
    raw.seek(offset)
    return raw.read(4) == b"PK\x01\x02"


def _check_markup(path: Path, part: PartInfo) -> None:
    """Bounded work on every part a reader parses: styles, comments, drawings (issue 26)."""
    root = part.facts.root
    if part.facts.kind in (WORKSHEET, SHARED_STRINGS) or not root:
        return
    limit, element = _MARKUP_LIMITS.get(root, (MAX_PART_MARKUP, "元素"))
    if part.markup > limit:
        raise coded(UnsafeInput, "WBE-I030", path=path, part=part.name, element=element, limit=limit)


def _check_prologs(inspection: Inspection) -> None:
    """An XML part whose parse stopped before its root (a second XML declaration, text before the root,
    a broken prolog) is refused: the guard saw nothing of it, a reader may read on."""
    for part in inspection.parts.values():
        if part.problem and not part.facts.root:
            raise coded(UnsafeInput, "WBE-I024", path=inspection.path, part=part.name,
                        problem="在根元素之前已不是有效的 XML（XML 声明重复、根元素之前有文字或其他内容）")


def _content_type(inspection: Inspection, name: str) -> str | None:
    types = inspection.parts.get("[Content_Types].xml")
    if types is None or types.facts.kind != CONTENT_TYPES:
        return None
    override = types.facts.overrides.get(name.lower())
    if override is not None:
        return override
    return types.facts.defaults.get(posixpath.splitext(name)[1].lstrip(".").lower())


def _check_sheet_parts(inspection: Inspection) -> None:
    """Every part a <sheet> reads: there under that exact name, named .xml, typed by the content types as
    the relationship says, with the root element the relationship says (a worksheet wrapped in an unknown
    element, or renamed chartsheet, is read as a worksheet by calamine and not by a strict parser)."""
    p, parts = inspection.path, inspection.parts
    if "[Content_Types].xml" not in parts:
        raise coded(UnsafeInput, "WBE-I025", path=p, part="[Content_Types].xml", problem="缺失（每个 xlsx 都有它）")
    for book in [part for part in parts.values() if part.facts.kind == WORKBOOK]:
        folder, base = posixpath.split(book.name)
        rels = parts.get(posixpath.join(folder, "_rels", base + ".rels"))
        if rels is None:
            continue
        for _sheet, ids in book.facts.sheets:
            for rel_id in dict.fromkeys(ids):
                target = rels.facts.targets.get(rel_id)
                if target is None:
                    continue
                kind = rels.facts.types.get(rel_id, "").rpartition("/")[2]
                _check_sheet_part(inspection, _resolve(folder, target), _SHEET_TYPES.get(kind, "worksheet"))
    for part in parts.values():
        if part.name.lower().startswith("xl/worksheets/") and part.name.lower().endswith(".xml") \
                and part.facts.root and part.facts.root != "worksheet":
            raise coded(UnsafeInput, "WBE-I023", path=p, part=part.name, root=part.facts.root, expected="worksheet")


def _resolve(folder: str, target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))


def _check_sheet_part(inspection: Inspection, name: str, expected: str) -> None:
    p = inspection.path
    part = inspection.parts.get(name)
    if part is None:
        if any(other.lower() == name.lower() for other in inspection.parts) or "%" in name:
            raise coded(UnsafeInput, "WBE-I025", path=p, part=name, problem="与工作簿中登记的名称不完全一致（大小写或编码不同）")
        return  # a sheet without its part: calamine refuses the file (UnsupportedFormat)
    if not name.lower().endswith(".xml"):
        raise coded(UnsafeInput, "WBE-I025", path=p, part=name, problem="是工作表，但文件名不以 .xml 结尾")
    content_type = _content_type(inspection, name)
    wanted = f"{expected}+xml"
    if content_type is None or not content_type.lower().endswith(wanted.lower()):
        shown = content_type or "未登记"
        raise coded(UnsafeInput, "WBE-I025", path=p, part=name,
                    problem=f"是工作表，但内容类型（[Content_Types].xml）为“{shown[:80]}”，不是 {expected}")
    if part.facts.root != expected:
        raise coded(UnsafeInput, "WBE-I023", path=p, part=name, root=part.facts.root or "（无）", expected=expected)
