"""check_many (one pandera pass over several workbooks, as merge reads its inputs) finds exactly what
check finds for each workbook alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbook_engine.validation import check, check_many

from .conftest import SAMPLE
from .workbooks import edited, set_cells


def _without_column(letter: str):
    def apply(workbook) -> None:
        workbook["项目"].delete_cols(ord(letter) - ord("A") + 1)
    return apply


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("check-many")
    broken = edited(SAMPLE, folder / "broken.xlsx", set_cells({
        "部门目标": {"A2": "45", "C3": 1999, "D4": "不是类别"},
        "项目": {"C2": "BADCODE", "F3": -1, "G4": 12.345, "J5": 1.5},
        "指标": {"D2": "不是指标", "E3": None, "C4": 0},
    }))
    also_broken = edited(SAMPLE, folder / "also-broken.xlsx", set_cells({
        "项目": {"F2": -5, "C3": None}, "指标": {"B5": "130225"},
    }))
    missing_column = edited(SAMPLE, folder / "missing-column.xlsx", _without_column("F"))
    return [broken, SAMPLE, also_broken, missing_column, broken]


def _findings(checked) -> list[dict]:
    return [f.to_dict() for f in checked.report.findings]


def test_check_many_finds_what_check_finds_alone(inputs):
    together = check_many(inputs)
    assert len(together) == len(inputs)
    for path, result in zip(inputs, together):
        alone = check(path)
        assert _findings(result) == _findings(alone), path.name
        assert result.book.projects == alone.book.projects
    codes = {f["code"] for f in _findings(together[0])}
    # The broken inputs do fail the schema checks (the comparison above is not between empty lists).
    assert {"WBE-E017", "WBE-E018", "WBE-E012", "WBE-E013", "WBE-E023"} <= codes
    assert not together[1].report.errors


def test_check_many_reports_each_read(inputs):
    seen: list[tuple[int, str]] = []
    check_many(inputs[:3], on_read=lambda number, path: seen.append((number, Path(path).name)))
    assert seen == [(0, "broken.xlsx"), (1, SAMPLE.name), (2, "also-broken.xlsx")]
