"""A workbook with many findings (a county's has 40,000): the analysis is stored in parts, and the findings
page sends one page at a time, filtered on the server, with only the rows it shows (issue 26: the event
loop never stalls while jobs run; issue 25: findings pages render from the stored result)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from workbook_engine import api
from workbook_engine.web import app as web_app
from workbook_engine.web import create_app, tasks

from .conftest import SAMPLE
from .web_helpers import finding_rows, upload


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    work = tmp_path_factory.mktemp("pages")
    with TestClient(create_app(executor="thread", work_dir=work)) as client:
        page = upload(client, SAMPLE)
        assert page.status_code == 200
        yield client, page, work


def _folder(work: Path, url: str) -> Path:
    item = url.rstrip("/").split("/files/", 1)[1].split("/")[0]
    return next(p for p in work.rglob(item) if p.is_dir())


def _expected() -> list[dict]:
    """The sample's findings as the page lists them (position order), from the library itself."""
    return api.page_analysis(SAMPLE)["findings"]


def test_the_analysis_is_stored_in_parts_and_the_summary_holds_no_finding(served) -> None:
    client, page, work = served
    folder = _folder(work, str(page.url))
    summary = json.loads((folder / tasks.ANALYSIS).read_text(encoding="utf-8"))
    assert not {"findings", "rows", "preview"} & set(summary)
    expected = _expected()
    lines = [json.loads(line) for line in (folder / tasks.FINDINGS).read_text(encoding="utf-8").splitlines()]
    assert lines == expected and summary["finding_count"] == len(expected)
    assert summary["sheets"] == sorted({f["sheet"] for f in expected if f["sheet"]})
    report = api.validate(SAMPLE, review=True)
    assert summary["summary"]["errors"] + summary["summary"]["warnings"] == len(report.findings) == len(expected)


def test_below_one_page_every_row_is_sent_and_the_script_filters(served) -> None:
    client, page, _ = served
    assert len(finding_rows(page.text)) == len(_expected())
    assert "data-server" not in page.text and 'class="paging"' not in page.text


def test_many_findings_are_paged_and_filtered_on_the_server(served, monkeypatch) -> None:
    client, page, _ = served
    monkeypatch.setattr(web_app, "PAGE_ROWS", 50)
    expected = _expected()
    url = str(page.url)
    first = client.get(url)
    rows = finding_rows(first.text)
    assert [(r["code"], r["cell"]) for r in rows] == [(f["code"], f["cell"] or "") for f in expected[:50]]
    assert "data-server" in first.text and f"/ {len(expected)}）" in first.text
    assert f'id="shown-count">{len(expected)}<' in first.text
    pages = -(-len(expected) // 50)
    assert f"第 1 / {pages} 页" in first.text and 'rel="next"' in first.text and 'rel="prev"' not in first.text
    last = client.get(url + f"?page={pages}")
    assert len(finding_rows(last.text)) == len(expected) - 50 * (pages - 1) and 'rel="next"' not in last.text
    # the row panel's data: only the rows of the findings shown
    embedded = re.search(r'id="row-data">(.*?)</script>', first.text, re.DOTALL)
    assert embedded is not None
    data = json.loads(embedded.group(1))
    assert set(data) == {f"{f['sheet']}!{f['row']}" for f in expected[:50] if f["sheet"] and f["row"]}
    # a filter over all findings, not only the page's, and the next page keeps it
    errors_or_warnings = [f for f in expected if f["severity"] == "warning" and f["sheet"] == "指标"]
    filtered = client.get(url + "?severity=warning&sheet=指标")
    assert f'id="shown-count">{len(errors_or_warnings)}<' in filtered.text
    shown = finding_rows(filtered.text)
    assert len(shown) == min(50, len(errors_or_warnings)) and {r["sheet"] for r in shown} == {"指标"}
    if len(errors_or_warnings) > 50:
        assert "severity=warning&amp;sheet=%E6%8C%87%E6%A0%87&amp;page=2" in filtered.text
    assert client.get(url + "?page=abc").status_code == 200  # a bad page number is page 1
    beyond = client.get(url + "?page=999")  # a page past the last shows the last
    assert finding_rows(beyond.text) == finding_rows(last.text) and f"第 {pages} / {pages} 页" in beyond.text
