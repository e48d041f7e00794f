"""The publish job: validate first, pick departments and output paths, write .docx (and PDF) atomically.

The documents and their PDFs are one output: staged together and moved into place only when all are done."""

from __future__ import annotations

import os
from collections.abc import Callable
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
from ..model import Department
from ..validation import Checked, check
from .document import PublishedFile, write_document
from .pdf import convert_to_pdf, require_soffice


@dataclass
class PublishResult(JobResult):
    """The input's report, the documents (and PDFs) written, and the errors that stopped publishing (if any)."""


@dataclass
class PublishPlan:
    """What a publish job checked before writing anything: the validated book, its departments, one .docx
    path each (and the PDFs beside them), the result so far (``result.refused`` when errors block), and the
    book, --pdf and --overwrite it was asked with (write_planned writes by them)."""

    checked: Checked
    departments: list[Department]
    paths: list[Path]
    targets: list[Path]
    result: PublishResult
    book_path: Path
    pdf: bool
    overwrite: bool


def plan_publish(book_path: str | os.PathLike[str], output: str | os.PathLike[str], *, dept: str | None,
                 force: bool, pdf: bool, overwrite: bool, what: str) -> PublishPlan:
    """Validate the book and check every output before the first is written (a refusal changes nothing);
    ``what`` names the document in the messages (文本, 执行监控表 …)."""
    if pdf:
        require_soffice()  # before anything is written: a run that cannot finish changes nothing
    check_workload(book_path, "publish")
    checked = check(book_path)
    departments = choose_departments(checked.book, dept)
    if len(departments) > 1 and not is_directory_target(output):
        raise UsageError(f"工作簿中有 {len(departments)} 个部门。请用 -o 文件夹/（以 / 结尾）为每个部门各生成一份{what}，"
                         "或用 --dept 部门编码 只发布一个部门。")
    if not is_directory_target(output) and Path(output).suffix.lower() != ".docx":
        raise UsageError(f"-o {output}：输出应为 .docx 文件（PDF 用 --pdf 另外生成在旁边），或以 / 结尾的文件夹。")
    paths = output_paths(output, departments, ".docx")
    result = PublishResult(checked.report)
    targets = [target for path in paths for target in ((path, path.with_suffix(".pdf")) if pdf else (path,))]
    plan = PublishPlan(checked, departments, paths, targets, result, Path(book_path), pdf, overwrite)
    blocking = blocking_errors(checked, {d.code for d in departments}, force)
    if blocking:
        result.refused = blocking
        return plan
    for target in targets:
        if target.parent.exists():
            check_output(target, inputs=[book_path], overwrite=overwrite)
    return plan


def write_planned(plan: PublishPlan, write_one: Callable[[Department, Path], PublishedFile], *,
                  progress: DepartmentProgress | None) -> PublishResult:
    """Write every department's document (``write_one``) and its PDF, staged as one output: all in place, or
    none. ``progress`` is called after each document, then again for each PDF being converted."""
    result, departments, overwrite = plan.result, plan.departments, plan.overwrite
    with output_folders(plan.paths), staged_outputs(plan.targets, overwrite=overwrite):
        for number, (department, path) in enumerate(zip(departments, plan.paths), start=1):
            result.files.append(write_one(department, path))
            if progress is not None:
                progress(number, len(departments), department)
        if plan.pdf:
            def converted(done: int) -> None:
                if progress is not None and done < len(departments):
                    progress(done, len(departments), departments[done])

            pdfs = convert_to_pdf([(staged_path(f.path), f.path.with_suffix(".pdf")) for f in result.files],
                                  inputs=[plan.book_path], progress=converted, overwrite=overwrite)
            for published, written in zip(result.files, pdfs):
                published.pdf = written
    return result


def publish_documents(book_path: str | os.PathLike[str], output: str | os.PathLike[str], *,
                      dept: str | None = None, force: bool = False, pdf: bool = False,
                      finance_bureau: str = "", progress: DepartmentProgress | None = None,
                      overwrite: bool = False) -> PublishResult:
    """Validate a canonical workbook and write each department's published document (and its PDF).

    ``progress`` is called after each document: (documents done, documents in all, department); with --pdf
    it then counts the PDFs again, naming the department being converted."""
    plan = plan_publish(book_path, output, dept=dept, force=force, pdf=pdf, overwrite=overwrite, what="文本")
    if plan.result.refused:
        return plan.result
    project_template(), workbook_template(), publish_template()  # a missing layout: before any folder is made
    book = plan.checked.book
    return write_planned(plan, lambda department, path: write_document(
        book, department, path, finance_bureau=finance_bureau, inputs=[book_path], overwrite=overwrite),
        progress=progress)

