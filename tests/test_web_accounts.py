"""The page's items belong to the logged-in account, not to the browser cookie (issue 26): a reviewer
uploads (or merges) and logs out; a department logging in on the same browser gets none of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("workbook_engine.web.app")

from workbook_engine.collect.accounts import create_user
from workbook_engine.collect.models import REVIEWER

from .collect_helpers import new_collection
from .collect_web import Browser, collection_app
from .conftest import SAMPLE


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    collect, passwords = new_collection(tmp_path, "sqlite")
    with collect.session() as session:
        _user, passwords["reviewer"] = create_user(session, "reviewer", REVIEWER, display_name="审核员甲")
        session.commit()
    app = collection_app(tmp_path / "data", tmp_path / "work")
    browser = Browser(app)
    yield {"browser": browser, "passwords": passwords}
    browser.close()
    collect.close()


def _upload_on_the_page(browser: Browser) -> str:
    response = browser.client.post("/upload", data={"csrf": browser.csrf},
                                   files={"file": ("全县.xlsx", SAMPLE.read_bytes())})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(("/files/", "/jobs/")), location
    return location


def test_a_reviewers_upload_is_not_the_next_logins_on_the_same_browser(site: dict[str, Any]) -> None:
    browser: Browser = site["browser"]
    assert browser.login("reviewer", site["passwords"]["reviewer"]).status_code == 303
    location = _upload_on_the_page(browser)
    assert browser.get(location).status_code == 200
    assert browser.post("/logout").status_code == 303
    assert browser.login("450001", site["passwords"]["450001"]).status_code == 303
    response = browser.get(location)
    assert response.status_code == 404, "the department sees the reviewer's upload"


def test_the_same_account_keeps_its_items_while_logged_in(site: dict[str, Any]) -> None:
    browser: Browser = site["browser"]
    assert browser.login("reviewer", site["passwords"]["reviewer"]).status_code == 303
    location = _upload_on_the_page(browser)
    assert browser.get(location).status_code == 200
    assert browser.get(location).status_code == 200  # the login's session is stable from request to request


def test_logout_ends_the_pages_items(site: dict[str, Any]) -> None:
    browser: Browser = site["browser"]
    assert browser.login("reviewer", site["passwords"]["reviewer"]).status_code == 303
    location = _upload_on_the_page(browser)
    assert browser.post("/logout").status_code == 303
    assert browser.login("reviewer", site["passwords"]["reviewer"]).status_code == 303
    assert browser.get(location).status_code == 404  # a new login: the old one's items are gone
