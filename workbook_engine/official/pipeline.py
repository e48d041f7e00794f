"""The render and extract jobs: validate first, pick departments and output paths, write atomically."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..canonical_writer import write_book
from ..errors import UsageError
from ..model import Book, Department
from ..validation import check
from ..findings import Finding, Report
from .extract import extract_file_names, extract_workbooks
from .names import clean_file_name
from .render import RenderedFile, render_department

# Called after each project sheet: (sheets done, sheets in all, department being written).
Progress = Callable[[int, int, Department], None]


@dataclass
class RenderResult:
    report: Report
    files: list[RenderedFile] = field(default_factory=list)
    refused: list[Finding] = field(default_factory=list)  # the errors that stopped rendering

    @property
    def rendered(self) -> bool:
        return not self.refused


def is_directory_target(output: str | os.PathLike[str]) -> bool:
    """-o DIR/ (trailing slash) or an existing folder means one workbook per department in that folder."""
    text = os.fspath(output)
    return text.endswith(("/", os.sep)) or Path(text).is_dir()


def errors_of_departments(checked, codes: set[str]) -> list[Finding]:
    """The report's errors that concern the given departments (or no record in particular)."""
    owners: dict[tuple[str, int], str] = {}
    for kind in ("goals", "projects", "indicators"):
        table = checked.loaded.table(kind)
        if table is None:
            continue
        for record in checked.book.records(kind):
            if record.row is not None:
                owners[(table.sheet_name, record.row)] = record.dept_code
    return [f for f in checked.report.errors
            if owners.get((f.sheet or "", f.row or 0), None) in codes or (f.sheet or "", f.row or 0) not in owners]


def choose_departments(book: Book, dept: str | None) -> list[Department]:
    departments = book.departments()
    if not departments:
        raise UsageError("工作簿中没有任何部门的数据，没有可渲染的内容。")
    if dept is None:
        return departments
    chosen = [d for d in departments if d.code == dept]
    if not chosen:
        known = "、".join(f"{d.code}{d.name}" for d in departments)
        raise UsageError(f"--dept {dept}：工作簿中没有这个部门。工作簿中的部门：{known}。")
    return chosen


def output_paths(output: str | os.PathLike[str], departments: list[Department], suffix: str = ".xlsx") -> list[Path]:
    if is_directory_target(output):
        folder = Path(output)
        return [folder / clean_file_name(f"{d.code}{d.name}{suffix}") for d in departments]
    if len(departments) > 1:
        raise UsageError(f"工作簿中有 {len(departments)} 个部门。请用 -o 文件夹/（以 / 结尾）为每个部门各生成一个工作簿，"
                         "或用 --dept 部门编码 只渲染一个部门。")
    return [Path(output)]


def render_official(book_path: str | os.PathLike[str], output: str | os.PathLike[str], *, dept: str | None = None,
                    force: bool = False, progress: Progress | None = None, overwrite: bool = True) -> RenderResult:
    """Validate a canonical workbook and write the official workbook(s); refuse on errors unless forced."""
    checked = check(book_path)
    departments = choose_departments(checked.book, dept)
    paths = output_paths(output, departments)
    result = RenderResult(checked.report)
    blocking = errors_of_departments(checked, {d.code for d in departments})
    if blocking and not force:
        result.refused = blocking
        return result
    total = sum(len(checked.book.projects_of(d.code)) for d in departments)
    done = 0
    for department, path in zip(departments, paths):
        path.parent.mkdir(parents=True, exist_ok=True)

        def sheet_written(department: Department = department) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, total, department)

        result.files.append(render_department(checked.book, department, path, inputs=[book_path],
                                              on_sheet=sheet_written, overwrite=overwrite))
    return result


def extract_official(inputs: Iterable[str | os.PathLike[str]], output: str | os.PathLike[str], *,
                     overwrite: bool = True) -> tuple[Book, Report]:
    """Read official workbooks (files or folders of them) and write one canonical workbook."""
    inputs = list(inputs)
    paths = extract_file_names(inputs)
    if not paths:
        named = "、".join(str(p) for p in inputs)
        raise UsageError(f"{named}：没有找到要读取的官方工作簿（.xlsx）。请给出 render 生成的工作簿或其所在文件夹。")
    book, report = extract_workbooks(paths)
    write_book(book, output, inputs=paths, overwrite=overwrite)
    return book, report
