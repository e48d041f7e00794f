"""The budget-year forms jobs: `wbe render --form monitor|evaluation` (validate, pick departments and paths,
write atomically) and the extract hook that recognises forms among the workbooks given to `wbe extract`."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any, Iterable

from ..io.atomic import staged_outputs
from ..jobs import (
    DepartmentProgress,
    JobResult,
    output_folders,
    start_workbook_job,
)
from ..layout import workbook_template
from ..model import Book
from ..year_config import YearConfig, load_year_config
from .forms_layout import EVALUATION, FORM_NAMES, FORM_TEMPLATES, form_template, normalize_period
from .forms_render import RenderedForm, render_form_department
from .forms_values import records


class FormResult(JobResult):
    """The input's report, the forms written, and the errors that stopped rendering (if any)."""


def book_period(book: Book, fallback: str) -> str:
    """The 监控期间 the book's 监控项目 already use (the first one typed), else ``fallback``."""
    for record in records(book, "monitor")[0]:
        period = str(getattr(record, "period", "") or "").strip()
        if period:
            try:
                return normalize_period(period)
            except Exception:
                continue
    return fallback


def form_config(checked: Any, kind: str) -> YearConfig:
    """The county's year settings for the evaluation form's 分值 and 得分 (the wbe.toml beside the book, as
    validate and `wbe score` find it); the monitor form needs none, so it never reads the table."""
    if kind != EVALUATION:
        return YearConfig()
    return load_year_config(checked.loaded.path)


def render_forms(book_path: str | os.PathLike[str], output: str | os.PathLike[str], *, kind: str,
                 period: str | None = None, dept: str | None = None, force: bool = False,
                 progress: DepartmentProgress | None = None, overwrite: bool = False) -> FormResult:
    """Validate a canonical workbook and write the department's 监控表 or 自评表 (one sheet per project)."""
    template = form_template(kind)  # an unknown form or a missing template is said before anything else
    wanted = normalize_period(period) if period else None
    job = start_workbook_job(book_path, output, dept=dept, force=force, overwrite=overwrite)
    checked, departments, paths = job.checked, job.departments, job.paths
    result = FormResult(checked.report)
    if job.blocking:
        result.refused = job.blocking
        return result
    workbook_template()
    chosen = wanted or book_period(checked.book, normalize_period(template.period))
    config = form_config(checked, kind)
    with output_folders(paths), staged_outputs(paths, overwrite=overwrite):  # a folder: all in place, or none
        for number, (department, path) in enumerate(zip(departments, paths), start=1):
            file: RenderedForm = render_form_department(checked.book, department, kind, path, period=chosen,
                                                        inputs=[book_path], overwrite=overwrite, config=config)
            result.files.append(file)
            if progress is not None:
                progress(number, len(departments), department)
    return result


# --- recognising forms among extract's inputs ------------------------------------------------------------

def _stems(name: str) -> tuple[bytes, ...]:
    """The title as UTF-8 and as XML character references (openpyxl without lxml writes ``&#39033;``...)."""
    return (name.encode("utf-8"), "".join(f"&#{ord(ch)};" for ch in name).encode("ascii"),
            "".join(f"&#x{ord(ch):x};" for ch in name).encode("ascii"),
            "".join(f"&#x{ord(ch):X};" for ch in name).encode("ascii"))


_TITLE_STEMS = tuple(stem for name in FORM_NAMES.values() for stem in _stems(name))
_SEARCHED_PARTS = ("xl/sharedStrings.xml",)


def is_form_workbook(path: str | os.PathLike[str]) -> bool:
    """Whether a workbook holds a 监控表 or 自评表 title (looked up in its shared strings, or in the sheets'
    inline strings, without reading the sheets). False for anything that is not a readable zip: the
    ordinary extract then reports it as it does."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            parts = [n for n in names if n in _SEARCHED_PARTS]
            if not parts:
                parts = [n for n in names if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")][:3]
            for name in parts:
                info = archive.getinfo(name)
                if info.file_size > 64 * 1024 * 1024:
                    continue
                data = archive.read(name)
                if any(stem in data for stem in _TITLE_STEMS):
                    return True
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError):
        return False
    return False


def split_form_paths(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """(forms, other workbooks) in the order given."""
    forms: list[Path] = []
    others: list[Path] = []
    for path in paths:
        (forms if is_form_workbook(path) else others).append(path)
    return forms, others


__all__ = ["FormResult", "render_forms", "form_config", "is_form_workbook", "split_form_paths", "book_period", "FORM_TEMPLATES"]
