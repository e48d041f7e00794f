"""绩效自评 scores (财预〔2020〕10号, scoring.py): hand computations for ≥, ≤, =, qualitative and 不适用 rows."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from workbook_engine.api import read_book, validate
from workbook_engine.canonical_writer import write_book
from workbook_engine.model import Book, EvaluationIndicator, EvaluationProject
from workbook_engine.scoring import indicator_points, score_book, score_project
from workbook_engine.year_config import YearConfig, parse_year_config

from .conftest import SAMPLE, run_cli
from .year_books import filled_year

P1, P2 = "13022524P00CL0E10035D", "13022524P00CL0E10037L"
D = Decimal


@pytest.fixture(scope="module")
def sample() -> Book:
    return read_book(SAMPLE)


def row(level1: str, level3: str, target: str, actual: str, attainment: str = "", points: str | None = None,
        score: str | None = None, analysis: str = "", level2: str = "数量指标") -> EvaluationIndicator:
    return EvaluationIndicator("450001", P1, level1, level2, level3, target, actual, attainment,
                               D(points) if points else None, D(score) if score else None, analysis)


def evaluated(sample: Book) -> Book:
    """P1 and P2 evaluated as staff would, with every kind of row; the other projects not evaluated yet."""
    book = filled_year(sample)
    book.monitor_projects, book.monitor_indicators = [], []
    cost = next(i for i in book.indicators if i.project_code == P1 and i.level2 == "成本指标")
    cost.value = "≤200万元"  # a ≤ target (the sample's is 预算成本)
    book.evaluation_projects = [p for p in book.evaluation_projects if p.project_code in (P1, P2)]
    book.evaluation_indicators = [i for i in book.evaluation_indicators if i.project_code in (P1, P2)]
    book.evaluation_projects[0].executed = D("190.00")
    rows = {(i.project_code, i.level3): i for i in book.evaluation_indicators}

    def fill(code: str, level3: str, actual: str = "", attainment: str = "", score: str | None = None,
             analysis: str = "") -> None:
        item = rows[(code, level3)]
        item.actual, item.attainment, item.analysis = actual or item.actual, attainment, analysis
        item.score = D(score) if score else None
        if item.level2 == "成本指标" and code == P1:
            item.target = "≤200万元"

    fill(P1, "组织专家审查次数", "10次", analysis="两次会议因汛期推迟")  # ≥12次: 10/12 × 12.5 = 10.42
    fill(P1, "工作任务完成情况", "按时完成", "部分达成", "8", "个别任务延后")  # band 7.5–10: 8
    fill(P1, "按时完成项目", "按时完成", "达成")  # 12.5
    fill(P1, "成本指标", "220万元", analysis="追加设备")  # ≤200万元: 200/220 × 12.5 = 11.36
    fill(P1, "提高效率", "不适用")  # left out: 7.5 points
    fill(P1, "运行能力", "长期", "达成")  # 7.5
    fill(P1, "生态效益指标", "未体现", "未达成", analysis="本年未开展")  # 30 % × 7.5 = 2.25
    fill(P1, "长期使用性", "长期", "达成")  # 7.5
    fill(P1, "满意率", "98%")  # ≥95%: capped 10
    fill(P2, "维修视频监控", "8次", score="10")  # ≥5次: 160 %, capped 12.5; typed 10 differs; far above
    fill(P2, "数据统计、监测分析", "准确无误", "达成", "11")  # band 10–12.5: 11
    fill(P2, "开展工作时效性", "按时完成", "达成")  # 12.5
    fill(P2, "成本指标", "预算成本", "达成")  # 12.5
    fill(P2, "数据共享率", "99%", analysis="一个部门未接入")  # =100%: 0
    fill(P2, "项目实现功能", "部分实现", "部分达成", "5", "一项功能未上线")  # band 4.5–6: 5
    fill(P2, "生态效益增长率", "96%")  # 7.5
    fill(P2, "长期使用性", "长期", "达成")  # 7.5
    fill(P2, "参会人员满意度", "90%", analysis="会场条件差")  # 90/95 × 10 = 9.47
    return book


HAND = {
    P1: {"budget_rate": 95, "budget_score": 9.5, "total": 85.44, "grade": "良",  # 79.03 × 100 / 92.5
         "scores": [10.42, 8, 12.5, 11.36, None, 7.5, 2.25, 7.5, 10],
         "points": [12.5, 12.5, 12.5, 12.5, 7.5, 7.5, 7.5, 7.5, 10]},
    P2: {"budget_rate": 100, "budget_score": 10, "total": 87.97, "grade": "良",
         "scores": [12.5, 11, 12.5, 12.5, 0, 5, 7.5, 7.5, 9.47],
         "points": [12.5, 12.5, 12.5, 12.5, 7.5, 7.5, 7.5, 7.5, 10]},
}


def test_every_score_total_and_grade_equal_the_hand_computation(sample, tmp_path):
    out = tmp_path / "自评.xlsx"
    write_book(evaluated(sample), out)
    result = run_cli("score", out, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    projects = json.loads(result.stdout)["projects"]
    assert [p["project_code"] for p in projects] == [P1, P2]
    for scored in projects:
        hand = HAND[scored["project_code"]]
        assert [i["score"] for i in scored["indicators"]] == hand["scores"]
        assert [i["points"] for i in scored["indicators"]] == hand["points"]
        assert (scored["budget_rate"], scored["budget_score"], scored["total"], scored["grade"]) == \
            (hand["budget_rate"], hand["budget_score"], hand["total"], hand["grade"])
        assert set(scored) == {"project_code", "budget_rate", "budget_score", "indicators", "total", "grade"}
        assert set(scored["indicators"][0]) == {"level1", "level2", "level3", "points", "score"}
    # The warnings of the evaluation: the typed 10 against 12.5, and 8次 being 160 % of ≥5次.
    found = {(f.code, f.cell) for f in validate(out, review=False).findings}
    assert found == {("WBE-W241", "J11"), ("WBE-W242", "G11")}
    text = run_cli("score", out)
    assert text.returncode == 0
    assert "总分 85.44（良）" in text.stdout and "预算执行率 95%，得分 9.5" in text.stdout


def test_errors_of_the_evaluation_exit_1_and_name_their_cells(sample, tmp_path):
    book = evaluated(sample)
    rows = {(i.project_code, i.level3): i for i in book.evaluation_indicators}
    rows[(P1, "组织专家审查次数")].analysis = ""  # a shortfall without analysis: E240
    rows[(P2, "项目实现功能")].score = D("7")  # 部分达成 with 7 of 7.5 (band 4.5–6): E239
    rows[(P1, "运行能力")].attainment = ""  # qualitative without 完成程度: E243
    rows[(P2, "维修视频监控")].actual = "较多"  # not a number: E244
    out = tmp_path / "自评.xlsx"
    write_book(book, out)
    found = {(f.code, f.cell) for f in validate(out, review=False).findings}
    assert found == {("WBE-E240", "K2"), ("WBE-E239", "J16"), ("WBE-E243", "H7"), ("WBE-E244", "G11")}
    messages = {f.code: f.message for f in validate(out, review=False).findings}
    assert "得分应在 4.5–6 分（分值 7.5 的 60–80%），填写的得分是 7" in messages["WBE-E239"]
    assert run_cli("score", out).returncode == 1


def test_unreadable_book_exits_2(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    assert run_cli("score", bad).returncode == 2


def test_points_split_evenly_with_the_remainder_on_the_last():
    rows = [row("产出指标", f"指标{n}", "≥1次", "1次") for n in range(3)] + \
        [row("效益指标", "效益", "≥1次", "1次", points="12"), row("效益指标", "效益2", "≥1次", "1次")]
    points, issues = indicator_points(rows)
    assert points == [D("16.67"), D("16.67"), D("16.66"), D("12"), D("18")]
    assert issues == []
    too_many = [row("产出指标", "a", "≥1次", "1次", points="30"), row("产出指标", "b", "≥1次", "1次", points="30")]
    points, issues = indicator_points(too_many)
    assert [i.code for _, i in issues] == ["WBE-W246"] and points == [D(30), D(30)]


def test_cost_as_level1_counts_with_output_unless_weighted():
    rows = [row("产出指标", "数量", "≥1次", "1次"), row("成本指标", "成本", "≤10万元", "9万元", level2="经济成本指标")]
    assert indicator_points(rows)[0] == [D(25), D(25)]
    config = parse_year_config({"weights": {"成本指标": 10, "产出指标": 40}})
    assert indicator_points(rows, config)[0] == [D(40), D(10)]


@pytest.mark.parametrize(("target", "actual", "expected"), [
    ("≥12次", "12次", "12.5"), ("≥12次", "6次", "6.25"), ("≥12次", "24次", "12.5"), (">90%", "45%", "6.25"),
    ("≤10天", "8天", "12.5"), ("≤10天", "20天", "6.25"), ("<10天", "12.5天", "10"),
    ("=100%", "100%", "12.5"), ("=100%", "99.9%", "0"), ("12个月", "12个月", "12.5"), ("12个月", "11个月", "0"),
    ("≥十二次", "9次", "9.38"), ("≥12次", "9", "9.38"),
])
def test_quantitative_rules(target, actual, expected):
    scored = score_project(None, [row("产出指标", "x", target, actual, analysis="原因")] +
                           [row("产出指标", f"y{n}", "≥1次", "1次") for n in range(3)])
    assert scored.indicators[0].score == D(expected)


def test_qualitative_default_is_top_for_met_and_middle_otherwise_and_configurable():
    rows = [row("效益指标", "a", "长期", "长期", "达成"), row("效益指标", "b", "长期", "短期", "部分达成", analysis="x"),
            row("效益指标", "c", "长期", "无", "未达成", analysis="x")]
    assert [s.score for s in score_project(None, rows).indicators] == [D(10), D(7), D(3)]
    config = parse_year_config({"qualitative": {"达成": 90}})
    assert score_project(None, rows, config).indicators[0].score == D(9)


def test_not_applicable_rows_rescale_the_total_and_grades_follow_the_thresholds():
    project = EvaluationProject("450001", P1, D(100), D(100), D(100), "完成", "", "", "")
    rows = [row("产出指标", "a", "≥10次", "10次"), row("产出指标", "b", "≥10次", "5次", analysis="x"),
            row("效益指标", "c", "长期", "不适用"), row("满意度指标", "d", "≥90%", "", "不适用")]
    scored = score_project(project, rows)
    # earned 10 + 25 + 12.5 = 47.5 of 10 + 50 = 60 possible -> 79.17 (中)
    assert [s.score for s in scored.indicators] == [D(25), D("12.5"), None, None]
    assert (scored.total, scored.grade) == (D("79.17"), "中")
    rows[1].actual = "10次"
    assert (score_project(project, rows).total, score_project(project, rows).grade) == (D(100), "优")
    project.executed = D(50)  # 执行率 50 %: 5 of 10
    assert score_project(project, rows).budget_score == D(5)
    project.executed = D(120)  # above 100 %: capped
    assert score_project(project, rows).budget_score == D(10)
    config = YearConfig()
    assert [score_project(project, [row("产出指标", "a", "≥100次", f"{n}次", analysis="x")], config).grade
            for n in (100, 80, 60, 40)] == ["优", "良", "中", "差"]


def test_the_sample_with_every_target_met_scores_100(sample):
    assert {(s.total, s.grade) for s in score_book(filled_year(sample))} == {(D(100), "优")}
