"""As a user would: the workbook opened and re-saved by a real spreadsheet program (LibreOffice)."""

from __future__ import annotations

import pytest

from workbook_engine.api import read_book, validate

from .conftest import SAMPLE, libreoffice_convert, needs_soffice

pytestmark = [needs_soffice, pytest.mark.libreoffice]


def test_resaved_sample_validates_the_same(tmp_path):
    resaved = libreoffice_convert(SAMPLE, "xlsx", tmp_path / "lo")
    assert validate(resaved, review=False).findings == validate(SAMPLE, review=False).findings == []
    assert validate(resaved, review=True).findings == validate(SAMPLE, review=True).findings
    assert read_book(resaved) == read_book(SAMPLE)


def test_resaved_broken_workbook_has_the_same_findings(edit_sample, tmp_path):
    broken = edit_sample({"项目": {"F2": 201, "K2": 0.2}, "指标": {"H4": "≥**天", "E3": "经济效益指标"}})
    resaved = libreoffice_convert(broken, "xlsx", tmp_path / "lo")
    ours, theirs = validate(broken, review=True), validate(resaved, review=True)
    assert [(f.code, f.sheet, f.cell, f.value) for f in theirs.findings] == \
           [(f.code, f.sheet, f.cell, f.value) for f in ours.findings]
    assert {"WBE-E030", "WBE-E031", "WBE-E040", "WBE-E024"} <= set(ours.codes())
