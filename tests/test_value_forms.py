"""Issue 11 §1: every 指标值 form finance bureaus accept parses into a documented kind and validates with no
error (WBE-E040 only for an operator followed by nothing usable). One workbook holds every form, one row each;
each form is its own test case on that shared workbook."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from workbook_engine.api import read_book, validate
from workbook_engine.canonical_writer import write_book
from workbook_engine.model import Book
from workbook_engine.values import VALUE_KINDS, is_deadline, is_duration, is_money, parse_indicator_value, unit_cost

from .conftest import SAMPLE

# (指标值, the 二级指标 it is written under, kind, operator, number, unit)
FORMS = [
    # graded classes and standards
    ("≥Ⅳ类", "质量指标", "class", "≥", None, ""),
    ("≥Ⅲ类", "质量指标", "class", "≥", None, ""),
    ("达到Ⅲ类", "质量指标", "class", "=", None, ""),
    ("不低于Ⅲ类标准", "质量指标", "class", "≥", None, ""),
    ("达到GB 3838-2002 Ⅲ类标准", "生态效益指标", "class", "=", None, ""),
    ("达到国家二级标准", "生态效益指标", "class", "=", None, ""),
    ("达到一级A标准", "生态效益指标", "class", "=", None, ""),
    ("≥二级", "质量指标", "class", "≥", None, ""),
    ("AAA级", "质量指标", "class", None, None, ""),
    # graded qualitative values
    ("≥良好", "质量指标", "grade", "≥", None, ""),
    ("≥较好", "社会效益指标", "grade", "≥", None, ""),
    ("达到合格等级", "质量指标", "grade", "=", None, ""),
    ("好", "社会效益指标", "grade", None, None, ""),
    ("较好", "可持续影响指标", "grade", None, None, ""),
    ("合格", "质量指标", "grade", None, None, ""),
    ("达标", "质量指标", "grade", None, None, ""),
    # budget-bound costs: one kind whatever the spelling
    ("≤预算数", "成本指标", "budget", "≤", None, "预算数"),
    ("≤预算", "成本指标", "budget", "≤", None, "预算数"),
    ("≤批复预算", "成本指标", "budget", "≤", None, "预算数"),
    ("不超过预算数", "成本指标", "budget", "≤", None, "预算数"),
    ("控制在预算内", "成本指标", "budget", "≤", None, "预算数"),
    ("不超预算", "成本指标", "budget", "≤", None, "预算数"),
    # unit costs
    ("≤710元/亩", "成本指标", "quantitative", "≤", "710", "元/亩"),
    ("≤750元/人次", "成本指标", "quantitative", "≤", "750", "元/人次"),
    ("≤1.04元/吨", "成本指标", "quantitative", "≤", "1.04", "元/吨"),
    ("=94元/人", "成本指标", "quantitative", "=", "94", "元/人"),
    # Chinese numerals and words
    ("≥百分之九十五", "质量指标", "quantitative", "≥", "95", "%"),
    ("≥十二次", "数量指标", "quantitative", "≥", "12", "次"),
    ("不少于12次", "数量指标", "quantitative", "≥", "12", "次"),
    ("不低于95%", "质量指标", "quantitative", "≥", "95", "%"),
    ("＞90%", "质量指标", "quantitative", ">", "90", "%"),
    ("≥95％", "质量指标", "quantitative", "≥", "95", "%"),
    # deadlines and durations
    ("2024年12月31日前", "时效指标", "deadline", None, "2024", "年12月31日前"),
    ("12月底前", "时效指标", "deadline", None, "12", "月底前"),
    ("当年完成", "时效指标", "deadline", None, None, ""),
    ("12个月", "时效指标", "quantitative", None, "12", "个月"),
    ("≤24小时", "时效指标", "quantitative", "≤", "24", "小时"),
    ("全年", "时效指标", "deadline", None, None, ""),
]
FIRST_ROW = 83  # the sample's 指标 sheet ends at row 82; the forms follow, one row each


@pytest.fixture(scope="module")
def forms_report(tmp_path_factory):
    """The sample with every form appended to its first project (distinct 三级 names), validated once."""
    sample = read_book(SAMPLE)
    template = sample.indicators[0]
    level1_of = {"数量指标": "产出指标", "质量指标": "产出指标", "时效指标": "产出指标", "成本指标": "产出指标",
                 "社会效益指标": "效益指标", "生态效益指标": "效益指标", "可持续影响指标": "效益指标"}
    added = [dataclasses.replace(template, seq=10 + n, level1=level1_of[level2], level2=level2,
                                 level3=f"写法{n}", description=f"反映写法{n}的指标", value=value)
             for n, (value, level2, *_rest) in enumerate(FORMS)]
    book = Book(sample.goals, sample.projects, [*sample.indicators, *added])
    path = tmp_path_factory.mktemp("forms") / "forms.xlsx"
    write_book(book, path)
    return validate(path, review=True)


@pytest.mark.parametrize("n", range(len(FORMS)), ids=[f[0] for f in FORMS])
def test_form_validates_without_error(forms_report, n):
    value, _level2, kind, operator, number, unit = FORMS[n]
    row = FIRST_ROW + n
    errors = [(f.code, f.message) for f in forms_report.errors if f.row == row]
    assert errors == [], value
    parsed = parse_indicator_value(value)
    assert (parsed.kind, parsed.operator, parsed.unit) == (kind, operator, unit)
    assert parsed.number == (Decimal(number) if number else None)
    assert kind in VALUE_KINDS


def test_forms_workbook_has_no_errors_at_all(forms_report):
    assert forms_report.errors == [] and forms_report.valid


def test_form_helpers():
    assert unit_cost(parse_indicator_value("≤710元/亩")) == (Decimal(710), "元", "亩")
    assert is_money(parse_indicator_value("≤1.04元/吨")) and is_money(parse_indicator_value("≤200万元"))
    assert not is_money(parse_indicator_value("≤95%"))
    assert is_deadline(parse_indicator_value("全年")) and is_deadline(parse_indicator_value("当年完成"))
    assert is_duration(parse_indicator_value("12个月")) and is_duration(parse_indicator_value("≤24小时"))
    assert parse_indicator_value("≥百分之百").number == 100
    assert parse_indicator_value("≥两千人次").number == 2000
    assert parse_indicator_value("预算成本").kind == "qualitative"  # the seed's wording is not a bound
    assert parse_indicator_value("一般").kind == "grade" and parse_indicator_value("一致").kind == "qualitative"
    assert parse_indicator_value("不低于上年水平").kind == "qualitative"
    assert is_deadline(parse_indicator_value("2025年11月30日前完成资金支付"))  # as 原州区 publishes it
    assert unit_cost(parse_indicator_value("≤28.40/株")) == (Decimal("28.40"), "元", "株")  # 元 implied (同心县)
    assert parse_indicator_value("≥两万人").number == 20000


@pytest.mark.parametrize("value", ["≥", "≥**天", "≥%", "≤XX万元", "不低于次"])
def test_operator_followed_by_nothing_is_still_malformed(value):
    assert parse_indicator_value(value).kind == "malformed"
