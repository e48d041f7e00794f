"""Regenerate docs/images/findings-suggestions.png: the findings page's 指标建议 (issue 23) for the sample
without its first project's 满意度 indicators, against the sample plus two generated counties (the library
of tests/test_web_suggestions.py), in Debian's Chromium.

    python docs/suggestions_screenshot.py   (needs /usr/bin/chromium and playwright)
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright

from benchmarks.province import Shape, write_workbooks
from tests.web_server import CHROMIUM, CHROMIUM_ARGS, running_server
from workbook_engine import api
from workbook_engine.canonical_writer import write_book

SAMPLE = ROOT / "workbooks" / "leting-emergency-2024.xlsx"
TARGET = ROOT / "docs" / "images" / "findings-suggestions.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        counties = write_workbooks(Shape(counties=2, departments=12, projects=4, indicators=15, years=(2024,)),
                                   folder / "counties", 2)
        api.library_build([SAMPLE, counties[0].parent], folder / "library")
        book = api.read_book(SAMPLE)
        first = book.projects[0].code
        book.indicators = [i for i in book.indicators if not (i.project_code == first and i.level1 == "满意度指标")]
        lacking = folder / "缺满意度.xlsx"
        write_book(book, lacking)
        with running_server(work_dir=folder / "work", library=folder / "library", fast_wait=5) as url, \
                sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(base_url=url, locale="zh-CN", viewport={"width": 1150, "height": 900})
            page.goto("/")
            page.set_input_files("#file", str(lacking))
            page.get_by_role("button", name="上传并检查").click()
            page.wait_for_url(re.compile(r"/files/[^/]+$"))
            box = page.locator("#suggestions").bounding_box()
            assert box is not None
            page.screenshot(path=str(TARGET), full_page=True,
                            clip={"x": box["x"] - 8, "y": box["y"] - 8, "width": box["width"] + 16, "height": 640})
            browser.close()
    print(TARGET)


if __name__ == "__main__":
    main()
