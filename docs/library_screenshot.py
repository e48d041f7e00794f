"""Regenerate docs/images/library-search.png: the 指标库 page after a search, in Debian's Chromium.

    python docs/library_screenshot.py   (needs /usr/bin/chromium and playwright)
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn
from playwright.sync_api import sync_playwright

from benchmarks.province import Shape, write_parquet
from workbook_engine.library.build import build
from workbook_engine.web import create_app


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        exports = write_parquet(Shape(counties=8, departments=20, projects=10, years=(2024,)), Path(folder) / "exports")
        build([ROOT / "workbooks" / "leting-emergency-2024.xlsx", *exports], Path(folder) / "library")
        app = create_app(executor="thread", library=Path(folder) / "library")
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=8791, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto("http://127.0.0.1:8791/library")
            page.fill("input[name=q]", "满意度")
            page.click("button[type=submit]")
            page.wait_for_selector("svg.lib-chart")
            page.screenshot(path=str(ROOT / "docs" / "images" / "library-search.png"), full_page=False)
            browser.close()
        server.should_exit = True
        thread.join()


if __name__ == "__main__":
    main()
