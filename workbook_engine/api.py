"""The library API behind the CLI: one function per command, usable directly from Python."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .errors import WorkbookEngineError  # already imported by io.atomic: no start-up cost
from .io.atomic import check_output

if TYPE_CHECKING:  # the implementations are imported by the function that needs them (start-up time)
    from datetime import date

    # sqlalchemy.orm and collect/: the collection box's types (its section at the end; constants, refusals and
    # records also re-exported at run time through _LAZY)
    from sqlalchemy.orm import Session

    from .collect.accounts import SESSION_LIFETIME, AccountError, LoggedIn, PendingLogin, RateLimited
    from .collect.board import ACCEPTED_STATE, BOARD_STATES, SORT_KEYS, BoardRow
    from .collect.config import ConfigRefused, CountyConfig
    from .collect.county import StagedMerge
    from .collect.models import (
        ACCEPTED,
        ADMIN,
        DEPARTMENT,
        GOALS,
        RETURNED,
        REVIEWER,
        ROLE_NAMES,
        STAGE_NAMES,
        STATE_NAMES,
        SUBMITTED,
        UPLOADED,
        VIEWER,
        CollectionDepartment,
        LoginSession,
        Opinion,
        Submission,
        User,
    )
    from .collect.rounds import FORM_OF, Overview, Prefilled, RoundInfo
    from .collect.service import Collect
    from .collect.workflow import Actor, Conflict, Forbidden, NotFound, Seen, SubmissionCheck
    from .diff import Diff
    from .errors import InputError
    from .findings import Finding, Report
    from .importer import DocumentProblems, Imported
    from .io.guard import Inspection
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
         "CLASSIC": "framework", "InputError": "errors", "DocumentProblems": "importer",
         # the collection box: its constants, refusals and record types (the section at the end)
         **dict.fromkeys(("ACCEPTED", "ADMIN", "DEPARTMENT", "GOALS", "RETURNED", "REVIEWER", "ROLE_NAMES",
                          "STAGE_NAMES", "STATE_NAMES", "SUBMITTED", "UPLOADED", "VIEWER", "CollectionDepartment",
                          "Submission", "User"), "collect.models"),
         **dict.fromkeys(("AccountError", "RateLimited", "SESSION_LIFETIME"), "collect.accounts"),
         **dict.fromkeys(("ACCEPTED_STATE", "BOARD_STATES", "SORT_KEYS", "BoardRow"), "collect.board"),
         **dict.fromkeys(("ConfigRefused", "CountyConfig"), "collect.config"),
         **dict.fromkeys(("FORM_OF", "Overview", "RoundInfo"), "collect.rounds"),
         **dict.fromkeys(("Conflict", "Forbidden", "NotFound", "Seen", "SubmissionCheck"), "collect.workflow"),
         "Collect": "collect.service"}


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
           "Report", "RenderResult", "PublishResult", "WorkbookEngineError", "check_output", "inspect_workbook",
           "InputError", "DocumentProblems"]
# the collection box (the section at the end): its functions, and its constants, refusals and records (_LAZY)
__all__ += ["ACCEPTED", "ADMIN", "DEPARTMENT", "GOALS", "RETURNED", "REVIEWER", "ROLE_NAMES", "STAGE_NAMES",
            "STATE_NAMES", "SUBMITTED", "UPLOADED", "VIEWER", "CollectionDepartment", "Submission", "User",
            "AccountError", "RateLimited", "SESSION_LIFETIME", "ACCEPTED_STATE", "BOARD_STATES", "SORT_KEYS",
            "BoardRow", "ConfigRefused", "CountyConfig", "FORM_OF", "Overview", "RoundInfo", "Conflict", "Forbidden",
            "NotFound", "Seen", "SubmissionCheck", "Collect"]
__all__ += ["open_collection", "box_login_start", "box_password_matches", "box_login_finish", "box_login_session", "box_logout", "box_change_password",
            "box_reset_password", "box_add_account", "box_add_department", "box_user", "box_accounts", "box_account",
            "box_upload", "box_submit", "box_return", "box_accept", "box_add_opinion", "box_opinions",
            "box_submission", "box_department", "box_history", "box_returned_before", "box_diff", "box_file",
            "box_source_file", "box_annotated", "box_board", "box_board_stamp", "box_board_state", "box_board_filtered",
            "box_round_progress", "box_board_chart", "box_write_board", "box_stage", "box_rounds", "box_open_round",
            "box_parse_deadline", "box_open_for_uploads", "box_accepted_goals", "box_goals_for_forms",
            "box_prefilled_form", "box_read_form", "box_overview", "box_overview_chart", "box_write_overview",
            "box_config", "box_config_text", "box_set_config", "box_config_key", "box_analysis",
            "box_stage_county_merge", "box_library_path", "box_library_refresh"]


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
    from .diff import diff_and_write

    return diff_and_write(old, new, output=output, overwrite=overwrite)


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


def suggestions_view(book: str | os.PathLike[str], library: str | os.PathLike[str], *,
                     checked_book: Book | None = None) -> dict[str, Any]:
    """The findings pages' 指标建议: `wbe suggest`'s top suggestions per project, as JSON (suggest_view.py);
    ``checked_book``: the book as api.check read it (not read and checked again)."""
    from .suggest_view import suggestions_view as view

    return view(book, library, checked_book=checked_book)


# -- what the web pages show (issue 21: page_view.py, change_view.py; the web imports nothing else) ----------

def guard_upload(path: str | os.PathLike[str], kind: str) -> None:
    """The CLI's input guard on an uploaded ``kind`` (xlsx or docx; a text export has none): a file that is
    not what its name says, or too large once inflated, is refused with one Chinese line."""
    from .io.guard import check_docx, check_xlsx

    if kind == "xlsx":
        check_xlsx(path)
    elif kind == "docx":
        check_docx(path)


def cpu_count() -> int:
    """The cores this process may run on (io/parallel.cpus): what the web sizes its pools by."""
    from .io.parallel import cpus

    return cpus()


def fork_readers_from_zygote() -> None:
    """For a long-lived process that reads many workbooks (a web worker): its contained readers are forked
    from a lean helper process instead of from itself (io/reader_zygote.py: a third of an upload's check)."""
    from .io import reader_zygote

    reader_zygote.start()


def inspect_workbook(path: str | os.PathLike[str]) -> Inspection:
    """The input guard on a workbook, with what it found: the readable file (an .xls/.et's private .xlsx
    copy, ``copy``), its parts, and the legacy format's name (io.guard.inspect_xlsx)."""
    from .io.guard import inspect_xlsx

    return inspect_xlsx(path)


def upload_kind(path: str | os.PathLike[str], suffix_kind: str) -> str:
    """canonical | official | document: how an upload the guard accepted is read (page_view.detect_kind)."""
    from .page_view import detect_kind

    return detect_kind(Path(path), suffix_kind)


def page_analysis(path: str | os.PathLike[str], config: ReviewConfig | None = None) -> dict[str, Any]:
    """Everything the findings and preview pages show of a canonical workbook (summary, findings, grades,
    rows, preview), from check() with ``config`` (None: the wbe.toml beside the workbook, else the defaults)."""
    return page_view(check(path, config))


def page_view(checked: Checked) -> dict[str, Any]:
    """page_analysis of a workbook the caller has checked (api.check), whose book it goes on to use."""
    from .page_view import analysis_of

    return analysis_of(checked)


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


# -- the collection box (issue 14; collect/: the web's box pages and their worker tasks import nothing else) --
# Thin wrappers over collect/, which sits below this module (it calls the layers under api.py, never api.py):
# a ``session`` is a reading one from ``collect.session()`` or a writing one from ``collect.writer()``; a
# ``user`` is the acting account's row (box_user), a ``viewer`` anything with its id, role and department.

def open_collection(data_dir: str | os.PathLike[str], database_url: str | None = None, *,
                    sweep: bool = False) -> Collect:
    """The collection of a data folder (`wbe collect init`): its database, blobs and work folder."""
    from .collect.service import Collect

    return Collect(data_dir, database_url, sweep=sweep)


def box_login_start(session: Session, username: str, address: str = "") -> PendingLogin:
    """A login's reads (a login in three steps, so that the slow password check holds no thread of the
    page's pool and no lock: box_password_matches, then box_login_finish)."""
    from .collect.accounts import login_start

    return login_start(session, username, address)


def box_password_matches(pending: PendingLogin, password: str) -> bool:
    """A login's argon2id check (no database)."""
    from .collect.accounts import password_matches

    return password_matches(pending, password)


def box_login_finish(session: Session, pending: PendingLogin, password: str, matches: bool) -> LoggedIn:
    """A login's writes: the refusal recorded and raised (AccountError), or the session opened."""
    from .collect.accounts import login_finish

    return login_finish(session, pending, password, matches)


def box_login_session(session: Session, token: str | None) -> LoginSession | None:
    """The live login of a cookie's token (None when unknown, expired or idle too long)."""
    from .collect.accounts import current_session

    return current_session(session, token)


def box_logout(session: Session, token: str | None) -> None:
    """End the login of ``token``."""
    from .collect.accounts import logout

    logout(session, token)


def box_change_password(session: Session, user: User, old: str, new: str, *, keep_token: str | None = None) -> None:
    """Change the user's own password (the other logins end, ``keep_token``'s stays)."""
    from .collect.accounts import change_password

    change_password(session, user, old, new, keep_token=keep_token)


def box_reset_password(session: Session, admin: User, user: User) -> str:
    """An administrator gives ``user`` a new password (returned once, to be changed at the next login)."""
    from .collect.accounts import reset_password

    return reset_password(session, admin, user)


def box_add_account(session: Session, username: str, role: str, *, display_name: str = "",
                    by: User | None = None) -> tuple[User, str]:
    """A bureau account (reviewer, viewer or admin) and its first password, in the audit log."""
    from .collect.accounts import add_account

    return add_account(session, username, role, display_name=display_name, by=by)


def box_add_department(collect: Collect, session: Session, admin: User, code: str,
                       name: str) -> tuple[CollectionDepartment, str]:
    """A department and its account (user name: the 部门编码), with the account's first password."""
    from .collect.initialise import add_department

    return add_department(collect, session, admin, code, name)


def box_user(session: Session, user_id: int) -> User:
    """The account row of a logged-in user (the actor the library's changes record)."""
    from .collect.people import user

    return user(session, user_id)


def box_accounts(session: Session) -> list[User]:
    """Every account, by role and user name (the admin page)."""
    from .collect.people import every_account

    return every_account(session)


def box_account(session: Session, username: str) -> User:
    """The account called ``username`` (NotFound when there is none)."""
    from .collect.people import account_named

    return account_named(session, username)


def box_upload(collect: Collect, session: Session, user: User, filename: str, data: bytes, *,
               checked: SubmissionCheck | None = None, stage: str = "goals", source: bytes | None = None,
               staged: Path | None = None, source_staged: Path | None = None) -> Submission:
    """Keep an upload as a draft of the user's department in the round of ``stage`` (``checked``: its check;
    ``staged``/``source_staged``: files holding ``data``/``source``, linked into the store, not written again)."""
    from .collect.workflow import upload

    return upload(collect, session, user, filename, data, checked=checked, stage=stage, source=source,
                  staged=staged, source_staged=source_staged)


def box_submit(session: Session, user: User, submission_id: int, *, seen: Seen | None = None) -> Submission:
    """A department submits its draft (``seen``: the state and version the page showed)."""
    from .collect.workflow import submit

    return submit(session, user, submission_id, seen=seen)


def box_return(session: Session, user: User, submission_id: int, note: str = "", *,
               seen: Seen | None = None) -> Submission:
    """The bureau returns a submission to its department, with a note."""
    from .collect.workflow import return_submission

    return return_submission(session, user, submission_id, note, seen=seen)


def box_accept(session: Session, user: User, submission_id: int, note: str = "", *,
               seen: Seen | None = None) -> Submission:
    """The bureau accepts a submission."""
    from .collect.workflow import accept

    return accept(session, user, submission_id, note, seen=seen)


def box_add_opinion(session: Session, user: User, submission_id: int, text: str, *, project_code: str = "",
                    indicator_seq: int | None = None) -> Opinion:
    """A bureau opinion on a submission (on a project, or one of its indicators)."""
    from .collect.workflow import add_opinion

    return add_opinion(session, user, submission_id, text, project_code=project_code, indicator_seq=indicator_seq)


def box_opinions(session: Session, viewer: Actor, submission_id: int) -> list[Opinion]:
    """The opinions on a submission the viewer may see."""
    from .collect.workflow import opinions

    return opinions(session, viewer, submission_id)


def box_submission(session: Session, viewer: Actor, submission_id: int) -> Submission:
    """A submission the viewer may see; NotFound for another department's, as for one that does not exist."""
    from .collect.workflow import visible_submission

    return visible_submission(session, viewer, submission_id)


def box_department(session: Session, viewer: Actor, department_id: int) -> CollectionDepartment:
    """A department the viewer may see (NotFound otherwise)."""
    from .collect.workflow import visible_department

    return visible_department(session, viewer, department_id)


def box_history(session: Session, viewer: Actor, department_id: int, stage: str | None = None) -> list[Submission]:
    """Every version of a department (of the round of ``stage``), newest first, that the viewer may see."""
    from .collect.workflow import history

    return history(session, viewer, department_id, stage)


def box_returned_before(session: Session, submission: Submission) -> Submission | None:
    """The latest earlier version of the same department that the bureau returned (for "what changed")."""
    from .collect.workflow import returned_before

    return returned_before(session, submission)


def box_diff(collect: Collect, session: Session, viewer: User, old_id: int, new_id: int,
             output: Path | None = None) -> Diff:
    """diff() of two visible submissions; with ``output`` also the diff workbook."""
    from .collect.workflow import diff as diff_submissions

    return diff_submissions(collect, session, viewer, old_id, new_id, output)


def box_file(collect: Collect, submission: Submission) -> Path:
    """The stored canonical workbook of a submission."""
    from .collect.workflow import blob_path

    return blob_path(collect, submission)


def box_source_file(collect: Collect, submission: Submission) -> Path:
    """The form a 运行监控/年度自评 submission was read from, as the department uploaded it."""
    from .collect.workflow import source_path

    return source_path(collect, submission)


def box_annotated(collect: Collect, session: Session, viewer: User, submission_id: int, output: Path) -> Path:
    """A copy of a submission with its findings and the bureau's opinions marked (审核意见)."""
    from .collect.workflow import annotated_with_opinions

    return annotated_with_opinions(collect, session, viewer, submission_id, output)


def box_board(session: Session, collection_id: int, stage: str = "goals") -> list[BoardRow]:
    """The status board of a round: one row per department, in 部门编码 order."""
    from .collect.board import board

    return board(session, collection_id, stage)


def box_board_stamp(session: Session, collection_id: int) -> tuple[int, ...]:
    """What moves whenever anything the board shows changes (a page may keep its board until then)."""
    from .collect.board import change_stamp

    return change_stamp(session, collection_id)


def box_board_state(submission: Submission | None) -> str:
    """A department's board state (未提交 … 已通过) from its current submission."""
    from .collect.board import state_of

    return state_of(submission)


def box_board_filtered(rows: list[BoardRow], *, state: str = "", query: str = "", sort: str = "code",
                       descending: bool = False) -> list[BoardRow]:
    """The board as the page shows it: one state, a search in code or name, sorted by a column."""
    from .collect.board import filtered

    return filtered(rows, state=state, query=query, sort=sort, descending=descending)


def box_round_progress(session: Session, collection_id: int, stage: str) -> tuple[int, int, int]:
    """(departments, handed in, accepted) of a round, for its tab."""
    from .collect.board import round_progress

    return round_progress(session, collection_id, stage)


def box_board_chart(rows: list[BoardRow]) -> str:
    """The board's 预算合计 by department as an SVG bar chart."""
    from .collect.board import budget_chart_svg

    return budget_chart_svg(rows)


def box_write_board(rows: list[BoardRow], output: str | os.PathLike[str], *, year: int | None = None,
                    overwrite: bool = False) -> Path:
    """The board as an .xlsx (征集状态), written atomically."""
    from .collect.board import write_board

    return write_board(rows, output, year=year, overwrite=overwrite)


def box_stage(text: Any) -> str:
    """The stage a request names (goals | monitor | evaluation; empty: goals); NotFound for another."""
    from .collect.rounds import stage_of

    return stage_of(text)


def box_rounds(session: Session, collection_id: int) -> list[RoundInfo]:
    """The collection's three rounds (目标申报, 运行监控, 年度自评), opened or not."""
    from .collect.rounds import rounds

    return rounds(session, collection_id)


def box_open_round(collect: Collect, session: Session, user: User, stage: str, deadline: date | None) -> RoundInfo:
    """Open a round, or change its deadline (the bureau)."""
    from .collect.rounds import open_round

    return open_round(collect, session, user, stage, deadline)


def box_parse_deadline(text: str) -> date | None:
    """A deadline typed in the round form (2025-08-15; empty: none); refused with a Chinese message otherwise."""
    from .collect.rounds import parse_deadline

    return parse_deadline(text)


def box_open_for_uploads(session: Session, collection_id: int, stage: str) -> RoundInfo:
    """The round of ``stage`` when it takes uploads; refused with a Chinese message otherwise."""
    from .collect.rounds import open_for_uploads

    return open_for_uploads(session, collection_id, stage)


def box_accepted_goals(session: Session, department_id: int) -> Submission | None:
    """A department's accepted 目标申报 submission, if any."""
    from .collect.rounds import accepted_goals

    return accepted_goals(session, department_id)


def box_goals_for_forms(session: Session, department_id: int, stage: str) -> Submission:
    """The accepted goals a department's form of ``stage`` is made from (refused before they are accepted)."""
    from .collect.rounds import goals_for_forms

    return goals_for_forms(session, department_id, stage)


def box_prefilled_form(collect: Collect, session: Session, user: User, stage: str, output: Path) -> Prefilled:
    """The department's form of a round, pre-filled from its accepted goals (render_form of them)."""
    from .collect.rounds import prefilled_form

    return prefilled_form(collect, session, user, stage, output)


def box_read_form(path: Path, output: Path, stage: str, goals: Path | None = None,
                  goals_id: int | None = None) -> list[Finding]:
    """Read an uploaded form back into a canonical workbook (extract); its findings, or refused when it is not
    the round's form of the accepted goals ``goals``."""
    from .collect.rounds import read_form

    return read_form(path, output, stage, goals, goals_id)


def box_overview(collect: Collect, session: Session, stage: str) -> Overview:
    """The county overview of a 运行监控 or 年度自评 round, per department and project."""
    from .collect.rounds import overview

    return overview(collect, session, stage)


def box_overview_chart(view: Overview) -> str:
    """The overview's chart as SVG."""
    from .collect.rounds import overview_chart_svg

    return overview_chart_svg(view)


def box_write_overview(view: Overview, output: str | Path, *, overwrite: bool = False) -> Path:
    """The overview as an .xlsx (县级汇总), written atomically."""
    from .collect.rounds import write_overview

    return write_overview(view, output, overwrite=overwrite)


def box_config(collect: Collect, session: Session) -> CountyConfig:
    """The county's current review configuration (wbe.toml) and its SHA-256."""
    from .collect.config import current

    return current(collect, session)


def box_config_text(collect: Collect, sha256: str | None) -> str | None:
    """The text of a stored configuration (the one a submission was checked with); None for the defaults."""
    from .collect.config import text_of

    return text_of(collect, sha256)


def box_set_config(collect: Collect, session: Session, text: str, *, by: User | None = None) -> CountyConfig:
    """An administrator sets the county's wbe.toml (ConfigRefused says what is wrong); in the audit log."""
    from .collect.config import set_config

    return set_config(collect, session, text, by=by)


def box_config_key(sha256: str | None) -> str:
    """The part of a cache name that says which configuration a result was computed with."""
    from .collect.config import config_key

    return config_key(sha256)


def box_analysis(path: Path, config_text: str | None, stage: str = "goals") -> dict[str, Any]:
    """The findings page data of a staged workbook checked with the county's wbe.toml beside it (what `wbe
    validate --format json` reports), with the box's grades and the round's overview figures."""
    from .collect.config import county_analysis

    return county_analysis(path, config_text, stage)


def box_stage_county_merge(collect: Collect, session: Session, user: User, folder: Path) -> StagedMerge:
    """Copy every accepted submission into ``folder`` for the county merge (in the audit log)."""
    from .collect.county import stage_county_merge

    return stage_county_merge(collect, session, user, folder)


def box_library_path(data_dir: str | os.PathLike[str]) -> Path:
    """The folder of the box's own 指标库 (DATA_DIR/library)."""
    from .collect.library import library_path

    return library_path(data_dir)


def box_library_refresh(data_dir: str, database_url: str | None) -> dict[str, Any]:
    """Bring the box's 指标库 up to date after an accept (a worker-pool job; a failure is logged, never raised)."""
    from .collect.library import refresh_job

    return refresh_job(data_dir, database_url)
