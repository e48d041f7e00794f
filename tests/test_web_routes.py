"""Routes deny by default (issue 26): every route of the one router declares its action and roles; a route
without a declaration is refused; each route refuses the roles its declaration leaves out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from workbook_engine.collect.accounts import create_user
from workbook_engine.collect.models import REVIEWER
from workbook_engine.web import create_app
from workbook_engine.web.permissions import ANONYMOUS, DEPARTMENT, PAGE, compose, declarations
from workbook_engine.web.permissions import REVIEWER as REVIEWER_ROLE

from .collect_helpers import new_collection
from .collect_web import Browser, collection_app

PARAMS = {"item": "A" * 22, "sid": "1", "dept": "1", "job": "A" * 22, "what": "annotated", "n:int": "0",
          "stage": "monitor"}


def concrete(path: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: PARAMS[m.group(1)], path)


def _refused(response: Any) -> bool:
    return response.status_code in (401, 403) or (
        response.status_code == 303 and response.headers["location"].startswith("/login"))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    collect, passwords = new_collection(tmp_path, "sqlite")
    with collect.session() as session:
        _user, passwords["reviewer"] = create_user(session, "reviewer", REVIEWER, display_name="审核员甲")
        session.commit()
    app = collection_app(tmp_path / "data", tmp_path / "work")
    browsers = {ANONYMOUS: Browser(app), DEPARTMENT: Browser(app), REVIEWER_ROLE: Browser(app)}
    assert browsers[DEPARTMENT].login("450002", passwords["450002"]).status_code == 303
    assert browsers[REVIEWER_ROLE].login("reviewer", passwords["reviewer"]).status_code == 303
    yield {"app": app, "b": browsers}
    for browser in browsers.values():
        browser.close()
    collect.close()


def test_every_route_of_the_page_declares_its_permission(tmp_path: Path) -> None:
    app = create_app(work_dir=tmp_path, executor="thread", workers=1)
    found = declarations(app.router.routes)
    assert len(found) > 15
    assert [path for path, _m, permission in found if permission is None] == []


def test_one_router_and_every_route_declared_in_collection_mode(site: dict[str, Any]) -> None:
    found = declarations(site["app"].router.routes)
    assert [path for path, _m, permission in found if permission is None] == []
    routed = [(path, method) for path, methods, _p in found for method in methods]
    assert len(routed) == len(set(routed)), "a path and method routed twice"
    assert ("/merge", "POST") in routed and ("/dept/upload", "POST") in routed


def test_a_route_without_a_declaration_is_refused(tmp_path: Path) -> None:
    async def plain(request: Request) -> Response:
        return PlainTextResponse("secret")

    app = create_app(work_dir=tmp_path, executor="thread", workers=1)
    app.router.routes[:] = compose([Route("/plain", plain)], app.router.routes)
    assert [path for path, _m, p in declarations(app.router.routes) if p is None] == ["/plain"]
    with TestClient(app) as client:
        response = client.get("/plain")
    assert response.status_code == 403
    assert "secret" not in response.text
    assert "没有声明权限" in response.text


def test_each_route_refuses_the_roles_its_declaration_leaves_out(site: dict[str, Any]) -> None:
    checked = 0
    for path, methods, permission in declarations(site["app"].router.routes):
        assert permission is not None
        if path == "/static":
            continue
        for role in (ANONYMOUS, DEPARTMENT, REVIEWER_ROLE):
            if role in permission.roles:
                continue
            browser = site["b"][role]
            url = concrete(path)
            response = browser.post(url) if "POST" in methods else browser.get(url)
            assert _refused(response), (role, path, response.status_code)
            checked += 1
    assert checked > 30


def test_a_department_may_not_merge_on_the_page(site: dict[str, Any]) -> None:
    dept = site["b"][DEPARTMENT]
    assert dept.get("/merge").status_code == 403
    assert dept.post("/merge").status_code == 403
    assert site["b"][REVIEWER_ROLE].get("/merge").status_code == 200


def test_the_page_without_accounts_is_the_page_role(tmp_path: Path) -> None:
    app = create_app(work_dir=tmp_path, executor="thread", workers=1)
    with TestClient(app) as client:
        assert client.get("/merge").status_code == 200
        assert client.get("/healthz").status_code == 200
    assert all(PAGE in p.roles for _path, _m, p in declarations(app.router.routes) if p is not None)
