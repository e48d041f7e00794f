"""The publish job: validate first, pick departments and output paths, write .docx (and PDF) atomically.

The documents and their PDFs are one output: staged together and moved into place only when all are done."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..io.atomic import check_output, staged_outputs, staged_path
from ..io.guard import check_workload
from ..jobs import (
    DepartmentProgress,
    JobResult,
    blocking_errors,
    choose_departments,
    is_directory_target,
    output_folders,
    output_paths,
)
from ..layout import project_template, publish_template, workbook_template
from ..validation import check
from .document import write_document
from .pdf import convert_to_pdf, require_soffice


@dataclass
class PublishResult(JobResult):
    """The input's report, the documents (and PDFs) written, and the errors that stopped publishing (if any)."""


def publish_documents(book_path: str | os.PathLike[str], output: str | os.PathLike[str], *,
                      dept: str | None = None, force: bool = False, pdf: bool = False,
                      finance_bureau: str = "", progress: DepartmentProgress | None = None,
                      overwrite: bool = False) -> PublishResult:
    """Validate a canonical workbook and write each department's published document (and its PDF).

    ``progress`` is called after each document: (documents done, documents in all, department); with --pdf
    it then counts the PDFs again, naming the department being converted."""
    if pdf:
        require_soffice()  # before anything is written: a run that cannot finish changes nothing
    check_workload(book_path, "publish")
    checked = check(book_path)
    departments = choose_departments(checked.book, dept)
    if len(departments) > 1 and not is_directory_target(output):
        raise UsageError(f"工作簿中有 {len(departments)} 个部门。请用 -o 文件夹/（以 / 结尾）为每个部门各生成一份文本，"
                         "或用 --dept 部门编码 只发布一个部门。")
    if not is_directory_target(output) and Path(output).suffix.lower() != ".docx":
        raise UsageError(f"-o {output}：输出应为 .docx 文件（PDF 用 --pdf 另外生成在旁边），或以 / 结尾的文件夹。")
    paths = output_paths(output, departments, ".docx")
    result = PublishResult(checked.report)
    blocking = blocking_errors(checked, {d.code for d in departments}, force)
    if blocking:
        result.refused = blocking
        return result
    for path in paths:  # every output checked before the first is written: a refusal changes nothing
        for target in (path, path.with_suffix(".pdf")) if pdf else (path,):
            if target.parent.exists():
                check_output(target, inputs=[book_path], overwrite=overwrite)
    project_template(), workbook_template(), publish_template()  # a missing layout: before any folder is made
    targets = [target for path in paths for target in ((path, path.with_suffix(".pdf")) if pdf else (path,))]
    with output_folders(paths), staged_outputs(targets, overwrite=overwrite):  # all in place, or none
        for number, (department, path) in enumerate(zip(departments, paths), start=1):
            result.files.append(write_document(checked.book, department, path, finance_bureau=finance_bureau,
                                               inputs=[book_path], overwrite=overwrite))
            if progress is not None:
                progress(number, len(departments), department)
        if pdf:
            def converted(done: int) -> None:
                if progress is not None and done < len(departments):
                    progress(done, len(departments), departments[done])

            pdfs = convert_to_pdf([(staged_path(f.path), f.path.with_suffix(".pdf")) for f in result.files],
                                  inputs=[Path(book_path)], progress=converted, overwrite=overwrite)
            for published, written in zip(result.files, pdfs):
                published.pdf = written
    return result
