"""Issue 15 (merge): the cheaper check of the written merge keeps its guarantee — the findings are those
``wbe validate`` gives of the output, and a file that does not read back as planned is never put in place."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest

from workbook_engine.api import merge, read_book, validate
from workbook_engine.canonical_writer import write_book
from workbook_engine.errors import OutputError
from workbook_engine.merge.verify import check_written

from .conftest import SAMPLE
from .workbooks import edited, set_cells


def _findings(report):
    return [(f.code, f.severity, f.sheet, f.cell, f.message) for f in report.findings]


def test_merged_findings_are_those_of_validating_the_output(tmp_path):
    broken = edited(SAMPLE, tmp_path / "坏.xlsx", set_cells({"项目": {"F3": 41, "G4": 1000}}))
    out = tmp_path / "out.xlsx"
    outcome = merge([broken], out, force=True)
    assert outcome.written and not outcome.result_report.valid
    again = validate(out, review=False)
    assert _findings(outcome.result_report) == _findings(again) and len(again.errors) == 2


def test_a_file_that_does_not_read_back_as_planned_is_refused(tmp_path):
    book = read_book(SAMPLE)
    written = tmp_path / "written.xlsx"
    write_book(book, written)
    assert check_written(written, book, tmp_path / "out.xlsx").report.valid
    planned = copy.deepcopy(book)
    planned.projects[3].budget += Decimal("0.01")
    with pytest.raises(OutputError, match=r"out\.xlsx：.*工作表“项目”第 5 行"):
        check_written(written, planned, tmp_path / "out.xlsx")
    fewer = copy.deepcopy(book)
    fewer.indicators.pop()
    with pytest.raises(OutputError, match="工作表“指标”"):
        check_written(written, fewer, tmp_path / "out.xlsx")


def test_extra_columns_are_compared_too(tmp_path):
    book = read_book(SAMPLE)
    book.projects[0].extra = {"备注": "保留", "页码": 3}
    written = tmp_path / "written.xlsx"
    write_book(book, written)
    assert check_written(written, book).book == book
    changed = copy.deepcopy(book)
    changed.projects[0].extra = {"备注": "保留", "页码": 4}
    with pytest.raises(OutputError, match="第 2 行"):
        check_written(written, changed)


def test_a_refused_check_leaves_no_output(tmp_path, monkeypatch):
    import workbook_engine.merge.verify as verify

    out = tmp_path / "out.xlsx"

    def differs(path: Path, planned, shown_as=None):
        raise OutputError(f"{shown_as}：合并结果读回后与合并内容不一致")

    monkeypatch.setattr(verify, "check_written", differs)
    with pytest.raises(OutputError):
        merge([SAMPLE], out)
    assert not out.exists() and list(tmp_path.iterdir()) == []
