"""The budget year's checks in `wbe validate` (issue 22): 运行监控 with seeded deviations, 自评 problems."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workbook_engine.api import read_book, validate
from workbook_engine.canonical_writer import write_book
from workbook_engine.findings import CATALOGUE
from workbook_engine.model import Book
from workbook_engine.validation.year_rules import RULE_CODES, falls_short, parse_period, planned_share

from .conftest import SAMPLE, run_cli
from .year_books import filled_year

P1, P2, P3 = "13022524P00CL0E10035D", "13022524P00CL0E10037L", "13022524P00CL0E10034R"


@pytest.fixture(scope="module")
def sample() -> Book:
    return read_book(SAMPLE)


def indicator(rows: list, code: str, level3: str):
    return next(r for r in rows if r.project_code == code and r.level3 == level3)


def project(rows: list, code: str):
    return next(r for r in rows if r.project_code == code)


def seeded_monitoring(sample: Book) -> Book:
    """The sample's 1-7月 monitoring as staff fill it, with eight seeded deviations (and look-alikes that are fine)."""
    book = filled_year(sample)
    book.evaluation_projects, book.evaluation_indicators = [], []
    project(book.monitor_projects, P1).executed = Decimal("80.00")  # 40 % against a plan of 56.25 %: W236
    project(book.monitor_projects, P2).executed = Decimal("45.00")  # above 全年预算数 40.00: E235
    project(book.monitor_projects, P3).period = "1-6月"  # not the county's 1-7月: E234
    project(book.monitor_projects, "13022524P00CL0E10039U").executed = Decimal("23.00")  # 46 %: 10.25 behind, W236
    project(book.monitor_projects, "13022524P00CL0E100361").executed = Decimal("22.00")  # 47.8 %: 8.4 behind, fine
    short = indicator(book.monitor_indicators, P1, "组织专家审查次数")  # ≥12次, 10次 expected, no cause: E237
    short.progress, short.expected = "6次", "10次"
    explained = indicator(book.monitor_indicators, P2, "维修视频监控")  # ≥5次, 4次 with a cause: fine
    explained.expected, explained.deviation_causes, explained.deviation_note = "4次", "经费保障、人员保障", "资金晚到位"
    placeholder = indicator(book.monitor_indicators, P1, "满意率")  # ≥95%, 90% expected, cause 无偏差: E237
    placeholder.expected, placeholder.deviation_causes = "90%", "无偏差"
    above = indicator(book.monitor_indicators, P2, "参会人员满意度")  # ≥95%, 98% expected: fine
    above.expected = "98%"
    impossible = indicator(book.monitor_indicators, P3, "抽查企业数量")  # 完全不可能 with a cause, no 纠偏: E238
    impossible.expected, impossible.likelihood, impossible.deviation_causes = "20家", "完全不可能", "人员保障"
    changed = indicator(book.monitor_indicators, P3, "监管覆盖率")  # the goal changed in the form: E232
    changed.target = "≥90%"
    choice = indicator(book.monitor_indicators, P1, "提高效率")  # 能 is not a choice: E233
    choice.likelihood = "能"
    return book


SEEDED = {
    ("WBE-W236", "监控项目", "F2"), ("WBE-E235", "监控项目", "F3"), ("WBE-E234", "监控项目", "C4"),
    ("WBE-W236", "监控项目", "F5"), ("WBE-E237", "监控指标", "I2"), ("WBE-E237", "监控指标", "I10"),
    ("WBE-E238", "监控指标", "L20"), ("WBE-E232", "监控指标", "F21"), ("WBE-E233", "监控指标", "K6"),
}


def test_monitoring_finds_exactly_the_seeded_deviations(sample, tmp_path):
    out = tmp_path / "监控.xlsx"
    write_book(seeded_monitoring(sample), out)
    report = validate(out, review=False)
    assert {(f.code, f.sheet, f.cell) for f in report.findings} == SEEDED
    by_cell = {f.cell: f.message for f in report.findings if f.sheet == "监控项目"}
    assert "截至 7月末，按项目的资金支出计划应支出约 56.25%，实际执行 40%（80.00 / 200.00 万元），落后 16.25 个百分点" in by_cell["F2"]
    assert "执行数 45.00 万元超过全年预算数 40.00 万元" in by_cell["F3"]
    assert "“1-6月”与本县规定的监控期间 1-7月 不同" in by_cell["C4"]
    messages = {f.cell: f.message for f in report.findings if f.sheet == "监控指标"}
    assert "全年预计完成“10次”达不到年度指标值“≥12次”" in messages["I2"]
    assert "指标表的指标值“≥95%”" in messages["F21"]


def test_the_county_sets_its_period_and_threshold_in_wbe_toml(sample, tmp_path):
    book = seeded_monitoring(sample)
    for row in book.monitor_projects:
        row.period = "1-6月"
    out = tmp_path / "监控.xlsx"
    write_book(book, out)
    (tmp_path / "wbe.toml").write_text('[tool.workbook-engine.year]\nmonitor-period = "1-6月"\n'
                                       "behind-plan-points = 20\n", encoding="utf-8")
    found = {(f.code, f.cell) for f in validate(out, review=False).findings if f.sheet == "监控项目"}
    # 1-6月 plan is 50 %: P1 at 40 % is 10 points behind, within 20; no period finding.
    assert found == {("WBE-E235", "F3")}
    (tmp_path / "wbe.toml").write_text('[tool.workbook-engine.year]\nmonitor-period = "六月"\n', encoding="utf-8")
    result = run_cli("validate", out)
    assert result.returncode == 2 and "monitor-period" in result.stderr


def test_plan_interpolation_and_period_forms(sample):
    p1 = sample.projects[0]
    assert [planned_share(p1, m) for m in (3, 6, 7, 8, 12)] == [25, 50, Decimal("56.25"), Decimal("62.5"), 100]
    assert parse_period("1-7月") == parse_period("1—7月") == parse_period("1月-7月") == parse_period("１～７月") == (1, 7)
    assert parse_period("7月") is None and parse_period("1-13月") is None


@pytest.mark.parametrize(("target", "expected", "short"), [
    ("≥12次", "10次", True), ("≥12次", "12次", False), ("≥12次", "13次", False), ("≥95%", "94.5%", True),
    ("≤200万元", "210万元", True), ("≤200万元", "180万元", False), ("=100%", "99%", True), ("=100%", "100%", False),
    ("≥12次", "12人", False),  # another unit: not comparable, not claimed short
    ("按时完成", "按时完成", False), ("按时完成", "无法按时完成", True), ("≥十二次", "10次", True),
])
def test_falls_short_is_direction_aware(target, expected, short):
    assert falls_short(target, expected) is short


def test_a_book_without_year_sheets_reads_no_year_config(tmp_path):
    out = tmp_path / "old.xlsx"
    write_book(read_book(SAMPLE), out)
    (tmp_path / "wbe.toml").write_text("[tool.workbook-engine.year]\nbogus = 1\n", encoding="utf-8")
    assert validate(out, review=False).findings == []


def test_every_rule_names_catalogue_codes_and_every_year_code_has_a_rule():
    named = {code for codes in RULE_CODES.values() for code in codes}
    assert named <= set(CATALOGUE)
    year_codes = {c for c, e in CATALOGUE.items() if e.section == "year"}
    assert year_codes == named


def test_rows_of_unknown_projects_or_indicators_and_duplicates(sample, tmp_path):
    book = filled_year(sample)
    book.evaluation_projects, book.evaluation_indicators = [], []
    book.monitor_projects[1].project_code = "13022524P00CL0E1003XX"  # not in 项目: E230
    book.monitor_indicators[0].level3 = "专家审查次数"  # renamed: not in 指标, E231
    book.monitor_projects.append(book.monitor_projects[0])  # the same project twice: E245
    book.monitor_indicators.append(book.monitor_indicators[1])  # the same indicator twice: E245 (indicator)
    out = tmp_path / "监控.xlsx"
    write_book(book, out)
    report = validate(out, review=False)
    found = {(f.code, f.sheet, f.cell) for f in report.findings}
    last_project, last_indicator = len(book.monitor_projects) + 1, len(book.monitor_indicators) + 1
    assert found == {("WBE-E230", "监控项目", "B3"), ("WBE-E231", "监控指标", "E2"),
                     ("WBE-E245", "监控项目", f"B{last_project}"), ("WBE-E245", "监控指标", f"B{last_indicator}")}
    messages = {f.code + f.sheet: f.message for f in report.findings}
    assert "项目 13022524P00CL0E10035D 在监控项目中重复（第一次在第 2 行）" in messages["WBE-E245监控项目"]
    assert "指标 产出指标/质量指标/工作任务完成情况 在监控指标中重复（第一次在第 3 行）" in messages["WBE-E245监控指标"]
