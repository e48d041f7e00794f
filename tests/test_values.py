"""The value parsers other code relies on: 指标值, percentages, money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workbook_engine.values import (
    decimals_of,
    parse_indicator_value,
    parse_number,
    parse_percent_cell,
    resolve_plan,
    to_cents,
)


@pytest.mark.parametrize("text,kind,operator,number,unit", [
    ("≥12次", "quantitative", "≥", "12", "次"),
    ("=100%", "quantitative", "=", "100", "%"),
    ("≥2000人次", "quantitative", "≥", "2000", "人次"),
    ("≤4.5万元", "quantitative", "≤", "4.5", "万元"),
    (">=95％", "quantitative", "≥", "95", "%"),
    ("＞９０%", "quantitative", ">", "90", "%"),
    ("不低于90%", "quantitative", "≥", "90", "%"),
    ("≥ 5 年", "quantitative", "≥", "5", "年"),
    ("100%", "quantitative", None, "100", "%"),
    ("2024年12月底前", "deadline", None, "2024", "年12月底前"),
    ("12月31日前", "deadline", None, "12", "月31日前"),
    ("按时完成", "qualitative", None, None, ""),
    ("≥**天", "malformed", "≥", None, "**天"),
    ("", "empty", None, None, ""),
])
def test_indicator_values(text, kind, operator, number, unit):
    value = parse_indicator_value(text)
    assert (value.kind, value.operator, value.unit) == (kind, operator, unit)
    assert value.number == (Decimal(number) if number else None)
    assert value.text == text


def test_percent_rows():
    cells = [parse_percent_cell(v) for v in (0.25, 0.5, 0.75, 1)]
    assert resolve_plan(cells) == ([Decimal(25), Decimal(50), Decimal(75), Decimal(100)], False)
    cells = [parse_percent_cell(v) for v in ("25%", "50％", 75, 100)]
    assert resolve_plan(cells) == ([Decimal(25), Decimal(50), Decimal(75), Decimal(100)], False)
    points, ambiguous = resolve_plan([parse_percent_cell(v) for v in (0.25, 50, 75, 100)])
    assert ambiguous and points[0] == Decimal("0.25")
    assert parse_percent_cell("一季度").style == "invalid"


def test_money():
    assert parse_number("１,２００.50 万元").value == Decimal("1200.50")
    assert parse_number("200.00").from_text and not parse_number(200.0).from_text
    assert parse_number("二百").error and parse_number(True).error
    assert decimals_of(Decimal(repr(0.1 + 0.2))) == 1
    assert decimals_of(Decimal("200.123")) == 3
    assert to_cents(Decimal("606.18")) == 60618 and to_cents(None) == 0
