"""Excel 97-2003 (.xls) and WPS (.et) workbooks read directly (issue 26, io/legacy.py): the sample saved as
.xls by LibreOffice validates and renders as the .xlsx does, outputs are .xlsx, the input is never changed
and no private copy is left behind."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from workbook_engine.api import read_book, validate
from workbook_engine.errors import InputError
from workbook_engine.io.guard import inspect_xlsx

from .conftest import SAMPLE, libreoffice_convert, needs_soffice, run_cli
from .web_helpers import finding_rows, upload

pytestmark = [needs_soffice, pytest.mark.libreoffice]


@pytest.fixture(scope="module")
def legacy(tmp_path_factory) -> dict[str, Path]:
    """The sample as LibreOffice saves it in Excel 97-2003 format, and that file named as WPS saves it
    (WPS 表格's .et is the same BIFF8 container)."""
    folder = tmp_path_factory.mktemp("legacy")
    xls = libreoffice_convert(SAMPLE, "xls", folder)
    et = folder / "部门目标.et"
    shutil.copy(xls, et)
    return {"xls": xls, "et": et}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["xls", "et"])
def test_a_legacy_copy_has_the_findings_of_the_xlsx_and_says_how_it_was_read(legacy, kind):
    source = legacy[kind]
    before = _digest(source)
    expected = validate(SAMPLE, review=True)
    report = validate(source, review=True)
    noted = [f for f in report.findings if f.code == "WBE-W028"]
    assert len(noted) == 1 and (".xls" if kind == "xls" else ".et") in noted[0].message
    assert "写出的文件" in noted[0].message and ".xlsx" in noted[0].message and "原文件不变" in noted[0].message
    rest = [(f.code, f.sheet, f.cell, f.message) for f in report.findings if f.code != "WBE-W028"]
    assert rest == [(f.code, f.sheet, f.cell, f.message) for f in expected.findings]
    assert _digest(source) == before


def test_a_legacy_copy_reads_as_the_same_book(legacy):
    assert read_book(legacy["et"]) == read_book(SAMPLE)


def test_the_private_copy_keeps_hidden_sheets_and_is_not_the_users_file(legacy):
    inspection = inspect_xlsx(legacy["xls"])
    assert inspection.path == legacy["xls"] and inspection.copy is not None and inspection.copy.suffix == ".xlsx"
    assert inspection.readable == inspection.copy != legacy["xls"]
    copy = openpyxl.load_workbook(inspection.copy)
    original = openpyxl.load_workbook(SAMPLE)
    assert copy.sheetnames == original.sheetnames
    assert [copy[n].sheet_state for n in copy.sheetnames] == [original[n].sheet_state for n in original.sheetnames]


def test_render_of_a_wps_file_matches_the_xlsx_cell_by_cell(legacy, tmp_path):
    for name, source in (("from-xlsx", SAMPLE), ("from-et", legacy["et"])):
        result = run_cli("render", source, "-o", f"{tmp_path / name}/")
        assert result.returncode == 0, result.stderr
    [expected] = (tmp_path / "from-xlsx").glob("*.xlsx")
    [rendered] = (tmp_path / "from-et").glob("*.xlsx")
    assert rendered.name == expected.name
    want, got = openpyxl.load_workbook(expected), openpyxl.load_workbook(rendered)
    assert got.sheetnames == want.sheetnames
    for name in want.sheetnames:
        assert [list(r) for r in got[name].iter_rows(values_only=True)] == \
               [list(r) for r in want[name].iter_rows(values_only=True)], name
        assert sorted(map(str, got[name].merged_cells.ranges)) == sorted(map(str, want[name].merged_cells.ranges))


def test_outputs_of_a_legacy_input_are_xlsx(legacy, tmp_path):
    annotated = tmp_path / "批注.xlsx"
    result = run_cli("validate", legacy["xls"], "--annotate", annotated)
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(annotated)
    assert book.sheetnames[0] == "校验结果" and "部门目标" in book.sheetnames
    refused = run_cli("validate", legacy["xls"], "--annotate", tmp_path / "批注.xls")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and ".xlsx" in refused.stderr
    same = run_cli("diff", SAMPLE, legacy["et"])
    assert same.returncode == 0 and "两个工作簿内容相同" in same.stdout, same.stdout + same.stderr


def test_no_private_copy_outlives_the_command_in_workers_or_not(legacy, tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    folder = tmp_path / "departments"
    folder.mkdir()
    for n in range(4):
        shutil.copy(legacy["xls"], folder / f"{n}.xls")
    env = {**os.environ, "TMPDIR": str(temp), "WBE_WORKERS": "2"}
    for args in (["validate", str(legacy["xls"])], ["merge", *map(str, sorted(folder.iterdir())), "-o",
                                                      str(tmp_path / "合并.xlsx")]):
        result = subprocess.run([sys.executable, "-m", "workbook_engine", *args], capture_output=True, text=True,
                                env=env, timeout=300)
        assert result.returncode == 0, result.stderr
        assert list(temp.iterdir()) == [], args
    assert (tmp_path / "合并.xlsx").is_file()


def test_a_file_of_that_container_that_is_no_workbook_is_one_line(tmp_path):
    text = tmp_path / "说明.txt"
    text.write_text("这不是表格。\n", encoding="utf-8")
    doc = libreoffice_convert(text, "doc", tmp_path)  # a Word 97 document: the same OLE container
    named = tmp_path / "说明.xls"
    shutil.copy(doc, named)
    for path in (doc, named):
        result = run_cli("validate", path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert str(path) in result.stderr and "另存为" in result.stderr
    with pytest.raises(InputError):
        read_book(named)


def test_the_page_takes_an_xls_upload(legacy, tmp_path):
    from starlette.testclient import TestClient

    from workbook_engine.web.app import create_app

    app = create_app(executor="thread", workers=1, work_dir=tmp_path / "web")
    with TestClient(app) as client:
        page = upload(client, legacy["xls"], "部门目标.xls")
        assert page.status_code == 200, page.text[:300]
        codes = {row["code"] for row in finding_rows(page.text)}
        assert "WBE-W028" in codes
