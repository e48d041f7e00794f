"""Next year from this year (issue 22): `wbe new NEXT --from BOOK --year 2025`, and WBE-R230 on weaker targets."""

from __future__ import annotations

import json

import pytest

from workbook_engine.api import read_book, validate
from workbook_engine.canonical_writer import write_book
from workbook_engine.model import Book
from workbook_engine.review.year_rules import weaker_than
from workbook_engine.year_next import next_code, next_year, with_reference

from .conftest import SAMPLE, run_cli
from .year_books import filled_year

P1 = "13022524P00CL0E10035D"


@pytest.fixture(scope="module")
def sample() -> Book:
    return read_book(SAMPLE)


def test_next_year_from_the_filled_sample_validates_and_flags_a_weakened_target(sample, tmp_path):
    book = filled_year(sample)
    experts = next(r for r in book.evaluation_indicators if r.project_code == P1 and r.level3 == "组织专家审查次数")
    experts.actual = "15次"  # ≥12次 met with 15: next year's ≥12次 is weaker than the actual
    left_out = next(r for r in book.evaluation_indicators if r.project_code == P1 and r.level3 == "满意率")
    left_out.actual = "不适用"
    this_year = tmp_path / "2024.xlsx"
    write_book(book, this_year)
    nxt = tmp_path / "2025.xlsx"
    result = run_cli("new", nxt, "--from", this_year, "--year", "2025")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "项目编码按 2025 年重新编号（9 个" in result.stdout
    assert f"{P1} → 13022525P00CL0E10035D" in result.stdout
    new = read_book(nxt)
    assert {g.year for g in new.goals} == {2025}
    assert [p.code[6:8] for p in new.projects] == ["25"] * 9
    assert len(new.indicators) == len(sample.indicators) and not new.has_year_sheets()
    assert [p.budget for p in new.projects] == [p.budget for p in sample.projects]
    carried = {(i.project_code, i.level3): i for i in new.indicators}
    first = carried[("13022525P00CL0E10035D", "组织专家审查次数")]
    assert (first.value, first.basis) == ("≥12次", "根据年初工作计划安排；2024年实际完成值：15次")
    assert carried[("13022525P00CL0E10035D", "满意率")].basis == "根据年初工作计划安排"  # 不适用: no reference
    assert validate(nxt, review=False).findings == []
    review = run_cli("review", nxt, "--format", "json")
    flagged = [f for f in json.loads(review.stdout)["findings"] if f["code"] == "WBE-R230"]
    assert [(f["cell"], f["value"]) for f in flagged] == [("H2", "≥12次")]
    assert "低于上年实际完成值“15次”" in flagged[0]["message"]


def test_the_source_is_never_replaced_and_year_is_required(sample, tmp_path):
    src = tmp_path / "2024.xlsx"
    write_book(filled_year(sample), src)
    assert run_cli("new", src, "--from", src, "--year", "2025").returncode == 2
    missing = run_cli("new", tmp_path / "x.xlsx", "--from", src)
    assert missing.returncode == 2 and "--year" in missing.stderr


def test_codes_references_and_deadlines():
    assert next_code("13022524P00CL0E10035D", 2025) == "13022525P00CL0E10035D"
    assert next_code("13022525P00CL0E10035D", 2025) is None and next_code("XM-001", 2025) is None
    assert with_reference("", 2024, "12次") == "2024年实际完成值：12次"
    assert with_reference("计划标准；2024年实际完成值：10次", 2024, "12次") == "计划标准；2024年实际完成值：12次"
    book = read_book(SAMPLE)
    book.indicators[2].value = "2024年12月底前"
    moved = next_year(book, 2025)
    assert moved.book.indicators[2].value == "2025年12月底前"
    assert moved.deadlines == [("13022525P00CL0E10035D", "2024年12月底前", "2025年12月底前")]
    assert book.indicators[2].value == "2024年12月底前"  # the source book is not changed


@pytest.mark.parametrize(("target", "actual", "weaker"), [
    ("≥12次", "15次", True), ("≥12次", "12次", False), ("≥95%", "98%", True), ("≤30天", "20天", True),
    ("≤30天", "35天", False), ("=100%", "100%", False), ("按时完成", "按时完成", False), ("≥12次", "15人", False),
])
def test_weaker_than_is_direction_aware(target, actual, weaker):
    assert weaker_than(target, actual) is weaker


def test_a_reference_of_another_year_is_not_last_years(sample, tmp_path):
    book = read_book(SAMPLE)
    book.indicators[0].basis = "2022年实际完成值：20次"
    out = tmp_path / "b.xlsx"
    write_book(book, out)
    assert "WBE-R230" not in {f.code for f in validate(out, review=True).findings}
    book.indicators[0].basis = "2023年实际完成值：20次"
    write_book(book, out, overwrite=True)
    assert "WBE-R230" in {f.code for f in validate(out, review=True).findings}


def test_review_shows_the_self_evaluation_grade_beside_the_goal_setting_grade(sample, tmp_path):
    from .test_scoring import evaluated

    out = tmp_path / "自评.xlsx"
    write_book(evaluated(sample), out)
    text = run_cli("review", out)
    assert "13022524P00CL0E10035D 安全生产专家会诊服务费：目标审核" in text.stdout
    assert "绩效自评 85.44 分，良" in text.stdout and "绩效自评 87.97 分，良" in text.stdout
    data = json.loads(run_cli("review", out, "--format", "json").stdout)
    assert [(v["code"], v["evaluation_total"], v["evaluation_grade"]) for v in data["year"]] == [
        (P1, 85.44, "良"), ("13022524P00CL0E10037L", 87.97, "良")]
    grades = {g["code"]: g["grade"] for g in data["projects"]}
    assert data["year"][0]["review_grade"] == grades[P1]
    assert json.loads(run_cli("review", SAMPLE, "--format", "json").stdout)["year"] == []
