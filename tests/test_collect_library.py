"""The collection box's own 指标库 (issue 23): refreshed in a worker after every accept, a newer accepted
version replacing the older, rebuilt by `wbe collect library --rebuild`, shown to the bureau's roles only,
and the submission page's 指标建议 drawn from it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

pytest.importorskip("workbook_engine.web.app")

from workbook_engine import api
from workbook_engine.collect.accounts import create_user
from workbook_engine.collect.models import ACCEPTED, REVIEWER, VIEWER, Submission

from .collect_helpers import BACKENDS, cheap_hashes, department_workbook, new_collection  # noqa: F401
from .collect_web import Browser, collection_app, error_message
from .conftest import run_cli


@pytest.fixture(params=BACKENDS)
def box(request, tmp_path):
    collect, passwords = new_collection(tmp_path, request.param)
    with collect.session() as session:
        _u, passwords["reviewer"] = create_user(session, "reviewer", REVIEWER, display_name="审核员甲")
        _v, passwords["viewer"] = create_user(session, "viewer", VIEWER, display_name="查看人")
        session.commit()
    url = collect.db.url if request.param != "sqlite" else None
    app = collection_app(tmp_path / "data", tmp_path / "work", url)
    browsers = {}
    for name in ("450001", "450002", "450003", "reviewer", "viewer", "admin"):
        browsers[name] = Browser(app)
        assert browsers[name].login(name, passwords[name]).status_code == 303
    yield {"collect": collect, "app": app, "b": browsers, "tmp": tmp_path, "data": tmp_path / "data", "url": url}
    for browser in browsers.values():
        browser.close()
    collect.close()


def settle(app) -> None:
    """Wait for the jobs the app started (the library refresh runs in the worker pool, after the accept)."""
    for job in list(app.state.runner.jobs.values()):
        job.future.result(timeout=300)


def accepted(box, code: str, budget=None) -> int:
    b = box["b"][code]
    response = b.upload(department_workbook(box["tmp"], code, budget=budget))
    assert response.status_code == 303, error_message(response.text)
    sid = int(response.headers["location"].rsplit("/", 1)[1])
    assert b.post(f"/s/{sid}/submit").status_code == 303
    answer = box["b"]["reviewer"].post(f"/s/{sid}/accept")
    assert answer.status_code == 303, error_message(answer.text)
    settle(box["app"])
    return sid


def test_accepting_refreshes_the_box_library_and_a_newer_version_replaces_the_older(box):
    library = box["data"] / "library"
    assert not library.exists()
    reviewer = box["b"]["reviewer"]
    assert reviewer.get("/library").status_code == 404  # nothing accepted yet: a clear page, not an error
    assert "审核通过部门的提交后自动建立" in reviewer.get("/library").text

    first = accepted(box, "450001")
    held = api.library_info(library)
    sample = held.indicators
    assert held.inputs == 1 and held.departments == 1 and sample > 0 and held.years == [2024]
    assert [f["name"] for f in held.files] == ["2025-450001.xlsx"]

    assert reviewer.get("/library.json", params={"q": "满意度"}).json()["departments"] == 1  # the page opens it

    accepted(box, "450002")
    held = api.library_info(library)
    assert held.inputs == 2 and held.departments == 2
    # written on a copy and swapped in: the open page reopens the new one, nothing half-written is left
    assert reviewer.get("/library.json", params={"q": "满意度"}).json()["departments"] == 2
    assert sorted(p.name for p in box["data"].iterdir() if p.name.startswith("library")) == ["library", "library.lock"]

    newer = accepted(box, "450001", budget=12.5)  # a re-accepted newer version of the same department
    held = api.library_info(library)
    assert held.inputs == 2 and held.departments == 2 and held.indicators == 2 * sample
    with box["collect"].session() as session:
        digest = session.get(Submission, newer).sha256
        assert session.get(Submission, first).state != ACCEPTED
    assert {f["name"]: f["hash"] for f in held.files}["2025-450001.xlsx"] == digest[:24]


def test_the_box_library_page_is_the_bureaus_and_departments_get_403(box):
    for code in ("450001", "450002", "450003"):
        accepted(box, code)
    for who in ("reviewer", "viewer", "admin"):
        page = box["b"][who].get("/library", params={"q": "满意度"})
        assert page.status_code == 200, who
        assert "<svg" in page.text and "由本征集审核通过的提交建立" in page.text  # used by 3 departments
        assert "乐亭县应急管理局本级" not in page.text and "第二部门" not in page.text  # aggregates only (23.7)
        assert box["b"][who].get("/library.json", params={"q": "满意度"}).json()["departments"] == 3
    for code in ("450001", "450002", "450003"):
        assert box["b"][code].get("/library", params={"q": "满意度"}).status_code == 403
        assert box["b"][code].get("/library.json", params={"q": "满意度"}).status_code == 403
    assert 'href="/library"' in box["b"]["reviewer"].get("/board").text
    assert 'href="/library"' not in box["b"]["450001"].get("/dept").text


@pytest.mark.parametrize("box", ["sqlite"], indirect=True)  # the database plays no part
def test_a_failed_refresh_is_logged_and_the_accept_stands(box, caplog):
    library = box["data"] / "library"
    library.mkdir()
    (library / "stray.txt").write_text("not a library")  # the build refuses a folder that is not a library
    sid = accepted(box, "450001")
    with box["collect"].session() as session:
        assert session.get(Submission, sid).state == ACCEPTED
    assert "collection library refresh failed" in caplog.text
    assert not (library / "manifest.json").exists()


@pytest.mark.parametrize("box", ["sqlite"], indirect=True)
def test_wbe_collect_library_rebuilds_from_every_accepted_version(box):
    accepted(box, "450001")
    accepted(box, "450002")
    library = box["data"] / "library"
    before = api.library_info(library)
    result = run_cli("collect", "library", box["data"], "--rebuild")
    assert result.returncode == 0, result.stderr
    assert "重新建立，收入 2 个" in result.stdout and f"{before.indicators} 个指标" in result.stdout
    after = api.library_info(library)
    assert (after.inputs, after.departments, after.indicators) == (before.inputs, before.departments,
                                                                   before.indicators)
    again = run_cli("collect", "library", box["data"])
    assert again.returncode == 0 and "本次加入或更新 0 个，2 个已是最新" in again.stdout
    assert not list(box["data"].glob("library-*"))  # the rebuild's temporary folders are gone


def test_wbe_collect_library_says_in_chinese_when_nothing_is_accepted(tmp_path):
    collect, _ = new_collection(tmp_path, "sqlite")
    collect.close()
    result = run_cli("collect", "library", tmp_path / "data", "--rebuild")
    assert result.returncode != 0 and "还没有审核通过的提交" in result.stderr and "Traceback" not in result.stderr
    missing = run_cli("collect", "library", tmp_path / "nowhere")
    assert missing.returncode != 0 and "这里没有征集数据" in missing.stderr


@pytest.mark.parametrize("box", ["sqlite"], indirect=True)
def test_the_submission_page_suggests_from_the_box_library(box):
    accepted(box, "450002")
    sid = accepted(box, "450001")
    page = box["b"]["450001"].get(f"/s/{sid}")
    assert page.status_code == 200 and 'id="suggestions"' in page.text and "指标建议" in page.text
    # the same suggestions `wbe suggest` gives for the stored file against the box's library
    with box["collect"].session() as session:
        stored = box["data"] / "blobs" / session.get(Submission, sid).sha256[:2] / session.get(Submission, sid).sha256[2:]
    copy = box["tmp"] / "stored.xlsx"
    copy.write_bytes(stored.read_bytes())
    result = run_cli("suggest", copy, "--library", box["data"] / "library", "--format", "json")
    assert result.returncode == 0, result.stderr
    suggestions = json.loads(result.stdout)["suggestions"]
    if suggestions:
        first = suggestions[0]
        assert re.search(re.escape(first["level3"]), page.text)
    else:
        assert 'id="no-suggestions"' in page.text
    # two departments only: no typical value or basis is one department's own (23.7)
    assert "使用部门少于 3 个的指标不显示典型值和依据" in page.text
    cached = list((box["data"] / "work" / "analysis").glob("*-suggestions-*.json"))
    assert cached, "computed once in a worker and kept"
    with box["collect"].session() as session:
        assert session.scalar(select(Submission.state).where(Submission.id == sid)) == ACCEPTED


def test_a_returned_version_is_not_the_accepted_one(tmp_path):
    from workbook_engine.collect.library import accepted_ids, chosen_versions

    collect, passwords = new_collection(tmp_path, "sqlite")
    with collect.session() as session:
        _u, passwords["reviewer"] = create_user(session, "reviewer", REVIEWER)
        session.commit()
    app = collection_app(tmp_path / "data", tmp_path / "work")
    dept, reviewer = Browser(app), Browser(app)
    try:
        dept.login("450001", passwords["450001"])
        reviewer.login("reviewer", passwords["reviewer"])
        sid = int(dept.upload(department_workbook(tmp_path, "450001")).headers["location"].rsplit("/", 1)[1])
        dept.post(f"/s/{sid}/submit")
        reviewer.post(f"/s/{sid}/accept")
        settle(app)
        with collect.session() as session:
            assert accepted_ids(session) == {sid} and [c.name for c in chosen_versions(session)] == ["2025-450001.xlsx"]
        assert reviewer.post(f"/s/{sid}/return", {"note": "再改"}).status_code == 303
        with collect.session() as session:
            assert accepted_ids(session) == set() and chosen_versions(session) == []
    finally:
        dept.close()
        reviewer.close()
        collect.close()


def test_the_library_input_names_are_safe_file_names():
    from workbook_engine.collect.library import entry_name

    assert entry_name(2025, "450001") == "2025-450001.xlsx"
    assert entry_name(2025, "../x") == "2025-___x.xlsx"
    assert Path(entry_name(2025, "a/b")).name == entry_name(2025, "a/b")


@pytest.mark.parametrize("box", ["sqlite"], indirect=True)
def test_an_accepted_self_evaluation_replaces_the_goals_and_brings_the_actual_results(box):
    from .round_forms import fill_evaluation

    dept, reviewer, admin, tmp = box["b"]["450001"], box["b"]["reviewer"], box["b"]["admin"], box["tmp"]
    accepted(box, "450001")
    goals = api.library_info(box["data"] / "library")
    assert goals.evaluated == 0
    assert admin.post("/rounds/open", {"stage": "evaluation", "deadline": ""}).status_code == 303
    (tmp / "自评表.xlsx").write_bytes(dept.get("/dept/form/evaluation").content)
    fill_evaluation(tmp / "自评表.xlsx", tmp / "自评表-填好.xlsx", executed_share=0.8, half_of_first=2)
    response = dept.client.post("/dept/upload", data={"csrf": dept.csrf, "stage": "evaluation"},
                                files={"file": ("自评表-填好.xlsx", (tmp / "自评表-填好.xlsx").read_bytes(),
                                                "application/octet-stream")})
    assert response.status_code == 303, error_message(response.text)
    sid = int(response.headers["location"].rsplit("/", 1)[1])
    assert dept.post(f"/s/{sid}/submit").status_code == 303
    answer = reviewer.post(f"/s/{sid}/accept")
    assert answer.status_code == 303, error_message(answer.text)
    settle(box["app"])
    held = api.library_info(box["data"] / "library")
    assert held.inputs == 1 and held.indicators == goals.indicators  # the same goals, replaced, not added
    assert held.evaluated > 0  # the 自评 sheets' 实际完成值
    with box["collect"].session() as session:
        digest = session.get(Submission, sid).sha256
    assert held.files[0]["hash"] == digest[:24]
