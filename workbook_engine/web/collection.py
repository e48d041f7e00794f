"""The collection box's pages (issue 14): log in, department pages, the bureau's board and review, admin.

``install(app, data_dir=…, database_url=…)`` adds the routes in front of the `wbe serve` routes and a gate
in front of everything: in collection mode nobody reaches any page, file or job without logging in (the
login form is the first page), and each route checks the role on the server. What a user may see is
decided by the library (collect/workflow.py: visible_submission, visible_department, through
api.box_submission and api.box_department): another department's submission is "not found", whatever id is
typed into the URL. Like every module of web/, this one reaches the library through api.py only (its
"collection box" section).
"""

from __future__ import annotations

import functools
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
import anyio.to_thread
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import api
from ..api import (
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
    Collect,
    InputError,
    User,
    WorkbookEngineError,
)
from . import collection_tasks, library_page
from . import permissions as perm
from .app import attachment, check_csrf, error_page, findings_context, page, start_job
from .app import routes as page_routes
from .board_view import RenderedBoards
from .security import SESSION_COOKIE
from .uploads import UploadRefused, kind_of_name, read_form, uploaded_files

log = logging.getLogger("workbook_engine.web")
LOGIN_COOKIE = "wbe_login"
OPEN_PATHS = ("/login", "/static/", "/healthz")
BUREAU = (REVIEWER, ADMIN)  # may review and merge
READERS = (REVIEWER, ADMIN, VIEWER)  # see the board and every submitted version
ANY = (DEPARTMENT, REVIEWER, ADMIN, VIEWER)


@dataclass(frozen=True)
class Viewer:
    """The logged-in user as the pages see it (a plain copy, not a database row)."""

    id: int
    username: str
    role: str
    department_id: int | None
    department_code: str
    department_name: str
    display_name: str
    must_change_password: bool
    token: str

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]

    @property
    def is_bureau(self) -> bool:
        return self.role in BUREAU

    @property
    def sees_board(self) -> bool:
        return self.role in READERS


def viewer_of(user: User, token: str) -> Viewer:
    department = user.department
    return Viewer(user.id, user.username, user.role, user.department_id, department.code if department else "",
                  department.name if department else "", user.display_name, user.must_change_password, token)


class CollectionGate:
    """Every request outside OPEN_PATHS needs a live login; the viewer goes into request.state."""

    def __init__(self, app: ASGIApp, collect: Collect):
        self.app = app
        self.collect = collect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        token = conn.cookies.get(LOGIN_COOKIE)
        viewer = await run_in_threadpool(self._viewer, token) if token else None
        scope.setdefault("state", {})["viewer"] = viewer
        path = scope.get("path", "/")
        if viewer is None and not path.startswith(OPEN_PATHS):
            if scope.get("method") in ("GET", "HEAD"):
                target = "/login" + ("?" + urlencode({"next": path}) if path not in ("/", "") else "")
                response: Response = RedirectResponse(target, status_code=303)
            else:
                response = Response("请先登录。", status_code=401, media_type="text/plain; charset=utf-8")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _viewer(self, token: str) -> Viewer | None:
        with self.collect.session() as session:
            found = api.box_login_session(session, token)
            return viewer_of(found.user, token) if found is not None else None


def collect_of(request: Request) -> Collect:
    return request.app.state.collect


def viewer(request: Request) -> Viewer:
    return request.state.viewer


def requires(*roles: str) -> Callable:
    """The route is for these roles only (403 for the others; the gate already turned away nobody)."""

    def decorate(endpoint: Callable) -> Callable:
        @functools.wraps(endpoint)
        async def wrapper(request: Request) -> Response:
            who = getattr(request.state, "viewer", None)
            if who is None:
                return RedirectResponse("/login", status_code=303)
            if who.role not in roles:
                return error_page(request, "您的账号没有权限打开这个页面。", 403, back="/")
            return await endpoint(request)

        wrapper.roles = roles  # type: ignore[attr-defined]  # the declaration, read by the route test
        return wrapper

    return decorate


async def in_db(request: Request, fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(session, *args)`` in a thread with its own reading session (never waits for a writer)."""

    def run() -> Any:
        with collect_of(request).session() as session:
            return fn(session, *args)

    return await run_in_threadpool(run)


async def in_writer(request: Request, fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(session, *args)`` in a thread with its own writing session (a change of any kind)."""

    def run() -> Any:
        with collect_of(request).writer() as session:
            return fn(session, *args)

    return await run_in_threadpool(run)


def opinion_rows(found) -> list[dict[str, Any]]:
    """Opinions as plain data for the templates (read while the session is open)."""
    return [{"id": o.id, "project": o.project_code, "indicator": o.indicator_seq, "text": o.text,
             "author": o.author.display_name or o.author.username, "at": o.created_at,
             "submission_id": o.submission_id} for o in found]


def user_row(session, who: Viewer) -> User:
    return api.box_user(session, who.id)


def cpage(request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200) -> Response:
    return page(request, f"collect/{name}", {"viewer": getattr(request.state, "viewer", None),
                                             "STATE_NAMES": STATE_NAMES, "STAGE_NAMES": STAGE_NAMES,
                                             **(context or {})}, status)


def stage_param(request: Request) -> str:
    """The round a page is about (?stage=monitor); the 目标申报 round without one."""
    return api.box_stage(request.query_params.get("stage") or GOALS)


def rounds_of(request: Request, session: Any) -> list[api.RoundInfo]:
    return api.box_rounds(session, collect_of(request).collection(session).id)


def int_param(value: Any) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise HTTPException(404, "没有这个提交记录。") from None
    if not 0 < number < 2**31:
        raise HTTPException(404, "没有这个提交记录。")
    return number


async def posted(request: Request) -> Any:
    form = await request.form(max_files=0, max_fields=50)
    check_csrf(request, form)
    return form


def text_field(form: Any, name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def seen_of(form: Any) -> api.Seen | None:
    """The state and version the page showed (hidden fields of every state-changing form); None when a
    client sends neither (the change is then conditional on the state read at the time of the request)."""
    state, version = text_field(form, "seen_state", 20), text_field(form, "seen_version", 12)
    if not state and not version:
        return None
    if state not in STATE_NAMES or not version.isdigit():
        raise api.Conflict("页面已过期或表单不完整，您的操作没有执行。请刷新页面后再操作。")
    return api.Seen(state, int(version))


# --- login, logout, password ---------------------------------------------------------------------------

async def home(request: Request) -> Response:
    who = viewer(request)
    return RedirectResponse("/board" if who.sees_board else "/dept", status_code=303)


async def login_form(request: Request) -> Response:
    if getattr(request.state, "viewer", None) is not None:
        return RedirectResponse("/", status_code=303)
    return cpage(request, "login.html", {"message": "", "username": "", "next": _safe_next(request.query_params.get("next"))})


def _safe_next(value: str | None) -> str:
    """Only a local path (no scheme, no //host) to go to after logging in."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


async def login(request: Request) -> Response:
    import asyncio

    form = await posted(request)
    username, password = text_field(form, "username", 100), form.get("password")
    password = password if isinstance(password, str) else ""
    address = request.client.host if request.client else ""
    try:
        # the reads, the slow check in one of the threads kept for it, the writes (accounts.login's steps)
        pending = await in_db(request, api.box_login_start, username, address)
        matches = await anyio.to_thread.run_sync(api.box_password_matches, pending, password,
                                                 limiter=request.app.state.password_checks)
        done = await in_db(request, api.box_login_finish, pending, password, matches)
    except api.AccountError as exc:
        await asyncio.sleep(0.3)  # slows guessing further (the rate limit is the real barrier)
        return cpage(request, "login.html", {"message": str(exc), "username": username, "next": "/"},
                     429 if isinstance(exc, api.RateLimited) else 403)
    response = RedirectResponse(_safe_next(text_field(form, "next", 300)), status_code=303)
    response.set_cookie(LOGIN_COOKIE, done.token, httponly=True, samesite="strict", path="/",
                        max_age=int(api.SESSION_LIFETIME.total_seconds()))
    app_secrets = request.app.state.secrets
    if app_secrets.token is not None:  # wbe serve --token: the accounts stand in for the access token
        from .security import TOKEN_COOKIE

        response.set_cookie(TOKEN_COOKIE, app_secrets.access_cookie(), httponly=True, samesite="strict", path="/")
    return response


async def logout(request: Request) -> Response:
    await posted(request)
    await in_writer(request, api.box_logout, viewer(request).token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    # the page's browser session goes too: its items (a county merge, uploads, diffs) are not the next
    # user's of this browser, who gets a new session and finds none of them
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@requires(*ANY)
async def password_form(request: Request) -> Response:
    return cpage(request, "password.html", {"message": "", "done": False})


@requires(*ANY)
async def password_change(request: Request) -> Response:
    form = await posted(request)
    old, new, again = (form.get(k) if isinstance(form.get(k), str) else "" for k in ("old", "new", "again"))
    who = viewer(request)
    if new != again:
        return cpage(request, "password.html", {"message": "两次输入的新密码不一致。", "done": False}, 400)

    def change(session) -> None:
        api.box_change_password(session, user_row(session, who), old, new, keep_token=who.token)

    try:
        await in_writer(request, change)
    except api.AccountError as exc:
        return cpage(request, "password.html", {"message": str(exc), "done": False}, 400)
    return cpage(request, "password.html", {"message": "", "done": True})


# --- department pages ----------------------------------------------------------------------------------

@requires(DEPARTMENT)
async def department_home(request: Request) -> Response:
    who = viewer(request)
    if who.department_id is None:  # what visible_department answers for a department it cannot find
        raise api.NotFound("没有这个部门。")
    return await department_page(request, who.department_id)


@requires(*ANY)
async def department_view(request: Request) -> Response:
    return await department_page(request, int_param(request.path_params["dept"]))


async def department_page(request: Request, department_id: int) -> Response:
    """A department's page of one round (?stage=): its state, upload (and the round's pre-filled form), the
    bureau's opinions and every version of that round."""
    who = viewer(request)
    stage = stage_param(request)

    def load(session) -> dict[str, Any]:
        department = api.box_department(session, who, department_id)
        rows = api.box_history(session, who, department.id, stage)
        current = next((s for s in rows if s.state in (SUBMITTED, RETURNED, ACCEPTED)), None)
        all_rounds = rounds_of(request, session)
        this_round = next(r for r in all_rounds if r.stage == stage)
        goals = api.box_accepted_goals(session, department.id) if this_round.takes_forms else None
        return {"department": department, "submissions": rows, "state": api.box_board_state(current),
                "current": current, "rounds": all_rounds, "round": this_round, "stage": stage,
                "goals_accepted": goals is not None,
                "opinions": opinion_rows(api.box_opinions(session, who, current.id)) if current else []}

    return cpage(request, "department.html", await in_db(request, load))


@requires(DEPARTMENT)
async def department_upload(request: Request) -> Response:
    settings = request.app.state.settings
    who = viewer(request)
    form = await read_form(request, settings.max_upload, max_files=1)
    check_csrf(request, form)
    stage = api.box_stage(text_field(form, "stage", 20) or GOALS)
    back = "/dept" + (f"?stage={stage}" if stage != GOALS else "")
    files = uploaded_files(form, "file")
    if not files:
        raise UploadRefused("请先选择要上传的工作簿。")
    upload = files[0]
    name = Path(upload.filename or "工作簿.xlsx").name
    _kind, suffix = kind_of_name(name)  # whatever it is, the workbook guard says what the CLI says
    upload.file.seek(0)
    data = upload.file.read(settings.max_upload + 1)
    if len(data) > settings.max_upload:
        raise UploadRefused(f"{name}：文件超过大小上限。", 413)
    collect = collect_of(request)

    def opened(session: Any) -> tuple[api.CountyConfig, str | None, int | None]:
        api.box_open_for_uploads(session, collect.collection(session).id, stage)
        goals = (api.box_goals_for_forms(session, who.department_id or 0, stage)  # a department's own
                 if stage != GOALS else None)
        goals_path = str(api.box_file(collect, goals)) if goals is not None else None
        return api.box_config(collect, session), goals_path, goals.id if goals is not None else None

    county, goals_path, goals_id = await in_db(request, opened)
    with collect.scratch() as folder:  # removed on every path; a killed server's is swept at the next start
        incoming = folder / f"upload{suffix}"
        incoming.write_bytes(data)  # the file's one write: the blob store links it in below
        job = request.app.state.runner.submit(request.state.sid, "校验上传的工作簿", folder, back,
                                              collection_tasks.analyse_upload, str(incoming), name,
                                              str(analysis_cache(request)), county.text or None, county.sha256,
                                              stage, goals_path, goals_id)
        result = await request.app.state.runner.wait(job, 600)
        if not result or not result.get("ok"):
            message = (result or {}).get("message") or "处理时发生意外问题，没有保存任何内容。请重试。"
            return error_page(request, message, 422, back=back)
        checked = collection_tasks.checked_from(result["checked"])
        stored, source = (incoming, None) if not result.get("canonical") else (Path(result["canonical"]), incoming)

        def store(session) -> int:  # a form: what was read from it is kept, and the form as it came
            return api.box_upload(collect, session, user_row(session, who), name,
                                  data if source is None else stored.read_bytes(), checked=checked, stage=stage,
                                  source=data if source is not None else None, staged=stored,
                                  source_staged=source).id

        submission_id = await in_db(request, store)  # api.box_upload takes the write lock for its rows
    return RedirectResponse(f"/s/{submission_id}", status_code=303)


def analysis_cache(request: Request) -> Path:
    return collect_of(request).work / "analysis"


@requires(*ANY)
async def submission_page(request: Request) -> Response:
    """A submission and its findings. The common case is one thread hop and nothing on the event loop: the
    rows, the stored analysis (and 指标建议) and the rendering, in the thread; only a missing analysis or
    missing suggestions wait for a job in the worker pool first."""
    who = viewer(request)
    submission_id = int_param(request.path_params["sid"])
    collect = collect_of(request)
    cache = analysis_cache(request)

    def analysis_of(submission) -> dict[str, Any] | None:
        """The stored findings page data. The upload's job stores its read-back notes in it; one computed
        again (collection_tasks.cached_analysis) has none, and takes the row's (its deferred report column)."""
        analysis = collection_tasks.load_cached(cache, submission.sha256, submission.config_sha256)
        if analysis is not None and "source_findings" not in analysis:
            analysis["source_findings"] = (submission.report or {}).get("source_findings") or []
        return analysis

    def load(session) -> dict[str, Any] | Response:
        submission = api.box_submission(session, who, submission_id)
        department = submission.department
        versions = api.box_history(session, who, submission.department_id, submission.stage)  # of its round
        returned = api.box_returned_before(session, submission)
        library = suggestions_library(request)
        data = {"s": submission, "department": department, "versions": versions,
                "round_name": STAGE_NAMES.get(submission.stage, ""),
                "opinions": opinion_rows(api.box_opinions(session, who, submission.id)), "returned_before": returned,
                "path": api.box_file(collect, submission), "uploader": submission.uploader.username,
                "config_text": api.box_config_text(collect, submission.config_sha256), "library": library,
                "analysis": analysis_of(submission),
                "suggestions": collection_tasks.load_suggestions(cache, submission.sha256, library[1])
                if library is not None else None}
        if data["analysis"] is None or (library is not None and data["suggestions"] is None):
            return data  # a job first (below)
        return rendered(data)

    def rendered(data: dict[str, Any]) -> Response:
        submission, analysis = data["s"], data["analysis"]
        extra = {"suggestions": data["suggestions"]} if data["library"] is not None else {}
        return cpage(request, "submission.html", {
            **data, **findings_context(analysis, request.query_params),
            "project_names": analysis.get("project_names", {}), "state_text": STATE_NAMES[submission.state],
            "can_submit": who.role == DEPARTMENT and submission.state == UPLOADED,
            "can_review": who.is_bureau and submission.state in (SUBMITTED, RETURNED, ACCEPTED),
            "UPLOADED": UPLOADED, **extra})

    found = await in_db(request, load)
    if isinstance(found, Response):
        return found
    data, submission = found, found["s"]
    if data["analysis"] is None:  # derived data deleted: computed again, with the configuration it was checked with
        with collect.scratch() as folder:
            staged = folder / "submission.xlsx"
            await run_in_threadpool(shutil.copyfile, data["path"], staged)
            job = request.app.state.runner.submit(request.state.sid, "读取工作簿", folder, request.url.path,
                                                  collection_tasks.cached_analysis, str(staged), submission.filename,
                                                  str(cache), submission.sha256, data["config_text"],
                                                  submission.config_sha256)
            await request.app.state.runner.wait(job, 600)
        data["analysis"] = await in_db(request, lambda session: analysis_of(
            api.box_submission(session, who, submission_id)))
        if data["analysis"] is None:
            return error_page(request, "无法读取这个提交的文件。请联系管理员。", 500)
    if data["library"] is not None and data["suggestions"] is None:  # once per content and library version
        data["suggestions"] = await submission_suggestions(request, submission, data["path"], *data["library"])
    return await run_in_threadpool(rendered, data)


def suggestions_library(request: Request) -> tuple[str, str] | None:
    """The library the submission pages suggest from (``--library``, else the box's own once it is built) and
    its version; None without one. Reads a small file: call it off the event loop."""
    state = getattr(request.app.state, "library", None)
    path = Path(state.path) if state is not None else getattr(request.app.state, "box_library", None)
    try:
        return (str(path), collection_tasks.library_stamp(path)) if path is not None else None
    except OSError:  # not built yet
        return None


async def submission_suggestions(request: Request, submission: Any, stored: Path, library: str,
                                 stamp: str) -> dict[str, Any]:
    """The 指标建议 of a submission against this library version, made by a job in the worker pool."""
    cache = analysis_cache(request)
    collect = collect_of(request)
    with collect.scratch() as folder:
        staged = folder / "submission.xlsx"
        await run_in_threadpool(shutil.copyfile, stored, staged)
        job = request.app.state.runner.submit(request.state.sid, "生成指标建议", folder, request.url.path,
                                              collection_tasks.cached_suggestions, str(staged), submission.filename,
                                              str(cache), submission.sha256, library, stamp)
        await request.app.state.runner.wait(job, 600)
    found = await run_in_threadpool(collection_tasks.load_suggestions, cache, submission.sha256, stamp)
    return found or {"error": "指标建议暂时无法生成。请稍后刷新页面。"}


@requires(DEPARTMENT)
async def submission_submit(request: Request) -> Response:
    form = await posted(request)
    who = viewer(request)
    submission_id = int_param(request.path_params["sid"])
    seen = seen_of(form)
    await in_writer(request, lambda s: api.box_submit(s, user_row(s, who), submission_id, seen=seen))
    return RedirectResponse(f"/s/{submission_id}", status_code=303)


@requires(*ANY)
async def submission_file(request: Request) -> Response:
    who = viewer(request)
    submission_id = int_param(request.path_params["sid"])
    collect = collect_of(request)

    def load(session):
        submission = api.box_submission(session, who, submission_id)
        return api.box_file(collect, submission), submission, submission.department

    path, submission, department = await in_db(request, load)
    return attachment(path, f"{department.code}-第{submission.id}号-{Path(submission.filename).stem}.xlsx")


@requires(*ANY)
async def submission_source(request: Request) -> Response:
    """The form a 运行监控/年度自评 submission was read from, as the department uploaded it."""
    who = viewer(request)
    submission_id = int_param(request.path_params["sid"])
    collect = collect_of(request)

    def load(session):
        submission = api.box_submission(session, who, submission_id)
        return api.box_source_file(collect, submission), submission, submission.department

    path, submission, department = await in_db(request, load)
    return attachment(path, f"{department.code}-第{submission.id}号-原表-{Path(submission.filename).name}")


def private_file(request: Request, name: str) -> Path:
    """A server-named file in this browser session's private folder (the serve workspace)."""
    item = request.app.state.workspace.new_item(request.state.sid, type="collect-download", display=name)
    return item.path(name)


@requires(*ANY)
async def submission_annotated(request: Request) -> Response:
    who = viewer(request)
    submission_id = int_param(request.path_params["sid"])
    collect = collect_of(request)
    target = private_file(request, "annotated.xlsx")

    def make(session):
        submission = api.box_submission(session, who, submission_id)
        api.box_annotated(collect, session, who, submission_id, target)
        return submission

    submission = await in_db(request, make)
    return attachment(target, f"{Path(submission.filename).stem}-审核意见.xlsx")


def _diff_ids(request: Request) -> tuple[int, int]:
    return int_param(request.query_params.get("old")), int_param(request.path_params["sid"])


@requires(*ANY)
async def submission_diff(request: Request) -> Response:
    who = viewer(request)
    old_id, new_id = _diff_ids(request)
    collect = collect_of(request)

    def load(session):
        old = api.box_submission(session, who, old_id)
        new = api.box_submission(session, who, new_id)
        if old.department_id != new.department_id:
            raise api.NotFound("只能比对同一部门的两个版本。")
        result = api.box_diff(collect, session, who, old_id, new_id)
        return old, new, result.changes

    old, new, changes = await in_db(request, load)
    return cpage(request, "diff.html", {"old": old, "new": new, "changes": changes.changes,
                                        "summary": changes.summary()})


@requires(*ANY)
async def submission_diff_download(request: Request) -> Response:
    who = viewer(request)
    old_id, new_id = _diff_ids(request)
    collect = collect_of(request)
    target = private_file(request, "diff.xlsx")

    def make(session):
        old = api.box_submission(session, who, old_id)
        new = api.box_submission(session, who, new_id)
        if old.department_id != new.department_id:
            raise api.NotFound("只能比对同一部门的两个版本。")
        api.box_diff(collect, session, who, old_id, new_id, output=target)

    await in_db(request, make)
    return attachment(target, f"比对-第{old_id}号-第{new_id}号.xlsx")


# --- the bureau ----------------------------------------------------------------------------------------

@requires(*BUREAU)
async def submission_opinion(request: Request) -> Response:
    form = await posted(request)
    who = viewer(request)
    submission_id = int_param(request.path_params["sid"])
    project = text_field(form, "target", 100)
    seq = text_field(form, "indicator", 10)
    indicator = int(seq) if seq.isdigit() else None
    text = text_field(form, "text")
    await in_writer(request, lambda s: api.box_add_opinion(s, user_row(s, who), submission_id, text,
                                                           project_code=project, indicator_seq=indicator))
    return RedirectResponse(f"/s/{submission_id}#opinions", status_code=303)


@requires(*BUREAU)
async def submission_return(request: Request) -> Response:
    form = await posted(request)
    who = viewer(request)
    submission_id = int_param(request.path_params["sid"])
    seen = seen_of(form)
    await in_writer(request, lambda s: api.box_return(s, user_row(s, who), submission_id,
                                                      text_field(form, "note"), seen=seen))
    return RedirectResponse(f"/s/{submission_id}", status_code=303)


@requires(*BUREAU)
async def submission_accept(request: Request) -> Response:
    form = await posted(request)
    who = viewer(request)
    submission_id = int_param(request.path_params["sid"])
    seen = seen_of(form)
    await in_writer(request, lambda s: api.box_accept(s, user_row(s, who), submission_id, text_field(form, "note"),
                                                     seen=seen))
    refresh_library(request)
    return RedirectResponse(f"/s/{submission_id}", status_code=303)


def refresh_library(request: Request) -> None:
    """After an accept (committed): the box's 指标库 is brought up to date by a job of the worker pool, not
    in this request; a failure is logged there and never undoes the accept (collect/library.py)."""
    collect = collect_of(request)
    try:
        request.app.state.runner.submit(request.state.sid, "更新指标库", collect.work, "/",
                                        api.box_library_refresh, str(collect.data_dir), collect.db.url)
    except Exception:  # noqa: BLE001 - the accept stands; `wbe collect library` catches up
        log.exception("could not start the collection library refresh")


@requires(*READERS)
async def box_library(request: Request) -> Response:
    """The 指标库 page over the box's library (opened off the event loop: it may be opened first)."""
    return cpage(request, "library.html", await run_in_threadpool(library_page.page_context, request))


@requires(*READERS)
async def box_library_json(request: Request) -> Response:
    return JSONResponse(await run_in_threadpool(library_page.json_body, request))


async def box_library_css(request: Request) -> Response:
    return await library_page.library_css(request)


def _board_rows(request: Request, session, stage: str = GOALS):
    collection = collect_of(request).collection(session)
    return collection, api.box_board(session, collection.id, stage)


@requires(*READERS)
async def board_page(request: Request) -> Response:
    query = request.query_params
    state = query.get("state", "")
    state = state if state in api.BOARD_STATES else ""
    sort = query.get("sort", "code")
    sort = sort if sort in api.SORT_KEYS else "code"
    descending = query.get("desc") == "1"
    search = (query.get("q") or "").strip()[:50]
    stage = stage_param(request)

    root = request.scope.get("root_path", "")

    def load(session):
        collection = collect_of(request).collection(session)
        all_rounds = rounds_of(request, session)
        this_round = next(r for r in all_rounds if r.stage == stage)
        stamp = api.box_board_stamp(session, collection.id)
        view = (tuple(all_rounds), stage, state, sort, descending, search, root)

        def render() -> dict[str, Any]:  # what changes only with the stamp and the view (web/board_view.py)
            rows = api.box_board(session, collection.id, stage)
            shown = api.box_board_filtered(rows, state=state, query=search, sort=sort, descending=descending)
            counts = {s: sum(1 for r in rows if r.state == s) for s in api.BOARD_STATES}
            late = {r.department.code for r in rows if r.submission is not None and this_round.overdue(r.last_submitted)}
            progress = {}  # each opened round at a glance, in its tab: how many departments submitted, accepted
            for other in all_rounds:
                if other.opened:
                    departments, handed_in, accepted = api.box_round_progress(session, collection.id, other.stage)
                    progress[other.stage] = f"已交 {handed_in}/{departments}，通过 {accepted}"
            table = request.app.state.templates.get_template("collect/_board_table.html").render(
                rows=shown, late=late, stage=stage, root=root)
            return {"board_table": table, "all_count": len(rows), "counts": counts, "progress": progress,
                    "chart": api.box_board_chart(sorted(rows, key=lambda r: r.budget, reverse=True)),
                    "accepted": counts[api.ACCEPTED_STATE]}

        return {"collection": collection, "rounds": all_rounds, "round": this_round,
                **request.app.state.boards.get(stamp, view, render)}

    def shown(session) -> Response:  # the page rendered in the worker thread too: nothing of it on the loop
        return cpage(request, "board.html", {**load(session), "state": state, "sort": sort, "desc": descending,
                                             "q": search, "states": api.BOARD_STATES, "stage": stage,
                                             "round_saved": query.get("round") == "saved"})

    return await in_db(request, shown)


@requires(*READERS)
async def board_download(request: Request) -> Response:
    target = private_file(request, "board.xlsx")
    stage = stage_param(request)

    def make(session):
        collection, rows = _board_rows(request, session, stage)
        api.box_write_board(rows, target, year=collection.year)
        return collection

    collection = await in_db(request, make)
    suffix = "" if stage == GOALS else f"（{STAGE_NAMES[stage]}）"
    return attachment(target, f"{collection.year}年度征集状态{suffix}.xlsx")


# --- rounds per stage (issue 22) ---------------------------------------------------------------------

@requires(*BUREAU)
async def round_open(request: Request) -> Response:
    """Open a round (目标申报, 运行监控, 年度自评) or change its deadline."""
    form = await posted(request)
    who = viewer(request)
    stage = api.box_stage(text_field(form, "stage", 20))
    deadline = api.box_parse_deadline(text_field(form, "deadline", 20))
    collect = collect_of(request)
    await in_writer(request, lambda s: api.box_open_round(collect, s, user_row(s, who), stage, deadline))
    return RedirectResponse(f"/board?stage={stage}&round=saved", status_code=303)


@requires(DEPARTMENT)
async def department_form(request: Request) -> Response:
    """The department's form of a 运行监控/年度自评 round, pre-filled from its accepted goals."""
    who = viewer(request)
    stage = api.box_stage(request.path_params["stage"])
    collect = collect_of(request)
    target = private_file(request, "form.xlsx")
    made = await in_db(request, lambda s: api.box_prefilled_form(collect, s, user_row(s, who), stage, target))
    return attachment(made.path, made.filename)


def _overview(request: Request) -> Callable[[Any], api.Overview]:
    stage = api.box_stage(request.path_params["stage"])
    collect = collect_of(request)
    return lambda session: api.box_overview(collect, session, stage)


@requires(*READERS)
async def round_overview(request: Request) -> Response:
    """The county overview of a 运行监控 or 年度自评 round: per department and project, with a chart."""
    overview = _overview(request)
    view, rounds_list = await in_db(request, lambda s: (overview(s), rounds_of(request, s)))
    return cpage(request, "overview.html", {"view": view, "chart": api.box_overview_chart(view),
                                            "rounds": rounds_list, "stage": view.round.stage,
                                            "grades": view.grade_counts()})


@requires(*READERS)
async def round_overview_download(request: Request) -> Response:
    view = await in_db(request, _overview(request))
    target = private_file(request, "overview.xlsx")
    await run_in_threadpool(api.box_write_overview, view, target, overwrite=True)
    return attachment(target, f"{view.year}年度{view.round.name}县级汇总.xlsx")


@requires(*BUREAU)
async def county_merge(request: Request) -> Response:
    """Stage every accepted submission into a merge job of this browser session and show the merge page
    of `wbe serve` (conflicts, choices, download with 合并记录)."""
    from . import tasks

    await posted(request)
    who = viewer(request)
    collect = collect_of(request)
    item = request.app.state.workspace.new_item(request.state.sid, type="merge")
    try:
        staged = await in_writer(request, lambda s: api.box_stage_county_merge(collect, s, user_row(s, who), item.folder))
    except WorkbookEngineError:
        shutil.rmtree(item.folder, ignore_errors=True)
        raise
    inputs = [p.name for p in staged.inputs]
    item.update(display=f"{len(inputs)} 个已通过部门", inputs=inputs, labels=staged.labels)
    return await start_job(request, item, f"合并 {len(inputs)} 个已通过部门", f"/merge/{item.id}", tasks.merge_task,
                           str(item.folder), inputs, staged.labels, None, None)


# --- administration ------------------------------------------------------------------------------------

def _admin_data(request: Request) -> Callable[[Any], dict[str, Any]]:
    collect = collect_of(request)

    def load(session: Any) -> dict[str, Any]:
        users = api.box_accounts(session)
        return {"users": [(u, u.department) for u in users], "config": api.box_config(collect, session)}

    return load


@requires(ADMIN)
async def admin_page(request: Request) -> Response:
    return cpage(request, "admin.html", {**(await in_db(request, _admin_data(request))), "ROLE_NAMES": ROLE_NAMES,
                                         "shown_password": None,
                                         "config_saved": request.query_params.get("config") == "saved"})


@requires(ADMIN)
async def admin_reset(request: Request) -> Response:
    form = await posted(request)
    who = viewer(request)
    username = text_field(form, "username", 100)

    def reset(session):
        return api.box_reset_password(session, user_row(session, who), api.box_account(session, username))

    password = await in_writer(request, reset)
    return cpage(request, "password_shown.html", {"username": username, "password": password,
                                                  "what": "已重置密码"})


@requires(ADMIN)
async def admin_add_department(request: Request) -> Response:
    form = await posted(request)
    who = viewer(request)
    code, name = text_field(form, "code", 20), text_field(form, "name", 200)
    collect = collect_of(request)
    _department, password = await in_writer(request, lambda s: api.box_add_department(
        collect, s, user_row(s, who), code, name))
    return cpage(request, "password_shown.html", {"username": code, "password": password,
                                                  "what": f"已添加部门 {code} {name}"})


@requires(ADMIN)
async def admin_config(request: Request) -> Response:
    """The county's review configuration (wbe.toml), changed by an administrator; in the audit log."""
    form = await posted(request)
    who = viewer(request)
    text = form.get("config")
    text = text if isinstance(text, str) else ""
    collect = collect_of(request)
    try:
        await in_writer(request, lambda s: api.box_set_config(collect, s, text, by=user_row(s, who)))
    except api.ConfigRefused as exc:
        return cpage(request, "admin.html", {**(await in_db(request, _admin_data(request))), "ROLE_NAMES": ROLE_NAMES,
                                             "config_message": str(exc), "config_draft": text}, 400)
    return RedirectResponse("/admin?config=saved#config", status_code=303)


@requires(ADMIN)
async def admin_add_user(request: Request) -> Response:
    form = await posted(request)
    who = viewer(request)
    username, role = text_field(form, "username", 100), text_field(form, "role", 20)
    display_name = text_field(form, "display_name", 200)
    _user, password = await in_writer(request, lambda s: api.box_add_account(
        s, username, role, display_name=display_name, by=user_row(s, who)))
    return cpage(request, "password_shown.html", {"username": username, "password": password,
                                                  "what": f"已添加账号 {username}（{ROLE_NAMES[role]}）"})


def local_time(moment, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time shown in the server's own time zone (the county's)."""
    from datetime import timezone

    if moment is None:
        return ""
    return moment.replace(tzinfo=timezone.utc).astimezone().strftime(pattern)


# --- errors and installation ---------------------------------------------------------------------------

STATUS = {api.NotFound: 404, api.Forbidden: 403, api.Conflict: 409, api.AccountError: 400}


async def engine_error(request: Request, exc: Exception) -> Response:
    """A library refusal becomes a Chinese page: 404 for what the user may not see, 422 for bad input."""
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 422 if isinstance(exc, InputError) else 400)
    back = "/dept" if getattr(getattr(request.state, "viewer", None), "role", "") == DEPARTMENT else "/"
    return error_page(request, str(exc), status, back=back)


async def stylesheet(request: Request) -> Response:
    from starlette.responses import FileResponse

    return FileResponse(Path(__file__).resolve().parent / "templates" / "collect" / "collect.css",
                        media_type="text/css")


def routes() -> list[Route]:
    return [
        Route("/static/collect.css", perm.allow("collect.stylesheet", *perm.EVERYONE)(stylesheet)),
        Route("/", perm.allow("collect.home", *perm.EVERYONE)(home)),
        Route("/login", perm.allow("collect.login.form", *perm.EVERYONE)(login_form)),
        Route("/login", perm.allow("collect.login", *perm.EVERYONE)(login), methods=["POST"]),
        Route("/logout", perm.allow("collect.logout", *perm.EVERYONE)(logout), methods=["POST"]),
        Route("/account/password", perm.allow("collect.password_form", *ANY)(password_form)),
        Route("/account/password", perm.allow("collect.password_change", *ANY)(password_change), methods=["POST"]),
        Route("/dept", perm.allow("collect.department_home", DEPARTMENT)(department_home)),
        Route("/dept/upload", perm.allow("collect.department_upload", DEPARTMENT)(department_upload), methods=["POST"]),
        Route("/departments/{dept}", perm.allow("collect.department_view", *ANY)(department_view)),
        Route("/s/{sid}", perm.allow("collect.submission_page", *ANY)(submission_page)),
        Route("/s/{sid}/submit", perm.allow("collect.submission_submit", DEPARTMENT)(submission_submit), methods=["POST"]),
        Route("/s/{sid}/file", perm.allow("collect.submission_file", *ANY)(submission_file)),
        Route("/s/{sid}/source", perm.allow("collect.submission_source", *ANY)(submission_source)),
        Route("/s/{sid}/annotated", perm.allow("collect.submission_annotated", *ANY)(submission_annotated)),
        Route("/s/{sid}/diff", perm.allow("collect.submission_diff", *ANY)(submission_diff)),
        Route("/s/{sid}/diff.xlsx", perm.allow("collect.submission_diff_download", *ANY)(submission_diff_download)),
        Route("/s/{sid}/opinion", perm.allow("collect.submission_opinion", *BUREAU)(submission_opinion), methods=["POST"]),
        Route("/s/{sid}/return", perm.allow("collect.submission_return", *BUREAU)(submission_return), methods=["POST"]),
        Route("/s/{sid}/accept", perm.allow("collect.submission_accept", *BUREAU)(submission_accept), methods=["POST"]),
        Route("/board", perm.allow("collect.board_page", *READERS)(board_page)),
        Route("/library", perm.allow("collect.library", *READERS)(box_library)),
        Route("/library.json", perm.allow("collect.library_json", *READERS)(box_library_json)),
        Route("/library.css", perm.allow("collect.library_style", *perm.EVERYONE)(box_library_css)),
        Route("/board.xlsx", perm.allow("collect.board_download", *READERS)(board_download)),
        Route("/rounds/open", perm.allow("collect.round_open", *BUREAU)(round_open), methods=["POST"]),
        Route("/rounds/{stage}", perm.allow("collect.round_overview", *READERS)(round_overview)),
        Route("/rounds/{stage}/overview.xlsx", perm.allow("collect.round_overview_download", *READERS)(
            round_overview_download)),
        Route("/dept/form/{stage}", perm.allow("collect.department_form", DEPARTMENT)(department_form)),
        Route("/county/merge", perm.allow("collect.county_merge", *BUREAU)(county_merge), methods=["POST"]),
        Route("/admin", perm.allow("collect.admin_page", ADMIN)(admin_page)),
        Route("/admin/reset", perm.allow("collect.admin_reset", ADMIN)(admin_reset), methods=["POST"]),
        Route("/admin/departments", perm.allow("collect.admin_add_department", ADMIN)(admin_add_department), methods=["POST"]),
        Route("/admin/users", perm.allow("collect.admin_add_user", ADMIN)(admin_add_user), methods=["POST"]),
        Route("/admin/config", perm.allow("collect.admin_config", ADMIN)(admin_config), methods=["POST"]),
    ]


# Routes of `wbe serve`'s own page that in collection mode only these roles may open: the merge page holds
# every accepted department's data (the county merge runs through it).
def install(app, *, data_dir, database_url: str | None = None, **_options: Any) -> Collect:
    """Switch the app into collection mode over DATA_DIR (and its database)."""
    collect = api.open_collection(data_dir, database_url, sweep=True)
    with collect.session() as session:
        collect.collection(session)  # a clear message when the folder was never initialised
    app.state.collect = collect
    app.state.box_library = api.box_library_path(collect.data_dir)  # the 指标库 page's (library_page._state)
    # argon2id checks at once: one per core, in threads of their own (a hundred logins in one second take
    # turns on the cores and never hold the threads that serve pages and changes; issue 25)
    app.state.password_checks = anyio.CapacityLimiter(api.cpu_count())
    app.state.boards = RenderedBoards()  # the status board's rendered table, by change stamp (board_view.py)
    app.state.templates.env.filters["local"] = local_time
    app.router.routes[:] = perm.compose(routes(), page_routes())  # one router: the box's routes first
    app.add_exception_handler(WorkbookEngineError, engine_error)
    app.add_middleware(CollectionGate, collect=collect)
    return collect
