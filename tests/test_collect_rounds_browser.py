"""A 运行监控 collection round end to end in a real browser (Playwright, Debian's Chromium, a real server;
issue 22): the bureau opens the round, two departments download their pre-filled 监控表, fill it as staff
would, upload and submit it, one is returned with an opinion; the county overview and its workbook."""

from __future__ import annotations

import hashlib

import openpyxl
import pytest

from workbook_engine import api

from .collect_helpers import cheap_hashes  # noqa: F401
from .conftest import SAMPLE
from .web_server import CHROMIUM

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")]


def test_a_monitoring_round_end_to_end(tmp_path):
    from .collect_round_story import DEADLINE, OPINION, play_monitoring
    from .collect_story import browser_session, collection_site

    with collection_site(tmp_path) as story:
        for browser in browser_session():
            seen = play_monitoring(story, browser)
            assert "尚未开启" in seen["closed"] and f"截止日期：{DEADLINE}" in seen["opened"]
            assert "监控期间 1-7月" in seen["opened"]
            for code in ("450001", "450002"):
                assert "下载预填的项目支出绩效目标执行监控表" in seen[f"{code}_round_page"]
                prefilled = openpyxl.load_workbook(story.files[f"{code}_prefilled"])
                assert prefilled.worksheets[0]["A1"].value.startswith("项目支出绩效目标执行监控表")
                assert str(prefilled.worksheets[0]["A2"].value).startswith(code)  # the department's own form
                assert seen[f"{code}_errors"] == 0
                assert "已提交" in seen[f"{code}_state"]
            # the project executed at 20 % against a plan of 56.25 % is the one warning of WBE-W236
            assert "WBE-W236" in seen["450001_findings"] and "56.25%" in seen["450001_findings"]
            assert "WBE-W236" not in seen["450002_findings"]
            assert seen["board"].count("已提交·待审核") == 2
            assert "已退回" in seen["after_return"] and "已通过" in seen["after_accept"]
            assert OPINION in seen["dept_opinions"] and "已退回" in seen["dept_state"]
            assert "20.00%" in seen["overview_projects"] and "56.25%" in seen["overview_projects"]
            assert "已退回" in seen["overview_departments"] and "已通过" in seen["overview_departments"]
            county = openpyxl.load_workbook(story.county)
            assert county.sheetnames == ["运行监控汇总", "部门汇总", "汇总图"] and county["汇总图"]._charts
            rows = {(r[0], r[3]): r for r in county["运行监控汇总"].iter_rows(min_row=3, values_only=True)}
            projects = api.read_book(SAMPLE).projects
            assert len([k for k in rows if k[0] == "450001"]) == len(projects)
            slow = rows[("450001", projects[1].code)]
            assert slow[8] == pytest.approx(20.0) and slow[9] == pytest.approx(56.25) and "落后" in slow[11]
            typed = seen["450001_typed"]
            assert rows[("450001", projects[0].code)][7] == pytest.approx(typed[projects[0].name])
            # what was uploaded is kept as it came
            page = seen["pages"]["450001"]
            kept = page.request.get(f"/s/{story.versions['450001']}/source").body()
            assert hashlib.sha256(kept).hexdigest() == hashlib.sha256(story.files["450001_filled"].read_bytes()).hexdigest()
            other = seen["pages"]["450002"]
            assert other.request.get(f"/s/{story.versions['450001']}/source").status == 404
            assert other.request.get("/rounds/monitor").status == 403
            for made in seen["contexts"]:
                made.close()
