"""Floors of the review on unseen tables (issue 24): measured figures minus a margin, per split, rows and grades
(docs/review-rules.md, 准确率: dev exact 80 %, test exact 80 %, both within one step 100 %)."""

from benchmarks.review_quality import quality


def test_dev_split_floors():
    q = quality("dev")
    assert q.rows.recall >= 0.80 and q.rows.precision >= 0.90 and not q.rows.hard_errors
    assert q.exact_rate >= 0.75 and q.within_one_rate == 1.0, q.disagreements


def test_frozen_test_split_floors():
    q = quality("test")
    assert q.rows.recall >= 0.90 and q.rows.precision >= 0.85 and not q.rows.hard_errors
    assert q.exact_rate >= 0.75 and q.within_one_rate == 1.0, q.disagreements
