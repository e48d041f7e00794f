"""The collection box's whole story in a real browser (Playwright, Debian's Chromium), shared by the browser
test and docs/make_collect_screenshots.py: a department submits with errors, fixes and resubmits; the
reviewer compares, writes an opinion and returns; the department reads it and resubmits; the reviewer
accepts; the administrator merges and downloads the county workbook. ``shot(page, name)`` is called at
each step worth a picture."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from .collect_helpers import department_list, department_workbook
from .web_server import CHROMIUM, CHROMIUM_ARGS, running_server

PROJECT = "13022524P00CL0E10035D"


@dataclass
class Story:
    folder: Path
    passwords: dict[str, str]
    url: str = ""
    versions: dict[str, int] = field(default_factory=dict)  # name -> submission id
    files: dict[str, Path] = field(default_factory=dict)
    county: Path | None = None


@contextlib.contextmanager
def collection_site(folder: Path) -> Iterator[Story]:
    """A collection of three departments served for real (uvicorn, worker processes) on loopback."""
    from workbook_engine.collect.initialise import init_collection

    _target, accounts = init_collection(folder / "data", 2025, department_list(folder / "departments.xlsx"),
                                        passwords=folder / "passwords.xlsx")
    story = Story(folder, {a.username: a.password for a in accounts})
    with running_server(data_dir=folder / "data", work_dir=folder / "work") as url:
        story.url = url
        yield story


def log_in(page, username: str, password: str) -> None:
    page.goto("/")
    page.wait_for_url(re.compile(r"/login"))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login")
    page.wait_for_selector("#who")


def upload(page, path: Path, where: str = "/dept") -> int:
    """Upload ``path`` from the department page ``where``; the new submission's id."""
    page.goto(where)
    page.set_input_files("#file", str(path))
    page.click("#upload")
    page.wait_for_url(re.compile(r"/s/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def download(page, selector: str, target: Path) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    info.value.save_as(str(target))
    return target


def new_page(browser, story: Story, height: int = 860):
    """A fresh browser context on the story's server (downloads accepted, zh-CN) and its one page."""
    made = browser.new_context(base_url=story.url, accept_downloads=True, locale="zh-CN",
                               viewport={"width": 1280, "height": height})
    page = made.new_page()
    page.set_default_timeout(90_000)
    return made, page


def play(story: Story, browser, shot: Callable[[object, str], None] = lambda page, name: None) -> dict[str, object]:
    """Run the story; returns what the checks need (page texts and files)."""
    seen: dict[str, object] = {}

    def context():
        return new_page(browser, story)

    tmp = story.folder
    dept_ctx, dept = context()
    dept.goto("/")
    shot(dept, "collect-login")
    seen["first_page"] = dept.content()
    log_in(dept, "450001", story.passwords["450001"])

    # 1. A workbook with errors: the department sees them at once, and submits anyway.
    story.files["v1"] = department_workbook(tmp, "450001", budget=-5, file_name="乐亭应急-初稿.xlsx")
    story.versions["v1"] = upload(dept, story.files["v1"])
    dept.select_option("#f-severity", "error")
    seen["v1_errors"] = int(dept.inner_text("#count-errors"))
    seen["v1_error_rows"] = dept.locator("#findings tbody tr:visible").count()
    dept.locator("#findings tbody tr:visible").first.click()
    dept.locator("#summary").scroll_into_view_if_needed()
    shot(dept, "collect-findings")
    dept.click("#submit")
    dept.wait_for_selector("#submission-state")

    # 2. Fixed and resubmitted.
    story.files["v2"] = department_workbook(tmp, "450001", budget=250, file_name="乐亭应急-修改.xlsx")
    story.versions["v2"] = upload(dept, story.files["v2"])
    seen["v2_errors"] = int(dept.inner_text("#count-errors"))
    dept.click("#submit")
    dept.wait_for_selector("#submission-state")

    # A second department submits a valid workbook in its own browser.
    other_ctx, other = context()
    log_in(other, "450002", story.passwords["450002"])
    story.files["other"] = department_workbook(tmp, "450002", file_name="第二部门-2025.xlsx")
    story.versions["other"] = upload(other, story.files["other"])
    other.click("#submit")
    other.wait_for_selector("#submission-state")

    # 3. The reviewer: the board, both versions, the diff, an opinion, return.
    rev_ctx, rev = context()
    log_in(rev, "admin", story.passwords["admin"])
    rev.goto("/board")
    seen["board_before"] = rev.inner_text("#board")
    shot(rev, "collect-board")
    rev.click("tr[data-dept='450001'] a[href^='/departments/']")
    seen["history"] = rev.inner_text("#history")
    rev.click(f"a[href='/s/{story.versions['v2']}']")
    rev.select_option("#old", str(story.versions["v1"]))
    rev.click("#diff")
    rev.wait_for_selector("#diff-summary")
    seen["diff"] = rev.inner_text("#changes")
    shot(rev, "collect-diff")
    rev.goto(f"/s/{story.versions['v2']}")
    rev.select_option("#target", PROJECT)
    rev.fill("#text", "项目预算由 200 万元调为 250 万元，请在资金用途中说明增加的 50 万元用于哪些工作。")
    rev.click("#add-opinion")
    rev.wait_for_selector("#opinion-table")
    rev.locator("#review").scroll_into_view_if_needed()
    shot(rev, "collect-review")
    rev.click("#return")
    rev.wait_for_selector("#submission-state")
    seen["after_return"] = rev.inner_text("#submission-state")

    # 4. The department reads the opinion (page and annotated workbook) and resubmits.
    dept.goto("/dept")
    seen["dept_opinions"] = dept.inner_text("#opinions")
    shot(dept, "collect-department")
    dept.goto(f"/s/{story.versions['v2']}")
    seen["annotated"] = download(dept, "#download-annotated", tmp / "审核意见.xlsx")
    story.files["v3"] = department_workbook(tmp, "450001", budget=250, file_name="乐亭应急-定稿.xlsx")
    book = openpyxl.load_workbook(story.files["v3"])
    book["项目"]["I2"] = (book["项目"]["I2"].value or "") + "增加的 50 万元用于化工园区专项会诊。"
    book.save(story.files["v3"])
    story.versions["v3"] = upload(dept, story.files["v3"])
    dept.click("#submit")
    dept.wait_for_selector("#submission-state")

    # 5. The reviewer sees what changed since the returned version, and accepts.
    rev.goto(f"/s/{story.versions['v3']}")
    seen["default_old"] = rev.input_value("#old")
    rev.click("#diff")
    rev.wait_for_selector("#diff-summary")
    seen["diff_since_return"] = rev.inner_text("#changes")
    rev.goto(f"/s/{story.versions['v3']}")
    rev.click("#accept")
    rev.wait_for_selector("#submission-state")
    rev.goto(f"/s/{story.versions['other']}")
    rev.click("#accept")
    rev.wait_for_selector("#submission-state")
    rev.goto("/board")
    seen["board_after"] = rev.inner_text("#board")
    shot(rev, "collect-board-accepted")

    # 6. The administrator merges every accepted department and downloads the county workbook.
    rev.click("#merge-accepted")
    rev.wait_for_selector("#merge-done")
    shot(rev, "collect-merge")
    story.county = download(rev, "#merge-download", tmp / "县级工作簿.xlsx")
    seen["pages"] = {"dept": dept, "rev": rev, "other": other}
    seen["contexts"] = [dept_ctx, rev_ctx, other_ctx]
    return seen


def browser_session() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
