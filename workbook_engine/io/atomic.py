"""Atomic output: write to a temporary file beside the target, rename into place only when complete.

An interrupted run (an exception, Ctrl-C, SIGTERM/SIGHUP, a full disk) leaves the previous output intact and
removes its temporary ``.NAME.*.part`` file (only SIGKILL or a power cut can leave one); an output is never
one of the inputs. An existing output is replaced only when the caller says ``overwrite=True`` (the CLI's
``--overwrite``; docs/security.md). A write that fails for lack of space says so in one line.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import OutputError


def same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (),
                 overwrite: bool = False, suffix: str | None = None) -> Path:
    """Refuse an output that is an input, sits in a missing folder, exists when overwriting is off, or (when
    ``suffix`` is given) has another extension, so that Excel never meets a workbook under a wrong name."""
    target = Path(path)
    if suffix is not None and target.suffix.lower() != suffix:
        raise OutputError(f"{target}：输出文件名应以 {suffix} 结尾（引擎写出的是 {suffix} 文件）。请改用如 "
                          f"{target.stem or '输出'}{suffix} 的文件名。")
    for source in inputs:
        source_path = Path(source)
        if same_file(target, source_path) or target.resolve() == source_path.resolve():
            raise OutputError(f"{target}：输出文件不能覆盖输入文件 {source_path}。请换一个输出文件名。")
    if target.exists() and target.is_dir():
        raise OutputError(f"{target}：这是一个文件夹。请给出输出文件的路径。")
    if target.exists() and not overwrite:
        raise OutputError(f"{target}：文件已存在。请换一个文件名，或加 --overwrite 覆盖。")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        raise OutputError(f"{target}：所在文件夹 {parent} 不存在。请先创建该文件夹。")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{target}：没有写入文件夹 {parent} 的权限。")
    return target


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (),
                overwrite: bool = False, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces the target atomically."""
    target = check_output(path, inputs=inputs, overwrite=overwrite, suffix=suffix)
    staged = _STAGE.get(_key(target)) if _STAGE is not None else None
    if staged is not None:  # one part of a multi-file output: complete it, the stage places it with the rest
        try:
            yield staged
            _finish(staged, target)
        except BaseException as exc:
            _release(exc)
            cause = os_error_in(exc)
            if cause is None:
                raise
            raise OutputError(f"{target}：{os_error_text(cause)}") from None
        return
    parent = target.parent if str(target.parent) else Path(".")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=parent)
        os.close(handle)
    except OSError as exc:
        raise OutputError(f"{target}：{os_error_text(exc)}") from None
    temp = Path(temp_name)
    try:
        yield temp
        _finish(temp, target)
        _place(temp, target, overwrite)
    except BaseException as exc:
        _release(exc)
        cause = os_error_in(exc)
        if cause is None:
            raise
        raise OutputError(f"{target}：{os_error_text(cause)}") from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


# target -> its staged temporary file, while a ``staged_outputs`` block runs. A module global, not a context
# variable: forked render workers (io/parallel.py) inherit it and write into the files the parent made.
_STAGE: dict[Path, Path] | None = None
_BLOCKED = {getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)}


def _key(target: Path) -> Path:
    return Path(os.path.abspath(target))


def staged_path(path: str | os.PathLike[str]) -> Path:
    """Where a staged output is being written (the target itself outside a ``staged_outputs`` block)."""
    if _STAGE is not None and _key(Path(path)) in _STAGE:
        return _STAGE[_key(Path(path))]
    return Path(path)


@contextlib.contextmanager
def staged_outputs(targets: Iterable[str | os.PathLike[str]], *, overwrite: bool = False) -> Iterator[None]:
    """Outputs that belong together (a .docx and its PDF, a folder of workbooks): each ``atomic_path`` inside
    the block writes a staged ``.NAME.*.part`` file, and only when the whole block succeeds are they all moved
    into place, with the signals held off meanwhile. An interruption or error before that leaves every old
    output as it was; a failure while placing puts back the ones already placed.

    The targets' folders must exist (``jobs.output_folders``) before the block starts."""
    global _STAGE
    previous = _STAGE
    stage: dict[Path, Path] = {}
    try:
        for target in targets:
            target = Path(target)
            parent = target.parent if str(target.parent) else Path(".")
            try:
                handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=parent)
            except OSError as exc:
                raise OutputError(f"{target}：{os_error_text(exc)}") from None
            os.close(handle)
            stage[_key(target)] = Path(name)
        _STAGE = {**(previous or {}), **stage}
        yield
        _STAGE = previous
        _place_all(stage, overwrite)
    finally:
        _STAGE = previous
        for temp in stage.values():
            with contextlib.suppress(OSError):
                temp.unlink()


def _place_all(stage: dict[Path, Path], overwrite: bool) -> None:
    """Move every staged file into place, all or none: a replaced file is kept under a backup name until
    the last one is placed."""
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
    placed: list[tuple[Path, Path | None]] = []  # target, its backup (None: it did not exist)
    try:
        for target, temp in stage.items():
            backup = None
            if target.exists():
                backup = target.with_name(f".{target.name}.{os.getpid()}.old")
                with contextlib.suppress(FileNotFoundError):
                    backup.unlink()
                os.link(target, backup)
            try:
                _place(temp, target, overwrite)
            except BaseException:
                if backup is not None:
                    backup.unlink()
                raise
            placed.append((target, backup))
    except BaseException as exc:
        for target, backup in reversed(placed):
            with contextlib.suppress(OSError):
                os.replace(backup, target) if backup is not None else target.unlink()
        cause = os_error_in(exc)
        if cause is None:
            raise
        raise OutputError(f"{next(iter(stage))}：{os_error_text(cause)}") from None
    else:
        for _, backup in placed:
            if backup is not None:
                with contextlib.suppress(OSError):
                    backup.unlink()
    finally:
        if main_thread:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_LXML_IO_ERRORS = {f"IO_{errno.errorcode[code]}": code for code in NO_SPACE}


def os_error_in(error: BaseException) -> OSError | None:
    """The OSError behind a writer's failure: itself, or what a library wrapped it in (xlsxwriter's
    FileCreateError carries it as its argument)."""
    exc: BaseException | None = error
    for _ in range(5):
        if exc is None:
            return None
        if isinstance(exc, OSError):
            return exc
        if not isinstance(exc, Exception):  # Ctrl-C, SIGTERM: never reported as a disk problem
            return None
        if type(exc).__name__ == "SerialisationError" and str(exc) in _LXML_IO_ERRORS:  # openpyxl via lxml
            return OSError(_LXML_IO_ERRORS[str(exc)], os.strerror(_LXML_IO_ERRORS[str(exc)]))
        wrapped = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
        exc = wrapped or exc.__cause__
    return None


def os_error_text(exc: OSError, *, writing: bool = True) -> str:
    """One Chinese line for a failed write (or, ``writing=False``, any file operation): a full disk by
    name, anything else with the system's reason on one line."""
    if exc.errno in NO_SPACE:
        return "磁盘空间不足（或超出文件大小限额），文件没有写出，原有文件未被改动。请清理磁盘空间后重试。"
    reason = " ".join(str(exc.strerror or exc).split())[:200]
    where = f"{exc.filename}：" if getattr(exc, "filename", None) else ""
    if not writing:
        return f"{where}读写文件时出错（{reason}）。请检查磁盘和文件权限后重试。"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "没有写入权限（或磁盘只读），文件没有写出。请换一个可写的文件夹。"
    return f"写入失败（{reason}），文件没有写出，原有文件未被改动。"


def _release(error: BaseException) -> None:
    """Drop the failed writer's objects now, their own close errors unheard.

    A zip writer interrupted by a full disk stays referenced from the traceback; when it is collected later
    its ``ZipFile.__del__`` tries to finish the file, fails again and prints a traceback of its own.
    """
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        seen: set[int] = set()
        exc: BaseException | None = error
        while exc is not None and id(exc) not in seen:  # the wrapped errors hold the zip writer's frames
            seen.add(id(exc))
            traceback.clear_frames(exc.__traceback__)
            exc = exc.__cause__ or exc.__context__
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _place(temp: Path, target: Path, overwrite: bool) -> None:
    """Rename into place; without overwrite, a file that appeared meanwhile is still never replaced."""
    if overwrite:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)  # fails if the target exists: no window between the check and the rename
    except FileExistsError:
        raise OutputError(f"{target}：文件已存在。请换一个文件名，或加 --overwrite 覆盖。") from None
    except OSError:  # a file system without hard links
        if target.exists():
            raise OutputError(f"{target}：文件已存在。请换一个文件名，或加 --overwrite 覆盖。") from None
        os.replace(temp, target)
    else:
        temp.unlink()


def _finish(temp: Path, target: Path) -> None:
    """Make the complete file durable and give it ordinary permissions before it takes the target's name.

    mkstemp creates files readable by the owner only; an output should look like any file the user saves.
    """
    with temp.open("rb") as handle:
        os.fsync(handle.fileno())
    umask = os.umask(0)
    os.umask(umask)
    mode = (target.stat().st_mode & 0o777) if target.exists() else (0o666 & ~umask)
    os.chmod(temp, mode)
