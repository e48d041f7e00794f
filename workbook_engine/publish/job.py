"""The publish job: validate first, pick departments and output paths, write .docx (and PDF) atomically."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..jobs import JobResult, Progress, choose_departments, errors_of_departments, is_directory_target, output_paths
from ..validation import check
from .document import write_document
from .pdf import convert_to_pdf, require_soffice


@dataclass
class PublishResult(JobResult):
    """The input's report, the documents (and PDFs) written, and the errors that stopped publishing (if any)."""


def publish_documents(book_path: str | os.PathLike[str], output: str | os.PathLike[str], *,
                      dept: str | None = None, force: bool = False, pdf: bool = False,
                      finance_bureau: str = "", progress: Progress | None = None,
                      overwrite: bool = False) -> PublishResult:
    """Validate a canonical workbook and write each department's published document (and its PDF).

    ``progress`` is called after each document: (documents done, documents in all, department); with --pdf
    it then counts the PDFs again, naming the department being converted."""
    if pdf:
        require_soffice()  # before anything is written: a run that cannot finish changes nothing
    checked = check(book_path)
    departments = choose_departments(checked.book, dept)
    if len(departments) > 1 and not is_directory_target(output):
        raise UsageError(f"工作簿中有 {len(departments)} 个部门。请用 -o 文件夹/（以 / 结尾）为每个部门各生成一份文本，"
                         "或用 --dept 部门编码 只发布一个部门。")
    if not is_directory_target(output) and Path(output).suffix.lower() != ".docx":
        raise UsageError(f"-o {output}：输出应为 .docx 文件（PDF 用 --pdf 另外生成在旁边），或以 / 结尾的文件夹。")
    paths = output_paths(output, departments, ".docx")
    result = PublishResult(checked.report)
    blocking = errors_of_departments(checked, {d.code for d in departments})
    if blocking and not force:
        result.refused = blocking
        return result
    for number, (department, path) in enumerate(zip(departments, paths), start=1):
        path.parent.mkdir(parents=True, exist_ok=True)
        result.files.append(write_document(checked.book, department, path, finance_bureau=finance_bureau,
                                           inputs=[book_path], overwrite=overwrite))
        if progress is not None:
            progress(number, len(departments), department)
    if pdf:
        def converted(done: int) -> None:
            if progress is not None and done < len(departments):
                progress(done, len(departments), departments[done])

        pdfs = convert_to_pdf([(f.path, f.path.with_suffix(".pdf")) for f in result.files],
                              inputs=[Path(book_path)], progress=converted, overwrite=overwrite)
        for published, written in zip(result.files, pdfs):
            published.pdf = written
    return result
