"""api.check: the one "validate, then review" composition (issue 21), with the county's configuration."""

from __future__ import annotations

import shutil
from pathlib import Path

from workbook_engine import api
from workbook_engine.findings import REVIEW_CODES
from workbook_engine.review import ReviewConfig, review
from workbook_engine.review.config import OFF
from workbook_engine.validation import Checked

from .conftest import SAMPLE


def _review_codes(checked: Checked) -> set[str]:
    return {f.code for f in checked.report.findings if f.code in REVIEW_CODES}


def test_check_reviews_by_default_and_keeps_the_review() -> None:
    checked = api.check(SAMPLE)
    assert checked.review is not None
    assert _review_codes(checked), "the sample has review findings"
    assert {f.code for f in checked.review.report.findings} == _review_codes(checked)
    assert checked.review.grades


def test_check_without_review_has_no_review_findings() -> None:
    checked = api.check(SAMPLE, review=False)
    assert checked.review is None
    assert not _review_codes(checked)


def test_check_applies_the_given_configuration() -> None:
    codes = _review_codes(api.check(SAMPLE))
    silenced = sorted(codes)[0]
    checked = api.check(SAMPLE, ReviewConfig(severity={silenced: OFF}))
    assert silenced not in _review_codes(checked)
    assert _review_codes(checked) == codes - {silenced}


def test_check_reads_wbe_toml_beside_the_workbook(tmp_path: Path) -> None:
    codes = _review_codes(api.check(SAMPLE))
    silenced = sorted(codes)[0]
    book = tmp_path / "book.xlsx"
    shutil.copyfile(SAMPLE, book)
    (tmp_path / "wbe.toml").write_text(f'[tool.workbook-engine.review]\noff = ["{silenced}"]\n', encoding="utf-8")
    assert silenced not in _review_codes(api.check(book))
    assert review(book).config.source == tmp_path / "wbe.toml"
    assert silenced not in {f.code for f in review(book).report.findings}
