"""The collection box in the page (in-process): login first, roles on every route, departments kept
apart, the whole story of a submission, hostile uploads refused as the CLI refuses them."""

from __future__ import annotations

import hashlib
import re

import openpyxl
import pytest
from sqlalchemy import func, select

pytest.importorskip("workbook_engine.web.app")

from workbook_engine import api
from workbook_engine.collect.accounts import create_user
from workbook_engine.collect.models import REVIEWER, Blob, CollectionDepartment, Submission
from workbook_engine.errors import InputError
from workbook_engine.web import collection

from . import corpus
from .collect_helpers import BACKENDS, cheap_hashes, department_workbook, new_collection  # noqa: F401
from .collect_web import Browser, collection_app, error_message

DEPT1_NAME = "乐亭县应急管理局本级"


@pytest.fixture(params=BACKENDS)
def site(request, tmp_path):
    """A collection with a reviewer account, the app, and one browser per user (logged in)."""
    collect, passwords = new_collection(tmp_path, request.param)
    with collect.session() as session:
        _user, passwords["reviewer"] = create_user(session, "reviewer", REVIEWER, display_name="审核员甲")
        session.commit()
        dept1 = session.scalar(select(CollectionDepartment).where(CollectionDepartment.code == "450001")).id
    app = collection_app(tmp_path / "data", tmp_path / "work", collect.db.url if request.param != "sqlite" else None)
    browsers = {}
    for name in ("450001", "450002", "reviewer", "admin"):
        browsers[name] = Browser(app)
        assert browsers[name].login(name, passwords[name]).status_code == 303
    browsers["nobody"] = Browser(app)
    yield {"collect": collect, "app": app, "b": browsers, "passwords": passwords, "dept1": dept1,
           "tmp": tmp_path}
    for browser in browsers.values():
        browser.close()
    collect.close()


def submitted(site, budget=None, browser="450001"):
    """Upload and submit a workbook of 450001 through the page; returns the submission id."""
    b = site["b"][browser]
    response = b.upload(department_workbook(site["tmp"], "450001", budget=budget))
    assert response.status_code == 303, error_message(response.text)
    sid = int(response.headers["location"].rsplit("/", 1)[1])
    assert b.post(f"/s/{sid}/submit").status_code == 303
    return sid


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)  # the database plays no part
def test_nobody_sees_the_login_form_first_never_an_upload(site):
    nobody = site["b"]["nobody"]
    first = nobody.get("/")
    assert first.status_code == 303 and first.headers["location"] == "/login"
    form = nobody.get("/login").text
    assert "用户名" in form and "密码" in form and 'type="file"' not in form
    assert "征集模式" in form and "小时后" not in form  # the footer speaks of the collection, not a 24 h folder
    for path in ("/upload", "/merge", "/diff", "/files/abcdefghijklmnopqrstuv", "/board", "/dept", "/s/1"):
        assert nobody.get(path).status_code == 303, path
    assert nobody.client.post("/upload").status_code == 401


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)  # the database plays no part
def test_every_route_as_every_role(site):
    sid = submitted(site)
    targets = {"sid": str(sid), "dept": str(site["dept1"]), "stage": "monitor"}
    allowed_by_path = {}
    for route in collection.routes():
        endpoint = route.endpoint
        roles = getattr(endpoint, "roles", None)
        path = route.path.format(**targets)
        if "diff" in path:
            path += f"?old={sid}"
        for method in sorted(route.methods - {"HEAD"}):
            for who, browser in site["b"].items():
                call = browser.get if method == "GET" else browser.post
                response = call(path)
                status = response.status_code
                if route.path in ("/login", "/static/collect.css"):
                    assert status in (200, 303, 403), (who, method, path, status)
                    continue
                if who == "nobody":
                    assert status == (303 if method == "GET" else 401), (method, path, status)
                    if method == "GET":
                        assert response.headers["location"].startswith("/login")
                    continue
                role = {"450001": "department", "450002": "department"}.get(who, who if who == "admin" else "reviewer")
                if roles is not None and role not in roles:
                    assert status == 403, (who, method, path, status)
                else:
                    assert status != 403 or route.path == "/logout", (who, method, path, status, response.text[:300])
                    allowed_by_path.setdefault(route.path, set()).add(who)
                if route.path == "/logout" and who != "nobody":  # log back in for the next routes
                    browser.login(who, site["passwords"][who])
    assert "450001" in allowed_by_path["/dept/upload"] and "reviewer" in allowed_by_path["/board"]


def test_a_department_never_sees_another_departments_anything(site):
    sid = submitted(site)
    other = site["b"]["450002"]
    for path in (f"/s/{sid}", f"/s/{sid}/file", f"/s/{sid}/annotated", f"/s/{sid}/diff?old={sid}",
                 f"/s/{sid}/diff.xlsx?old={sid}", f"/departments/{site['dept1']}", f"/s/{sid + 1}", "/s/0",
                 "/s/abc", "/s/99999999999999999999"):
        response = other.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert DEPT1_NAME not in response.text
    for action in ("submit", "opinion", "return", "accept"):
        assert other.post(f"/s/{sid}/{action}", {"text": "x"}).status_code in (403, 404)
    own = other.get("/dept").text
    assert DEPT1_NAME not in own and "第二部门" in own
    with site["collect"].session() as session:
        assert session.get(Submission, sid).state == "submitted"


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)  # the database plays no part
def test_csrf_is_checked_on_every_form(site):
    sid = submitted(site)
    reviewer = site["b"]["reviewer"]
    assert reviewer.client.post(f"/s/{sid}/accept", data={}).status_code == 403
    assert reviewer.client.post(f"/s/{sid}/accept", data={"csrf": "forged"}).status_code == 403
    nobody = site["b"]["nobody"]
    assert nobody.client.post("/login", data={"username": "450001", "password": site["passwords"]["450001"]}).status_code == 403
    with site["collect"].session() as session:
        assert session.get(Submission, sid).state == "submitted"


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)  # the database plays no part
def test_upload_of_another_departments_workbook_is_refused_with_the_reason(site):
    b = site["b"]["450001"]
    response = b.upload(department_workbook(site["tmp"], "450002"), "二部门.xlsx")
    assert response.status_code == 400
    assert "450002 不是本部门" in error_message(response.text)
    with site["collect"].session() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 0


def test_the_story_in_the_page(site):
    b, reviewer = site["b"]["450001"], site["b"]["reviewer"]
    first = submitted(site, budget=-5)
    page = b.get(f"/s/{first}").text
    assert 'id="count-errors">2<' in page or 'id="count-errors">1<' in page
    board = reviewer.get("/board").text
    assert "已提交·有错误" in board
    assert reviewer.post(f"/s/{first}/opinion", {"target": "13022524P00CL0E10035D", "text": "预算数不能为负数。"}).status_code == 303
    refused = reviewer.post(f"/s/{first}/accept")  # errors: cannot be accepted
    assert refused.status_code == 400 and "不能通过" in error_message(refused.text)
    assert reviewer.post(f"/s/{first}/return", {"note": "请改正"}).status_code == 303
    dept_page = b.get("/dept").text
    assert "预算数不能为负数。" in dept_page and "已退回" in dept_page
    annotated = b.get(f"/s/{first}/annotated")
    assert annotated.status_code == 200 and "filename*=UTF-8''" in annotated.headers["content-disposition"]
    path = site["tmp"] / "annotated.xlsx"
    path.write_bytes(annotated.content)
    assert openpyxl.load_workbook(path).sheetnames[0] == "审核意见"

    fixed_path = department_workbook(site["tmp"], "450001", budget=250)
    second = submitted(site, budget=250)
    page = reviewer.get(f"/s/{second}").text
    assert f'<option value="{first}" selected' in page  # the diff defaults to the returned version
    diff = reviewer.get(f"/s/{second}/diff?old={first}").text
    assert "预算数" in diff and "250" in diff
    workbook = reviewer.get(f"/s/{second}/diff.xlsx?old={first}")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    assert reviewer.post(f"/s/{second}/accept").status_code == 303
    board = reviewer.get("/board?state=已通过").text
    assert 'data-dept="450001"' in board and 'data-dept="450002"' not in board
    assert "<svg" in reviewer.get("/board").text
    exported = reviewer.get("/board.xlsx")
    assert exported.status_code == 200
    (site["tmp"] / "board.xlsx").write_bytes(exported.content)
    rows = {r[0]: r for r in openpyxl.load_workbook(site["tmp"] / "board.xlsx").active.iter_rows(min_row=3, values_only=True)}
    assert rows["450001"][2] == "已通过" and rows["450001"][7] == pytest.approx(656.18)
    original = b.get(f"/s/{second}/file")
    assert hashlib.sha256(original.content).hexdigest() == hashlib.sha256(fixed_path.read_bytes()).hexdigest()

    merged = site["b"]["admin"].post("/county/merge")
    assert merged.status_code == 303
    location = merged.headers["location"]
    if location.startswith("/jobs/"):
        location = site["b"]["admin"].get(location + ".json").json().get("next", location)
    item = location.rstrip("/").split("/")[-1]
    download = site["b"]["admin"].get(f"/merge/{item}/download")
    assert download.status_code == 200, download.text[:300]
    county = site["tmp"] / "county.xlsx"
    county.write_bytes(download.content)
    reference = site["tmp"] / "reference.xlsx"
    assert api.merge([fixed_path], reference).written
    assert api.read_book(county) == api.read_book(reference)
    assert site["b"]["450001"].get(f"/merge/{item}/download").status_code == 403  # the merge page is the bureau's
    assert site["b"]["450001"].get("/merge").status_code == 403
    assert site["b"]["reviewer"].get(f"/merge/{item}/download").status_code == 404  # another browser session

    # the same browser, next user: the admin logs out, a department logs in there and finds nothing
    admin = site["b"]["admin"]
    assert admin.post("/logout").status_code == 303
    admin.csrf = re.search(r'name="csrf" value="([^"]+)"', admin.get("/login").text).group(1)
    assert admin.login("450001", site["passwords"]["450001"]).status_code == 303
    leaked = admin.get(f"/merge/{item}/download")
    assert leaked.status_code == 403 and "第二部门" not in leaked.text
    admin.post("/logout")
    admin.csrf = re.search(r'name="csrf" value="([^"]+)"', admin.get("/login").text).group(1)
    assert admin.login("reviewer", site["passwords"]["reviewer"]).status_code == 303
    assert admin.get(f"/merge/{item}/download").status_code == 404  # a new page session: the item is not its own


HOSTILE = [name for name in corpus.REFUSED if name not in ("directory", "missing-path", "no-read-permission")]


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return {name: corpus.REFUSED[name](folder) for name in HOSTILE}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_hostile_uploads_get_the_cli_refusal_and_never_reach_the_database(tmp_path, backend, hostile_files):
    collect, passwords = new_collection(tmp_path, backend)
    app = collection_app(tmp_path / "data", tmp_path / "work")
    b = Browser(app)
    b.login("450001", passwords["450001"])
    for name, path in hostile_files.items():
        response = b.upload(path)
        assert 400 <= response.status_code < 500, (name, response.status_code)
        shown = error_message(response.text)
        assert shown and "\n" not in shown and "Traceback" not in response.text, name
        assert str(path.parent) not in response.text, name
        with pytest.raises(InputError) as cli:
            api.validate(path, review=False)
        assert shown == str(cli.value).replace(str(path), path.name), name
        says = corpus.REFUSED_SAYS.get(name)
        if says:
            assert says in shown, (name, shown)
    with collect.session() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 0
        assert session.scalar(select(func.count()).select_from(Blob)) == 0
    assert not list((tmp_path / "data" / "work").glob("upload-*"))
    b.close()
    collect.close()


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)  # the database plays no part
def test_admin_resets_a_password_and_adds_a_department_in_the_page(site):
    admin, nobody = site["b"]["admin"], site["b"]["nobody"]
    shown = admin.post("/admin/reset", {"username": "450002"})
    assert shown.status_code == 200
    password = re.search(r'id="new-password">([^<]+)<', shown.text).group(1)
    assert nobody.login("450002", site["passwords"]["450002"]).status_code == 403  # the old one is gone
    assert nobody.login("450002", password).status_code == 303
    assert "change-password-notice" in nobody.get("/dept").text
    added = admin.post("/admin/departments", {"code": "450009", "name": "新设部门"})
    assert added.status_code == 200 and "450009" in added.text
    assert "新设部门" in admin.get("/board").text
    assert admin.post("/admin/departments", {"code": "450009", "name": "重复"}).status_code == 400
    fresh = Browser(site["app"])
    assert fresh.login("450009", re.search(r'id="new-password">([^<]+)<', added.text).group(1)).status_code == 303
    fresh.close()


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)  # the database plays no part
def test_password_change_in_the_page_and_login_rate_limit(site):
    b = site["b"]["450001"]
    refused = b.post("/account/password", {"old": "wrong", "new": "Kettle-Lamp-42", "again": "Kettle-Lamp-42"})
    assert refused.status_code == 400 and "原密码" in error_message(refused.text)
    done = b.post("/account/password", {"old": site["passwords"]["450001"], "new": "Kettle-Lamp-42",
                                        "again": "Kettle-Lamp-42"})
    assert done.status_code == 200 and "password-changed" in done.text
    assert b.get("/dept").status_code == 200  # this browser stays logged in
    guesser = site["b"]["nobody"]
    for _ in range(5):
        assert guesser.login("450003", "guess").status_code == 403
    blocked = guesser.login("450003", site["passwords"]["450003"])
    assert blocked.status_code == 429 and "分钟后再试" in error_message(blocked.text)


def test_with_an_access_token_the_account_login_stands_in_for_it(tmp_path):
    from workbook_engine.web import create_app

    _collect, passwords = new_collection(tmp_path, "sqlite")
    app = create_app(data_dir=tmp_path / "data", executor="thread", work_dir=tmp_path / "work", token="lan-token")
    b = Browser(app)
    assert b.get("/dept").status_code in (303, 401)
    assert b.login("450001", passwords["450001"]).status_code == 303
    assert b.get("/dept").status_code == 200
    b.close()
    _collect.close()


def test_serving_a_folder_that_was_never_initialised_says_what_to_do(tmp_path):
    from workbook_engine.web import create_app

    for folder in (tmp_path / "missing", tmp_path):
        with pytest.raises(InputError, match="wbe collect init"):
            create_app(data_dir=folder, executor="thread", work_dir=tmp_path / "work")
    assert not (tmp_path / "collect.sqlite3").exists()  # nothing created: `wbe collect init` still works there


SEEN_RE = re.compile(r'name="seen_state" value="([a-z]+)"><input type="hidden" name="seen_version" value="(\d+)"')


def test_a_stale_page_is_refused_with_409_naming_who_did_what_when(site):
    sid = submitted(site)
    reviewer, admin = site["b"]["reviewer"], site["b"]["admin"]
    stale = SEEN_RE.search(reviewer.get(f"/s/{sid}").text).groups()  # the reviewer opens the page …
    fresh = SEEN_RE.search(admin.get(f"/s/{sid}").text).groups()
    assert stale == fresh == ("submitted", "2")
    assert admin.post(f"/s/{sid}/return", {"note": "请改正", "seen_state": fresh[0],
                                           "seen_version": fresh[1]}).status_code == 303  # … the admin returns it
    refused = reviewer.post(f"/s/{sid}/accept", {"seen_state": stale[0], "seen_version": stale[1]})
    assert refused.status_code == 409
    message = error_message(refused.text)
    assert "财政局管理员（admin）" in message and "退回" in message and "刷新" in message, message
    assert "Traceback" not in refused.text
    with site["collect"].session() as session:
        assert session.get(Submission, sid).state == "returned"
    # a reviewer who refreshes sees the new state and may act on it
    now = SEEN_RE.search(reviewer.get(f"/s/{sid}").text).groups()
    assert now == ("returned", "3")
    assert reviewer.post(f"/s/{sid}/accept", {"seen_state": now[0], "seen_version": now[1]}).status_code == 303
    # the department's double click on 提交 (a page showing the draft) is refused the same way
    dept = site["b"]["450001"]
    response = dept.upload(department_workbook(site["tmp"], "450001"))
    draft = int(response.headers["location"].rsplit("/", 1)[1])
    page = SEEN_RE.search(dept.get(f"/s/{draft}").text).groups()
    assert dept.post(f"/s/{draft}/submit", {"seen_state": page[0], "seen_version": page[1]}).status_code == 303
    again = dept.post(f"/s/{draft}/submit", {"seen_state": page[0], "seen_version": page[1]})
    assert again.status_code == 409 and "乐亭县应急管理局本级（450001）" in error_message(again.text)


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)  # the database plays no part
def test_admin_adds_a_viewer_who_reads_everything_and_changes_nothing(site):
    sid = submitted(site)
    admin = site["b"]["admin"]
    assert 'id="add-user"' in admin.get("/admin").text
    made = admin.post("/admin/users", {"username": "chakan", "role": "viewer", "display_name": "查看员"})
    assert made.status_code == 200
    password = re.search(r'id="new-password">([^<]+)<', made.text).group(1)
    refused = admin.post("/admin/users", {"username": "chakan", "role": "viewer"})
    assert refused.status_code == 400 and "已存在" in error_message(refused.text)
    assert site["b"]["reviewer"].post("/admin/users", {"username": "x2", "role": "admin"}).status_code == 403
    viewer = Browser(site["app"])
    try:
        assert viewer.login("chakan", password).status_code == 303
        home = viewer.get("/")
        assert home.headers["location"] == "/board"
        board = viewer.get("/board").text
        assert DEPT1_NAME in board and 'id="merge-accepted"' not in board and 'id="change-password-notice"' in board
        page = viewer.get(f"/s/{sid}")
        assert page.status_code == 200 and 'id="accept"' not in page.text and 'id="opinion-form"' not in page.text
        assert viewer.get(f"/s/{sid}/file").status_code == 200
        for action in ("return", "accept", "opinion"):
            assert viewer.post(f"/s/{sid}/{action}", {"text": "x"}).status_code == 403
        assert viewer.post("/county/merge").status_code == 403
        assert viewer.get("/admin").status_code == 403
    finally:
        viewer.close()
    with site["collect"].session() as session:
        from workbook_engine.collect.models import AuditEntry

        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "add_user"))
        assert entry.username == "admin" and "chakan" in entry.detail
        assert session.get(Submission, sid).state == "submitted"
