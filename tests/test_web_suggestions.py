"""The 指标建议 beside the findings (issue 23): written once by the analysis job when the app has a library,
the same suggestions `wbe suggest` gives for the book and library, aggregates only; without a library the
page has no trace of it. The section in Chromium too (docs/suggestions_screenshot.py makes docs/library.md's
picture the same way)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

pytest.importorskip("workbook_engine.web.app")

from starlette.testclient import TestClient

from workbook_engine import api
from workbook_engine.canonical_writer import write_book
from workbook_engine.web import create_app

from .conftest import SAMPLE, run_cli
from .web_helpers import upload


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plus two small generated counties (as tests/test_library.py builds them)."""
    from benchmarks.province import Shape, write_workbooks

    folder = tmp_path_factory.mktemp("suggest-library")
    counties = write_workbooks(Shape(counties=2, departments=12, projects=4, indicators=15, years=(2024,)),
                               folder / "counties", 2)
    result = api.library_build([SAMPLE, counties[0].parent], folder / "library")
    assert not result.problems
    return folder / "library"


@pytest.fixture(scope="module")
def lacking(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The sample with its first project's 满意度 indicators removed."""
    book = api.read_book(SAMPLE)
    project = book.projects[0].code
    book.indicators = [i for i in book.indicators if not (i.project_code == project and i.level1 == "满意度指标")]
    path = tmp_path_factory.mktemp("lacking") / "缺满意度.xlsx"
    write_book(book, path)
    return path, project


def _cli_suggestions(book: Path, library: Path) -> list[dict]:
    result = run_cli("suggest", book, "--library", library, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["suggestions"]


def _table_of(page: str, project: str) -> str:
    match = re.search(rf'<table class="suggestions" data-project="{re.escape(project)}">(.*?)</table>', page, re.DOTALL)
    assert match is not None, f"no suggestions table for {project}"
    return html.unescape(match.group(1))


def test_the_findings_page_shows_the_suggestion_wbe_suggest_gives(library: Path, lacking, tmp_path: Path):
    book, project = lacking
    expected = [s for s in _cli_suggestions(book, library) if s["project_code"] == project]
    satisfaction = next(s for s in expected if s["level2"] == "服务对象满意度指标")
    assert expected[0]["missing_category"]
    with TestClient(create_app(executor="thread", library=library, work_dir=tmp_path / "work")) as client:
        page = upload(client, book)
        assert page.status_code == 200 and "/files/" in str(page.url)
        text = page.text
    assert 'id="suggestions"' in text and "<h2>指标建议</h2>" in text
    table = _table_of(text, project)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.DOTALL)[1:]
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.DOTALL)] for r in rows]
    # the same order as `wbe suggest` (missing categories first), cut to five a project
    assert [c[2] for c in cells] == [s["level3"] for s in expected[:5]]
    mine = next(c for c in cells if c[2] == satisfaction["level3"])
    assert "（缺少的类别）" in mine[1] and mine[6] == f"{satisfaction['peers_using']} / {satisfaction['peers']}"
    assert mine[3] == satisfaction["typical"] and re.fullmatch(r"≥(8[5-9]|9[0-8])(\.\d+)?%", mine[3])
    assert mine[5] == (satisfaction["basis"] or "—")
    assert "乐亭县应急管理局本级" not in table  # no department of the peers is named


def test_a_suggestion_used_by_fewer_than_three_departments_shows_no_value(library: Path, tmp_path: Path):
    from workbook_engine.library.normalise import level3_key

    data = api.suggestions_view(SAMPLE, library)
    items = [item for project in data["projects"] for item in project["indicators"]]
    assert items
    with api.open_library(library) as opened:  # the page's rule, against the library's own counts
        for item in items:
            record = opened.record((item["level1"], item["level2"], level3_key(item["level3"])))
            assert record is not None and record.departments == item["departments"]
            if item["departments"] < 3:
                assert not item["shown"] and item["typical"] == "" and item["basis"] == ""
            else:
                assert item["shown"]


def test_without_a_library_the_page_has_no_suggestions_and_the_job_writes_none(tmp_path: Path):
    with TestClient(create_app(executor="thread", work_dir=tmp_path / "work")) as client:
        page = upload(client, SAMPLE)
        assert page.status_code == 200
        assert "指标建议" not in page.text and "library.css" not in page.text
    assert not list((tmp_path / "work").glob("**/suggestions.json"))


def test_a_broken_library_leaves_a_message_and_the_findings(library: Path, lacking, tmp_path: Path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(library, broken)
    with TestClient(create_app(executor="thread", library=broken, work_dir=tmp_path / "work")) as client:
        shutil.rmtree(broken)  # gone after the server opened it
        page = upload(client, lacking[0])
        assert page.status_code == 200 and 'id="grades"' in page.text
        message = re.search(r'id="suggestions-error">(.*?)</p>', page.text, re.DOTALL)
        assert message is not None and "指标库" in message.group(1) and str(tmp_path) not in page.text


@pytest.mark.browser
def test_chromium_shows_the_suggestions_section(library: Path, lacking, tmp_path: Path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    from .web_server import CHROMIUM, CHROMIUM_ARGS, running_server

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    book, project = lacking
    with running_server(work_dir=tmp_path / "work", library=library, fast_wait=5) as url, \
            playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(base_url=url, locale="zh-CN", viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)
            page.goto("/")
            page.set_input_files("#file", str(book))
            page.get_by_role("button", name="上传并检查").click()
            page.wait_for_url(re.compile(r"/files/[^/]+$"))
            section = page.locator("#suggestions")
            assert section.locator(f'table[data-project="{project}"]').count() == 1
            assert "服务对象满意度" in section.inner_text()
            target = tmp_path / "findings-suggestions.png"  # docs/suggestions_screenshot.py writes the docs' copy
            section.screenshot(path=str(target))
            assert target.stat().st_size > 10_000
        finally:
            browser.close()


def test_the_page_lists_at_most_max_projects_and_says_how_many_more(library: Path, monkeypatch):
    from workbook_engine import suggest_view

    full = api.suggestions_view(SAMPLE, library)
    assert len(full["projects"]) >= 2 and full["more_projects"] == 0
    monkeypatch.setattr(suggest_view, "MAX_PROJECTS", 1)
    cut = api.suggestions_view(SAMPLE, library)
    assert cut["projects"] == full["projects"][:1] and cut["more_projects"] == len(full["projects"]) - 1
    from workbook_engine.web.app import templates

    text = templates.get_template("_suggestions.html").render(suggestions=cut, root="")
    assert f"另有 {cut['more_projects']} 个项目有建议" in text and text.count('class="suggestions"') == 1


def test_the_analysis_checks_the_book_once_for_the_findings_and_the_suggestions(library: Path, lacking,
                                                                                tmp_path: Path, monkeypatch):
    """Issue 25: no check done twice. The 指标建议 use the book the findings' check read."""
    from workbook_engine.validation import engine

    reads: list[str] = []
    real = engine.load_workbook

    def counted(path, *args, **kwargs):
        reads.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(engine, "load_workbook", counted)  # what every check reads the workbook with
    with TestClient(create_app(executor="thread", library=library, work_dir=tmp_path / "work")) as client:
        page = upload(client, lacking[0])
    assert page.status_code == 200 and 'id="suggestions"' in page.text and "<h2>指标建议</h2>" in page.text
    assert len(reads) == 1, reads
