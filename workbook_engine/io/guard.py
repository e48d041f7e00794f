"""Checks made before any parser touches an input file.

A workbook is a zip of XML parts. We look at the bytes and at the zip directory first, so that a legacy
or encrypted file, a file of another kind, or a zip bomb is refused with a clear message and exit status 2
before calamine or openpyxl would spend memory on it.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from ..errors import EncryptedWorkbook, InputNotFound, InputUnreadable, UnsafeInput, UnsupportedFormat

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

# Limits checked on the zip directory before parsing (docs/security.md).
MAX_ENTRY_BYTES = 512 * 1024 * 1024  # one inflated part
MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # all inflated parts together
MAX_RATIO = 200  # inflated / compressed, for parts larger than RATIO_FLOOR
RATIO_FLOOR = 8 * 1024 * 1024
MAX_ENTRIES = 10_000

SAVE_AS_XLSX = "请在 Excel 或 WPS 中打开它，另存为“Excel 工作簿 (*.xlsx)”后再试。"


def check_input_file(path: str | os.PathLike[str]) -> Path:
    """The path as a readable regular file, or an InputError saying what is wrong and what to do."""
    p = Path(path)
    if not p.exists():
        raise InputNotFound(f"{p}：文件不存在。请检查路径和文件名。")
    if p.is_dir():
        raise InputNotFound(f"{p}：这是一个文件夹，不是文件。请给出工作簿文件的路径。")
    if not p.is_file():
        raise InputNotFound(f"{p}：不是普通文件。")
    try:
        with p.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise InputUnreadable(f"{p}：无法读取（{exc.strerror or exc}）。请检查文件权限。") from None
    return p


def check_xlsx(path: str | os.PathLike[str]) -> Path:
    """Refuse anything that is not a safe .xlsx/.xlsm before it is parsed."""
    p = check_input_file(path)
    with p.open("rb") as handle:
        head = handle.read(8)
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
        kind = "CSV/文本" if suffix in (".csv", ".txt", ".tsv") else "不是 Excel 工作簿"
        raise UnsupportedFormat(f"{p}：{kind}（不是 xlsx 格式）。{SAVE_AS_XLSX}")
    try:
        with zipfile.ZipFile(p) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if "mimetype" in names and "content.xml" in names:
                raise UnsupportedFormat(f"{p}：这是 OpenDocument 表格 (.ods)，不支持。{SAVE_AS_XLSX}")
            if "xl/workbook.bin" in names:
                raise UnsupportedFormat(f"{p}：这是 Excel 二进制工作簿 (.xlsb)，不支持。{SAVE_AS_XLSX}")
            if "xl/workbook.xml" not in names:
                raise UnsupportedFormat(f"{p}：压缩包里没有 Excel 工作簿 (xl/workbook.xml)，不是 xlsx 文件。{SAVE_AS_XLSX}")
            _check_zip_limits(p, infos)
    except zipfile.BadZipFile:
        raise UnsupportedFormat(f"{p}：文件已损坏或不完整（不是有效的 zip/xlsx）。请重新保存或重新下载该文件。") from None
    except OSError as exc:
        raise InputUnreadable(f"{p}：无法读取（{exc}）。") from None
    return p


def _check_zip_limits(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise UnsafeInput(f"{path}：工作簿内部文件数 {len(infos)} 超过上限 {MAX_ENTRIES}，疑似恶意文件，已拒绝。")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_ENTRY_BYTES:
            raise UnsafeInput(
                f"{path}：内部文件 {info.filename} 解压后 {info.file_size // 2**20} MB，超过上限，疑似“压缩炸弹”，已拒绝。"
            )
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UnsafeInput(
                f"{path}：内部文件 {info.filename} 压缩比异常（{info.file_size // max(info.compress_size, 1)} 倍），"
                "疑似“压缩炸弹”，已拒绝。"
            )
    if total > MAX_TOTAL_BYTES:
        raise UnsafeInput(f"{path}：工作簿解压后共 {total // 2**20} MB，超过上限，疑似“压缩炸弹”，已拒绝。")


def _ole_is_encrypted(path: Path) -> bool:
    """An OLE compound file holding EncryptionInfo is an encrypted OOXML workbook, not a legacy .xls."""
    try:
        data = path.read_bytes()[: 4 * 1024 * 1024]
    except OSError:
        return False
    return "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data


def check_docx(path: str | os.PathLike[str]) -> Path:
    """Refuse anything that is not a safe .docx before python-docx parses it."""
    p = check_input_file(path)
    with p.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(OLE_MAGIC):
        raise UnsupportedFormat(f"{p}：这是旧版 Word 97-2003 (.doc) 文件或已加密的文档，不支持。"
                                "请在 Word 或 WPS 中另存为“Word 文档 (*.docx)”后再试。")
    if not any(head.startswith(m) for m in ZIP_MAGIC):
        raise UnsupportedFormat(f"{p}：不是 docx 文件。请另存为“Word 文档 (*.docx)”，或导入文本导出 (.txt)。")
    try:
        with zipfile.ZipFile(p) as archive:
            infos = archive.infolist()
            if "word/document.xml" not in {info.filename for info in infos}:
                raise UnsupportedFormat(f"{p}：压缩包里没有 Word 正文 (word/document.xml)，不是 docx 文件。")
            _check_zip_limits(p, infos)
    except zipfile.BadZipFile:
        raise UnsupportedFormat(f"{p}：文件已损坏或不完整（不是有效的 docx）。请重新保存后再试。") from None
    return p
