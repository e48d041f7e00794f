"""Screenshots of every page of `wbe serve` for docs/guide.md and the README, taken with Debian's Chromium
against a real server (the browser tests' helpers): python3 docs/make_web_screenshots.py"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright

from benchmarks.generate import county_book
from tests.conftest import SAMPLE
from tests.corpus import REFUSED
from tests.web_server import CHROMIUM, CHROMIUM_ARGS, running_server
from tests.workbooks import department, edited, save, set_cells
from workbook_engine.canonical_writer import write_book

IMAGES = ROOT / "docs" / "images"


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    # fast_wait=0: every action shows the progress page first, as long work does
    with tempfile.TemporaryDirectory() as folder, running_server(fast_wait=0) as url, sync_playwright() as p:
        tmp = Path(folder)
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, "--lang=zh-CN"])
        page = browser.new_page(base_url=url, viewport={"width": 1280, "height": 860}, locale="zh-CN")
        page.set_default_timeout(60_000)

        def shot(name: str, full: bool = False) -> None:
            page.screenshot(path=str(IMAGES / f"web-{name}.png"), full_page=full)
            print(f"docs/images/web-{name}.png")

        page.goto("/")
        shot("start")
        big = Path(folder) / "450001第1部门-200个项目.xlsx"
        write_book(county_book(departments=1, projects=200, indicators=3000), big)
        page.set_input_files("#file", str(big))
        page.get_by_role("button", name="上传并检查").click()
        page.wait_for_url(re.compile(r"/jobs/"))
        page.locator("#job-text").filter(has_text="校验与审核").wait_for()
        shot("progress")
        page.wait_for_url(re.compile(r"/files/[^/]+$"))
        page.goto("/")
        planted = edited(SAMPLE, tmp / "乐亭县应急管理局-2024（有错误）.xlsx", set_cells({"项目": {"F2": "二百", "K3": 1.5}}))
        page.set_input_files("#file", str(planted))
        page.get_by_role("button", name="上传并检查").click()
        page.wait_for_url(re.compile(r"/files/[^/]+$"))
        page.select_option("#f-severity", "error")
        shot("findings", full=False)
        page.locator("#findings tbody tr:visible").first.click()
        page.locator("#findings").scroll_into_view_if_needed()
        page.evaluate("document.getElementById('shown-count').scrollIntoView()")
        shot("finding-row")
        page.get_by_role("link", name="预览绩效目标表").click()
        shot("preview")
        page.get_by_role("link", name="下载").click()
        page.locator("tr[data-output=annotated] button").click()
        page.wait_for_selector("tr[data-output=annotated] a.download")
        shot("downloads")

        def new_version(wb) -> None:  # a rename, a new budget, two projects swapped, an indicator edited and one deleted
            set_cells({"项目": {"D2": "乐亭县应急管理局应急救援能力提升项目", "F2": 260, "G2": 260, "B2": 2, "B3": 1},
                       "指标": {"H5": "≥99%"}})(wb)
            wb["指标"].delete_rows(3)

        new = edited(SAMPLE, tmp / "新版.xlsx", new_version)
        page.goto("/diff")
        page.set_input_files("#old", str(SAMPLE))
        page.set_input_files("#new", str(new))
        page.get_by_role("button", name="比对").click()
        page.wait_for_url(re.compile(r"/diff/[^/]+$"))
        shot("diff", full=True)

        first = save(department("450101", "乐亭县甲局", "A"), tmp / "450101乐亭县甲局.xlsx")
        second = save(department("450102", "乐亭县乙局", "B"), tmp / "450102乐亭县乙局.xlsx")
        changed = edited(first, tmp / "450101乐亭县甲局（修改）.xlsx",
                         set_cells({"项目": {"D2": "甲局改过的项目名称", "I2": "保障全县应急救援队伍训练，改过的用途说明"}}))
        page.goto("/merge")
        page.set_input_files("#files", [str(first), str(second), str(changed)])
        page.get_by_role("button", name="读取并合并").click()
        page.wait_for_url(re.compile(r"/merge/[^/]+$"))
        shot("merge-conflicts")
        page.locator("tr[data-conflict='0'] input[type=radio]").nth(1).check()
        page.get_by_role("button", name="按所选的值合并").click()
        page.wait_for_selector("#merge-done")
        shot("merge-done")

        page.goto("/")
        page.set_input_files("#file", str(REFUSED["legacy-xls"](tmp)))
        page.get_by_role("button", name="上传并检查").click()
        page.locator("#error-message").wait_for()
        shot("refused")
        browser.close()


if __name__ == "__main__":
    main()
