"""The engine's exceptions, in one place (after XlsxWriter's exceptions.py).

Every exception carries a Chinese message a member of staff can act on: what went wrong, where (file,
sheet, cell or line) and what to do. The CLI prints ``str(exc)`` and exits with ``exit_code``; it never
shows a traceback for these.
"""

from __future__ import annotations


class WorkbookEngineError(Exception):
    """Base class of every error the engine raises on purpose."""

    exit_code = 2
    code: str | None = None  # its WBE-I… catalogue code (findings.INPUT_CODES), when it has one


class InputError(WorkbookEngineError):
    """An input cannot be used at all (exit status 2)."""


class InputNotFound(InputError):
    """The path does not exist or is not a regular file."""


class InputUnreadable(InputError):
    """The file exists but cannot be read (permissions, I/O)."""


class UnsupportedFormat(InputError):
    """A file of the wrong kind: legacy .xls, .xlsb, .ods, .csv, not a zip, ..."""


class EncryptedWorkbook(InputError):
    """A password-protected workbook; we cannot and must not guess the password."""


class UnsafeInput(InputError):
    """Input refused by a safety limit (zip bomb, XML entity expansion, too many cells)."""


class DocumentError(InputError):
    """A published document that does not follow the expected structure; names the line."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        where = ""
        if path and line:
            where = f"{path} 第 {line} 行："
        elif path:
            where = f"{path}："
        super().__init__(where + message)


class OutputError(WorkbookEngineError):
    """An output cannot be written where asked (would overwrite an input, exists, not writable)."""


class UnwritableText(OutputError):
    """Text that an Excel cell cannot hold (too long, not valid Unicode); refused rather than cut."""


class UsageError(WorkbookEngineError):
    """The command was called with options that do not fit together."""


class ExternalToolError(WorkbookEngineError):
    """A program the engine needs is missing or failed (LibreOffice for PDF); exit status 2."""


def coded(kind: type[WorkbookEngineError], code: str, **fields: object) -> WorkbookEngineError:
    """An error of ``kind`` whose message is catalogue entry ``code`` (a WBE-I… refusal) with
    ``fields``; the code travels with it (``exc.code``), for tools that branch on it."""
    from .findings import refusal_message

    error = kind(refusal_message(code, **fields))
    error.code = code
    return error
