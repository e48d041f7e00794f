"""The web page in-process (Starlette's TestClient, jobs in threads): routes, findings, preview, downloads,
diff, merge, and the safety rules (sessions, CSRF, token, headers, hostile and oversized uploads)."""

from __future__ import annotations

import html
import io
import re
import shutil
import time
from pathlib import Path

import docx
import openpyxl
import pytest
from starlette.testclient import TestClient

from workbook_engine import api
from workbook_engine.errors import WorkbookEngineError
from workbook_engine.web import create_app
from workbook_engine.web.app import access_token
from workbook_engine.web.workspace import Workspace

from .conftest import SAMPLE, SEED
from .corpus import REFUSED
from .official_helpers import flatten
from .web_helpers import (
    CSRF_RE,
    csrf_of,
    error_message,
    finding_rows,
    follow_job,
    html_table_grid,
    upload,
)
from .workbooks import department, edited, save, set_cells


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(executor="thread", workers=2, work_dir=tmp_path_factory.mktemp("web-work"))


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def sample_page(client):
    response = upload(client, SAMPLE, "乐亭县应急管理局-2024.xlsx")
    assert response.status_code == 200, response.text[:500]
    return response


def test_security_headers_and_session_cookie(client):
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in response.text and " on" + "click=" not in response.text  # no inline script
    fresh = TestClient(client.app).get("/")
    cookie = fresh.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_sample_has_no_errors_and_its_warnings(sample_page):
    report = api.validate(SAMPLE, review=True)
    page = sample_page.text
    assert re.search(r'id="count-errors">0<', page)
    assert re.search(rf'id="count-warnings">{len(report.warnings)}<', page)
    assert "规范工作簿" in page and "450001 乐亭县应急管理局本级" in page
    rows = finding_rows(page)
    assert sorted((r["code"], r["cell"]) for r in rows) == sorted((f.code, f.cell or "") for f in report.findings)


def test_planted_errors_are_listed_at_their_cells(client, tmp_path):
    book = edited(SAMPLE, tmp_path / "planted.xlsx", set_cells({"项目": {"F2": "二百", "K3": 1.5}}))
    expected = {(f.code, f.sheet, f.cell) for f in api.validate(book, review=True).errors}
    assert expected
    page = upload(client, book).text
    rows = [r for r in finding_rows(page) if r["severity"] == "error"]
    assert {(r["code"], r["sheet"], r["cell"]) for r in rows} == expected
    assert any(r["cell"] == "F2" and r["value"] == "二百" for r in rows)


def shown_findings(page: str) -> list[dict[str, str]]:
    """The findings rows a browser without JavaScript shows (those not sent ``hidden``)."""
    body = page.split('id="findings"', 1)[1].split("</table>", 1)[0]
    hidden = [bool(h) for h in re.findall(r'<tr tabindex="0"( hidden)?', body)]
    rows = finding_rows(page)
    assert len(hidden) == len(rows)
    return [row for row, gone in zip(rows, hidden) if not gone]


def test_filters_work_without_javascript_through_a_get_form(client, tmp_path):
    book = edited(SAMPLE, tmp_path / "planted.xlsx", set_cells({"项目": {"F2": "二百", "K3": 1.5}}))
    report = api.validate(book, review=True)
    url = str(upload(client, book).url)
    page = client.get(url, params={"severity": "error", "sheet": "项目"}).text
    assert 'method="get"' in page.split('id="filters"', 1)[1].split(">", 1)[0]
    assert {(r["code"], r["cell"]) for r in shown_findings(page)} == {
        (f.code, f.cell) for f in report.errors if f.sheet == "项目"}
    assert '<option value="error" selected>' in page and "<option selected>项目</option>" in page
    assert re.search(rf'id="shown-count">{len(shown_findings(page))}<', page)
    assert len(finding_rows(page)) == len(report.findings)  # the others are sent hidden, for the script
    searched = shown_findings(client.get(url, params={"q": "二百"}).text)
    assert searched and all("二百" in r["value"] + r["message"] for r in searched)
    every = finding_rows(page)
    criterion = next(r["criterion"] for r in every if r["criterion"])
    by_criterion = shown_findings(client.get(url, params={"criterion": criterion}).text)
    assert [r["code"] for r in by_criterion] == [r["code"] for r in every if r["criterion"] == criterion]
    assert len(by_criterion) < len(every)
    project = next(r["project"] for r in every if r["project"])
    by_project = shown_findings(client.get(url, params={"project": project}).text)
    assert [r["code"] for r in by_project] == [r["code"] for r in every if r["project"] == project]
    odd = client.get(url, params={"severity": "<script>"}).text
    assert shown_findings(odd) == [] and "<script>" not in odd.split('id="filters"', 1)[1]


def test_preview_cells_equal_the_rendered_sheet(client, sample_page, tmp_path):
    api.render(SAMPLE, tmp_path / "official.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "official.xlsx")
    project_sheets = workbook.sheetnames[2:]
    url = str(sample_page.url)
    for number in (0, len(project_sheets) - 1):
        page = client.get(f"{url}/preview?p={number}").text
        table = page.split('id="project-table"', 1)[1].split("</table>", 1)[0]
        grid = [row for row in html_table_grid(table) if any(cell.strip() for cell in row)]
        assert grid == flatten(workbook[project_sheets[number]])
    part = page.split('id="dept-part"', 1)[1].split("</section>", 1)[0]
    texts = [html.unescape(t) for t in re.findall(r"<[a-z0-9]+[^>]* data-text>(.*?)</", part, re.DOTALL)]
    sheet = flatten(workbook["部门整体绩效目标"], width=2)
    assert texts == [cell for row in sheet for cell in row if cell]


def test_downloads_open(client, sample_page):
    url = str(sample_page.url)
    csrf = csrf_of(client)
    for what in ("annotated", "official", "docx"):
        page = follow_job(client, client.post(f"{url}/make/{what}", data={"csrf": csrf}))
        assert page.status_code == 200
        link = re.search(rf'href="(/files/[^"]+/get/{what}/0)"', page.text).group(1)
        response = client.get(link)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert "filename*=UTF-8''" in response.headers["content-disposition"]
        data = io.BytesIO(response.content)
        if what == "docx":
            assert any("绩效" in p.text for p in docx.Document(data).paragraphs)
        else:
            sheets = openpyxl.load_workbook(data).sheetnames
            assert ("项目" in sheets) if what == "annotated" else ("项目汇总" in sheets)
    name = re.search(r"filename\*=UTF-8''(\S+)", response.headers["content-disposition"]).group(1)
    assert "%E4%B9%90%E4%BA%AD" in name  # 乐亭 kept, percent-encoded (RFC 5987)


def test_pdf_says_plainly_when_libreoffice_is_missing(client, sample_page):
    page = client.get(f"{sample_page.url}/downloads").text
    if client.app.state.settings.soffice:
        assert "/make/pdf" in page
    else:
        assert "没有安装 LibreOffice" in page


@pytest.mark.libreoffice
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_pdf_is_published_through_the_page(client, sample_page):
    done = follow_job(client, client.post(f"{sample_page.url}/make/pdf", data={"csrf": csrf_of(client)}), 300)
    link = re.search(r'href="(/files/[^"]+/get/pdf/0)"', done.text).group(1)
    response = client.get(link)
    assert response.content.startswith(b"%PDF") and response.headers["content-type"] == "application/pdf"


def test_published_text_is_imported_and_its_workbook_offered(client):
    page = upload(client, SEED, "乐亭-2024.txt")
    assert page.status_code == 200
    assert "发布的绩效文本（已导入为规范工作簿）" in page.text
    done = follow_job(client, client.post(f"{page.url}/make/canonical", data={"csrf": csrf_of(client)}))
    link = re.search(r'href="(/files/[^"]+/get/canonical/0)"', done.text).group(1)
    book = openpyxl.load_workbook(io.BytesIO(client.get(link).content))
    assert {"部门目标", "项目", "指标"} <= set(book.sheetnames)


def test_rendered_official_workbook_is_extracted(client, tmp_path):
    api.render(SAMPLE, tmp_path / "official.xlsx")
    page = upload(client, tmp_path / "official.xlsx")
    assert "官方格式工作簿（已读回为规范工作簿）" in page.text
    assert re.search(r'id="count-projects">9<', page.text)


@pytest.mark.parametrize("name", ["legacy-xls", "encrypted", "zip-bomb-declared", "billion-laughs",
                                  "truncated-zip", "empty-file", "csv", "docx-billion-laughs"])
def test_hostile_upload_gets_the_cli_one_line_message(client, tmp_path, name):
    """The same message as `wbe validate` (or `wbe import` for a document), with the file's own name."""
    path = REFUSED[name](tmp_path)
    with pytest.raises(WorkbookEngineError) as refused:
        if path.suffix == ".docx":
            api.import_document(path, tmp_path / "out.xlsx")
        else:
            api.validate(path, review=True)
    page = upload(client, path)
    assert page.status_code in (400, 413, 422)
    message = error_message(page.text)
    assert message == str(refused.value).replace(str(path), path.name)
    assert "\n" not in message and "Traceback" not in page.text and str(tmp_path) not in page.text


def test_upload_larger_than_the_limit_is_refused_while_streaming(tmp_path):
    app = create_app(executor="thread", max_upload_mb=0.05, work_dir=tmp_path)
    with TestClient(app) as c:
        csrf = csrf_of(c)

        def chunks():
            yield b"--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + csrf.encode() + b"\r\n"
            yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.xlsx\"\r\n\r\n"
            for _ in range(100):
                yield b"x" * 8192

        response = c.post("/upload", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"})
        assert response.status_code == 413
        assert "大小上限" in error_message(response.text)
        assert not any(p.is_file() for p in tmp_path.rglob("input*"))


def test_state_changing_requests_need_the_csrf_token(client):
    response = client.post("/upload", files={"file": ("a.xlsx", SAMPLE.read_bytes())})
    assert response.status_code == 403
    assert "CSRF" in error_message(response.text)


def test_another_session_cannot_see_the_files(client, sample_page, app):
    url = str(sample_page.url)
    page = follow_job(client, client.post(f"{url}/make/annotated", data={"csrf": csrf_of(client)}))
    link = re.search(r'href="(/files/[^"]+/get/annotated/0)"', page.text).group(1)
    assert client.get(link).status_code == 200
    other = TestClient(app)  # a second browser: its own session cookie (no lifespan of its own)
    for path in (url, f"{url}/preview", f"{url}/downloads", link):
        response = other.get(path)
        assert response.status_code == 404, path
        assert "乐亭" not in response.text
    for bad in ("/files/..%2F..%2Fetc/get/annotated/0", "/files/x/get/annotated/0", f"{url}/get/..%2Fmeta.json/0"):
        assert client.get(bad).status_code == 404


def test_token_is_required_when_set(tmp_path):
    app = create_app(executor="thread", token="s3cret-token", work_dir=tmp_path)
    with TestClient(app) as c:
        assert c.get("/", headers={"accept": "application/json"}).status_code == 401
        assert c.get("/", follow_redirects=False, headers={"accept": "text/html"}).headers["location"] == "/login"
        assert c.post("/upload").status_code == 401
        csrf = CSRF_RE.search(c.get("/login").text).group(1)
        assert c.post("/login", data={"token": "s3cret-token"}).status_code == 403  # no CSRF token
        assert c.post("/login", data={"token": "wrong", "csrf": csrf}).status_code == 403
        assert c.post("/login", data={"token": "s3cret-token", "csrf": csrf}).status_code == 200  # redirected to /
        assert "上传并检查" in c.get("/").text


def test_non_loopback_host_needs_a_token():
    assert access_token("127.0.0.1", None) == (None, False)
    assert access_token("0.0.0.0", "given") == ("given", False)
    token, generated = access_token("0.0.0.0", None)
    assert generated and len(token) >= 16


def test_files_are_deleted_at_shutdown(tmp_path):
    with TestClient(create_app(executor="thread", work_dir=tmp_path)) as c:
        assert upload(c, SAMPLE).status_code == 200
        assert any(tmp_path.rglob("input.xlsx"))
    assert not any(tmp_path.iterdir())


def test_long_job_shows_progress_then_its_result(tmp_path):
    first = save(department("450101", "甲局", "A"), tmp_path / "甲.xlsx")
    second = save(department("450102", "乙局", "B"), tmp_path / "乙.xlsx")
    with TestClient(create_app(executor="thread", work_dir=tmp_path / "w", fast_wait=0)) as c:
        files = [("files", (p.name, p.read_bytes())) for p in (first, second)]
        response = c.post("/merge", data={"csrf": csrf_of(c)}, files=files, follow_redirects=False)
        job_url = response.headers["location"]
        assert job_url.startswith("/jobs/")
        deadline = time.time() + 60
        while (status := c.get(job_url + ".json").json())["state"] == "running" and time.time() < deadline:
            assert c.get(job_url).status_code in (200, 303)
            time.sleep(0.1)
        assert status["state"] == "done" and status["total"] == 2 and status["next"].startswith("/merge/")
        assert str(tmp_path) not in str(status)  # progress names the files as uploaded, not by server path
        assert TestClient(c.app).get(job_url + ".json").status_code == 404  # not another browser's job
        assert 'id="merge-done"' in c.get(status["next"]).text


def test_refused_render_leaves_no_file(client, tmp_path):
    planted = edited(SAMPLE, tmp_path / "有错误.xlsx", set_cells({"项目": {"F2": "二百"}}))
    page = upload(client, planted)
    done = follow_job(client, client.post(f"{page.url}/make/official", data={"csrf": csrf_of(client)}))
    assert "未生成：有 1 个错误" in done.text
    item = client.app.state.workspace.item(client.cookies["wbe_session"].rpartition(".")[0],
                                           str(page.url).rsplit("/", 1)[1])
    assert not any(p.name.startswith(("out-official", ".out-official")) for p in item.folder.iterdir())
    forced = follow_job(client, client.post(f"{page.url}/make/official", data={"csrf": csrf_of(client), "force": "1"}))
    assert re.search(r'href="/files/[^"]+/get/official/0"', forced.text)


def test_interrupted_worker_gives_a_clear_message(tmp_path):
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from workbook_engine.web.worker_pool import INTERRUPTED, Job

    future: Future = Future()
    future.set_exception(BrokenProcessPool("worker died"))
    job = Job("J" * 22, "S" * 22, "合并", tmp_path, "/", future)
    assert job.status() == {"state": "failed", "title": "合并", "message": INTERRUPTED, "next": "/"}


def test_diff_two_versions(client, tmp_path):
    new = edited(SAMPLE, tmp_path / "new.xlsx", set_cells({"项目": {"D2": "新的项目名称"}}))
    expected = api.diff(SAMPLE, new).changes
    response = client.post("/diff", data={"csrf": csrf_of(client)},
                           files={"old": ("旧版.xlsx", SAMPLE.read_bytes()), "new": ("新版.xlsx", new.read_bytes())})
    page = follow_job(client, response)
    assert page.status_code == 200
    assert expected.summary() in page.text
    assert page.text.count('data-kind="changed"') == expected.counts()["changed"]
    assert "<ins>" in page.text
    download = client.get(re.search(r'href="(/diff/[^"]+/download)"', page.text).group(1))
    assert "比对结果" in openpyxl.load_workbook(io.BytesIO(download.content)).sheetnames


def test_merge_three_workbooks_with_a_conflict_chosen_per_conflict(client, tmp_path):
    first = save(department("450101", "甲局", "A"), tmp_path / "甲.xlsx")
    second = save(department("450102", "乙局", "B"), tmp_path / "乙.xlsx")
    changed = edited(first, tmp_path / "甲-改.xlsx", set_cells({"项目": {"D2": "甲局改过的名称"}}))
    files = [("files", (p.name, p.read_bytes())) for p in (first, second, changed)]
    page = follow_job(client, client.post("/merge", data={"csrf": csrf_of(client)}, files=files))
    assert page.status_code == 200
    assert 'data-conflict="0"' in page.text and "甲局改过的名称" in page.text and "甲-改.xlsx" in page.text
    url = str(page.url)
    done = follow_job(client, client.post(f"{url}/resolve", data={"csrf": csrf_of(client), "c0": "1"}))
    assert 'id="merge-done"' in done.text
    merged = openpyxl.load_workbook(io.BytesIO(client.get(f"{url}/download").content))
    assert "合并记录" in merged.sheetnames
    names = [row[3] for row in merged["项目"].iter_rows(min_row=2, values_only=True)]
    assert "甲局改过的名称" in names
    expected = api.merge([first, second, changed], tmp_path / "cli.xlsx", prefer="last")
    assert expected.written and api.read_book(tmp_path / "cli.xlsx") == api.read_book(_saved(merged, tmp_path))


def _saved(workbook, folder: Path) -> Path:
    workbook.save(folder / "page.xlsx")
    return folder / "page.xlsx"


def test_failed_job_leaves_a_message(client):
    page = upload(client, SAMPLE, "x.txt", data="不是发布的文本\n".encode())
    assert page.status_code == 422
    assert error_message(page.text)


def test_workspace_sweeps_old_files_and_cleans_up(tmp_path):
    space = Workspace(tmp_path / "w", max_age=60)
    item = space.new_item("A" * 22, type="file")
    (item.folder / "input.xlsx").write_bytes(b"x")
    assert space.sweep(now=time.time() + 30) == 0
    assert space.sweep(now=time.time() + 120) == 1
    assert not item.folder.exists()
    space.new_item("B" * 22, type="file")
    space.close()
    assert not any((tmp_path / "w").iterdir())


def test_uploaded_names_never_reach_the_file_system(client, app):
    page = upload(client, SAMPLE, "../../../../tmp/evil\x07<b>.xlsx")
    assert page.status_code == 200
    title = re.search(r"<h1>(.*?)</h1>", page.text).group(1)
    assert title.startswith("evil") and title.endswith(".xlsx") and not set("/\\<>&") & set(title)
    root = app.state.workspace.root
    names = {p.name for p in root.rglob("*")}
    assert not any("evil" in name for name in names)


def test_wbe_serve_starts_the_page_on_loopback():
    import signal
    import subprocess
    import sys

    import httpx

    from .web_server import free_port

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "workbook_engine", "serve", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.time() < deadline, "wbe serve did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and "上传并检查" in response.text
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in output and "Traceback" not in output
