"""Collection rounds in the page (in-process, issue 22): the bureau opens the 运行监控 round on the board, a
department downloads its pre-filled 监控表, uploads it filled in, sees the findings and submits; the county
overview page and its workbook; who may do what; the box takes the page's spreadsheet types."""

from __future__ import annotations

import hashlib
import io
import re

import openpyxl
import pytest

pytest.importorskip("workbook_engine.web.app")

from workbook_engine import api

from .collect_helpers import cheap_hashes, department_workbook, new_collection  # noqa: F401
from .collect_web import Browser, collection_app, error_message
from .conftest import SAMPLE, libreoffice_convert, needs_soffice
from .round_forms import fill_monitor


@pytest.fixture
def site(tmp_path):
    from workbook_engine.collect.accounts import create_user
    from workbook_engine.collect.models import VIEWER

    collect, passwords = new_collection(tmp_path, "sqlite")
    with collect.session() as session:
        _user, passwords["viewer1"] = create_user(session, "viewer1", VIEWER, display_name="查看人")
        session.commit()
    app = collection_app(tmp_path / "data", tmp_path / "work")
    browsers = {}
    for name in ("450001", "450002", "admin", "viewer1"):
        browsers[name] = Browser(app)
        assert browsers[name].login(name, passwords[name]).status_code == 303
    yield {"collect": collect, "b": browsers, "tmp": tmp_path}
    for browser in browsers.values():
        browser.close()
    collect.close()


def upload(browser, path, stage="goals", name=None):
    return browser.client.post("/dept/upload", data={"csrf": browser.csrf, "stage": stage},
                               files={"file": (name or path.name, path.read_bytes(), "application/octet-stream")})


def sid_of(response) -> int:
    assert response.status_code == 303, error_message(response.text)
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_a_monitoring_round_through_the_page(site):
    dept, other, admin = site["b"]["450001"], site["b"]["450002"], site["b"]["admin"]
    tmp = site["tmp"]
    goals = sid_of(upload(dept, department_workbook(tmp, "450001")))
    assert dept.post(f"/s/{goals}/submit").status_code == 303
    assert admin.post(f"/s/{goals}/accept").status_code == 303

    closed = admin.get("/board?stage=monitor").text
    assert 'id="round-closed"' in closed and "开启“运行监控”轮次" in closed
    assert "尚未开启" in closed and "（未开启）" in closed
    assert 'id="round-closed"' in dept.get("/dept?stage=monitor").text
    assert dept.get("/dept/form/monitor").status_code == 400
    refused = upload(dept, SAMPLE, "monitor")
    assert refused.status_code == 400 and "还没有开启" in error_message(refused.text)

    opened = admin.post("/rounds/open", {"stage": "monitor", "deadline": "2025-08-15"})
    assert opened.status_code == 303 and opened.headers["location"] == "/board?stage=monitor&round=saved"
    board = admin.get(opened.headers["location"]).text
    assert 'id="round-saved"' in board and "截止日期 2025-08-15" in board and "监控期间 1-7月" in board
    assert 'id="merge-accepted"' not in board  # the county merge is the 目标申报 round's
    assert admin.post("/rounds/open", {"stage": "monitor", "deadline": "八月"}).status_code == 400

    page = dept.get("/dept?stage=monitor").text
    assert 'id="download-form"' in page and "截止日期：2025-08-15" in page
    assert 'name="stage" value="monitor"' in page
    assert 'id="no-goals"' in other.get("/dept?stage=monitor").text
    no_goals = other.get("/dept/form/monitor")
    assert no_goals.status_code == 400 and "还没有通过财政局审核" in error_message(no_goals.text)

    form = dept.get("/dept/form/monitor")
    assert form.status_code == 200 and "attachment" in form.headers["content-disposition"]
    assert "%E7%9B%91%E6%8E%A7%E8%A1%A8" in form.headers["content-disposition"]  # 监控表 in the file name
    (tmp / "下载.xlsx").write_bytes(form.content)
    assert openpyxl.load_workbook(tmp / "下载.xlsx").sheetnames[-1] == "目标数据"
    wrong = upload(dept, SAMPLE, "monitor", name="目标.xlsx")  # the goals workbook, not the form
    message = error_message(wrong.text)
    assert wrong.status_code == 422 and message.startswith("目标.xlsx：不是项目支出绩效目标执行监控表"), message
    assert str(tmp) not in wrong.text and "Traceback" not in wrong.text
    typed = fill_monitor(tmp / "下载.xlsx", tmp / "监控表-填好.xlsx", shares={0: 0.1})
    sid = sid_of(upload(dept, tmp / "监控表-填好.xlsx", "monitor"))
    shown = dept.get(f"/s/{sid}").text
    assert "征集轮次：运行监控" in shown and 'id="download-source"' in shown
    assert "WBE-W236" in shown  # the project far behind its plan, in the findings as validate gives them
    source = dept.get(f"/s/{sid}/source")
    assert hashlib.sha256(source.content).hexdigest() == hashlib.sha256((tmp / "监控表-填好.xlsx").read_bytes()).hexdigest()
    kept = dept.get(f"/s/{sid}/file")
    (tmp / "kept.xlsx").write_bytes(kept.content)
    assert len(api.read_book(tmp / "kept.xlsx").monitor_projects) == len(typed)
    assert dept.post(f"/s/{sid}/submit").status_code == 303
    assert other.get(f"/s/{sid}").status_code == 404 and other.get(f"/s/{sid}/source").status_code == 404

    monitor_board = admin.get("/board?stage=monitor").text
    assert re.search(r'data-dept="450001".*?已提交·待审核', monitor_board, re.S)
    assert re.search(r'data-dept="450001".*?已通过', admin.get("/board").text, re.S)  # goals round as it was
    tabs = re.search(r'id="round-tabs".*?</nav>', monitor_board, re.S).group(0)
    assert "已交 1/3，通过 1" in tabs and "已交 1/3，通过 0" in tabs  # 目标申报 and 运行监控 at a glance
    overview = admin.get("/rounds/monitor")
    assert overview.status_code == 200
    first = api.read_book(SAMPLE).projects[0]
    rate = round(typed[first.name] / float(first.budget) * 100, 2)
    row = re.search(rf'data-project="{first.code}" class="flagged">(.*?)</tr>', overview.text, re.S)
    assert row is not None and f"{rate:.2f}%" in row.group(1) and "56.25%" in row.group(1)
    assert 'id="overview-chart"' in overview.text and "<svg" in overview.text
    viewer = site["b"]["viewer1"]  # the bureau's read-only account sees the overview, opens no round
    assert viewer.get("/rounds/monitor").status_code == 200
    assert viewer.get("/rounds/monitor/overview.xlsx").status_code == 200
    assert viewer.post("/rounds/open", {"stage": "evaluation"}).status_code == 403
    assert 'id="round-form"' not in viewer.get("/board?stage=monitor").text
    assert dept.get("/rounds/monitor").status_code == 403
    assert dept.get("/rounds/monitor/overview.xlsx").status_code == 403
    assert dept.post("/rounds/open", {"stage": "evaluation"}).status_code == 403
    county = admin.get("/rounds/monitor/overview.xlsx")
    assert county.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(county.content))
    assert "汇总图" in book.sheetnames and book["汇总图"]._charts
    values = {r[3]: r for r in book["运行监控汇总"].iter_rows(min_row=3, values_only=True)}
    assert values[first.code][8] == pytest.approx(rate)
    assert admin.get("/rounds/goals").status_code == 404
    assert admin.get("/rounds/nothing").status_code == 404

    # returned with an opinion: the department sees it on its round's page
    assert admin.post(f"/s/{sid}/opinion", {"target": first.code, "text": "执行偏慢，请说明原因。"}).status_code == 303
    assert admin.post(f"/s/{sid}/return", {"note": "请补充"}).status_code == 303
    assert "执行偏慢，请说明原因。" in dept.get("/dept?stage=monitor").text
    assert "执行偏慢" not in dept.get("/dept").text  # the 目标申报 round's page has its own opinions


def test_the_box_takes_the_pages_spreadsheet_types(site):
    dept = site["b"]["450001"]
    accept = re.search(r'id="file" name="file" type="file" accept="([^"]+)"', dept.get("/dept").text).group(1)
    assert accept.split(",") == [".xlsx", ".xlsm", ".xls", ".et", ".ett"]
    plain = (SAMPLE.parents[1] / "workbook_engine" / "web" / "templates" / "diff.html").read_text(encoding="utf-8")
    assert f'accept="{accept}"' in plain  # the page's spreadsheet list


@pytest.mark.libreoffice
@needs_soffice
def test_an_xls_upload_is_kept_as_it_came_and_read_as_xlsx(site):
    dept = site["b"]["450001"]
    xls = libreoffice_convert(SAMPLE, "xls", site["tmp"] / "xls")
    sid = sid_of(upload(dept, xls, name="部门目标.xls"))
    page = dept.get(f"/s/{sid}").text
    assert "已转为 .xlsx 检查和保存" in page
    assert dept.get(f"/s/{sid}/source").content == xls.read_bytes()
    kept = site["tmp"] / "kept.xlsx"
    kept.write_bytes(dept.get(f"/s/{sid}/file").content)
    assert api.read_book(kept) == api.read_book(SAMPLE)
    assert dept.post(f"/s/{sid}/submit").status_code == 303
    annotated = dept.get(f"/s/{sid}/annotated")  # the library functions read the kept .xlsx
    assert annotated.status_code == 200 and annotated.content[:2] == b"PK"


def test_the_self_evaluation_overview_page_and_workbook(site):
    from workbook_engine.scoring import score_book

    from .round_forms import fill_evaluation

    dept, admin = site["b"]["450001"], site["b"]["admin"]
    tmp = site["tmp"]
    goals = sid_of(upload(dept, department_workbook(tmp, "450001")))
    assert dept.post(f"/s/{goals}/submit").status_code == 303
    assert admin.post(f"/s/{goals}/accept").status_code == 303
    assert admin.post("/rounds/open", {"stage": "evaluation", "deadline": ""}).status_code == 303
    form = dept.get("/dept/form/evaluation")
    assert form.status_code == 200
    (tmp / "自评表.xlsx").write_bytes(form.content)
    fill_evaluation(tmp / "自评表.xlsx", tmp / "自评表-填好.xlsx", executed_share=0.8, half_of_first=2)
    monitor_refused = upload(dept, tmp / "自评表-填好.xlsx", "monitor")
    assert monitor_refused.status_code == 400 and "还没有开启" in error_message(monitor_refused.text)
    sid = sid_of(upload(dept, tmp / "自评表-填好.xlsx", "evaluation"))
    assert dept.post(f"/s/{sid}/submit").status_code == 303
    kept = tmp / "kept.xlsx"
    kept.write_bytes(dept.get(f"/s/{sid}/file").content)
    scores = {s.project_code: s for s in score_book(api.read_book(kept))}
    page = admin.get("/rounds/evaluation").text
    grades = [s.grade for s in scores.values()]
    assert f"优 {grades.count('优')}、良 {grades.count('良')}" in page
    for code, score in scores.items():
        row = re.search(rf'data-project="{code}" class="">(.*?)</tr>', page, re.S)
        assert row is not None and f"{float(score.total):.2f}" in row.group(1) and score.grade in row.group(1)
        assert "80.00%" in row.group(1)  # 预算执行率: 全年执行数 = 0.8 × 全年预算数
    book = openpyxl.load_workbook(io.BytesIO(admin.get("/rounds/evaluation/overview.xlsx").content))
    assert book.sheetnames == ["绩效自评汇总", "部门汇总", "汇总图"] and book["汇总图"]._charts
    rows = {r[3]: r for r in book["绩效自评汇总"].iter_rows(min_row=3, values_only=True)}
    assert {code: (r[7], r[8]) for code, r in rows.items()} == {
        code: (pytest.approx(float(s.total)), s.grade) for code, s in scores.items()}
