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


# -- issue 26: hostile input round 3, as families (the attack in several spellings) ---------------------------
# Each family is one attack; its spellings are generated, not hand-picked, so that a fix for one spelling
# that misses the others fails. The suite runs the first spelling of each family through every command
# (REFUSED) and every spelling through the library API (tests/test_hostile_input.py); the exhaustive run is
# benchmarks/hostile_matrix.py. ``FAMILY_CODES`` says which refusal code (errors.coded) each family gets.
SHEET_CT = b"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _sample_parts() -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(SAMPLE) as archive:
        return [(info.filename, archive.read(info.filename)) for info in archive.infolist()]


def _write_parts(target: Path, parts: list[tuple[str, bytes]]) -> Path:
    import warnings

    with warnings.catch_warnings(), zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # a duplicate name is the point of some files
        for name, data in parts:
            archive.writestr(name, data)
    return target


def _hostile_sheet() -> bytes:
    """The 项目 sheet with the far cell that made calamine abort (round 2)."""
    return far_rows(FAR_CELL)(dict(_sample_parts())[PROJECTS_PART])


def _patch_names(data: bytes, old: bytes, new: bytes, *, local: bool = True, central: bool = True,
                 count: int = 1) -> bytes:
    """Replace an entry's name (same length) in local headers and/or the central directory."""
    assert len(old) == len(new)
    out = bytearray(data)
    for signature, offset, wanted in ((b"PK\x03\x04", 30, local), (b"PK\x01\x02", 46, central)):
        done, at = 0, 0
        while wanted and done < count and (at := out.find(signature, at)) >= 0:
            length = struct.unpack_from("<H", out, at + (26 if offset == 30 else 28))[0]
            if out[at + offset: at + offset + length] == old:
                out[at + offset: at + offset + length] = new
                done += 1
            at += 4
    return bytes(out)


def _duplicate(order: str, second: str) -> Callable[[Path], Path]:
    """The 项目 part twice: the benign one and a hostile one named ``second`` (placeholder bytes patched)."""
    def build(folder: Path) -> Path:
        parts = _sample_parts()
        placeholder = PROJECTS_PART + "Z" if second == "nul" else second
        hostile = (placeholder, _hostile_sheet())
        index = next(i for i, (name, _) in enumerate(parts) if name == PROJECTS_PART)
        parts.insert(index if order == "before" else index + 1, hostile)
        target = _write_parts(folder / f"dup-{order}-{second.replace('/', '_')}.xlsx", parts)
        if second == "nul":  # xl/worksheets/sheet2.xmlZ -> xl/worksheets/sheet2.xml\0 (lengths kept)
            target.write_bytes(_patch_names(target.read_bytes(), placeholder.encode(), PROJECTS_PART.encode() + b"\x00"))
        return target
    return build


def _local_mismatch(where: str) -> Callable[[Path], Path]:
    """The hostile sheet stored as sheet8 with its local header (or its directory entry) saying sheet2."""
    def build(folder: Path) -> Path:
        parts = [(name, data) for name, data in _sample_parts() if name != PROJECTS_PART]
        parts += [("xl/worksheets/sheet8.xml", _hostile_sheet()), (PROJECTS_PART, dict(_sample_parts())[PROJECTS_PART])]
        target = _write_parts(folder / f"local-mismatch-{where}.xlsx", parts)
        old, new = b"xl/worksheets/sheet8.xml", b"xl/worksheets/sheet9.xml"
        target.write_bytes(_patch_names(target.read_bytes(), old, new, local=where == "local",
                                        central=where == "central"))
        return target
    return build


def _two_end_records(how: str) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        benign = SAMPLE.read_bytes()
        target = folder / f"two-eocd-{how}.xlsx"
        if how == "appended-zip":  # a hostile package, then the benign one: readers differ on which is read
            hostile = _write_parts(folder / "hostile-part.zip", [
                (n, _hostile_sheet() if n == PROJECTS_PART else d) for n, d in _sample_parts()]).read_bytes()
            target.write_bytes(hostile + benign)
        else:  # the end record repeated inside the comment of the first
            end = benign.rindex(b"PK\x05\x06")
            record = bytearray(benign[end:end + 22])
            struct.pack_into("<H", record, 20, 22)
            target.write_bytes(benign[:end] + bytes(record) + benign[end:end + 22])
        return target
    return build


def _wrapped(open_tag: bytes, close_tag: bytes, *, merge: bool = False) -> Callable[[bytes], bytes]:
    def change(xml: bytes) -> bytes:
        xml = merged_over(b"A11:XFD1048576")(xml) if merge else far_rows(FAR_CELL)(xml)
        at = xml.index(b"<worksheet")
        return xml[:at] + open_tag + xml[at:] + close_tag
    return change


def _renamed_root(root: bytes, hostile: bool = False) -> Callable[[bytes], bytes]:
    return lambda xml: (far_rows(FAR_CELL)(xml) if hostile else xml).replace(b"<worksheet", b"<" + root, 1).replace(
        b"</worksheet>", b"</" + root + b">")


def _prolog(before_root: bytes) -> Callable[[bytes], bytes]:
    def change(xml: bytes) -> bytes:
        xml = far_rows(FAR_CELL)(xml)
        at = xml.index(b"<worksheet")
        return xml[:at] + before_root + xml[at:]
    return change


def _renamed_part(new_name: str) -> Callable[[Path], Path]:
    """The 项目 sheet stored as ``new_name`` (relationship and content type follow it)."""
    def build(folder: Path) -> Path:
        short = PROJECTS_PART.split("/", 1)[1].encode()
        parts = []
        for name, data in _sample_parts():
            if name == PROJECTS_PART:
                parts.append((new_name, data))
                continue
            if name == "xl/_rels/workbook.xml.rels":
                data = data.replace(short, new_name.split("/", 1)[1].encode())
            if name == "[Content_Types].xml":
                data = data.replace(b"/" + PROJECTS_PART.encode(), b"/" + new_name.encode())
            parts.append((name, data))
        return _write_parts(folder / ("renamed-" + new_name.rsplit("/", 1)[1].replace(".", "_") + ".xlsx"), parts)
    return build


def _content_type(change: Callable[[bytes], bytes], name: str) -> Callable[[Path], Path]:
    return lambda folder: rezip(SAMPLE, folder / name, replace={"[Content_Types].xml": change})


def _declared(part: str, encoding: bytes, name: str) -> Callable[[Path], Path]:
    return lambda folder: rezip(SAMPLE, folder / name, replace={
        part: lambda d: d.replace(b'encoding="UTF-8"', b'encoding="' + encoding + b'"', 1)})


def _styles(inner: bytes, count: int, parent: bytes = b"cellXfs") -> Callable[[bytes], bytes]:
    def change(xml: bytes) -> bytes:
        at = xml.index(b"</" + parent + b">")
        return xml[:at] + inner * count + xml[at:]
    return change


def _comments_bomb(folder: Path) -> Path:
    return rezip(SAMPLE, folder / "comments-bomb.xlsx", replace={
        "xl/comments1.xml": lambda d: d.replace(b"</commentList>", b'<comment ref="A1" authorId="0"><text>'
                                                + b"<r/>" * 2_100_000 + b"</text></comment></commentList>")})


def _docx_wrapped(folder: Path) -> Path:
    import docx as python_docx

    plain = folder / "plain-w.docx"
    document = python_docx.Document()
    document.add_paragraph("第一部分")
    document.save(str(plain))

    def wrap(xml: bytes) -> bytes:
        at = xml.index(b"<w:document")
        return xml[:at] + b"<wrap>" + xml[at:] + b"</wrap>"
    return rezip(plain, folder / "docx-wrapped.docx", replace={"word/document.xml": wrap})


def _spellings(prefix: str, builders: dict[str, Callable[[Path], Path]]) -> dict[str, Callable[[Path], Path]]:
    return {f"{prefix}-{name}": build for name, build in builders.items()}


FAMILIES: dict[str, dict[str, Callable[[Path], Path]]] = {
    "zip-duplicate-name": _spellings("zip-duplicate-name", {
        "nul-after": _duplicate("after", "nul"), "nul-before": _duplicate("before", "nul"),
        "exact": _duplicate("after", PROJECTS_PART), "case": _duplicate("after", PROJECTS_PART.upper()),
    }),
    "zip-local-header-mismatch": _spellings("zip-local-header-mismatch", {
        "local": _local_mismatch("local"), "central": _local_mismatch("central")}),
    "zip-two-end-records": _spellings("zip-two-end-records", {
        "appended-zip": _two_end_records("appended-zip"), "in-comment": _two_end_records("in-comment")}),
    "sheet-root-not-worksheet": _spellings("sheet-root-not-worksheet", {
        "wrapped": _rezipped("root-wrapped.xlsx", replace={PROJECTS_PART: _wrapped(b"<wrap>", b"</wrap>")}),
        "wrapped-prefixed": _rezipped("root-wrapped-ns.xlsx", replace={PROJECTS_PART: _wrapped(
            b'<q:outer xmlns:q="urn:x">', b"</q:outer>")}),
        "wrapped-merge-bomb": _rezipped("root-wrapped-merge.xlsx", replace={PROJECTS_PART: _wrapped(
            b"<wrap>", b"</wrap>", merge=True)}),
        "chartsheet": _rezipped("root-chartsheet.xlsx", replace={PROJECTS_PART: _renamed_root(b"chartsheet")}),
        "dialogsheet": _rezipped("root-dialogsheet.xlsx", replace={PROJECTS_PART: _renamed_root(b"dialogsheet")}),
        "unknown": _rezipped("root-unknown.xlsx", replace={PROJECTS_PART: _renamed_root(b"sheetx", hostile=True)}),
    }),
    "xml-prolog-ambiguous": _spellings("xml-prolog-ambiguous", {
        "second-declaration": _rezipped("prolog-decl.xlsx", replace={PROJECTS_PART: _prolog(
            b'<?xml version="1.0" encoding="UTF-8"?>')}),
        "text-before-root": _rezipped("prolog-text.xlsx", replace={PROJECTS_PART: _prolog(b"garbage")}),
        "declaration-after-comment": _rezipped("prolog-comment.xlsx", replace={PROJECTS_PART: _prolog(
            b'<!-- x --><?xml version="1.0"?>')}),
        "element-before-root": _rezipped("prolog-element.xlsx", replace={PROJECTS_PART: _prolog(b"<a/>")}),
    }),
    "sheet-part-name": _spellings("sheet-part-name", {
        "bin": _renamed_part("xl/worksheets/sheet2.bin"), "no-extension": _renamed_part("xl/worksheets/sheet2"),
        "bak": _renamed_part("xl/worksheets/sheet2.xml.bak"),
    }),
    "sheet-content-type": _spellings("sheet-content-type", {
        "override-dropped": _content_type(lambda d: re.sub(
            rb'<Override PartName="/xl/worksheets/sheet2.xml"[^>]*/>', b"", d), "ct-dropped.xlsx"),
        "override-chartsheet": _content_type(lambda d: d.replace(
            b'/xl/worksheets/sheet2.xml" ContentType="' + SHEET_CT,
            b'/xl/worksheets/sheet2.xml" ContentType="' + SHEET_CT.replace(b"worksheet", b"chartsheet")), "ct-chart.xlsx"),
    }),
    "declared-encoding": _spellings("declared-encoding", {
        "gbk-strings": _declared(STRINGS_PART, b"GBK", "enc-gbk.xlsx"),
        "unknown-sheet": _declared(PROJECTS_PART, b"x-no-such-encoding", "enc-unknown.xlsx"),
        "gb2312-workbook": _declared("xl/workbook.xml", b"gb2312", "enc-gb2312.xlsx"),
        "latin1-styles": _declared("xl/styles.xml", b"ISO-8859-1", "enc-latin1.xlsx"),
    }),
    "styles-bomb": _spellings("styles-bomb", {
        "cell-xfs": _rezipped("xf-bomb.xlsx", replace={"xl/styles.xml": _styles(b"<xf/>", 450_000)}),
        "fonts": _rezipped("font-bomb.xlsx", replace={"xl/styles.xml": _styles(b"<font><b/></font>", 250_000, b"fonts")}),
        "fills": _rezipped("fill-bomb.xlsx", replace={"xl/styles.xml": _styles(b"<fill/>", 450_000, b"fills")}),
    }),
    "comments-bomb": {"comments-bomb-runs": _comments_bomb},
    "docx-root-wrapped": {"docx-root-wrapped": _docx_wrapped},
}
# The refusal code each family gets (None: a refusal of round 2 without a code, e.g. the far cell named).
FAMILY_CODES: dict[str, set[str | None]] = {
    "zip-duplicate-name": {"WBE-I020"}, "zip-local-header-mismatch": {"WBE-I021"},
    "zip-two-end-records": {"WBE-I022"}, "sheet-root-not-worksheet": {"WBE-I023"},
    "xml-prolog-ambiguous": {"WBE-I024", "WBE-I023"}, "sheet-part-name": {"WBE-I025"},
    "sheet-content-type": {"WBE-I025"}, "declared-encoding": {"WBE-I026"}, "styles-bomb": {"WBE-I030"},
    "comments-bomb": {"WBE-I030", None}, "docx-root-wrapped": {"WBE-I010"},
}
# One spelling per family in REFUSED (every command of the suite meets it).
for _family, _members in FAMILIES.items():
    _first = next(iter(_members))
    REFUSED[_first] = _members[_first]

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
