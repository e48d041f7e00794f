"""End-to-end tests as a person uses the page: Debian's Chromium driven by Playwright against a real
server (uvicorn, worker processes). Few and broad, to stay fast; the details are in test_web_app.py."""

from __future__ import annotations

import re

import openpyxl
import pytest

from workbook_engine import api

from .conftest import SAMPLE
from .corpus import REFUSED
from .official_helpers import flatten
from .web_helpers import html_table_grid
from .web_server import CHROMIUM, CHROMIUM_ARGS, running_server
from .workbooks import department, edited, save, set_cells

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # fast_wait=0: every action goes through the progress page and its polling script, as long work does
    with running_server(work_dir=tmp_path_factory.mktemp("browser-work"), fast_wait=0) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """One Chromium for this module's tests, closed with the module: Playwright's sync API allows one
    running instance per thread, and the other browser tests start their own."""
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(base_url=server, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def upload(page, path):
    page.goto("/")
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_url(re.compile(r"/files/[^/]+$"))


def test_sample_then_planted_errors_found_by_filtering(page, tmp_path):
    upload(page, SAMPLE)
    report = api.validate(SAMPLE, review=True)
    assert page.locator("#count-errors").inner_text() == "0"
    assert page.locator("#count-warnings").inner_text() == str(len(report.warnings))

    planted = edited(SAMPLE, tmp_path / "有错误.xlsx", set_cells({"项目": {"F2": "二百", "K3": 1.5}}))
    errors = api.validate(planted, review=True).errors
    upload(page, planted)
    page.select_option("#f-severity", "error")
    page.select_option("#f-sheet", "项目")
    visible = page.locator("#findings tbody tr:visible")
    assert visible.count() == len([f for f in errors if f.sheet == "项目"])
    for finding in errors:
        page.fill("#f-q", finding.cell)
        row = page.locator(f"#findings tbody tr:visible[data-cell='{finding.cell}']").first
        assert finding.code in row.inner_text()
    page.fill("#f-q", "F2")
    page.locator("#findings tbody tr:visible[data-cell='F2']").first.press("Enter")  # keyboard opens the row
    marked = page.locator("#row-table td.mark")
    assert marked.inner_text() == "二百"
    assert "第 2 行" in page.locator("#row-detail-title").inner_text()


def test_preview_download_and_other_browser(page, browser, server, tmp_path):
    upload(page, SAMPLE)
    api.render(SAMPLE, tmp_path / "official.xlsx")
    official = openpyxl.load_workbook(tmp_path / "official.xlsx")
    page.get_by_role("link", name="预览绩效目标表").click()
    page.locator(".project-list a").nth(1).click()
    page.wait_for_url(re.compile(r"p=1"))
    number = 1
    table = page.locator("#project-table tbody").inner_html()
    grid = [row for row in html_table_grid(table) if any(c.strip() for c in row)]
    assert grid == flatten(official[official.sheetnames[2 + number]])

    page.get_by_role("link", name="下载").click()
    page.locator("tr[data-output=official] button").click()
    page.wait_for_selector("tr[data-output=official] a.download")
    with page.expect_download() as download:
        page.locator("tr[data-output=official] a.download").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx" and "乐亭" in path.name
    assert openpyxl.load_workbook(path).sheetnames == official.sheetnames

    link = page.locator("tr[data-output=official] a.download").get_attribute("href")
    stranger = browser.new_context(base_url=server)
    response = stranger.request.get(link)
    assert response.status == 404
    stranger.close()


def test_diff_and_merge_with_a_conflict_resolved_in_the_page(page, tmp_path):
    new = edited(SAMPLE, tmp_path / "新版.xlsx", set_cells({"项目": {"D2": "新的项目名称"}}))
    page.goto("/diff")
    page.set_input_files("#old", str(SAMPLE))
    page.set_input_files("#new", str(new))
    page.get_by_role("button", name="比对").click()
    page.wait_for_url(re.compile(r"/diff/[^/]+$"))
    assert page.locator("#changes tbody tr").count() == len(api.diff(SAMPLE, new).changes.changes)
    row = page.locator("#sheet-projects tr[data-status=changed]")
    cell = row.locator("td.cell-changed[data-field='项目名称']")
    assert cell.locator("ins").inner_text() == "新的项目名称"
    assert cell.locator(".was").inner_text().endswith(api.read_book(SAMPLE).projects[0].name)
    row.locator("td.fields a").first.focus()  # the keyboard reaches each changed cell from its row
    page.keyboard.press("Enter")
    assert page.url.endswith("#" + cell.get_attribute("id"))

    first = save(department("450101", "甲局", "A"), tmp_path / "甲.xlsx")
    second = save(department("450102", "乙局", "B"), tmp_path / "乙.xlsx")
    changed = edited(first, tmp_path / "甲-改.xlsx", set_cells({"项目": {"D2": "甲局改过的名称"}}))
    page.goto("/merge")
    page.set_input_files("#files", [str(first), str(second), str(changed)])
    page.get_by_role("button", name="读取并合并").click()
    page.wait_for_url(re.compile(r"/merge/[^/]+$"))
    conflict = page.locator("tr[data-conflict='0']")
    assert "甲局改过的名称" in conflict.inner_text()
    conflict.get_by_label(re.compile("甲-改.xlsx")).check()
    page.get_by_role("button", name="按所选的值合并").click()
    page.wait_for_selector("#merge-done")
    with page.expect_download() as download:
        page.locator("#merge-download").click()
    path = tmp_path / "merged.xlsx"
    download.value.save_as(path)
    merged = openpyxl.load_workbook(path)
    assert "合并记录" in merged.sheetnames
    assert "甲局改过的名称" in [r[3] for r in merged["项目"].iter_rows(min_row=2, values_only=True)]


def test_hostile_file_gets_the_one_line_message(page, tmp_path):
    path = REFUSED["zip-bomb-declared"](tmp_path)
    page.goto("/")
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="上传并检查").click()
    message = page.locator("#error-message")
    message.wait_for()
    assert "压缩炸弹" in message.inner_text() and path.name in message.inner_text()
    assert str(tmp_path) not in page.content()


def test_a_refused_document_imported_anyway(page, tmp_path):
    """The three-defect text: refused with a problem a line and the 仍然导入 button; pressed, the findings page
    says how much could not be placed and lists the problems (screenshots of both in tmp_path)."""
    from .test_import_problems import _three_defects

    text, _lines = _three_defects()
    path = tmp_path / "乐亭-三处问题.txt"
    path.write_text(text, encoding="utf-8")
    page.goto("/")
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="上传并检查").click()
    message = page.locator("#error-message")
    message.wait_for()
    assert len([line for line in message.inner_text().splitlines() if "[WBE-E30" in line]) == 3  # one a line
    button = page.get_by_role("button", name="仍然导入（无法归位的内容另存于“未归位内容”表）")
    assert button.is_visible()
    page.screenshot(path=str(tmp_path / "refused.png"), full_page=True)
    button.click()
    page.wait_for_url(re.compile(r"/files/[^/]+$"))
    assert page.locator("#unplaced").inner_text().startswith("导入时有 3 处内容未能归位")
    assert page.locator("#source-findings li").count() == 3
    page.screenshot(path=str(tmp_path / "forced.png"))


def test_filters_without_javascript(browser, server, tmp_path):
    planted = edited(SAMPLE, tmp_path / "有错误.xlsx", set_cells({"项目": {"F2": "二百", "K3": 1.5}}))
    errors = api.validate(planted, review=True).errors
    context = browser.new_context(base_url=server, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto("/")
    page.set_input_files("#file", str(planted))
    page.get_by_role("button", name="上传并检查").click()
    page.wait_for_url(re.compile(r"/files/[^/?]+$"))  # the progress page refreshes itself (<noscript>)
    page.select_option("#f-severity", "error")
    page.select_option("#f-sheet", "项目")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"severity=error"))
    visible = page.locator("#findings tbody tr:visible")
    assert visible.count() == len([f for f in errors if f.sheet == "项目"])
    assert page.locator("#f-severity").input_value() == "error"
    context.close()
