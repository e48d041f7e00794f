"""`wbe import --force` on the page: a published text whose problems refuse the import is refused with every
problem one a line and a “仍然导入” button; pressed, the same item is analysed again with force, the workbook
is written with what could not be placed in its 未归位内容 sheet, and the findings page says how many places
could not be placed and lists the import's problems (issue 21)."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from starlette.testclient import TestClient

from workbook_engine import api
from workbook_engine.sheets import UNPLACED_SHEET
from workbook_engine.web import create_app

from .test_import_problems import _docx_with_three_defects, _three_defects
from .web_helpers import csrf_of, error_message, finding_rows, follow_job, upload

BUTTON = "仍然导入（无法归位的内容另存于“未归位内容”表）"
FORCE_RE = re.compile(r'<form method="post" action="(/files/[^"]+/force)" id="force-import"[^>]*>(.*?)</form>', re.DOTALL)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    app = create_app(executor="thread", workers=2, work_dir=tmp_path_factory.mktemp("force-work"))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    text, lines = _three_defects()
    path = tmp_path_factory.mktemp("three") / "乐亭-三处问题.txt"
    path.write_text(text, encoding="utf-8")
    return path, lines


def _source_findings(page: str) -> list[str]:
    block = page.split('id="source-findings"', 1)[1].split("</section>", 1)[0]
    return [html.unescape(item).strip() for item in re.findall(r"<li>(.*?)</li>", block, re.DOTALL)]


def _sheet_rows(workbook: Any) -> list[list[Any]]:
    sheet = workbook[UNPLACED_SHEET]
    return [[c.value for c in row] for row in sheet.iter_rows(min_row=3, max_col=4) if isinstance(row[0].value, int)]


def test_the_refusal_lists_each_problem_and_offers_to_import_anyway(client: TestClient, three: Any) -> None:
    path, lines = three
    refused = upload(client, path)
    assert refused.status_code == 422 and "/jobs/" in str(refused.url)
    message = error_message(refused.text)
    assert message is not None and message.startswith(f"{path.name}：导入时发现 3 个问题，未写出工作簿：")
    listed = [line.strip() for line in message.splitlines() if "[WBE-" in line]
    assert [re.search(r"WBE-E\d{3}", line).group() for line in listed] == ["WBE-E301", "WBE-E302", "WBE-E303"]  # type: ignore[union-attr]  # each line names its code
    assert f"第 {lines['WBE-E301']} 行" in listed[0] and f"第 {lines['WBE-E303']} 行" in listed[2]
    assert "--force" not in message and "点“仍然导入”可照样写出工作簿" in message  # the page's button, not the CLI's option
    assert 'class="panel error"' in refused.text  # .panel.error .message: one problem a line
    form = FORCE_RE.search(refused.text)
    assert form is not None, "no 仍然导入 form on the refusal page"
    assert f'<button type="submit">{BUTTON}</button>' in form.group(2)
    assert re.search(r'name="csrf" value="[^"]+"', form.group(2))
    # the item's own page, visited later, is the same refusal with its button
    item_page = client.get(form.group(1).removesuffix("/force"))
    assert item_page.status_code == 422 and FORCE_RE.search(item_page.text)


def test_import_anyway_writes_the_unplaced_sheet_and_lists_the_problems(client: TestClient, three: Any,
                                                                        tmp_path: Path) -> None:
    path, lines = three
    refused = upload(client, path)
    action = FORCE_RE.search(refused.text).group(1)  # type: ignore[union-attr]  # asserted by the test above
    assert client.post(action, data={}).status_code == 403  # a form like the page's others: CSRF checked
    page = follow_job(client, client.post(action, data={"csrf": csrf_of(client)}))
    assert page.status_code == 200 and str(page.url).endswith(action.removesuffix("/force"))

    # what `wbe import --force` writes, checked as the page checks it
    cli = api.import_checked(path, tmp_path / "cli.xlsx", force=True)
    note = re.search(r'<p class="message note" id="unplaced">(.*?)</p>', page.text, re.DOTALL)
    assert note is not None
    assert html.unescape(note.group(1)).startswith(f"导入时有 {len(cli.findings)} 处内容未能归位，")
    assert f"“{UNPLACED_SHEET}”工作表（{len(cli.passages)} 行）" in html.unescape(note.group(1))
    assert page.text.index('id="unplaced"') < page.text.index('id="summary"')  # near the top
    problems = _source_findings(page.text)
    assert problems == [f.message for f in cli.findings]
    assert [p.split("：", 1)[0] for p in problems] == [f"第 {lines[c]} 行" for c in ("WBE-E301", "WBE-E302", "WBE-E303")]
    expected = api.validate(tmp_path / "cli.xlsx", review=True)
    assert sorted((r["code"], r["cell"]) for r in finding_rows(page.text)) == \
        sorted((f.code, f.cell or "") for f in expected.findings)
    assert "WBE-W305" in {r["code"] for r in finding_rows(page.text)}  # the book holds the extra sheet

    # the workbook, downloaded: the passages in its 未归位内容 sheet, as the CLI writes them
    done = follow_job(client, client.post(f"{page.url}/make/canonical", data={"csrf": csrf_of(client)}))
    link = re.search(r'href="(/files/[^"]+/get/canonical/0)"', done.text)
    assert link is not None
    downloaded = openpyxl.load_workbook(io.BytesIO(client.get(link.group(1)).content))
    assert downloaded.sheetnames[:4] == ["部门目标", "项目", "指标", UNPLACED_SHEET]
    rows = _sheet_rows(downloaded)
    assert rows == _sheet_rows(openpyxl.load_workbook(tmp_path / "cli.xlsx"))
    assert len(rows) == len(cli.passages) and any(r[2] == "一半" for r in rows)

    # pressed again (a second tab): the findings, not a second import
    again = client.post(action, data={"csrf": csrf_of(client)}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == action.removesuffix("/force")


def test_a_document_without_problems_and_other_refusals_have_no_button(client: TestClient, tmp_path: Path) -> None:
    from .conftest import SEED

    clean = upload(client, SEED, "乐亭-2024.txt")
    assert clean.status_code == 200 and 'id="unplaced"' not in clean.text and 'id="source-findings"' not in clean.text
    unreadable = upload(client, SEED, "x.txt", data="不是发布的文本\n".encode())
    assert unreadable.status_code == 422 and error_message(unreadable.text)
    assert not FORCE_RE.search(unreadable.text)


def test_a_docx_with_three_defects_is_imported_anyway_with_its_places(client: TestClient, tmp_path: Path) -> None:
    document = _docx_with_three_defects(tmp_path)
    refused = upload(client, document)
    form = FORCE_RE.search(refused.text)
    assert refused.status_code == 422 and form is not None
    page = follow_job(client, client.post(form.group(1), data={"csrf": csrf_of(client)}))
    assert page.status_code == 200
    problems = _source_findings(page.text)
    assert [p.split("：", 1)[0].split(" 第")[0] for p in problems][1:] == ["表 3", "表 5"]
    assert problems[0].startswith("第 ") and problems[0].split("：", 1)[0].endswith(" 段")
    assert "导入时有 3 处内容未能归位" in page.text
