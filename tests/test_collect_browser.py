"""The collection box in a real browser (Playwright, Debian's Chromium, a real server): the issue's whole
story, and a second department's browser that cannot see any of the first department's pages, files or
ids typed into the URL."""

from __future__ import annotations

import openpyxl
import pytest

from workbook_engine import api

from .collect_helpers import cheap_hashes  # noqa: F401
from .web_server import CHROMIUM

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")]


def test_the_whole_story_and_departments_apart(tmp_path):
    from .collect_story import browser_session, collection_site, play

    with collection_site(tmp_path) as story:
        for browser in browser_session():
            seen = play(story, browser)
            assert 'id="username"' in seen["first_page"] and 'type="file"' not in seen["first_page"]
            assert seen["v1_errors"] >= 1 and seen["v1_error_rows"] == seen["v1_errors"]
            assert seen["v2_errors"] == 0
            assert "已提交·有错误" not in seen["board_before"] and "已提交·待审核" in seen["board_before"]
            assert f"第 {story.versions['v1']} 号" in seen["history"] and f"第 {story.versions['v2']} 号" in seen["history"]
            assert "预算数" in seen["diff"] and "250" in seen["diff"]
            assert "已退回" in seen["after_return"]
            assert "请在资金用途中说明" in seen["dept_opinions"]
            annotated = openpyxl.load_workbook(seen["annotated"])
            assert annotated.sheetnames[0] == "审核意见"
            assert any("请在资金用途中说明" in (c.comment.text if c.comment else "")
                       for row in annotated["项目"].iter_rows() for c in row)
            assert seen["default_old"] == str(story.versions["v2"])  # what changed since the returned version
            assert "资金用途" in seen["diff_since_return"]
            assert "已通过" in seen["board_after"]
            reference = tmp_path / "reference.xlsx"
            assert api.merge([story.files["v3"], story.files["other"]], reference).written
            assert api.read_book(story.county) == api.read_book(reference)

            page = seen["pages"]["other"]  # the second department's browser, logged in all along
            page.goto("/dept")
            assert "乐亭" not in page.content() and "第二部门" in page.content()
            for name, sid in story.versions.items():
                if name == "other":
                    continue
                for path in (f"/s/{sid}", f"/s/{sid}/file", f"/s/{sid}/annotated",
                             f"/s/{sid}/diff?old={story.versions['v1']}", "/departments/1"):
                    response = page.request.get(path)
                    assert response.status == 404, (path, response.status)
                    assert "乐亭" not in response.text()
                page.goto(f"/s/{sid}")
                assert "乐亭" not in page.content()
                assert "没有这个提交记录" in page.content()
            assert page.request.get("/board").status == 403
            for made in seen["contexts"]:
                made.close()
