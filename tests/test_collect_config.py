"""The county's review configuration in the collection box (issue 21): one wbe.toml, set at init and by an
administrator in the page, in the audit log; every submission checked with it exactly as `wbe validate`
checks the file with that wbe.toml beside it."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

pytest.importorskip("workbook_engine.web.app")

from workbook_engine.cli import app as cli_app
from workbook_engine.collect import config as county_config
from workbook_engine.collect.models import AuditEntry, Collection, Submission, User
from workbook_engine.collect.service import Collect
from workbook_engine.collect.workflow import upload
from workbook_engine.web import collection_tasks

from .collect_helpers import cheap_hashes, department_list, department_workbook, new_collection  # noqa: F401
from .collect_web import Browser, collection_app, error_message
from .conftest import SAMPLE

# WBE-R112 fires 73 times on the sample (a warning by default), WBE-R115 once: off, and an error.
COUNTY = """[tool.workbook-engine.review]
severity = { "WBE-R112" = "off", "WBE-R115" = "error" }
"""
FIELDS = ("code", "severity", "sheet", "cell", "message")


def cli_findings(tmp_path, config: str | None) -> list[tuple]:
    """`wbe validate --format json` of the sample with ``config`` as the wbe.toml beside it."""
    folder = tmp_path / ("cli-" + str(abs(hash(config))))
    folder.mkdir(exist_ok=True)
    shutil.copyfile(SAMPLE, folder / "book.xlsx")
    if config:
        (folder / "wbe.toml").write_text(config, encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["validate", str(folder / "book.xlsx"), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return [tuple(f[k] for k in FIELDS) for f in json.loads(result.output)["findings"]]


def page_findings(collect: Collect, submission: Submission) -> list[tuple]:
    analysis = collection_tasks.load_cached(collect.work / "analysis", submission.sha256, submission.config_sha256)
    assert analysis is not None
    return [tuple(f[k] for k in FIELDS) for f in analysis["findings"]]


def test_the_page_shows_exactly_what_wbe_validate_prints_with_the_countys_wbe_toml(tmp_path):
    collect, passwords = new_collection(tmp_path, "sqlite")
    admin_app = collection_app(tmp_path / "data", tmp_path / "work")
    admin, dept = Browser(admin_app), Browser(admin_app)
    try:
        assert admin.login("admin", passwords["admin"]).status_code == 303
        assert dept.login("450001", passwords["450001"]).status_code == 303
        bad = admin.post("/admin/config", {"config": "[tool.workbook-engine.review]\nseverity = { \"WBE-R999\" = \"off\" }"})
        assert bad.status_code == 400 and "WBE-R999" in error_message(bad.text) and "Traceback" not in bad.text
        assert admin.post("/admin/config", {"config": COUNTY}).status_code == 303
        assert "审核配置已保存" in admin.get("/admin?config=saved").text

        response = dept.upload(department_workbook(tmp_path, "450001"))
        assert response.status_code == 303, error_message(response.text)
        sid = int(response.headers["location"].rsplit("/", 1)[1])
        with collect.session() as session:
            submission = session.get(Submission, sid)
            county = page_findings(collect, submission)
            expected = cli_findings(tmp_path, COUNTY)
            assert county == expected  # the same findings, severities, cells and messages, in the same order
            assert not any(f[0] == "WBE-R112" for f in county)
            assert [f[1] for f in county if f[0] == "WBE-R115"] == ["error"]
            assert submission.errors == sum(1 for f in expected if f[1] == "error") == 1
            assert county != cli_findings(tmp_path, None)  # and the defaults would have given something else
        page = dept.get(f"/s/{sid}").text
        assert "WBE-R115" in page and "WBE-R112" not in page

        assert admin.post("/admin/config", {"config": ""}).status_code == 303  # back to the defaults
        again = dept.upload(department_workbook(tmp_path, "450001"))
        later = int(again.headers["location"].rsplit("/", 1)[1])
        with collect.session() as session:
            assert page_findings(collect, session.get(Submission, later)) == cli_findings(tmp_path, None)
            assert page_findings(collect, session.get(Submission, sid)) == expected  # kept what it was checked with
            details = [a.detail for a in session.scalars(select(AuditEntry).where(AuditEntry.action == "config"))]
            assert len(details) == 2 and "WBE-R115" in details[0] and details[1] == "审核配置恢复为默认配置"
            assert session.scalar(select(AuditEntry.username).where(AuditEntry.action == "config")) == "admin"
        # the findings cache is derived data: deleted, the page computes it again with the stored configuration
        shutil.rmtree(collect.work / "analysis")
        assert "WBE-R115" in dept.get(f"/s/{sid}").text
        assert "WBE-R112" not in dept.get(f"/s/{sid}").text
        assert not [p for p in collect.work.rglob("*") if p.is_file() and "analysis" not in p.parts and p.name != ".lock"]
    finally:
        admin.close()
        dept.close()
        collect.close()


def test_init_config_and_the_library_upload_use_the_countys_wbe_toml(tmp_path):
    from workbook_engine.collect.initialise import init_collection

    listed = department_list(tmp_path / "list.xlsx")
    broken = tmp_path / "broken.toml"
    broken.write_text("[tool.workbook-engine.review\n", encoding="utf-8")
    refused = CliRunner().invoke(cli_app, ["collect", "init", str(tmp_path / "d0"), "--year", "2025",
                                           "--departments", str(listed), "--config", str(broken)])
    assert refused.exit_code == 2 and refused.output.startswith("错误：") and "TOML" in refused.output
    assert not (tmp_path / "d0").exists()  # refused before anything was created
    good = tmp_path / "wbe.toml"
    good.write_text(COUNTY, encoding="utf-8")
    init_collection(tmp_path / "data", 2025, listed, passwords=tmp_path / "p.xlsx", config=good)
    collect = Collect(tmp_path / "data")
    try:
        with collect.writer() as session:
            collection = session.scalar(select(Collection))
            assert county_config.text_of(collect, collection.config_sha256) == COUNTY
            assert "审核配置" in session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "init"))
            staff = session.scalar(select(User).where(User.username == "450001"))
            stored = upload(collect, session, staff, "a.xlsx", SAMPLE.read_bytes())
            expected = cli_findings(tmp_path, COUNTY)
            assert [tuple(f[k] for k in FIELDS) for f in stored.report["findings"]] == expected
            assert stored.errors == 1 and stored.config_sha256 == collection.config_sha256
    finally:
        collect.close()


def test_the_config_text_is_checked_as_wbe_validate_checks_it():
    for text, expected in (("[tool.workbook-engine.review]\noff = \"WBE-R112\"", "off 应是代码列表"),
                           ("x = ", "TOML"), ("[tool.workbook-engine.review]\nbogus = 1", "bogus")):
        with pytest.raises(county_config.ConfigRefused, match=re.escape(expected)):
            county_config.validate_text(text)
    county_config.validate_text(COUNTY)
