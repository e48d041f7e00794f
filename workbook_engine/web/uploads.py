"""Reading uploads: the size limit is enforced while the body streams in, before anything is parsed.

The request body is counted chunk by chunk; once it passes the limit the upload stops with a 413 page
(a Content-Length above the limit is refused before reading at all). Files are copied into the session's
folder under a server-chosen name; the name the browser sent is only display text.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncGenerator
from pathlib import Path

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from .workspace import display_name

KNOWN_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlt", ".et", ".ett", ".xlsb", ".ods", ".csv", ".tsv", ".docx", ".doc", ".txt")
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


def kind_of_name(name: str) -> tuple[str, str]:
    """(what a file is read as, the suffix it is stored under). 'docx' or 'txt' is a published document,
    anything else 'xlsx': it goes to the workbook guard, which reads .xls and WPS .et (io/legacy.py) and
    refuses .csv, .ods … with the same message as the CLI."""
    suffix = Path(name).suffix.lower()
    kind = "docx" if suffix in (".docx", ".doc") else "txt" if suffix == ".txt" else "xlsx"
    return kind, stored_suffix(name)


def stored_suffix(name: str) -> str:
    """The suffix an upload is stored under: its own when it is a known one (the guard's messages use it),
    else .bin; never anything else the user typed."""
    suffix = Path(name).suffix.lower()
    return suffix if suffix in KNOWN_SUFFIXES else ".bin"


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
    return name, size
