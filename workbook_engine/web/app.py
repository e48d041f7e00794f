"""The ASGI app of `wbe serve`: pages over the library API (through tasks.py in worker processes).

Routes read only server-chosen names from the session's own folder (workspace.py); every POST checks the
CSRF token; every error becomes a Chinese page with a 4xx status (or a plain 500 page without internals).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from . import tasks
from .permissions import BUREAU, EVERYONE, SIGNED_IN, allow, compose
from .security import (
    CSRF_FIELD,
    CSRF_HEADER,
    TOKEN_COOKIE,
    AccountScope,
    HostCheck,
    Secrets,
    SecurityMiddleware,
)
from .uploads import UploadRefused, kind_of_name, read_form, save, uploaded_files
from .worker_pool import JOB_TIMEOUT, JobRunner
from .workspace import Item, Workspace, valid_id

log = logging.getLogger("workbook_engine.web")
HERE = Path(__file__).resolve().parent
MB = 1024 * 1024
FAST_WAIT = 3.0  # seconds a request waits for its job before showing the progress page
MERGE_MAX_FILES = 300


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def access_token(host: str, token: str | None) -> tuple[str | None, bool]:
    """The token a server on ``host`` needs: the given one; a generated one for a non-loopback host without
    one (True: print it); None on loopback without one."""
    if token:
        return token, False
    if host in LOOPBACK or host.startswith("127."):
        return None, False
    import secrets

    return secrets.token_urlsafe(12), True


class Settings:
    def __init__(self, *, max_upload_mb: float, token: str | None, max_age_hours: float, merge_factor: int,
                 fast_wait: float = FAST_WAIT):
        self.fast_wait = fast_wait
        self.max_upload = int(max_upload_mb * MB)
        self.merge_limit = int(max_upload_mb * MB * merge_factor)
        self.token = token
        self.max_age = max_age_hours * 3600
        self.soffice = shutil.which("soffice") or shutil.which("libreoffice")


templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.auto_reload = False  # the templates ship with the package: no stat of every include per page


def page(request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200) -> Response:
    """A page with the session's CSRF token and the app's settings in its context."""
    values = {"csrf": request.state.csrf, "csrf_field": CSRF_FIELD, "app_settings": request.app.state.settings,
              "root": request.scope.get("root_path", ""), **(context or {})}
    return templates.TemplateResponse(request, name, values, status_code=status)


def error_page(request: Request, message: str, status: int = 400, back: str = "/") -> Response:
    return page(request, "error.html", {"message": message, "back": back, "status": status}, status)


def check_csrf(request: Request, form: FormData | None = None) -> None:
    value = request.headers.get(CSRF_HEADER) or (form.get(CSRF_FIELD) if form is not None else None)
    sid = getattr(request.state, "browser_sid", request.state.sid)  # the browser's, also once logged in
    if not request.app.state.secrets.check_csrf(sid, value if isinstance(value, str) else None):
        raise HTTPException(403, "页面已过期或请求来源不明（CSRF 校验失败）。请刷新页面后重试。")


def workspace(request: Request) -> Workspace:
    return request.app.state.workspace


def runner(request: Request) -> JobRunner:
    return request.app.state.runner


def own_item(request: Request, kind: str | None = None) -> Item:
    """The item named in the URL if it is this session's (and of ``kind``); 404 otherwise."""
    item = workspace(request).item(request.state.sid, request.path_params.get("item", ""))
    if item is None or (kind is not None and item.meta().get("type") != kind):
        raise HTTPException(404, "找不到这个文件：它可能已过期被删除，或不属于当前浏览器会话。请重新上传。")
    return item


def attachment(path: Path, name: str, media_type: str | None = None) -> FileResponse:
    """A download with its Chinese name kept (RFC 5987 filename*) and an ASCII fallback; never cached."""
    fallback = "".join(ch if ch.isascii() and ch.isalnum() or ch in "-_." else "_" for ch in name) or "download"
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    media = media_type or {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                           ".pdf": "application/pdf"}.get(path.suffix.lower(), "application/octet-stream")
    return FileResponse(path, media_type=media, headers={"content-disposition": disposition,
                                                         "cache-control": "no-store"})


async def start_job(request: Request, item: Item, title: str, next_url: str, fn, *args: Any) -> Response:
    """Run ``fn`` in the pool; show its result's page at once when it is quick, else the progress page."""
    (item.folder / tasks.PROGRESS).unlink(missing_ok=True)
    job = runner(request).submit(request.state.sid, title, item.folder, next_url, fn, *args)
    item.update(job=job.id)
    result = await runner(request).wait(job, request.app.state.settings.fast_wait)
    if result is not None and result.get("ok"):
        return RedirectResponse(next_url, status_code=303)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


# --- upload and findings (reusable by the collection box) ------------------------------------------------

async def store_upload(request: Request, sid: str, *, field: str = "file") -> tuple[Item, FormData]:
    """Read one uploaded file into a new item of the session ``sid`` (CSRF and size checked)."""
    settings: Settings = request.app.state.settings
    form = await read_form(request, settings.max_upload, max_files=1)
    check_csrf(request, form)
    files = uploaded_files(form, field)
    if not files:
        raise UploadRefused("请先选择要上传的文件。")
    upload = files[0]
    suffix_kind, suffix = kind_of_name(upload.filename or "")
    item = workspace(request).new_item(sid, type="file", display="", suffix_kind=suffix_kind)
    try:
        display, size = save(upload, item.path("input" + suffix), settings.max_upload)
    except UploadRefused:
        shutil.rmtree(item.folder, ignore_errors=True)
        raise
    item.update(display=display, size=size, input="input" + suffix)
    return item, form


def analyse_args(item: Item) -> tuple[Any, ...]:
    meta = item.meta()
    return (str(item.folder), meta["input"], meta["suffix_kind"], meta["display"])


def load_analysis(item: Item) -> dict[str, Any] | None:
    try:
        return tasks.read_json(item.folder / tasks.ANALYSIS)
    except (OSError, ValueError):
        return None


FINDING_FILTERS = ("severity", "sheet", "project", "criterion", "q")
SEVERITY_TEXT = {"error": "错误", "warning": "警告"}


def finding_matches(row: dict[str, Any], chosen: dict[str, str]) -> bool:
    """The table filter as the page's script applies it (search: any shown text of the row, any case)."""
    for name in FINDING_FILTERS[:4]:
        if chosen[name] and str(row.get(name) or "") != chosen[name]:
            return False
    if chosen["q"]:
        shown = (SEVERITY_TEXT.get(row["severity"], ""), row["code"], row.get("criterion") or "", row.get("sheet") or "",
                 row.get("cell") or "", str(row.get("value") or ""), row["message"])
        return chosen["q"].lower() in " ".join(shown).lower()
    return True


PAGE_ROWS = 1000  # findings sent at once; more are paged and filtered on the server


def findings_context(analysis: dict[str, Any], query: Any = None, folder: Path | None = None) -> dict[str, Any]:
    """What templates/_findings.html needs: the analysis plus the filter choices. ``query`` (the request's
    query parameters) filters the table on the server, for browsers without JavaScript: rows that do not
    match are sent hidden, so the script can still show them when the filter changes. A workbook with
    more than PAGE_ROWS findings (a county's has 40,000) is filtered on the server and sent a page at a
    time. The findings come from ``analysis`` or, for the page's own uploads, from ``folder``'s
    findings.jsonl (tasks.write_analysis), read line by line."""
    chosen = {name: str((query or {}).get(name) or "").strip()[:200] for name in FINDING_FILTERS}
    if folder is None:
        total = len(analysis["findings"])
        choices = tasks.filter_choices(analysis["findings"])
    else:
        total = analysis["finding_count"]
        choices = {"sheets": analysis["sheets"], "projects": analysis["projects"]}
    paged = total > PAGE_ROWS
    try:
        number = max(1, int(str((query or {}).get("page") or 1)))
    except ValueError:
        number = 1

    def select(number: int) -> tuple[list[dict[str, Any]], int]:
        """The rows to send and how many findings match."""
        source: Any = analysis["findings"] if folder is None else tasks.stored_findings(folder)
        rows: list[dict[str, Any]] = []
        matched = unread = 0
        if paged and not any(chosen.values()):  # no filter: read no further than the page
            source = itertools.islice(source, number * PAGE_ROWS)
            unread = max(0, total - number * PAGE_ROWS)  # they all match
        for row in source:
            matches = finding_matches(row, chosen)
            if not paged:
                rows.append({**row, "hidden": not matches})
            elif matches:
                matched += 1
                if (number - 1) * PAGE_ROWS < matched <= number * PAGE_ROWS:
                    rows.append({**row, "hidden": False})
        return rows, matched + unread

    rows, matched = select(number)
    if paged and not rows and matched:  # a page past the last: the last page
        number = -(-matched // PAGE_ROWS)
        rows, matched = select(number)
    shown = matched if paged else sum(1 for row in rows if not row["hidden"])
    keys = {f"{row['sheet']}!{row['row']}" for row in rows if row.get("sheet") and row.get("row")}
    if folder is None:
        contexts = {key: value for key, value in analysis.get("rows", {}).items() if key in keys}
    else:
        contexts = tasks.stored_rows(folder, keys)
    return {
        "analysis": analysis,
        "summary": analysis["summary"],
        "findings": rows,
        "finding_total": total,
        "row_contexts": contexts,
        "chosen": chosen,
        "shown_count": shown,
        "paging": _paging(number, shown, chosen) if paged else None,
        **choices,
        "criteria": ["完整性", "相关性", "适当性", "可行性"],
        "project_names": analysis.get("project_names", {}),
    }


def _paging(number: int, matched: int, chosen: dict[str, str]) -> dict[str, Any]:
    pages = max(1, -(-matched // PAGE_ROWS))
    number = min(number, pages)

    def url(n: int) -> str:
        return "?" + urlencode({**{k: v for k, v in chosen.items() if v}, "page": n})

    return {"page": number, "pages": pages, "first": (number - 1) * PAGE_ROWS + 1 if matched else 0,
            "last": min(number * PAGE_ROWS, matched),
            "prev": url(number - 1) if number > 1 else None, "next": url(number + 1) if number < pages else None}


async def upload(request: Request) -> Response:
    item, form = await store_upload(request, request.state.sid)
    await form.close()  # the spooled upload is copied into the session's folder
    return await start_job(request, item, "读取与校验", f"/files/{item.id}", tasks.analyse, *analyse_args(item),
                           library_of(request))


def library_of(request: Request) -> str | None:
    """The folder of the app's 指标库 (`create_app(library=...)`), for the findings' 指标建议; None without one."""
    state = getattr(request.app.state, "library", None)
    return str(state.path) if state is not None else None


def findings(request: Request) -> Response:  # sync: Starlette runs it off the event loop
    item = own_item(request, "file")
    analysis = load_analysis(item)
    if analysis is None:
        return failed_or_running(request, item)
    extra = {}
    if library_of(request) is not None:  # the 指标建议 the analysis job wrote (tasks.write_suggestions)
        extra["suggestions"] = tasks.read_suggestions(item.folder)
    return page(request, "findings.html", {"item": item.meta(), "item_id": item.id,
                                            **findings_context(analysis, request.query_params, item.folder), **extra})


def failed_or_running(request: Request, item: Item) -> Response:
    job = runner(request).get(request.state.sid, item.meta().get("job", ""))
    if job is not None and job.result() is None:
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)
    if job is not None and forceable(job.result()):  # the refusal page, with its “仍然导入”
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)
    message = (job.status().get("message") if job is not None else None) or "这个文件没有处理结果。请重新上传。"
    return error_page(request, message, 422)


def forceable(result: dict[str, Any] | None) -> bool:
    """An analysis refused because the document has problems (tasks.analyse): `wbe import --force` may write it."""
    return bool(result and not result.get("ok") and result.get("forceable"))


async def force_import(request: Request) -> Response:
    """“仍然导入”: the same item's analysis again with force (api.import_checked(force=True)), so that the
    workbook is written with what could not be placed in its 未归位内容 sheet; the findings page then lists the
    import's problems."""
    item = own_item(request, "file")
    form = await request.form(max_files=0, max_fields=5)
    check_csrf(request, form)
    job = runner(request).get(request.state.sid, item.meta().get("job", ""))
    if job is None or not forceable(job.result()):  # analysed, still running, or refused for another reason
        return RedirectResponse(f"/files/{item.id}", status_code=303)
    return await start_job(request, item, "仍然导入", f"/files/{item.id}", tasks.analyse, *analyse_args(item),
                           library_of(request), True)


def preview(request: Request) -> Response:  # sync: Starlette runs it off the event loop
    item = own_item(request, "file")
    analysis = load_analysis(item)
    if analysis is None:
        return failed_or_running(request, item)
    departments = analysis["preview"] if "preview" in analysis else tasks.stored_preview(item.folder)
    try:
        d = int(request.query_params.get("d", 0))
        p = int(request.query_params.get("p", 0))
    except ValueError:
        d = p = 0
    d = min(max(d, 0), max(len(departments) - 1, 0))
    dept = departments[d] if departments else None
    projects = dept["projects"] if dept else []
    p = min(max(p, 0), max(len(projects) - 1, 0))
    return page(request, "preview.html", {"item": item.meta(), "item_id": item.id, "departments": departments,
                                          "d": d, "p": p, "dept": dept,
                                          "project": projects[p] if projects else None})


def downloads(request: Request) -> Response:  # sync: Starlette runs it off the event loop
    item = own_item(request, "file")
    analysis = load_analysis(item)
    if analysis is None:
        return failed_or_running(request, item)
    meta = item.meta()
    outputs = meta.get("outputs", {})
    available = ["annotated", "official", "docx", "pdf"] + (["canonical"] if analysis["kind"] != "canonical" else [])
    return page(request, "downloads.html", {"item": meta, "item_id": item.id, "analysis": analysis,
                                            "summary": analysis["summary"], "outputs": outputs,
                                            "available": available, "names": tasks.OUTPUTS,
                                            "refused": meta.get("refused", {}),
                                            "soffice": request.app.state.settings.soffice})


async def make_output(request: Request) -> Response:
    item = own_item(request, "file")
    form = await request.form(max_files=0, max_fields=10)
    check_csrf(request, form)
    what = request.path_params["what"]
    if what not in tasks.OUTPUTS:
        raise HTTPException(404, "没有这种下载。")
    if what == "pdf" and not request.app.state.settings.soffice:
        return error_page(request, "本机没有安装 LibreOffice，无法生成 PDF。请下载 Word 文本（.docx）后在 Word/WPS 中另存为 PDF。",
                          409, f"/files/{item.id}/downloads")
    force = form.get("force") == "1"

    def done(result: dict[str, Any]) -> None:
        meta = item.meta()
        outputs, refused = dict(meta.get("outputs", {})), dict(meta.get("refused", {}))
        if result.get("ok") and result.get("files"):
            outputs[what] = result["files"]
            refused.pop(what, None)
        elif result.get("ok") and result.get("refused"):
            refused[what] = result["refused"]
        item.update(outputs=outputs, refused=refused)

    meta = item.meta()
    job = runner(request).submit(request.state.sid, tasks.OUTPUTS[what], item.folder, f"/files/{item.id}/downloads",
                                 tasks.make_output, str(item.folder), what, meta["display"], force, on_done=done)
    result = await runner(request).wait(job, request.app.state.settings.fast_wait)
    await asyncio.sleep(0)  # let the done-callback record the outputs
    if result is not None and result.get("ok"):
        return RedirectResponse(f"/files/{item.id}/downloads", status_code=303)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


async def get_output(request: Request) -> Response:
    item = own_item(request, "file")
    what = request.path_params["what"]
    files = item.meta().get("outputs", {}).get(what, [])
    number = request.path_params["n"]
    if what not in tasks.OUTPUTS or not 0 <= number < len(files):
        raise HTTPException(404, "没有这个文件。请先在“下载”页生成。")
    path = item.folder / f"out-{what}" / files[number]
    if not path.is_file() or path.parent.parent != item.folder:
        raise HTTPException(404, "没有这个文件。请先在“下载”页生成。")
    return attachment(path, files[number])


# --- jobs ------------------------------------------------------------------------------------------------

async def job_page(request: Request) -> Response:
    job = runner(request).get(request.state.sid, request.path_params["job"])
    if job is None:
        raise HTTPException(404, "找不到这个任务：它可能已结束很久，或不属于当前浏览器会话。")
    status = job.status()
    if status["state"] == "done":
        return RedirectResponse(status["next"], status_code=303)
    force = f"{status['next']}/force" if forceable(job.result()) else None  # an analysis's next: /files/{item}
    return page(request, "job.html", {"job": job, "status": status, "force": force},
                422 if status["state"] == "failed" else 200)


async def job_status(request: Request) -> Response:
    job = runner(request).get(request.state.sid, request.path_params["job"])
    if job is None:
        return JSONResponse({"state": "missing", "message": "找不到这个任务。"}, status_code=404)
    return JSONResponse(job.status())


# --- diff ------------------------------------------------------------------------------------------------

async def diff_form(request: Request) -> Response:
    return page(request, "diff.html")


async def diff_start(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    form = await read_form(request, settings.max_upload * 2, max_files=2)
    check_csrf(request, form)
    old, new = uploaded_files(form, "old"), uploaded_files(form, "new")
    if not old or not new:
        raise UploadRefused("请选择旧版和新版两个规范工作簿。")
    for upload_ in (old[0], new[0]):
        if kind_of_name(upload_.filename or "")[0] != "xlsx":
            raise UploadRefused(f"{upload_.filename}：比对只接受规范工作簿（.xlsx）。")
    item = workspace(request).new_item(request.state.sid, type="diff")
    try:
        old_name, _ = save(old[0], item.path("old.xlsx"), settings.max_upload)
        new_name, _ = save(new[0], item.path("new.xlsx"), settings.max_upload)
    except UploadRefused:
        shutil.rmtree(item.folder, ignore_errors=True)
        raise
    await form.close()
    item.update(display=f"{old_name} → {new_name}", old=old_name, new=new_name)
    return await start_job(request, item, "比对两个版本", f"/diff/{item.id}", tasks.diff_task, str(item.folder),
                           "old.xlsx", "new.xlsx", old_name, new_name)


def diff_result(request: Request) -> Response:  # sync: Starlette runs it off the event loop
    item = own_item(request, "diff")
    try:
        data = tasks.read_json(item.folder / "diff.json")
    except (OSError, ValueError):
        return failed_or_running(request, item)
    from .diff_view import KIND_OPTIONS, shown_tables

    kind = request.query_params.get("kind", "")
    kind = kind if kind in dict(KIND_OPTIONS) else ""
    return page(request, "diff_result.html", {"item": item.meta(), "item_id": item.id, "diff": data, "kind": kind,
                                              "kind_options": KIND_OPTIONS,
                                              "sheets": shown_tables(data.get("sheets", []), kind)})


async def diff_download(request: Request) -> Response:
    item = own_item(request, "diff")
    path = item.folder / "diff.xlsx"
    if not path.is_file():
        raise HTTPException(404, "没有比对工作簿。")
    meta = item.meta()
    return attachment(path, f"比对-{Path(meta.get('old', '旧版')).stem}-{Path(meta.get('new', '新版')).stem}.xlsx")


# --- merge -----------------------------------------------------------------------------------------------

async def merge_form(request: Request) -> Response:
    return page(request, "merge.html", {"max_files": MERGE_MAX_FILES})


async def merge_start(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    form = await read_form(request, settings.merge_limit, max_files=MERGE_MAX_FILES)
    check_csrf(request, form)
    files = uploaded_files(form, "files")
    if len(files) < 2:
        raise UploadRefused("请至少选择两个要合并的规范工作簿。")
    item = workspace(request).new_item(request.state.sid, type="merge")
    inputs, labels = [], []
    try:
        for number, upload_ in enumerate(files, start=1):
            if kind_of_name(upload_.filename or "")[0] != "xlsx":
                raise UploadRefused(f"{upload_.filename}：合并只接受规范工作簿（.xlsx）。")
            name = f"in-{number:03d}.xlsx"
            label, _ = save(upload_, item.path(name), settings.max_upload)
            inputs.append(name)
            labels.append(label)
    except UploadRefused:
        shutil.rmtree(item.folder, ignore_errors=True)
        raise
    await form.close()
    labels = unique_labels(labels)
    item.update(display=f"{len(inputs)} 个工作簿", inputs=inputs, labels=labels)
    return await start_job(request, item, f"合并 {len(inputs)} 个工作簿", f"/merge/{item.id}", tasks.merge_task,
                           str(item.folder), inputs, labels, None, None)


def unique_labels(labels: list[str]) -> list[str]:
    """Two uploads of the same name are told apart (（2）, （3）…) in conflicts and 合并记录."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{Path(label).stem}（{seen[label]}）{Path(label).suffix}")
    return out


def merge_result(request: Request) -> Response:  # sync: Starlette runs it off the event loop
    item = own_item(request, "merge")
    try:
        data = tasks.read_json(item.folder / "merge.json")
    except (OSError, ValueError):
        return failed_or_running(request, item)
    return page(request, "merge_result.html", {"item": item.meta(), "item_id": item.id, "merge": data})


async def merge_resolve(request: Request) -> Response:
    item = own_item(request, "merge")
    form = await request.form(max_files=0, max_fields=5000)
    check_csrf(request, form)
    meta = item.meta()
    prefer = form.get("prefer")
    prefer = prefer if prefer in ("first", "last") else None
    choices: dict[int, int] = {}
    for key, value in form.multi_items():
        if key.startswith("c") and key[1:].isdigit() and isinstance(value, str) and value.isdigit():
            choices[int(key[1:])] = int(value)
    (item.folder / "merged.xlsx").unlink(missing_ok=True)
    return await start_job(request, item, "按所选的值合并", f"/merge/{item.id}", tasks.merge_task, str(item.folder),
                           meta["inputs"], meta["labels"], None if prefer else choices, prefer)


async def merge_download(request: Request) -> Response:
    item = own_item(request, "merge")
    path = item.folder / "merged.xlsx"
    if not path.is_file():
        raise HTTPException(404, "还没有合并结果：请先处理全部冲突。")
    return attachment(path, "合并结果.xlsx")


# --- start page, login, errors ---------------------------------------------------------------------------

async def index(request: Request) -> Response:
    items = []
    for item in workspace(request).items(request.state.sid)[:20]:
        meta = item.meta()
        url = {"file": f"/files/{item.id}", "diff": f"/diff/{item.id}", "merge": f"/merge/{item.id}"}.get(
            meta.get("type", ""), "/")
        items.append({"display": meta.get("display", ""), "type": meta.get("type"), "url": url})
    return page(request, "index.html", {"items": items})


async def login_form(request: Request) -> Response:
    return page(request, "login.html", {"failed": False})


async def login(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    check_csrf(request, form)
    secrets_: Secrets = request.app.state.secrets
    token = form.get("token")
    if not secrets_.token_matches(token if isinstance(token, str) else None):
        await asyncio.sleep(0.5)  # slows guessing
        return page(request, "login.html", {"failed": True}, 403)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(TOKEN_COOKIE, secrets_.access_cookie(), httponly=True, samesite="strict", path="/")
    return response


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", "") or {404: "找不到这个页面。", 405: "不支持这种请求。"}.get(status, "请求无法处理。")
    if request.url.path.endswith(".json"):
        return JSONResponse({"state": "error", "message": detail}, status_code=status)
    return error_page(request, detail, status)


async def upload_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UploadRefused)
    back = {"/diff": "/diff", "/merge": "/merge"}.get(request.url.path, "/")
    return error_page(request, str(exc), exc.status, back)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s", request.url.path)
    return Response("服务器内部错误：请求没有完成，也没有生成任何文件。请稍后重试；如问题持续，请联系管理员。",
                    status_code=500, media_type="text/plain; charset=utf-8",
                    headers={"cache-control": "no-store", "x-content-type-options": "nosniff"})


def routes() -> list[BaseRoute]:
    """The page's route table, each endpoint with its declaration (permissions.py: deny by default)."""
    tools, bureau = SIGNED_IN, BUREAU
    return [
        Route("/", allow("page.index", *tools)(index)),
        Route("/upload", allow("file.upload", *tools)(upload), methods=["POST"]),
        Route("/files/{item}", allow("file.findings", *tools)(findings)),
        Route("/files/{item}/preview", allow("file.preview", *tools)(preview)),
        Route("/files/{item}/downloads", allow("file.downloads", *tools)(downloads)),
        Route("/files/{item}/force", allow("file.force_import", *tools)(force_import), methods=["POST"]),
        Route("/files/{item}/make/{what}", allow("file.make", *tools)(make_output), methods=["POST"]),
        Route("/files/{item}/get/{what}/{n:int}", allow("file.get", *tools)(get_output)),
        Route("/jobs/{job}.json", allow("job.status", *tools)(job_status)),  # before /jobs/{job}, which matches it
        Route("/jobs/{job}", allow("job.page", *tools)(job_page)),
        Route("/diff", allow("diff.form", *tools)(diff_form)),
        Route("/diff", allow("diff.start", *tools)(diff_start), methods=["POST"]),
        Route("/diff/{item}", allow("diff.result", *tools)(diff_result)),
        Route("/diff/{item}/download", allow("diff.download", *tools)(diff_download)),
        Route("/merge", allow("merge.form", *bureau)(merge_form)),
        Route("/merge", allow("merge.start", *bureau)(merge_start), methods=["POST"]),
        Route("/merge/{item}", allow("merge.result", *bureau)(merge_result)),
        Route("/merge/{item}/resolve", allow("merge.resolve", *bureau)(merge_resolve), methods=["POST"]),
        Route("/merge/{item}/download", allow("merge.download", *bureau)(merge_download)),
        Route("/login", allow("login.form", *EVERYONE)(login_form)),
        Route("/login", allow("login", *EVERYONE)(login), methods=["POST"]),
        Route("/healthz", allow("healthz", *EVERYONE)(healthz)),
        allow("static", *EVERYONE)(Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")),
    ]


def create_app(*, max_upload_mb: float = 20, token: str | None = None, work_dir: str | Path | None = None,
               data_dir: str | Path | None = None, database_url: str | None = None, max_age_hours: float = 24,
               workers: int | None = None, executor: str = "process", merge_factor: int = 5,
               fast_wait: float = FAST_WAIT, install_collection: Callable[..., Any] | None = None,
               library: str | Path | None = None, allowed_hosts: Sequence[str] | None = None,
               on_ready: Callable[[int], None] | None = None, job_timeout: float = JOB_TIMEOUT,
               **collection_options: Any) -> Starlette:
    """The web app. ``work_dir`` holds the sessions' private folders (a fresh temporary folder by default,
    deleted at shutdown); ``data_dir`` switches on the collection box (workbook_engine/web/collection.py);
    ``executor='thread'`` runs jobs in threads instead of processes (for fast in-process tests); a request
    waits ``fast_wait`` seconds for its job before showing the progress page; a job running past
    ``job_timeout`` seconds is stopped with a message (process workers only).
    ``install_collection`` is collection.install (passed in by web/__init__.py: collection.py builds on this
    module, so this module does not import it)."""
    settings = Settings(max_upload_mb=max_upload_mb, token=token, max_age_hours=max_age_hours,
                        merge_factor=merge_factor, fast_wait=fast_wait)
    secrets_ = Secrets(token=token)
    space = Workspace(work_dir, max_age=settings.max_age)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        async def sweeper() -> None:
            while True:
                await asyncio.sleep(min(600.0, max(settings.max_age / 4, 1.0)))
                space.sweep()
                app.state.runner.forget(settings.max_age)

        app.state.runner = JobRunner(workers, executor, timeout=job_timeout)
        if on_ready is not None:  # `wbe serve`: warm workers, then say the page is ready (issue 25)
            ready = await asyncio.get_running_loop().run_in_executor(None, app.state.runner.warm)
            on_ready(ready)
        task = asyncio.create_task(sweeper())
        try:
            yield
        finally:
            task.cancel()
            app.state.runner.shutdown()
            space.close()

    app = Starlette(routes=compose(routes()), lifespan=lifespan,
                    exception_handlers={HTTPException: http_error, UploadRefused: upload_refused,
                                        Exception: server_error})
    app.state.settings = settings
    app.state.secrets = secrets_
    app.state.workspace = space
    app.state.templates = templates
    app.state.error_page = error_page  # the refusal page of permissions.py
    app.add_middleware(AccountScope, secrets_=secrets_)  # innermost: after the login gate found the account
    if data_dir is not None:
        if install_collection is None:
            raise TypeError("create_app(data_dir=...) needs install_collection (use workbook_engine.web.create_app)")
        install_collection(app, data_dir=data_dir, database_url=database_url, **collection_options)
    if library is not None:  # the 指标库 page (issue 23): web/library_page.py adds its routes
        from .library_page import install as install_library

        install_library(app, library)
    app.add_middleware(SecurityMiddleware, secrets_=secrets_)
    if allowed_hosts is not None:  # outermost: a request for another Host gets nothing else (`wbe serve`)
        app.add_middleware(HostCheck, allowed_hosts=list(allowed_hosts))
    return app


__all__ = [
    "access_token",
    "analyse_args",
    "attachment",
    "check_csrf",
    "create_app",
    "error_page",
    "findings_context",
    "load_analysis",
    "page",
    "start_job",
    "store_upload",
    "valid_id",
]
