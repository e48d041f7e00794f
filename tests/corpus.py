"""A corpus of broken, odd and hostile files, generated in a temporary folder from the shipped sample.

``REFUSED`` files must make every command exit with status 2 and one clear line; ``ODD`` files are
readable and must give the listed finding codes. Each builder takes a folder and returns the path it made;
names say what is wrong with the file (docs/security.md lists them with the threat they stand for).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from .conftest import SAMPLE, SEED

PROJECTS_PART = "xl/worksheets/sheet2.xml"  # the sample's 项目 sheet
STRINGS_PART = "xl/sharedStrings.xml"
MAX_EXCEL_ROW = 1_048_576


def rezip(source: Path, target: Path, *, replace: dict[str, bytes | Callable[[bytes], bytes]] | None = None,
          add: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()) -> Path:
    """A copy of a zip with parts replaced (bytes or a function of the old bytes), added or dropped."""
    replace = replace or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename in drop:
                continue
            data = old.read(info.filename)
            change = replace.get(info.filename)
            if change is not None:
                data = change(data) if callable(change) else change
            new.writestr(info.filename, data)
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return target


def _with_doctype(doctype: bytes, reference: bytes) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        body = data[data.index(b"?>") + 2:]
        return b'<?xml version="1.0" encoding="UTF-8"?>' + doctype + body.replace(b"<t>", b"<t>" + reference, 1)
    return change


LAUGHS = b"<!DOCTYPE lolz [<!ENTITY lol \"lol\">" + b"".join(
    b"<!ENTITY lol%d \"%s\">" % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
) + b"]>"
EXTERNAL = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def set_cell_xml(xml: bytes, cell: str, inner: Callable[[bytes, bytes], bytes]) -> bytes:
    """Rewrite one <c> element of a sheet: ``inner(attributes, content)`` returns the new element."""
    pattern = re.compile(rb'<c r="' + cell.encode() + rb'"([^>]*?)(?:/>|>(.*?)</c>)', re.DOTALL)
    match = pattern.search(xml)
    assert match, cell
    return xml[:match.start()] + inner(match.group(1), match.group(2) or b"") + xml[match.end():]


def formula(cell: str, expression: str, *, cached: bool) -> Callable[[bytes], bytes]:
    def change(xml: bytes) -> bytes:
        def inner(attributes: bytes, content: bytes) -> bytes:
            value = re.search(rb"<v>.*?</v>", content)
            attributes = re.sub(rb'\st="[^"]*"', b"", attributes)
            cached_xml = value.group(0) if (cached and value) else b""
            return b'<c r="%s"%s><f>%s</f>%s</c>' % (cell.encode(), attributes, expression.encode(), cached_xml)
        return set_cell_xml(xml, cell, inner)
    return change


def trailing_rows_xml(xml: bytes, first: int, last: int = MAX_EXCEL_ROW, style: int = 1) -> Iterator[bytes]:
    """The sheet XML with formatted empty rows first..last appended to its data, in pieces."""
    head, tail = xml.split(b"</sheetData>", 1)
    yield head
    for start in range(first, last + 1, 10_000):
        yield b"".join(b'<row r="%d" spans="1:14" s="%d" customFormat="1"><c r="A%d" s="%d"/><c r="N%d" s="%d"/></row>'
                       % (r, style, r, style, r, style) for r in range(start, min(start + 10_000, last + 1)))
    yield b"</sheetData>" + tail.replace(b'<dimension ref="A1:N10"/>', b"")


def trailing_formatting(folder: Path) -> Path:
    """The sample with 1,048,576 rows in 项目, all but the first ten empty and formatted."""
    target = folder / "trailing-formatting.xlsx"
    with zipfile.ZipFile(SAMPLE) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename != PROJECTS_PART:
                new.writestr(info.filename, data)
                continue
            data = data.replace(b'<dimension ref="A1:N10"/>', b'<dimension ref="A1:N1048576"/>')
            with new.open(info.filename, "w", force_zip64=True) as part:
                for piece in trailing_rows_xml(data, 11):
                    part.write(piece)
    return target


def _zip_with_part(target: Path, name: str, chunks, count: int) -> Path:
    """The sample plus one large, highly compressible part, written in a streaming way."""
    rezip(SAMPLE, target)
    with zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(name, "w", force_zip64=True) as part:
            for _ in range(count):
                part.write(chunks)
    return target


def zip_bomb_declared(folder: Path) -> Path:
    """A part that inflates to 100 MB from about 100 KB: refused on what the directory declares (ratio)."""
    return _zip_with_part(folder / "zip-bomb-declared.xlsx", "xl/worksheets/sheet9.xml", b" " * 2**20, 100)


def zip_bomb_lying(folder: Path) -> Path:
    """A part declared as 1,000 bytes that really inflates to 100 MB: refused while streaming."""
    target = _zip_with_part(folder / "zip-bomb-lying.xlsx", "xl/media/blob.xml", b" " * 2**20, 100)
    data = bytearray(target.read_bytes())
    name = b"xl/media/blob.xml"
    central = _find_central(data, name)
    struct.pack_into("<I", data, central + 24, 1000)  # uncompressed size in the central directory
    extra_at = central + 46 + len(name)
    extra_length = struct.unpack_from("<H", data, central + 30)[0]
    _shrink_zip64(data, extra_at, extra_length)
    target.write_bytes(bytes(data))
    return target


def _find_central(data: bytearray, name: bytes) -> int:
    position = 0
    while True:
        position = data.index(b"PK\x01\x02", position)
        length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46: position + 46 + length] == name:
            return position
        position += 4


def _shrink_zip64(data: bytearray, extra_at: int, extra_length: int) -> None:
    """Make a zip64 extra field (if any) declare 1,000 bytes too."""
    end = extra_at + extra_length
    while extra_at + 4 <= end:
        tag, size = struct.unpack_from("<HH", data, extra_at)
        if tag == 0x0001:
            struct.pack_into("<Q", data, extra_at + 4, 1000)
        extra_at += 4 + size


def many_entries(folder: Path) -> Path:
    return rezip(SAMPLE, folder / "many-entries.xlsx", add={f"xl/media/n{i}.bin": b"" for i in range(10_001)})


def encrypted(folder: Path) -> Path:
    """An OLE compound file with the streams Excel writes for a password-protected workbook.

    Excel wraps an encrypted .xlsx in an OLE container whose directory names the streams EncryptionInfo
    and EncryptedPackage; the detector looks for exactly that, so this imitation carries the header and a
    directory sector with those names.
    """
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHH", header, 24, 0x3E, 3, 0xFFFE, 9)
    directory = bytearray(512)
    for index, name in enumerate(("Root Entry", "EncryptionInfo", "EncryptedPackage")):
        encoded = name.encode("utf-16-le") + b"\0\0"
        directory[index * 128: index * 128 + len(encoded)] = encoded
        struct.pack_into("<H", directory, index * 128 + 64, len(encoded))
    target = folder / "encrypted.xlsx"
    target.write_bytes(bytes(header) + bytes(directory) + b"\0" * 1024)
    return target


def _zip_of(name: str, parts: dict[str, str | bytes]) -> Callable[[Path], Path]:
    """A builder of a small zip holding just the given parts (enough to look like another format)."""
    def build(folder: Path) -> Path:
        target = folder / name
        with zipfile.ZipFile(target, "w") as archive:
            for part, data in parts.items():
                archive.writestr(part, data)
        return target
    return build


ods = _zip_of("book.ods", {"mimetype": "application/vnd.oasis.opendocument.spreadsheet",
                           "content.xml": "<office:document-content/>"})
xlsb = _zip_of("book.xlsb", {"[Content_Types].xml": "<Types/>", "xl/workbook.bin": b"\x83\x01\x00"})
docx = _zip_of("document.docx", {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})


def docx_billion_laughs(folder: Path) -> Path:
    """A real Word document whose body carries an entity bomb (import reads .docx)."""
    import docx as python_docx

    plain = folder / "plain.docx"
    document = python_docx.Document()
    document.add_paragraph("第一部分")
    document.save(str(plain))
    return rezip(plain, folder / "docx-billion-laughs.docx",
                 replace={"word/document.xml": _with_doctype(LAUGHS, b"&lol9;")})


def crc_mismatch(folder: Path) -> Path:
    """One byte of a stored part changed after the zip was written."""
    target = folder / "crc-mismatch.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(SAMPLE) as old, zipfile.ZipFile(buffer, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, old.read(info.filename), compress_type=zipfile.ZIP_STORED)
    data = bytearray(buffer.getvalue())
    at = data.index("乐亭县应急管理局".encode())
    data[at] ^= 0x01
    target.write_bytes(bytes(data))
    return target


def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        target = folder / name
        target.write_bytes(data)
        return target
    return build


def _directory(folder: Path) -> Path:
    target = folder / "folder.xlsx"
    target.mkdir()
    return target


def _missing(folder: Path) -> Path:
    return folder / "missing.xlsx"


def _rezipped(name: str, **changes) -> Callable[[Path], Path]:
    return lambda folder: rezip(SAMPLE, folder / name, **changes)


def far_rows(rows: bytes) -> Callable[[bytes], bytes]:
    return lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>")


FAR_CELL = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
FAR_CELL_REORDERED = b'<row r="1048576"><c t="inlineStr" r="XFD1048576"><is><t>x</t></is></c></row>'
FAR_CELL_IMPLIED = b'<row r="1048576">' + b"<c><v>1</v></c>" * 16_384 + b"</row>"

MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def far(cell: bytes, *, quote: bytes = b'"', space: bytes = b" ", prefix: bytes = b"") -> bytes:
    """One far cell with a value, in a given legal spelling (quotes, whitespace, namespace prefix)."""
    q = quote
    declare = b" xmlns:" + prefix[:-1] + b"=" + q + MAIN_NS + q if prefix else b""
    return (b"<" + prefix + b"row" + declare + b" r=" + q + b"1048576" + q + b"><" + prefix + b"c" + space + b"r=" + q
            + cell + q + b" t=" + q + b"inlineStr" + q + b"><" + prefix + b"is><" + prefix + b"t>x</" + prefix + b"t></"
            + prefix + b"is></" + prefix + b"c></" + prefix + b"row>")


def merged_over(ref: bytes) -> Callable[[bytes], bytes]:
    """One <mergeCell> after the sheet's data: 60 bytes that cover ``ref``."""
    return lambda xml: xml.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="%s"/></mergeCells>'
                                   % ref, 1)


def big_part(rows: int, columns: int) -> Callable[[bytes], bytes]:
    """The 项目 sheet with rows x columns numbers below its data (each a value cell)."""
    def build(xml: bytes) -> bytes:
        letters = [_letters(c) for c in range(columns)]
        body = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>1</v></c>' % (letters[c], r)
                                                      for c in range(columns)) + b"</row>"
                        for r in range(11, 11 + rows))
        return xml.replace(b"</sheetData>", body + b"</sheetData>").replace(b'<dimension ref="A1:N10"/>', b"")
    return build


def _letters(index: int) -> bytes:
    out = b""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = bytes([65 + rem]) + out
    return out


def many_sheets(count: int, target: str = "rId2") -> Callable[[bytes], bytes]:
    """workbook.xml with ``count`` extra <sheet> entries all reading one part (relationship ``target``)."""
    def change(xml: bytes) -> bytes:
        extra = b"".join(b'<sheet name="S%d" sheetId="%d" r:id="%s"/>' % (i, 100 + i, target.encode())
                         for i in range(count))
        return xml.replace(b"</sheets>", extra + b"</sheets>")
    return change


def far_cell_in_other_part(folder: Path) -> Path:
    """The 项目 sheet, with a far cell, stored under a name no worksheet has (readers follow the relationship)."""
    with zipfile.ZipFile(SAMPLE) as archive:
        sheet = far_rows(FAR_CELL)(archive.read(PROJECTS_PART))
    return rezip(SAMPLE, folder / "far-elsewhere.xlsx", drop=(PROJECTS_PART,), add={"xl/media/data.bin": sheet},
                 replace={"xl/_rels/workbook.xml.rels": lambda d: d.replace(b"worksheets/sheet2.xml", b"media/data.bin")})


def sheets_on_one_part(folder: Path) -> Path:
    """2,000 <sheet> entries that all read one 100,000-cell part: counted once, parsed 2,000 times."""
    return rezip(SAMPLE, folder / "sheets-on-one-part.xlsx", replace={
        PROJECTS_PART: big_part(10_000, 10), "xl/workbook.xml": many_sheets(2_000)})


# name -> builder; every command must refuse each of these with exit status 2 and one line.
REFUSED: dict[str, Callable[[Path], Path]] = {
    "not-a-zip": _bytes("not-a-zip.xlsx", b"This is not a workbook.\n" * 4),
    "truncated-zip": lambda folder: _bytes("truncated.xlsx", SAMPLE.read_bytes()[: SAMPLE.stat().st_size // 2])(folder),
    "empty-file": _bytes("empty.xlsx", b""),
    "directory": _directory,
    "missing-path": _missing,
    "no-read-permission": _bytes("no-permission.xlsx", b"PK\x03\x04"),  # made unreadable by the test
    "legacy-xls": _bytes("legacy.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024),
    "xlsb": xlsb,
    "ods": ods,
    "csv": _bytes("book.csv", "部门编码,项目编码,预算数\n450001,13022524P00CL0E10035D,200\n".encode()),
    "docx-as-workbook": docx,
    "encrypted": encrypted,
    "zip-bomb-declared": zip_bomb_declared,
    "zip-bomb-lying": zip_bomb_lying,
    "many-entries": many_entries,
    "billion-laughs": _rezipped("billion-laughs.xlsx", replace={STRINGS_PART: _with_doctype(LAUGHS, b"&lol9;")}),
    "external-entity": _rezipped("external-entity.xlsx", replace={STRINGS_PART: _with_doctype(EXTERNAL, b"&xxe;")}),
    "crc-mismatch": crc_mismatch,
    "docx-billion-laughs": docx_billion_laughs,
    "damaged-sheet-xml": _rezipped("damaged-sheet.xlsx", replace={PROJECTS_PART: lambda d: d[: len(d) // 2]}),
    "far-cell": _rezipped("far-cell.xlsx", replace={PROJECTS_PART: far_rows(FAR_CELL)}),
    "far-cell-reordered": _rezipped("far-cell-reordered.xlsx", replace={PROJECTS_PART: far_rows(FAR_CELL_REORDERED)}),
    "far-cell-implied": _rezipped("far-cell-implied.xlsx", replace={PROJECTS_PART: far_rows(FAR_CELL_IMPLIED)}),
    # issue 12: the same far cell in every legal spelling, declared sizes, amplification inside the limits
    "far-cell-single-quotes": _rezipped("far-sq.xlsx", replace={PROJECTS_PART: far_rows(far(b"XFD1048576", quote=b"'"))}),
    "far-cell-newline": _rezipped("far-nl.xlsx", replace={PROJECTS_PART: far_rows(far(b"XFD1048576", space=b"\n"))}),
    "far-cell-lower-case": _rezipped("far-lc.xlsx", replace={PROJECTS_PART: far_rows(far(b"xfd1048576"))}),
    "far-cell-prefix": _rezipped("far-ns.xlsx", replace={PROJECTS_PART: far_rows(far(b"XFD1048576", prefix=b"x:"))}),
    "far-cell-leading-zero": _rezipped("far-zero.xlsx", replace={PROJECTS_PART: far_rows(far(b"XFD01048576"))}),
    "far-cell-eight-digit-row": _rezipped("far-8.xlsx", replace={PROJECTS_PART: far_rows(far(b"N99999999"))}),
    "far-cell-character-reference": _rezipped("far-ref.xlsx", replace={
        PROJECTS_PART: far_rows(far(b"&#88;&#70;&#68;1048576"))}),
    "far-cell-in-other-part": far_cell_in_other_part,
    "shared-strings-unique-count": _rezipped("sst-count.xlsx", replace={
        STRINGS_PART: lambda d: re.sub(rb'uniqueCount="\d+"', b'uniqueCount="4294967295"', d)}),
    "merged-far-area": _rezipped("merge-bomb.xlsx", replace={PROJECTS_PART: merged_over(b"A11:XFD1048576")}),
    "sheets-on-one-part": sheets_on_one_part,
    "too-many-sheets": _rezipped("many-sheets.xlsx", replace={"xl/workbook.xml": many_sheets(6_000, "rId5")}),
    "bad-cell-reference": _rezipped("bad-ref.xlsx", replace={
        PROJECTS_PART: lambda d: d.replace(b'<c r="C2"', b'<c r="C 2"', 1)}),
    "utf16-sheet": _rezipped("utf16-sheet.xlsx", replace={
        PROJECTS_PART: lambda d: d.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")}),
}

# What the message must say for some of them (besides the file name).
REFUSED_SAYS: dict[str, str] = {
    "legacy-xls": "另存为", "xlsb": "另存为", "ods": "另存为", "csv": "另存为", "encrypted": "密码",
    "zip-bomb-declared": "压缩炸弹", "zip-bomb-lying": "压缩炸弹", "billion-laughs": "DTD",
    "external-entity": "DTD", "missing-path": "不存在", "directory": "文件夹", "empty-file": "空",
    "no-read-permission": "权限", "truncated-zip": "损坏", "many-entries": "上限", "crc-mismatch": "篡改",
    "damaged-sheet-xml": "项目", "utf16-sheet": "UTF-8", "far-cell": "XFD1048576",
    "far-cell-reordered": "XFD1048576", "far-cell-implied": "XFD1048576",
    "far-cell-single-quotes": "XFD1048576", "far-cell-newline": "XFD1048576", "far-cell-lower-case": "XFD1048576",
    "far-cell-prefix": "XFD1048576", "far-cell-leading-zero": "XFD1048576", "far-cell-eight-digit-row": "N99999999",
    "far-cell-character-reference": "XFD1048576", "far-cell-in-other-part": "XFD1048576",
    "shared-strings-unique-count": "共享字符串", "merged-far-area": "XFD1048576", "sheets-on-one-part": "共用",
    "too-many-sheets": "工作表", "bad-cell-reference": "C 2",
}


# Declared sizes no reader may trust (issue 12): otherwise the sample, so every command must do with each
# exactly what it does with the sample. Excel itself writes <col max="16384"> for a whole-sheet format.
DECLARED: dict[str, Callable[[Path], Path]] = {
    "dimension-whole-sheet": _rezipped("dimension.xlsx", replace={
        PROJECTS_PART: lambda d: d.replace(b'<dimension ref="A1:N10"/>', b'<dimension ref="A1:XFD1048576"/>')}),
    "dimension-beyond-excel": _rezipped("dimension-beyond.xlsx", replace={
        PROJECTS_PART: lambda d: d.replace(b'<dimension ref="A1:N10"/>', b'<dimension ref="A1:ZZZZ99999999999"/>')}),
    "spans-huge": _rezipped("spans.xlsx", replace={PROJECTS_PART: lambda d: d.replace(b'spans="1:14"', b'spans="1:4294967295"')}),
    "col-max-huge-hidden": _rezipped("col-max.xlsx", replace={PROJECTS_PART: lambda d: d.replace(
        b"</cols>", b'<col min="15" max="4294967295" width="9" hidden="1" customWidth="1"/></cols>')}),
    "col-max-whole-sheet": _rezipped("col-max-excel.xlsx", replace={PROJECTS_PART: lambda d: d.replace(
        b"</cols>", b'<col min="15" max="16384" width="9" style="1" customWidth="1"/></cols>')}),
    "shared-strings-count": _rezipped("sst-total.xlsx", replace={
        STRINGS_PART: lambda d: re.sub(rb' count="\d+"', b' count="4294967295"', d)}),
}


def _varied(count: int) -> bytes:
    """``count`` different-looking Chinese characters (repeated text would look like a zip bomb)."""
    import random

    return "".join(map(chr, random.Random(12).choices(range(0x4E00, 0x9FA5), k=count))).encode()


def with_cell_text(folder: Path, name: str, cell: str, text_xml: bytes) -> Path:
    """The sample with the text of one 项目 cell replaced by ``text_xml`` (an inline string, XML-escaped;
    _xHHHH_ escapes are how a workbook stores characters XML cannot carry)."""
    def change(xml: bytes) -> bytes:
        return set_cell_xml(xml, cell, lambda attributes, content: b'<c r="%s"%s t="inlineStr"><is><t>%s</t></is></c>'
                            % (cell.encode(), re.sub(rb'\st="[^"]*"', b"", attributes), text_xml))
    return rezip(SAMPLE, folder / name, replace={PROJECTS_PART: change})


# Text no output can store as it is (issue 12): (builder, code at 项目!I2). Render and publish report it.
UNSTORABLE_TEXT: dict[str, tuple[Callable[[Path], Path], str]] = {
    "cell-of-3.5-million-characters": (lambda folder: with_cell_text(folder, "long-cell.xlsx", "I2", _varied(3_500_000)),
                                       "WBE-E028"),
    "non-character-uffff": (lambda folder: with_cell_text(folder, "uffff.xlsx", "I2", b"abc\xef\xbf\xbfdef"), "WBE-E028"),
    "non-character-ufffe": (lambda folder: with_cell_text(folder, "ufffe.xlsx", "I2", b"abc&#xFFFE;def"), "WBE-E028"),
    "control-characters": (lambda folder: with_cell_text(folder, "control.xlsx", "I2", b"line_x000B_tab_x0001_x"),
                           "WBE-W029"),
}


def seed_variant(folder: Path, name: str, change: Callable[[str], str], encoding: str = "utf-8") -> Path:
    target = folder / name
    target.write_bytes(change(SEED.read_text(encoding="utf-8")).encode(encoding))
    return target


__all__ = [
    "DECLARED",
    "EXTERNAL",
    "LAUGHS",
    "PROJECTS_PART",
    "REFUSED",
    "REFUSED_SAYS",
    "STRINGS_PART",
    "formula",
    "rezip",
    "seed_variant",
    "trailing_formatting",
    "zip_bomb_declared",
    "zip_bomb_lying",
]
