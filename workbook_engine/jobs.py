"""What the per-department jobs (render, publish) share: which departments, which output paths, which errors
stop a department, and the result they return (with the JSON every command that reports findings offers).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .errors import UsageError
from .findings import Finding, Report, dumps_report
from .model import Book, Department
from .safe_names import clean_file_name

# Called after each unit of work: (done, in all, department being written).
DepartmentProgress = Callable[[int, int, Department], None]


@dataclass
class JobResult:
    """The validation report of the input, the files written, and the errors that stopped the job (if any)."""

    report: Report
    files: list[Any] = field(default_factory=list)
    refused: list[Finding] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return not self.refused

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.report.file, "valid": self.report.valid, "written": self.written,
                "findings": self.report.records(), "files": [f.to_dict() for f in self.files]}

    def to_json(self) -> str:
        return dumps_report(self.to_dict())

    def exit_code(self) -> int:
        return 0 if self.written else 1


def is_directory_target(output: str | os.PathLike[str]) -> bool:
    """-o DIR/ (trailing slash) or an existing folder means one output per department in that folder."""
    text = os.fspath(output)
    return text.endswith(("/", os.sep)) or Path(text).is_dir()


# Errors that --force does not override: a spending plan that does not end at 100%, or whose reading is
# ambiguous, is never printed in an official sheet or a published document.
NEVER_FORCED = frozenset({"WBE-E032", "WBE-E048"})


def blocking_errors(checked, codes: set[str], force: bool) -> list[Finding]:
    """The errors that stop a render or publish of these departments (with --force, only NEVER_FORCED)."""
    errors = errors_of_departments(checked, codes)
    return [f for f in errors if f.code in NEVER_FORCED] if force else errors


@contextlib.contextmanager
def output_folders(paths: Iterable[Path]) -> Iterator[None]:
    """Create the missing folders of the outputs; if the job then fails, remove those that are still empty, so
    a failed command leaves nothing behind."""
    created: list[Path] = []
    for folder in dict.fromkeys(path.parent for path in paths):
        probe = folder
        while not probe.exists() and probe != probe.parent:
            created.append(probe)  # deepest first
            probe = probe.parent
        folder.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        for folder in created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only an empty folder goes
        raise


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


@dataclass
class WorkbookJob:
    """What a per-department workbook job (render, the budget-year forms) starts from."""

    checked: Any  # validation.Checked
    departments: list[Department]
    paths: list[Path]
    blocking: list[Finding]  # errors that stop it: nothing is written when there are any


def start_workbook_job(book_path: str | os.PathLike[str], output: str | os.PathLike[str], *, dept: str | None,
                       force: bool, overwrite: bool) -> WorkbookJob:
    """Check the output before validating (a refusal costs nothing), the workload, then validate; choose the
    departments and their .xlsx paths; when nothing blocks, check every output before the first is written."""
    from .io.atomic import check_output
    from .io.guard import check_workload
    from .validation import check

    target = Path(output)
    if not is_directory_target(output) and (target.suffix.lower() != ".xlsx" or target.parent.exists()):
        check_output(target, inputs=[book_path], overwrite=overwrite, suffix=".xlsx")
    check_workload(book_path, "render")
    checked = check(book_path)
    departments = choose_departments(checked.book, dept)
    paths = output_paths(output, departments)
    blocking = blocking_errors(checked, {d.code for d in departments}, force)
    if not blocking:
        for path in paths:
            if path.parent.exists():
                check_output(path, inputs=[book_path], overwrite=overwrite, suffix=".xlsx")
    return WorkbookJob(checked, departments, paths, blocking)
