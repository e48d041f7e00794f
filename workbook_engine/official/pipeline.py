"""The render and extract jobs: validate first, pick departments and output paths, write atomically."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..canonical_writer import write_book
from ..errors import UsageError
from ..findings import Report
from ..io.atomic import staged_outputs
from ..io.parallel import map_in_order
from ..jobs import (
    DepartmentProgress,
    JobResult,
    output_folders,
    start_workbook_job,
)
from ..layout import project_template, workbook_template
from ..model import Book, Department
from .extract import extract_file_names, extract_workbooks
from .render import RenderedFile, render_department


@dataclass
class RenderResult(JobResult):
    """The input's report, the official workbooks written, and the errors that stopped rendering (if any)."""

    @property
    def rendered(self) -> bool:
        return self.written


def render_official(book_path: str | os.PathLike[str], output: str | os.PathLike[str], *, dept: str | None = None,
                    force: bool = False, progress: DepartmentProgress | None = None, overwrite: bool = False) -> RenderResult:
    """Validate a canonical workbook and write the official workbook(s); refuse on errors unless forced."""
    job = start_workbook_job(book_path, output, dept=dept, force=force, overwrite=overwrite)
    checked, departments, paths = job.checked, job.departments, job.paths
    result = RenderResult(checked.report)
    if job.blocking:
        result.refused = job.blocking
        return result
    total = sum(len(checked.book.projects_of(d.code)) for d in departments)
    done = 0
    project_template(), workbook_template()  # a missing layout is reported before any folder is made

    def render_one(job: tuple[Department, Path]) -> RenderedFile:
        department, path = job
        return render_department(checked.book, department, path, inputs=[book_path], overwrite=overwrite)

    def rendered(index: int, file: RenderedFile) -> None:
        nonlocal done
        done += file.projects
        if progress is not None:
            progress(done, total, departments[index])

    def sheet_written() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, departments[0])

    with output_folders(paths), staged_outputs(paths, overwrite=overwrite):  # a folder: all in place, or none
        if len(departments) == 1:  # one workbook: progress sheet by sheet
            result.files.append(render_department(checked.book, departments[0], paths[0], inputs=[book_path],
                                                  on_sheet=sheet_written, overwrite=overwrite))
        else:  # independent files, shared with worker processes (io/parallel.py); progress per department
            result.files.extend(map_in_order(render_one, list(zip(departments, paths)), on_result=rendered))
    return result


def extract_official(inputs: Iterable[str | os.PathLike[str]], output: str | os.PathLike[str], *,
                     overwrite: bool = False) -> tuple[Book, Report]:
    """Read official workbooks (files or folders of them) and write one canonical workbook."""
    inputs = list(inputs)
    paths = extract_file_names(inputs)
    if not paths:
        named = "、".join(str(p) for p in inputs)
        raise UsageError(f"{named}：没有找到要读取的官方工作簿（.xlsx）。请给出 render 生成的工作簿或其所在文件夹。")
    from .forms import split_form_paths

    forms, others = split_form_paths(paths)  # 监控表/自评表 (issue 22) are read by their own reader
    book, report = extract_workbooks(others) if others or not forms else (Book(), Report(""))
    if forms:
        from .forms_extract import combine_with_forms

        book, report = combine_with_forms(book, report, forms, bool(others))
    write_book(book, output, inputs=paths, overwrite=overwrite)
    return book, report
