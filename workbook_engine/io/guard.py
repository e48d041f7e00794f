"""Checks made before any parser touches an input file.

A workbook is a zip of XML parts. We look at the bytes, the zip directory and then every part's real
inflated content (streamed, never held whole) first, so that a legacy or encrypted file, a file of another
kind, a zip bomb or an XML bomb is refused with a clear message and exit status 2 before calamine or
openpyxl spend memory on it. The limits and the reasons for them are in docs/security.md.
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..a1 import cell_name, column_index
from ..errors import EncryptedWorkbook, InputNotFound, InputUnreadable, UnsafeInput, UnsupportedFormat

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

# Limits checked before parsing (docs/security.md). The county-scale workbook (2,000 projects, 30,000
# indicators) is far below each; 1,048,576 rows of trailing formatting inflate to about 80 MB.
MAX_ENTRY_BYTES = 256 * 1024 * 1024  # one inflated part
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # all inflated parts together
MAX_RATIO = 200  # inflated / compressed, for parts larger than RATIO_FLOOR
RATIO_FLOOR = 8 * 1024 * 1024
MAX_ENTRIES = 10_000
MAX_VALUE_CELLS = 2_000_000  # cells that hold a value, over all sheets
MAX_SHEET_AREA = 5_000_000  # rows x columns from A1 to a sheet's farthest value (readers fill it densely)
PROLOG_BYTES = 64 * 1024  # an XML part's declaration must end (root element start) within this

READ_CHUNK = 1024 * 1024
INFLATE_CHUNK = 4 * 1024 * 1024

SAVE_AS_XLSX = "请在 Excel 或 WPS 中打开它，另存为“Excel 工作簿 (*.xlsx)”后再试。"

# The root element of a worksheet, for its namespace prefix (see _scan_markers).
_SHEET_ROOT_RE = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
# A cell with content: its open tag is not self-closing (formatted empty cells are <c r="A6" s="1"/>).
# The first form (r first, as every spreadsheet program writes it) is about twice as fast to search.
_CONTENT_CELL_RE = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"[^>/]*>')
_BEYOND_SMALL_RE = re.compile(rb'<c r="(?:[A-Z]{2}|[A-Z]\d{6})')  # column AA+ or row 100,000+
SMALL_REFS = (99_999, 25)  # the largest row and column a reference passing _BEYOND_SMALL_RE can have
_ANY_ORDER_CELL_RE = re.compile(rb'<c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>/]*>')
_ROOT_RE = re.compile(rb"<[A-Za-z_]")
_ROOT_RE_UTF16 = re.compile(rb"<\x00[A-Za-z_]\x00|\x00<\x00[A-Za-z_]")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_MACRO_PARTS = re.compile(r"(?i)(^|/)(vbaProject\.bin|macrosheets/|dialogsheets/|vbaProjectSignature)")


@dataclass
class PartInfo:
    """What streaming one zip entry found: its real size, and worksheet markers."""

    name: str
    size: int
    has_formulas: bool = False
    has_hidden: bool = False
    value_cells: int = 0
    last_row: int = 0  # 1-based, of the farthest cell with content
    last_col: int = -1  # 0-based
    implicit_cells: bool = False  # some cells with content have no r="A1" (positions are implied)
    small_refs: bool = False  # some chunks were only checked to stay within SMALL_REFS

    def area(self) -> int:
        """Rows x columns from A1 to the farthest content cell (an upper bound where small_refs)."""
        last_row, last_col = self.last_row, self.last_col
        if self.small_refs:
            last_row, last_col = max(last_row, SMALL_REFS[0]), max(last_col, SMALL_REFS[1])
        return last_row * (last_col + 1)


@dataclass
class Inspection:
    """The result of checking a workbook file; the parts are safe to parse within the limits above."""

    path: Path
    parts: dict[str, PartInfo] = field(default_factory=dict)

    @property
    def has_macros(self) -> bool:
        return any(_MACRO_PARTS.search(name) for name in self.parts)


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
        raise InputNotFound(f"{p}：不是普通文件。")
    if not os.access(p, os.R_OK):
        raise InputUnreadable(f"{p}：没有读取该文件的权限。请检查文件权限，或先把文件复制到自己的文件夹。")
    try:
        with p.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise InputUnreadable(f"{p}：无法读取（{exc.strerror or exc}）。请检查文件权限。") from None
    return p


def check_xlsx(path: str | os.PathLike[str]) -> Path:
    """Refuse anything that is not a safe .xlsx/.xlsm before it is parsed."""
    return inspect_xlsx(path).path


def inspect_xlsx(path: str | os.PathLike[str]) -> Inspection:
    """Check kind, zip directory and every part's real content; return what was found."""
    p = check_input_file(path)
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
        raise UnsupportedFormat(f"{p}：这是旧版 Excel 97-2003 (.xls) 文件，不支持。{SAVE_AS_XLSX}")
    if not any(head.startswith(m) for m in ZIP_MAGIC):
        kind = "CSV/文本文件" if suffix in (".csv", ".txt", ".tsv") else "不是 Excel 工作簿"
        raise UnsupportedFormat(f"{p}：{kind}（不是 xlsx 格式）。{SAVE_AS_XLSX}")
    inspection = _inspect_zip(p, _check_kind, "xlsx")
    for part in inspection.parts.values():
        if part.implicit_cells or (part.small_refs and part.area() > MAX_SHEET_AREA):
            part.last_row, part.last_col = _content_bounds(p, part.name)  # exact, by a streaming parse
            part.implicit_cells = part.small_refs = False
        if part.area() > MAX_SHEET_AREA:
            raise UnsafeInput(_far_cell_message(p, part))
    cells = sum(part.value_cells for part in inspection.parts.values())
    if cells > MAX_VALUE_CELLS:
        raise UnsafeInput(f"{p}：工作簿有 {cells} 个有值的单元格，超过上限 {MAX_VALUE_CELLS}，已拒绝。"
                          "请删除不需要的工作表或数据后再试。")
    return inspection


def _inspect_zip(p: Path, check_kind, kind: str) -> Inspection:
    """Directory limits, then every part streamed (real size, CRC, DTD, worksheet markers)."""
    inspection = Inspection(p)
    try:
        with zipfile.ZipFile(p) as archive:
            infos = archive.infolist()
            check_kind(p, {info.filename for info in infos})
            _check_directory(p, infos)
            with p.open("rb") as raw:
                for info in infos:
                    inspection.parts[info.filename] = _stream_part(p, raw, info)
    except zipfile.BadZipFile:
        raise UnsupportedFormat(f"{p}：文件已损坏或不完整（不是有效的 zip/{kind}）。请重新保存或重新下载该文件。") from None
    except OSError as exc:
        raise InputUnreadable(f"{p}：无法读取（{exc.strerror or exc}）。") from None
    return inspection


def _content_bounds(path: Path, name: str) -> tuple[int, int]:
    """(last row, last column) of cells with content, by a streaming parse that follows implied positions.

    Only for the rare sheets whose cells omit r="A1", or that are both wide and long enough for the
    quick bound to exceed the limit; the part has passed every check above.
    """
    from defusedxml.ElementTree import iterparse

    last_row, last_col, row, col = 0, -1, 0, -1
    with zipfile.ZipFile(path) as archive, archive.open(name) as source:
        for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
            tag = element.tag.rsplit("}", 1)[-1]
            if event == "start" and tag == "row":
                row, col = int(element.get("r") or row + 1), -1
            elif event == "end" and tag == "c":
                ref = element.get("r")
                if ref:
                    match = re.match(r"([A-Z]{1,3})(\d+)$", ref)
                    if match:
                        row, col = int(match.group(2)), column_index(match.group(1))
                else:
                    col += 1
                if len(element):
                    last_row, last_col = max(last_row, row), max(last_col, col)
                element.clear()
    return last_row, last_col


def _far_cell_message(path: Path, part: PartInfo) -> str:
    from .sheet_scan import sheet_name_of  # sheet_scan builds on this module

    where = sheet_name_of(path, part.name)
    far = cell_name(part.last_row, part.last_col)
    return (f"{path}：工作表“{where}”在很远的单元格（最远到 {far}）有内容，使表格范围达到 {part.last_row} 行 × "
            f"{part.last_col + 1} 列，超过上限 {MAX_SHEET_AREA} 个单元格，已拒绝。请删除远处误填的内容"
            "（Ctrl+End 可跳到最后一个单元格）后另存再试。")



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


def _stream_part(path: Path, raw, info: zipfile.ZipInfo) -> PartInfo:
    """Inflate one entry in bounded chunks, trusting nothing the zip directory declares.

    The real inflated size may not exceed the declared one (nor the limits), the CRC must match, and an XML
    part may not carry a document type declaration: OOXML never has one, and it is where entity bombs
    (billion laughs) and external entities live.
    """
    part = PartInfo(info.filename, 0)
    lower = info.filename.lower()
    is_xml = lower.endswith(_XML_SUFFIXES)
    is_sheet = is_xml and lower.startswith("xl/worksheets/")
    head = b""
    carry = b""
    prefix = None
    crc = 0
    for out in _inflate(raw, info):
        part.size += len(out)
        if part.size > info.file_size:
            raise UnsafeInput(f"{path}：内部文件 {info.filename} 实际解压后大于声明的 {info.file_size} 字节，"
                              "疑似“压缩炸弹”或被篡改，已拒绝。")
        _check_size(path, info.filename, part.size, info.compress_size)
        crc = zlib.crc32(out, crc)
        if is_xml and len(head) < PROLOG_BYTES:
            head += out[: PROLOG_BYTES - len(head)]
        if is_sheet:
            if prefix is None:
                prefix = _sheet_prefix(path, info.filename, head)
            carry = _scan_markers(part, carry + out, prefix)
    if is_sheet and carry:
        _scan_markers(part, carry, prefix or b"", final=True)
    if part.size != info.file_size or crc != info.CRC:
        raise UnsafeInput(f"{path}：内部文件 {info.filename} 的实际内容与声明不符（大小或校验和不对），"
                          "文件已损坏或被篡改，已拒绝。请重新保存或重新下载该文件。")
    if is_xml and part.size:
        _check_prolog(path, info.filename, head)
    return part


def _sheet_prefix(path: Path, name: str, head: bytes) -> bytes:
    """The namespace prefix of a worksheet's elements (usually none), from the start of its XML.

    The marker scan reads UTF-8 bytes; Excel, WPS and LibreOffice always write UTF-8, so a worksheet in
    another encoding is refused rather than scanned blind (it could hide cells from the cell limit).
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<"):
        raise UnsupportedFormat(f"{path}：工作表 {name} 不是 UTF-8 编码，Excel 不会生成这样的文件。{SAVE_AS_XLSX}")
    root = _SHEET_ROOT_RE.search(head)
    return (root.group(1) or b"") if root else b""


def _scan_markers(part: PartInfo, data: bytes, prefix: bytes, final: bool = False) -> bytes:
    """Note formulas, hidden rows/columns and value cells in worksheet XML; return the unscanned tail.

    The tail starts at the last '<', so a tag is never split between two chunks. Only bytes.find/count
    are used (each one pass in C): this runs over every byte of every sheet.
    """
    cut = len(data) if final else data.rfind(b"<")
    if cut <= 0:
        return data
    if not part.has_formulas:  # every formula has a </f>, except shared-formula followers of one that has
        part.has_formulas = data.find(b"</" + prefix + b"f>", 0, cut) >= 0
    if not part.has_hidden:
        part.has_hidden = data.find(b"hidden", 0, cut) >= 0
    # <v> holds a cell's value, <is> an inline string; no other sheet element starts with these letters.
    values = data.count(b"<" + prefix + b"v", 0, cut) + data.count(b"</" + prefix + b"is>", 0, cut)
    part.value_cells += values
    if values or data.find(b"</" + prefix + b"f>", 0, cut) >= 0:  # skip chunks of formatting only
        if prefix:
            text = data[:cut].replace(b"<" + prefix + b"c ", b"<c ").replace(b"<" + prefix + b"c>", b"<c>")
            start, stop = 0, len(text)
        else:
            text, start, stop = data, 0, cut
        cells = text.count(b"<c ", start, stop) + text.count(b"<c>", start, stop)
        if text.count(b'<c r="', start, stop) == cells:
            if not _BEYOND_SMALL_RE.search(text, start, stop):
                part.small_refs = True  # columns A-Z, rows below 100,000: no need to read each reference
                return data[cut:]
            refs = _CONTENT_CELL_RE.findall(text, start, stop)
        else:
            refs = _ANY_ORDER_CELL_RE.findall(text, start, stop)
            part.implicit_cells = part.implicit_cells or len(refs) < text.count(b"<c>", start, stop) + sum(
                1 for _ in re.finditer(rb"<c\s(?![^>]*\br=)[^>/]*>", text[start:stop]))
        if refs:
            letters, digits = zip(*refs)
            part.last_row = max(part.last_row, max(map(int, digits)))
            part.last_col = max(part.last_col, max(column_index(c.decode()) for c in set(letters)))
    return data[cut:]



def _check_prolog(path: Path, name: str, head: bytes) -> None:
    """Refuse a DTD (entity declarations, external entities) before the root element of an XML part."""
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<")
    match = (_ROOT_RE_UTF16 if utf16 else _ROOT_RE).search(head)
    prolog = head[: match.start()] if match else head
    markers = (b"<!DOCTYPE", b"<!ENTITY")
    if utf16:
        markers += tuple(m.decode().encode(enc) for m in markers for enc in ("utf-16-le", "utf-16-be"))
    if any(m in prolog for m in markers) or (match is None and len(head) >= PROLOG_BYTES):
        raise UnsafeInput(f"{path}：内部文件 {name} 含有 DTD/实体声明（可能是“XML 炸弹”或外部实体攻击），"
                          "Excel 不会生成这样的文件，已拒绝。请用 Excel 重新保存或向发件人核实。")


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
    _inspect_zip(p, _check_docx_kind, "docx")
    return p


def _check_docx_kind(path: Path, names: set[str]) -> None:
    if "xl/workbook.xml" in names:
        raise UnsupportedFormat(f"{path}：这是 Excel 工作簿，不是发布的绩效文档。校验工作簿请用 wbe validate。")
    if "word/document.xml" not in names:
        raise UnsupportedFormat(f"{path}：压缩包里没有 Word 正文 (word/document.xml)，不是 docx 文件。")
