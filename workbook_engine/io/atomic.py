"""Atomic output: write to a temporary file beside the target, rename into place only when complete.

An interrupted run leaves the previous output intact; an output is never one of the inputs.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import OutputError


def same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(path: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (),
                 overwrite: bool = True) -> Path:
    """Refuse an output that is an input, sits in a missing folder, or exists when overwriting is off."""
    target = Path(path)
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
                overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces the target atomically."""
    target = check_output(path, inputs=inputs, overwrite=overwrite)
    parent = target.parent if str(target.parent) else Path(".")
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        yield temp
        os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()
