"""Floors of the review on unseen tables (issue 24): measured figures minus a margin, per split."""

from benchmarks.review_quality import quality


def test_dev_split_floors():
    q = quality("dev")
    assert q.rows.recall >= 0.70 and q.rows.precision >= 0.90 and not q.rows.hard_errors


def test_frozen_test_split_floors():
    q = quality("test")
    assert q.rows.recall >= 0.90 and q.rows.precision >= 0.85 and not q.rows.hard_errors
    assert q.within_one_rate >= 0.9
