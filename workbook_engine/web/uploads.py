"""Reading uploads: the size limit is enforced while the body streams in, before anything is parsed.

The request body is counted chunk by chunk; once it passes the limit the upload stops with a 413 page
(a Content-Length above the limit is refused before reading at all). Files are copied into the session's
folder under a server-chosen name; the name the browser sent is only display text.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import AsyncGenerator

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from .storage import display_name

SUFFIXES = {".xlsx": "xlsx", ".xlsm": "xlsx", ".docx": "docx", ".txt": "txt"}
OVERHEAD = 64 * 1024  # multipart boundaries and the small fields


class UploadRefused(Exception):
    """An upload the page refuses: the message is one Chinese line; ``status`` the HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB"


async def read_form(request: Request, limit: int, *, max_files: int = 1) -> FormData:
    """The multipart form, refused with 413 as soon as the body passes ``limit`` bytes."""
    too_large = UploadRefused(f"上传的文件超过大小上限 {megabytes(limit)}。请拆分后分别上传，或联系管理员调高上限。", 413)
    length = request.headers.get("content-length")
    if length is not None:
        try:
            if int(length) > limit + OVERHEAD:
                raise too_large
        except ValueError:
            raise UploadRefused("请求格式不正确。", 400) from None
    if "multipart/form-data" not in request.headers.get("content-type", ""):
        raise UploadRefused("请通过页面上的表单上传文件。", 400)

    async def counted() -> AsyncGenerator[bytes, None]:
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit + OVERHEAD:
                raise too_large
            yield chunk

    try:
        return await MultiPartParser(request.headers, counted(), max_files=max_files, max_fields=2000).parse()
    except MultiPartException:
        raise UploadRefused("上传的表单格式不正确，或一次上传的文件太多。请重新选择文件上传。", 400) from None


def uploaded_files(form: FormData, field: str) -> list[UploadFile]:
    return [f for f in form.getlist(field) if isinstance(f, UploadFile) and (f.filename or f.size)]


def kind_of_name(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise UploadRefused(f"{name}：这是旧版 Excel 97-2003 (.xls) 文件，不支持。"
                            "请在 Excel 或 WPS 中打开它，另存为“Excel 工作簿 (*.xlsx)”后再试。")
    if suffix not in SUFFIXES:
        raise UploadRefused(f"{name}：不支持这种文件。请上传规范工作簿或官方格式工作簿（.xlsx），"
                            "或发布的绩效文本（.docx 或 .txt）。")
    return SUFFIXES[suffix]


def save(upload: UploadFile, target: Path, limit: int) -> tuple[str, int]:
    """Copy an uploaded file to ``target``; returns (display name, size)."""
    name = display_name(upload.filename)
    upload.file.seek(0)
    with target.open("xb") as out:
        shutil.copyfileobj(upload.file, out, 1024 * 1024)
    size = target.stat().st_size
    if size > limit:
        target.unlink()
        raise UploadRefused(f"{name}：文件超过大小上限 {megabytes(limit)}。", 413)
    if size == 0:
        target.unlink()
        raise UploadRefused(f"{name}：文件是空的（0 字节）。请确认文件已完整保存后再上传。")
    return name, size
