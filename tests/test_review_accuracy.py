"""Issue 11 §4: the review rules measured on the labelled set (tests/data/, sources in its README) meet the
targets: no hard error on an acceptable row, recall ≥ 80%, precision ≥ 85%; and the set covers every rule."""

from __future__ import annotations

import csv

import pytest

from benchmarks import review_accuracy
from workbook_engine.validation.codes import REVIEW

NEW_RULES = {"WBE-R116", "WBE-R117", "WBE-R118", "WBE-R119", "WBE-R127", "WBE-R136", "WBE-R137", "WBE-R138"}


@pytest.fixture(scope="module")
def measured():
    return review_accuracy.measure()


def test_targets_on_the_labelled_set(measured):
    assert measured.hard_errors == []
    assert measured.recall >= review_accuracy.TARGETS["recall"], measured.misses
    assert measured.precision >= review_accuracy.TARGETS["precision"], measured.alarms
    assert measured.meets_targets()


def test_labelled_set_is_large_enough_and_covers_every_new_rule(measured):
    assert measured.rows >= 150 and measured.acceptable * 3 >= measured.rows
    assert NEW_RULES <= set(measured.labelled)
    assert set(measured.labelled) <= set(REVIEW)
    with open(review_accuracy.INDICATORS, encoding="utf-8") as handle:
        sources = {row["source"] for row in csv.DictReader(handle)}
    readme = (review_accuracy.DATA / "README.md").read_text(encoding="utf-8")
    assert all(f"`{key}`" in readme for key in sources)


def test_docs_show_the_measured_table(measured):
    doc = review_accuracy.DOCS.read_text(encoding="utf-8")
    shown = doc.split(review_accuracy.START)[1].split(review_accuracy.END)[0].strip()
    assert shown == review_accuracy.table(measured)


def test_a_mislabelled_row_counts_as_a_miss_and_a_false_alarm(tmp_path):
    """The measurement itself can fail: label an acceptable row with a code and a flagged row as acceptable."""
    with open(review_accuracy.INDICATORS, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    good = next(i for i, r in enumerate(rows) if not r["expected"])
    bad = next(i for i, r in enumerate(rows) if r["expected"] == "WBE-R137")
    rows[good]["expected"], rows[bad]["expected"] = "WBE-R137", ""
    path = tmp_path / "indicators.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    m = review_accuracy.measure(path)
    assert m.found["WBE-R137"] == m.labelled["WBE-R137"] - 1 and m.false_alarms["WBE-R137"] == 1
