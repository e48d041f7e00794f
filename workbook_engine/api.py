"""The library API behind the CLI: one function per command, usable directly from Python."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .errors import WorkbookEngineError  # already imported by io.atomic: no start-up cost
from .io.atomic import check_output

if TYPE_CHECKING:  # the implementations are imported by the function that needs them (start-up time)
    from .diff import Diff
    from .findings import Finding, Report
    from .importer import Imported
    from .merge import FileProgress, MergeOutcome
    from .merge.plan import MergePlan
    from .model import Book
    from .official.pipeline import DepartmentProgress, RenderResult
    from .publish.job import PublishResult
    from .review import ReviewConfig, ReviewResult
    from .scoring import ScoreResult
    from .validation import Checked
    from .validation.annotate import Appendix
    from .year_next import NextYear

_LAZY = {"RenderResult": "official.pipeline", "PublishResult": "publish.job", "Report": "findings",
         "Library": "library.query", "number_text": "library.query", "LEVEL1_NAMES": "framework",
         "CLASSIC": "framework"}


def __getattr__(name: str) -> Any:
    """Names re-exported from heavier modules, imported on first use (PEP 562)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["new_workbook", "import_document", "import_checked", "validate", "check", "annotate", "read_book", "review",
           "annotate_review", "merge", "diff", "render", "extract", "publish", "publish_form", "render_form",
           "score", "next_year_workbook",
           "guard_upload", "upload_kind", "page_analysis", "finding_rows",
           "diff_page", "diff_tables", "diff_kind_options", "merge_page",
           "Report", "RenderResult", "PublishResult", "WorkbookEngineError", "check_output"]


def new_workbook(path: str | os.PathLike[str], *, dept_code: str = "", dept_name: str = "",
                 year: int | None = None, overwrite: bool = False) -> Book:
    """Write an empty canonical workbook (one starter row per goal category) and return its content.

    A 部门编码 or 年度 that is given must be valid (6 digits, 4 digits): a new workbook should not start with
    an error that validation would report on every row."""
    from .canonical_writer import starter_book, write_book
    from .errors import UsageError

    code = "".join(str(dept_code).split())
    if code and not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise UsageError(f"--dept-code {dept_code}：部门编码应为 6 位数字，如 450001。")
    if year is not None and not (2000 <= year <= 2100):  # the range validation accepts (WBE-E020)
        raise UsageError(f"--year {year}：年度应为 4 位数字的年份（2000–2100），如 2025。")
    book = starter_book(code, dept_name, year)
    write_book(book, path, overwrite=overwrite)
    return book


def import_document(document: str | os.PathLike[str], output: str | os.PathLike[str], *,
                    year: int | None = None, dept_code: str | None = None, dept_name: str | None = None,
                    overwrite: bool = False) -> Book:
    """Parse a published document and write it as a canonical workbook (an existing output only with
    ``overwrite``: it may be a workbook someone has been typing in). A document with problems is refused
    with all of them listed (DocumentProblems); see import_checked for --force."""
    return import_checked(document, output, year=year, dept_code=dept_code, dept_name=dept_name,
                          overwrite=overwrite).book


def import_checked(document: str | os.PathLike[str], output: str | os.PathLike[str], *,
                   year: int | None = None, dept_code: str | None = None, dept_name: str | None = None,
                   overwrite: bool = False, force: bool = False) -> Imported:
    """Import with every problem of the document found at once (WBE-E301…E304, each with its place).
    Problems refuse the import (DocumentProblems, nothing written) unless ``force``: then the workbook is
    written with what could not be placed in its 未归位内容 sheet, and the result lists the problems."""
    from .canonical_writer import write_book
    from .importer import read_document
    from .importer.unplaced_sheet import unplaced_sheet

    imported = read_document(Path(document), year=year, dept_code=dept_code, dept_name=dept_name)
    if imported.findings and not force:
        raise imported.refusal()
    extra = unplaced_sheet(imported.passages) if imported.findings else None
    write_book(imported.book, output, inputs=[document], overwrite=overwrite, extra_sheets=extra)
    return imported


def check(path: str | os.PathLike[str], config: ReviewConfig | None = None, *, review: bool = True) -> Checked:
    """Validate a canonical workbook and keep its content; with ``review`` the review rules (WBE-R…) run
    too, configured by ``config`` (None: the wbe.toml beside the workbook, else the defaults), as warnings
    unless the configuration re-grades them.

    The one "validate, then review" composition (the CLI, the web page, the collection box): the report
    holds the validation and review findings in report order, ``checked.review`` the review alone (findings
    by criterion, grades capped by the validation errors)."""
    if not review:
        from .validation import check as check_book

        return check_book(Path(path))
    from .review import check_and_review

    return check_and_review(path, config)


def validate(path: str | os.PathLike[str], *, review: bool) -> Report:
    """All findings of a canonical workbook (with the review rules when ``review``; see check)."""
    return check(path, review=review).report


def read_book(path: str | os.PathLike[str]) -> Book:
    """The content of a canonical workbook, whatever its findings (see validate for those)."""
    return check(path, review=False).book


def annotate(source: str | os.PathLike[str], report: Report, output: str | os.PathLike[str], *,
             overwrite: bool = False, title: str | None = None, appendix: Appendix | None = None) -> Path:
    """A copy of the workbook with every finding of ``report`` marked and a 校验结果 sheet."""
    from .validation.annotate import annotate as write_annotated

    return write_annotated(source, report, output, overwrite=overwrite, title=title, appendix=appendix)


def review(path: str | os.PathLike[str], *, config: ReviewConfig | None = None) -> ReviewResult:
    """Validate and review a canonical workbook: findings by criterion and a grade per project (the config
    defaults to the wbe.toml beside the workbook)."""
    from .review import review as review_workbook

    return review_workbook(Path(path), config=config)


def annotate_review(path: str | os.PathLike[str], result: ReviewResult, output: str | os.PathLike[str], *,
                    overwrite: bool = False) -> Path:
    """A copy of the workbook with every review finding marked and a 审核结果 sheet (findings and grades)."""
    from .review.annotate import annotate_review as write_annotated

    return write_annotated(path, result, output, overwrite=overwrite)


def merge(inputs: Sequence[str | os.PathLike[str]], output: str | os.PathLike[str], *,
          base: str | os.PathLike[str] | None = None, prefer: str | None = None, conflicts_sheet: bool = False,
          force: bool = False, progress: FileProgress | None = None, overwrite: bool = False,
          choices: dict[int, int] | None = None, labels: Sequence[str] | None = None) -> MergeOutcome:
    """Merge canonical workbooks (three-way against ``base`` when given); written only when clean or settled.
    ``choices`` settles conflicts one by one (conflict number -> candidate index); ``labels`` name the inputs."""
    from .merge import merge_files

    return merge_files(inputs, output, base=base, prefer=prefer, conflicts_sheet=conflicts_sheet, force=force,
                       progress=progress, overwrite=overwrite, choices=choices, labels=labels)


def diff(old: str | os.PathLike[str], new: str | os.PathLike[str], *,
         output: str | os.PathLike[str] | None = None, overwrite: bool = False) -> Diff:
    """Semantic differences from ``old`` to ``new``; with ``output``, also the marked-up diff workbook."""
    from .diff import diff_files, write_diff_workbook

    result = diff_files(old, new)
    if output is not None:
        write_diff_workbook(result, output, overwrite=overwrite)
    return result


def render(book: str | os.PathLike[str], output: str | os.PathLike[str], *, dept: str | None = None,
           force: bool = False, progress: DepartmentProgress | None = None, overwrite: bool = False) -> RenderResult:
    """Validate, then write the official workbook (one per department when ``output`` is a folder/)."""
    from .official.pipeline import render_official

    return render_official(book, output, dept=dept, force=force, progress=progress, overwrite=overwrite)


def extract(official: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], output: str | os.PathLike[str], *,
            overwrite: bool = False) -> tuple[Book, Report]:
    """Read official workbooks (rendered, maybe edited by staff) back into one canonical workbook."""
    from .official.pipeline import extract_official

    return extract_official([official] if isinstance(official, (str, os.PathLike)) else official, output,
                            overwrite=overwrite)


def publish(book: str | os.PathLike[str], output: str | os.PathLike[str], *, dept: str | None = None,
            force: bool = False, pdf: bool = False, finance_bureau: str = "", progress: DepartmentProgress | None = None,
            overwrite: bool = False) -> PublishResult:
    """Validate, then write the published document(s) as .docx (and PDF); one per department into a folder/."""
    from .publish.job import publish_documents

    return publish_documents(book, output, dept=dept, force=force, pdf=pdf, finance_bureau=finance_bureau,
                             progress=progress, overwrite=overwrite)


def publish_form(book: str | os.PathLike[str], output: str | os.PathLike[str], *, form: str,
                 period: str | None = None, dept: str | None = None, force: bool = False, pdf: bool = False,
                 progress: DepartmentProgress | None = None, overwrite: bool = False) -> PublishResult:
    """Validate, then write the budget-year form of each department as .docx (and PDF): ``form`` is ``monitor``
    or ``evaluation``, the same rows as render_form's; the 自评表's scores are scoring.py's (the wbe.toml beside
    the workbook)."""
    from .publish.forms import publish_forms

    return publish_forms(book, output, kind=form, period=period, dept=dept, force=force, pdf=pdf,
                         progress=progress, overwrite=overwrite)


def render_form(book: str | os.PathLike[str], output: str | os.PathLike[str], *, form: str,
                period: str | None = None, dept: str | None = None, force: bool = False,
                overwrite: bool = False) -> Any:
    """Validate, then write the budget-year form of each department: ``form`` is ``monitor`` (项目支出绩效目标
    执行监控表, for the ``period`` such as 1-7) or ``evaluation`` (项目支出绩效自评表); one sheet per project."""
    from .official.forms import render_forms

    return render_forms(book, output, kind=form, period=period, dept=dept, force=force, overwrite=overwrite)


def score(path: str | os.PathLike[str]) -> ScoreResult:
    """The 绩效自评 scores of every project in the 自评 sheets (scoring.py; weights from the wbe.toml beside the
    workbook), with the validation findings of those sheets (errors there make `wbe score` exit 1)."""
    from .scoring import EVALUATION_SHEETS, ScoreResult, score_book
    from .validation import check as check_book
    from .year_config import load_year_config

    checked = check_book(Path(path))
    projects = score_book(checked.book, load_year_config(checked.loaded.path))
    findings = [f for f in checked.report.findings if f.sheet in EVALUATION_SHEETS]
    return ScoreResult(str(path), projects, findings, {p.code: p.name for p in checked.book.projects})


def next_year_workbook(source: str | os.PathLike[str], output: str | os.PathLike[str], *, year: int,
                       overwrite: bool = False) -> NextYear:
    """Next year's workbook from this year's (`wbe new NEXT --from BOOK --year N`): part one, every project and
    its indicators carried forward, project codes re-issued for the year, this year's 实际完成值 noted as a
    reference in 指标值确定依据 (year_next.py)."""
    from .year_next import carry_forward

    return carry_forward(Path(source), Path(output), year=year, overwrite=overwrite)


# -- the 指标库 (issue 23: workbook_engine/library/) ---------------------------------------------------------

def library_build(inputs: Sequence[str | os.PathLike[str]], library: str | os.PathLike[str], *, append: bool = False,
                  overwrite: bool = False, region: str | None = None) -> Any:
    """Read workbooks, folders and Parquet exports into the library's Parquet dataset (a new library unless
    ``append``); every input through the guard, a bad one listed and skipped. Returns a library.build.BuildResult."""
    from .library.build import build

    return build(inputs, library, append=append, overwrite=overwrite, region=region)


def library_info(library: Any) -> Any:
    """What a library holds: inputs, years, regions, departments, projects, indicators (library.query.Info)."""
    from .library.query import info

    return info(library)


def open_library(library: str | os.PathLike[str]) -> Any:
    """An open 指标库 for many searches (the page keeps one per server; close it when done)."""
    from .library.query import Library

    return Library(library)


def library_search(library: str | os.PathLike[str], text: str, *, level1: str | None = None,
                   level2: str | None = None, limit: int = 20) -> list[Any]:
    """Library records matching ``text`` (character bigrams), with distributions and projects using them."""
    from .library.query import Library

    with Library(library) as opened:
        return opened.search(text, level1=level1, level2=level2, limit=limit)


def suggest(book: str | os.PathLike[str], library: str | os.PathLike[str], *,
            output: str | os.PathLike[str] | None = None, overwrite: bool = False) -> Any:
    """Indicators similar projects use, per project of ``book``; with ``output`` a copy with a 指标建议 sheet."""
    from .library.suggest import suggest as suggest_indicators

    return suggest_indicators(book, library, output=output, overwrite=overwrite)


def peer_review(book: str | os.PathLike[str], library: str | os.PathLike[str]) -> list[Any]:
    """The peer findings (WBE-R201…R203) of a canonical workbook against a library."""
    from .review.peers import peer_findings
    from .validation import check as check_book

    checked = check_book(Path(book))
    return peer_findings(checked.book, library, loaded=checked.loaded)


def check_with_library(path: str | os.PathLike[str], library: str | os.PathLike[str], *, review: bool) -> Checked:
    """check() with the peer review of ``library`` as a further extra check (`wbe validate --library`)."""
    from .review.peers import peer_check
    from .validation import check as check_book

    extra = [peer_check(library)]
    if review:
        from .review import review_check

        extra.insert(0, review_check())
    return check_book(Path(path), extra_checks=tuple(extra))


def review_with_library(path: str | os.PathLike[str], library: str | os.PathLike[str]) -> ReviewResult:
    """review() plus the peer findings of ``library``, graded together (`wbe review --library`)."""
    from .review.peers import review_with_peers

    return review_with_peers(path, library)


def suggestions_view(book: str | os.PathLike[str], library: str | os.PathLike[str]) -> dict[str, Any]:
    """The findings pages' 指标建议: `wbe suggest`'s top suggestions per project, as JSON (suggest_view.py)."""
    from .suggest_view import suggestions_view as view

    return view(book, library)


# -- what the web pages show (issue 21: page_view.py, change_view.py; the web imports nothing else) ----------

def guard_upload(path: str | os.PathLike[str], kind: str) -> None:
    """The CLI's input guard on an uploaded ``kind`` (xlsx or docx; a text export has none): a file that is
    not what its name says, or too large once inflated, is refused with one Chinese line."""
    from .io.guard import check_docx, check_xlsx

    if kind == "xlsx":
        check_xlsx(path)
    elif kind == "docx":
        check_docx(path)


def upload_kind(path: str | os.PathLike[str], suffix_kind: str) -> str:
    """canonical | official | document: how an upload the guard accepted is read (page_view.detect_kind)."""
    from .page_view import detect_kind

    return detect_kind(Path(path), suffix_kind)


def page_analysis(path: str | os.PathLike[str], config: ReviewConfig | None = None) -> dict[str, Any]:
    """Everything the findings and preview pages show of a canonical workbook (summary, findings, grades,
    rows, preview), from check() with ``config`` (None: the wbe.toml beside the workbook, else the defaults)."""
    from .page_view import analysis_of

    return analysis_of(check(path, config))


def finding_rows(findings: Iterable[Finding], file: str = "") -> list[dict[str, Any]]:
    """Findings as the page's table rows (page_view.finding_rows: the one flattening every output uses)."""
    from .page_view import finding_rows as rows

    return rows(findings, file)


def diff_page(result: Diff) -> dict[str, Any]:
    """The diff page's data of a diff(): summary, counts, every change's texts and the tables by sheet."""
    from .change_view import diff_page as page

    return page(result)


def diff_tables(result: Diff) -> list[dict[str, Any]]:
    """One table per sheet with changes, each row a whole record with its changed cells marked."""
    from .change_view import sheet_tables

    return sheet_tables(result)


def diff_kind_options() -> tuple[tuple[str, str], ...]:
    """The diff page's filter: (kind, 只看… label) in the order the page lists them."""
    from .change_view import KIND_OPTIONS

    return KIND_OPTIONS


def merge_page(plan: MergePlan) -> dict[str, Any]:
    """The merge page's data of a merge plan: its conflicts with their candidates, and the merged totals."""
    from .change_view import book_totals, merge_conflicts

    return {"conflicts": merge_conflicts(plan), "totals": book_totals(plan)}
