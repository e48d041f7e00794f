"""Atomic output: write to a temporary file beside the target, rename into place only when complete.

An interrupted run (an exception, Ctrl-C, a full disk, a killed process) leaves the previous output intact,
at worst with a hidden ``.NAME.*.part`` file beside it; an output is never one of the inputs. Whether an
existing output may be replaced is the caller's ``overwrite`` (the CLI's ``--overwrite``; docs/security.md).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import OutputError


def same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (),
                 overwrite: bool = True, suffix: str | None = None) -> Path:
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
                overwrite: bool = True, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces the target atomically."""
    target = check_output(path, inputs=inputs, overwrite=overwrite, suffix=suffix)
    parent = target.parent if str(target.parent) else Path(".")
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        yield temp
        _finish(temp, target)
        _place(temp, target, overwrite)
    finally:
        if temp.exists():
            temp.unlink()


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
