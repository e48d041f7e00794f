"""The workflow: a department uploads and submits; the bureau writes opinions, returns or accepts.

Who may see what is decided here, not in the web layer: ``visible_submission`` is the one gate every page
and download goes through, and a department user only ever gets their own department's submissions (a
guessed id of another department's is "not found", exactly like an id that does not exist).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import InputError, WorkbookEngineError
from .accounts import audit
from .database import begin_write
from .models import (
    ACCEPTED,
    ADMIN,
    DEPARTMENT,
    GOALS,
    RETURNED,
    REVIEWER,
    STAGE_NAMES,
    STAGES,
    STATE_NAMES,
    SUBMITTED,
    SUPERSEDED,
    UPLOADED,
    VIEWER,
    Blob,
    CollectionDepartment,
    Opinion,
    Round,
    Submission,
    Transition,
    User,
    now,
)
from .service import Collect

if TYPE_CHECKING:
    from ..diff import Diff

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class WorkflowError(WorkbookEngineError):
    """An action refused (wrong department, wrong state, no permission); the message says why."""

    exit_code = 1


class NotFound(WorkflowError):
    """No such thing, or nothing this user may see (the same answer, on purpose)."""


class Forbidden(WorkflowError):
    pass


class Actor(Protocol):
    """Who is asking, as the visibility gates need it: a User row, or the page's copy of it (a Viewer)."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...

    @property
    def department_id(self) -> int | None: ...


def is_bureau(user: Actor) -> bool:
    """May review (opinions, return, accept): reviewers and administrators."""
    return user.role in (REVIEWER, ADMIN)


def sees_every_department(user: Actor) -> bool:
    """Sees every department's submitted versions: the bureau, viewers included (read only)."""
    return user.role in (REVIEWER, ADMIN, VIEWER)


@dataclass
class SubmissionCheck:
    """What validation and review found in an uploaded file, before it is stored."""

    report: dict
    errors: int
    warnings: int
    projects: int
    indicators: int
    budget: Decimal
    grades: dict
    dept_codes: list[str]
    sha256: str = ""  # of the bytes checked, when known (a caller that checked elsewhere says what it checked)
    config_sha256: str | None = None  # the county configuration it was checked with (None: the defaults)
    figures: dict = field(default_factory=dict)  # the round's overview figures (rounds.figures_of)


def check_file(path: Path, config_text: str | None = None, config_sha256: str | None = None, *,
               stage: str = GOALS) -> SubmissionCheck:
    """Validate and review a staged workbook exactly as `wbe validate` does with the county's wbe.toml
    beside it (collect/config.py; the input guard first: an unreadable or hostile file raises InputError
    with the CLI's message), with the figures of the round's overview."""
    from .config import county_check
    from .figures import figures_of

    checked = county_check(path, config_text)
    assert checked.review is not None  # county_check reviews
    report = checked.report
    book = checked.book
    return SubmissionCheck(report.to_dict(), len(report.errors), len(report.warnings), len(book.projects),
                   len(book.indicators), book.total_budget(),
                   {g.code: {"name": g.name, "score": g.score, "grade": g.grade} for g in checked.review.grades},
                   [d.code for d in book.departments()], config_sha256=config_sha256,
                   figures=figures_of(checked, stage))


def upload(collect: Collect, session: Session, user: User, filename: str, data: bytes, *,
           department: CollectionDepartment | None = None, checked: SubmissionCheck | None = None, stage: str = GOALS,
           source: bytes | None = None, staged: Path | None = None,
           source_staged: Path | None = None) -> Submission:
    """Check an uploaded workbook and keep it as a draft of the user's department, in the round of ``stage``.
    ``session`` may be a reading one: the write lock is taken only for the rows at the end. ``staged`` and
    ``source_staged``: private files holding ``data`` and ``source`` (the web's checked upload), which the
    blob store links in instead of writing the bytes again.

    Refused, and nothing stored, when the file is not a readable workbook (the CLI's input guard and
    message), when its 部门编码 is not the user's department, or when the round is not open. In a
    运行监控/年度自评 round ``data`` is the canonical workbook read back from the uploaded form ``source``
    (rounds.read_form); both are kept.
    """
    from .config import current

    department = department or _own_department(session, user)
    dept_id, dept_code, dept_name = department.id, department.code, department.name
    if stage not in STAGES:
        raise NotFound("没有这个征集轮次。")
    if stage != GOALS and session.scalar(select(Round.id).where(  # the 目标申报 round is open without a row
            Round.collection_id == department.collection_id, Round.stage == stage)) is None:
        raise WorkflowError(not_open_message(stage))
    county = current(collect, session)
    session.rollback()  # no database lock is held while the file is checked and written below
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(f"{filename}：文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB 的上传上限。")
    shown = Path(filename or "上传.xlsx").name
    if checked is None or checked.sha256 != hashlib.sha256(data).hexdigest():
        with collect.scratch() as folder:
            path = folder / ("upload" + (Path(shown).suffix.lower() if Path(shown).suffix else ".xlsx"))
            path.write_bytes(data)
            try:
                checked = check_file(path, county.text, county.sha256, stage=stage)
            except InputError as exc:
                raise InputError(str(exc).replace(str(path), shown)) from None
    codes = checked.dept_codes
    if not codes:
        raise WorkflowError(f"{shown}：工作簿中没有部门编码。请在“部门目标”“项目”“指标”中填写本部门的部门编码 {dept_code}。")
    others = [c for c in codes if c != dept_code]
    if others:
        raise WorkflowError(f"{shown}：部门编码 {'、'.join(others)} 不是本部门（{dept_code} {dept_name}）的编码，"
                            "不能上传。请只上传本部门的工作簿。")
    sha = collect.blobs.put(data, staged=staged)
    source_sha = collect.blobs.put(source, staged=source_staged) if source is not None else None
    begin_write(session)  # the write lock from here to the commit: rows only, the files are in place
    if session.get(Blob, sha) is None:
        session.add(Blob(sha256=sha, size=len(data)))
        session.flush()
    if source is not None and source_sha is not None:
        if session.get(Blob, source_sha) is None:
            session.add(Blob(sha256=source_sha, size=len(source)))
            session.flush()
    submission = Submission(department_id=dept_id, sha256=sha, filename=shown[:300], uploaded_by=user.id,
                            state=UPLOADED, errors=checked.errors, warnings=checked.warnings,
                            projects=checked.projects, indicators=checked.indicators,
                            budget=str(checked.budget), grades=checked.grades, report=checked.report,
                            config_sha256=checked.config_sha256, stage=stage, source_sha256=source_sha,
                            figures=checked.figures)
    session.add(submission)
    session.flush()
    audit(session, "upload", f"上传 {shown}（{sha[:12]}…，{checked.errors} 个错误，{checked.warnings} 个警告）",
          user=user, department_id=dept_id)
    session.commit()
    return submission


def not_open_message(stage: str) -> str:
    return f"财政局还没有开启“{STAGE_NAMES.get(stage, stage)}”轮次，暂不能上传。"


def _own_department(session: Session, user: User) -> CollectionDepartment:
    if user.role != DEPARTMENT or user.department_id is None:
        raise Forbidden("只有部门填报人可以上传本部门的工作簿。")
    return session.get_one(CollectionDepartment, user.department_id)


class Conflict(WorkflowError):
    """A state change refused because the submission changed since the actor saw it (a stale page, or a
    second reviewer or the department acting at the same moment); the message says who did what when."""


@dataclass(frozen=True)
class Seen:
    """The state and version of a submission as the actor's page showed them (the form carries both)."""

    state: str
    version: int


ACTION_NAMES = {SUBMITTED: "提交", RETURNED: "退回", ACCEPTED: "审核通过", SUPERSEDED: "以新版本取代",
                UPLOADED: "上传"}


def local_time(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A stored UTC time in the server's own time zone (the county's)."""
    if moment is None:
        return ""
    return moment.replace(tzinfo=timezone.utc).astimezone().strftime(pattern)


def last_change(session: Session, submission_id: int) -> str:
    """Who did what to the submission last, and when, in one Chinese phrase."""
    found = session.execute(select(Transition, User).outerjoin(User, User.id == Transition.user_id)
                            .where(Transition.submission_id == submission_id)
                            .order_by(Transition.id.desc()).limit(1)).first()
    if found is None:
        return "它已被改动"
    transition, actor = found
    who = (f"{actor.display_name}（{actor.username}）" if actor.display_name else actor.username) if actor else "系统"
    return f"{who} 已于 {local_time(transition.at)} {ACTION_NAMES.get(transition.to_state, transition.to_state)}了它"


def _conflict(session: Session, submission_id: int, seen_state: str) -> Conflict:
    session.rollback()
    current = session.get(Submission, submission_id)
    now_state = STATE_NAMES.get(current.state, current.state) if current is not None else "不存在"
    return Conflict(f"第 {submission_id} 号提交在您打开页面之后已被改动：{last_change(session, submission_id)}"
                    f"（您看到的状态是“{STATE_NAMES.get(seen_state, seen_state)}”，现在是“{now_state}”）。"
                    "您的操作没有执行。请刷新页面，看清当前状态后再操作。")


def _lock_department(session: Session, department_id: int) -> None:
    """Serialise the state changes of one department: a row lock on PostgreSQL; on SQLite the write lock
    (a reading transaction is ended and one begun IMMEDIATE; FOR UPDATE is ignored there)."""
    begin_write(session)
    session.execute(select(CollectionDepartment.id).where(CollectionDepartment.id == department_id).with_for_update())


def _fresh(session: Session, submission_id: int) -> Submission:
    """The submission as committed now (after the lock), not as this session first read it."""
    found = session.execute(select(Submission).where(Submission.id == submission_id)
                            .execution_options(populate_existing=True)).scalar_one_or_none()
    if found is None:
        raise NotFound("没有这个提交记录。")
    return found


def _check_seen(session: Session, submission: Submission, seen: Seen | None) -> Seen:
    """What the change is conditional on: what the actor saw, refused at once when it is no longer so."""
    if seen is None:
        return Seen(submission.state, submission.version)
    if (submission.state, submission.version) != (seen.state, seen.version):
        raise _conflict(session, submission.id, seen.state)
    return seen


def _move(session: Session, submission: Submission, to_state: str, user: User | None, note: str = "", *,
          seen: Seen | None = None, submitted_at: datetime | None = None) -> None:
    """Change the state where it is still the one seen (``UPDATE … WHERE state = :seen AND version = :seen``);
    refused with Conflict, and nothing written, when another change came first."""
    seen = seen or Seen(submission.state, submission.version)
    values: dict[str, object] = {"state": to_state, "version": seen.version + 1}
    if submitted_at is not None:
        values["submitted_at"] = submitted_at
    result = session.execute(
        update(Submission).where(Submission.id == submission.id, Submission.state == seen.state,
                                 Submission.version == seen.version).values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's Result is a CursorResult
        raise _conflict(session, submission.id, seen.state)
    session.add(Transition(submission_id=submission.id, from_state=seen.state, to_state=to_state,
                           user_id=user.id if user else None, note=note))
    session.flush()
    session.refresh(submission)


def submit(session: Session, user: User, submission_id: int, *, seen: Seen | None = None) -> Submission:
    """The department hands a draft to the bureau; its earlier submissions are superseded (all in one
    transaction, under the department's lock, each a conditional update)."""
    submission = visible_submission(session, user, submission_id)
    if user.role != DEPARTMENT:
        raise Forbidden("只有部门填报人可以提交本部门的工作簿。")
    _lock_department(session, submission.department_id)
    submission = _fresh(session, submission_id)
    if submission.state != UPLOADED:
        if seen is not None and (submission.state, submission.version) != (seen.state, seen.version):
            raise _conflict(session, submission.id, seen.state)
        raise WorkflowError("这个版本已经提交过了。")
    seen = _check_seen(session, submission, seen)
    for older in list(session.scalars(select(Submission).where(  # of the same round only
            Submission.department_id == submission.department_id, Submission.id != submission.id,
            Submission.stage == submission.stage,
            Submission.state.in_((SUBMITTED, RETURNED, ACCEPTED))).execution_options(populate_existing=True))):
        _move(session, older, SUPERSEDED, user, f"被第 {submission.id} 号提交取代")
    _move(session, submission, SUBMITTED, user, seen=seen, submitted_at=now())
    audit(session, "submit", f"提交第 {submission.id} 号（{submission.filename}）", user=user,
          department_id=submission.department_id)
    session.commit()
    return submission


def _reviewable(session: Session, user: User, submission_id: int, seen: Seen | None) -> tuple[Submission, Seen]:
    if not is_bureau(user):
        raise Forbidden("只有财政审核人可以退回或通过。")
    submission = visible_submission(session, user, submission_id)
    _lock_department(session, submission.department_id)
    submission = _fresh(session, submission_id)
    seen = _check_seen(session, submission, seen)
    if submission.state not in (SUBMITTED, RETURNED, ACCEPTED):
        raise WorkflowError("只能审核部门当前提交的版本。")
    return submission, seen


def return_submission(session: Session, user: User, submission_id: int, note: str = "", *,
                      seen: Seen | None = None) -> Submission:
    submission, seen = _reviewable(session, user, submission_id, seen)
    if submission.state == RETURNED:
        raise WorkflowError("这个版本已经退回。")
    _move(session, submission, RETURNED, user, note, seen=seen)
    audit(session, "return", f"退回第 {submission.id} 号" + (f"：{note}" if note else ""), user=user,
          department_id=submission.department_id)
    session.commit()
    return submission


def accept(session: Session, user: User, submission_id: int, note: str = "", *,
           seen: Seen | None = None) -> Submission:
    submission, seen = _reviewable(session, user, submission_id, seen)
    if submission.errors:
        raise WorkflowError(f"这个版本还有 {submission.errors} 个错误，不能通过。请退回部门修改。")
    if submission.state == ACCEPTED:
        raise WorkflowError("这个版本已经通过。")
    _move(session, submission, ACCEPTED, user, note, seen=seen)
    audit(session, "accept", f"通过第 {submission.id} 号", user=user, department_id=submission.department_id)
    session.commit()
    return submission


def add_opinion(session: Session, user: User, submission_id: int, text: str, *, project_code: str = "",
                indicator_seq: int | None = None) -> Opinion:
    """An 审核意见 on the whole workbook, a project (its 项目编码) or one of its indicators (序号)."""
    if not is_bureau(user):
        raise Forbidden("只有财政审核人可以填写审核意见。")
    submission = visible_submission(session, user, submission_id)
    text = text.strip()
    if not text:
        raise WorkflowError("审核意见不能为空。")
    if len(text) > 5000:
        raise WorkflowError("审核意见过长（最多 5000 字）。")
    project_code = project_code.strip()
    if project_code and project_code not in submission.grades:
        raise WorkflowError(f"这个版本中没有项目编码 {project_code}。")
    if indicator_seq is not None and not project_code:
        raise WorkflowError("指标意见需要同时给出项目编码。")
    opinion = Opinion(submission_id=submission.id, project_code=project_code, indicator_seq=indicator_seq,
                      text=text, author_id=user.id)
    session.add(opinion)
    audit(session, "opinion", f"对第 {submission.id} 号填写审核意见（{project_code or '整体'}"
          + (f" 指标 {indicator_seq}" if indicator_seq is not None else "") + "）", user=user,
          department_id=submission.department_id)
    session.commit()
    return opinion


def opinions(session: Session, user: Actor, submission_id: int) -> list[Opinion]:
    submission = visible_submission(session, user, submission_id)
    return list(session.scalars(select(Opinion).where(Opinion.submission_id == submission.id)
                                .order_by(Opinion.created_at, Opinion.id)))


def visible_submission(session: Session, user: Actor, submission_id: int) -> Submission:
    """The submission if this user may see it: a department user their own department's, the bureau any
    submitted one (a department's drafts stay its own). Anything else is NotFound."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("没有这个提交记录。")
    if user.role == DEPARTMENT:
        if user.department_id is None or submission.department_id != user.department_id:
            raise NotFound("没有这个提交记录。")
    elif not sees_every_department(user) or submission.state == UPLOADED:
        raise NotFound("没有这个提交记录。")
    return submission


def visible_department(session: Session, user: Actor, department_id: int) -> CollectionDepartment:
    department = session.get(CollectionDepartment, department_id)
    if department is None or (user.role == DEPARTMENT and user.department_id != department_id) or (
            user.role not in (DEPARTMENT, REVIEWER, ADMIN, VIEWER)):
        raise NotFound("没有这个部门。")
    return department


def history(session: Session, user: Actor, department_id: int, stage: str | None = None) -> list[Submission]:
    """A department's submissions, newest first (drafts only for the department itself); of one round with
    ``stage``."""
    department = visible_department(session, user, department_id)
    query = select(Submission).where(Submission.department_id == department.id)
    if stage is not None:
        query = query.where(Submission.stage == stage)
    if user.role != DEPARTMENT:
        query = query.where(Submission.state != UPLOADED)
    return list(session.scalars(query.order_by(Submission.id.desc())))


def returned_before(session: Session, submission: Submission) -> Submission | None:
    """The latest earlier version of the same department that the bureau returned (for "what changed")."""
    returned = select(Transition.submission_id).where(Transition.to_state == RETURNED)
    return session.scalar(select(Submission).where(
        Submission.department_id == submission.department_id, Submission.id < submission.id,
        Submission.stage == submission.stage, Submission.id.in_(returned)).order_by(Submission.id.desc()))


def diff(collect: Collect, session: Session, user: User, old_id: int, new_id: int,
         output: Path | None = None) -> Diff:
    """The semantic diff between two visible submissions (library diff); with ``output`` also the workbook."""
    from ..diff import diff_and_write

    old = visible_submission(session, user, old_id)
    new = visible_submission(session, user, new_id)
    with collect.scratch() as folder:
        return diff_and_write(staged(collect, old, folder), staged(collect, new, folder), output=output)


def blob_path(collect: Collect, submission: Submission) -> Path:
    return stored_path(collect, submission.sha256)


def source_path(collect: Collect, submission: Submission) -> Path:
    """The form a 运行监控/年度自评 submission was read from, as the department uploaded it."""
    if not submission.source_sha256:
        raise NotFound("这个提交不是由上传的表读入的，没有原表。")
    return stored_path(collect, submission.source_sha256)


def stored_path(collect: Collect, sha256: str) -> Path:
    path = collect.blobs.path(sha256)
    if not path.is_file():
        raise NotFound("这个提交的文件不在存储中。请联系管理员从备份恢复。")
    return path


def staged(collect: Collect, submission: Submission, folder: Path) -> Path:
    """A copy of a stored file under a readable .xlsx name (第N号-原文件名.xlsx), for the library functions
    whose outputs show the input's name."""
    import shutil

    stem = "".join(c if c.isalnum() or c in "-_（）()" else "_" for c in Path(submission.filename).stem)[:60]
    target = folder / f"第{submission.id}号-{stem or '工作簿'}.xlsx"
    shutil.copyfile(blob_path(collect, submission), target)
    return target


def annotated_with_opinions(collect: Collect, session: Session, user: User, submission_id: int,
                            output: Path) -> Path:
    """A copy of the submitted workbook with the bureau's opinions as comments on their rows, the findings,
    and a 审核意见 sheet listing every opinion."""
    submission = visible_submission(session, user, submission_id)
    with collect.scratch() as folder:
        return _annotate_opinions(session, user, submission, staged(collect, submission, folder), output)


def _annotate_opinions(session: Session, user: User, submission: Submission, source: Path, output: Path) -> Path:
    from ..findings import Finding, Location, Report, finding
    from ..validation import check
    from ..validation.annotate import annotate

    submission_id = submission.id
    checked = check(source)
    projects = {p.code: p for p in checked.book.projects}
    indicators = {(i.project_code, i.seq): i for i in checked.book.indicators}
    project_table = checked.loaded.table("projects")
    indicator_table = checked.loaded.table("indicators")
    found: list[Finding] = []
    for opinion in opinions(session, user, submission_id):
        sheet = cell = column = None
        row = None
        author = opinion.author.display_name or opinion.author.username
        if opinion.indicator_seq is not None and indicator_table is not None:
            indicator = indicators.get((opinion.project_code, opinion.indicator_seq))
            if indicator is not None:
                sheet, row, column = indicator_table.sheet_name, indicator.row, "三级指标"
                cell = _cell(indicator_table, "level3", row)
        elif opinion.project_code and project_table is not None:
            project = projects.get(opinion.project_code)
            if project is not None:
                sheet, row, column = project_table.sheet_name, project.row, "项目名称"
                cell = _cell(project_table, "name", row)
        target = opinion.project_code + (f" 指标 {opinion.indicator_seq}" if opinion.indicator_seq else "")
        found.append(finding("WBE-W080", Location(None, sheet, cell, row, column), target or "整体", author=author,
                             when=f"{opinion.created_at:%Y-%m-%d %H:%M}", text=opinion.text))
    report = Report(submission.filename, found)
    return annotate(source, report, output, sheet_name="审核意见",
                    title=f"审核意见：{len(found)} 条（第 {submission.id} 号提交，{submission.filename}）")


def _cell(table: Any, field_name: str, row: int | None) -> str | None:
    from ..a1 import cell_name

    col = table.columns.get(field_name)
    return cell_name(row, col) if row is not None and col is not None else None
