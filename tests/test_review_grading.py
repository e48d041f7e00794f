"""The grade's scale (issue 24, docs/review-rules.md "评分"): defects cost what a reviewer would charge.

Each case is one project written as a canonical workbook and reviewed through the CLI, as staff would run it:
a clean project is 优; two real defects cannot leave it 优; four defects, or defects under three criteria,
make it 中; wording issues cost points but are no defects; each missing category is charged."""

from __future__ import annotations

import json

import pytest

from benchmarks.review_accuracy import build_book
from workbook_engine.canonical_writer import write_book
from workbook_engine.findings import CATALOGUE
from workbook_engine.review.config import DEFAULT_WORDING_POINTS as WORDING_POINTS

from .conftest import run_cli

PROJECT = {"project": "A", "framework": "classic", "name": "食品安全监督抽检", "budget": "90",
           "purpose": "开展食品安全监督抽检和风险监测，及时处置不合格食品。",
           "goal": "完成食品抽检不少于800批次，不合格食品核查处置率达到100%。"}
CLEAN = [  # (level1, level2, level3, value)
    ("产出指标", "数量指标", "食品抽检批次", "≥800批次"),
    ("产出指标", "质量指标", "检验报告合格率", "≥98%"),
    ("产出指标", "时效指标", "检验结果报送时间", "≤20个工作日"),
    ("产出指标", "成本指标", "抽检成本", "≤90万元"),
    ("效益指标", "社会效益指标", "不合格食品核查处置率", "=100%"),
    ("满意度指标", "服务对象满意度指标", "群众食品安全满意度", "≥85%"),
]


def grade_of(tmp_path, rows, name="book.xlsx"):
    """Review the project through `wbe review --format json`: its grade entry and its findings' codes."""
    indicators = [{"project": "A", "level1": l1, "level2": l2, "level3": l3, "description": description,
                   "value": value, "expected": ""} for l1, l2, l3, value, *rest in rows
                  for description in [rest[0] if rest else ""]]
    book, _ = build_book(indicators, [PROJECT])
    path = tmp_path / name
    write_book(book, path)
    result = run_cli("review", path, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    return data["projects"][0], [f["code"] for f in data["findings"]]


def replaced(rows, **changes):
    """CLEAN with rows replaced by level3 name: replaced(CLEAN, 抽检成本=(...))."""
    return [changes.get(r[2], r) for r in rows]


def test_a_clean_project_is_excellent(tmp_path):
    grade, codes = grade_of(tmp_path, CLEAN)
    assert codes == [] and (grade["score"], grade["grade"], grade["defects"], grade["limit"]) == (100, "优", 0, None)


def test_two_defective_rows_cannot_leave_it_excellent(tmp_path):
    """R128 and R137 cost 4 points each: 92 by points, but a reviewer does not pass two defects as 优."""
    rows = replaced(CLEAN, 群众食品安全满意度=("满意度指标", "服务对象满意度指标", "群众食品安全满意度", "≥70%"))
    rows.append(("效益指标", "社会效益指标", "促进食品产业健康发展", "≥100%"))
    grade, codes = grade_of(tmp_path, rows)
    assert sorted(codes) == ["WBE-R128", "WBE-R137"]
    assert grade["deduction"] == 8 and grade["defects"] == 2
    assert (grade["score"], grade["grade"], grade["limit"]) == (89, "良", "有 2 处问题，等级最高为 良")


def test_one_defect_leaves_points_alone(tmp_path):
    rows = [*CLEAN, ("效益指标", "社会效益指标", "促进食品产业健康发展", "≥100%")]
    grade, codes = grade_of(tmp_path, rows)
    assert codes == ["WBE-R128"] and (grade["score"], grade["grade"], grade["defects"], grade["limit"]) == \
        (96, "优", 1, None)


def test_wording_issues_cost_points_but_are_no_defects(tmp_path):
    """Descriptions that repeat the name (R112, 1 point) on every row and one vague value (R125, 2 points)."""
    rows = [(*r, r[2]) for r in CLEAN]
    rows.append(("效益指标", "社会效益指标", "群众食品安全意识", "明显提高", "反映群众食品安全意识的变化"))
    grade, codes = grade_of(tmp_path, rows)
    assert set(codes) == {"WBE-R112", "WBE-R125"}
    assert all(CATALOGUE[c].points <= WORDING_POINTS for c in codes)
    assert (grade["defects"], grade["score"], grade["grade"], grade["limit"]) == (0, 95, "优", None)


def test_each_missing_category_is_charged_and_costs_more_than_wording(tmp_path):
    no_time = [r for r in CLEAN if r[1] != "时效指标"]
    no_time_or_cost = [r for r in no_time if r[1] != "成本指标"]
    one, codes_one = grade_of(tmp_path, no_time, "one.xlsx")
    two, codes_two = grade_of(tmp_path, no_time_or_cost, "two.xlsx")
    assert codes_one == codes_two == ["WBE-R104"]
    points = CATALOGUE["WBE-R104"].points
    assert one["deduction"] == points and two["deduction"] == 2 * points
    assert points > max(e.points for e in CATALOGUE.values() if e.points and e.points <= WORDING_POINTS)
    assert (one["grade"], one["defects"]) == ("优", 1)
    assert (two["grade"], two["defects"], two["limit"]) == ("良", 2, "有 2 处问题，等级最高为 良")


def test_four_defects_make_it_fair_at_best(tmp_path):
    """Four rows of 4–6 points: 82 by points, 中 by the count (a row with two findings is one defect)."""
    rows = replaced(CLEAN, 群众食品安全满意度=("满意度指标", "服务对象满意度指标", "群众食品安全满意度", "≥70%"),
                    检验报告合格率=("产出指标", "质量指标", "资金到位及时率", "=100%"))
    rows += [("效益指标", "社会效益指标", "促进食品产业健康发展", "≥100%"),
             ("效益指标", "社会效益指标", "食品安全形势", "有效")]
    grade, codes = grade_of(tmp_path, rows)
    assert sorted(codes) == ["WBE-R116", "WBE-R128", "WBE-R129", "WBE-R137"]
    assert grade["defects"] == 4 and grade["deduction"] == 18
    assert (grade["score"], grade["grade"], grade["limit"]) == (74, "中", "有 4 处问题，等级最高为 中")


def test_defects_under_three_criteria_make_it_fair_at_best(tmp_path):
    """相关性 (R116), 适当性 (R128) and 可行性 (R137): three rows, but the table fails three of the four criteria."""
    rows = replaced(CLEAN, 群众食品安全满意度=("满意度指标", "服务对象满意度指标", "群众食品安全满意度", "≥70%"),
                    检验报告合格率=("产出指标", "质量指标", "资金到位及时率", "=100%"))
    rows.append(("效益指标", "社会效益指标", "促进食品产业健康发展", "≥100%"))
    grade, codes = grade_of(tmp_path, rows)
    assert sorted(codes) == ["WBE-R116", "WBE-R128", "WBE-R137"]
    assert grade["defects"] == 3 and grade["deduction"] == 14
    assert (grade["score"], grade["grade"], grade["limit"]) == (74, "中", "问题涉及 3 项审核要点，等级最高为 中")


@pytest.mark.parametrize("points, grade", [(0, "优"), (4, "良")])
def test_a_rule_set_to_wording_points_in_wbe_toml_is_no_defect(tmp_path, points, grade):
    """wbe.toml's points decide what a defect is: R137 at 0 points no longer counts as one."""
    rows = replaced(CLEAN, 群众食品安全满意度=("满意度指标", "服务对象满意度指标", "群众食品安全满意度", "≥70%"))
    rows.append(("效益指标", "社会效益指标", "促进食品产业健康发展", "≥100%"))
    (tmp_path / "wbe.toml").write_text(f'[tool.workbook-engine.review]\npoints = {{ "WBE-R137" = {points} }}\n',
                                       encoding="utf-8")
    result, _ = grade_of(tmp_path, rows)
    assert result["grade"] == grade


def test_the_defect_scale_comes_from_wbe_toml(tmp_path):
    """A county that lets two defects pass as 优 says so: several-defects = 3; many-defects = 2 makes them 中."""
    rows = replaced(CLEAN, 群众食品安全满意度=("满意度指标", "服务对象满意度指标", "群众食品安全满意度", "≥70%"))
    rows.append(("效益指标", "社会效益指标", "促进食品产业健康发展", "≥100%"))
    toml = tmp_path / "wbe.toml"
    toml.write_text("[tool.workbook-engine.review]\nseveral-defects = 3\n", encoding="utf-8")
    assert grade_of(tmp_path, rows, "a.xlsx")[0]["grade"] == "优"
    toml.write_text("[tool.workbook-engine.review]\nseveral-defects = 1\nmany-defects = 2\n", encoding="utf-8")
    grade, _ = grade_of(tmp_path, rows, "b.xlsx")
    assert (grade["score"], grade["grade"], grade["limit"]) == (74, "中", "有 2 处问题，等级最高为 中")
    toml.write_text("[tool.workbook-engine.review]\nwording-points = 4\n", encoding="utf-8")  # R128, R137: 4 points
    grade, _ = grade_of(tmp_path, rows, "c.xlsx")
    assert (grade["defects"], grade["score"], grade["grade"]) == (0, 92, "优")


@pytest.mark.parametrize("text, key", [
    ("several-defects = 0", "several-defects"),
    ('many-defects = "4"', "many-defects"),
    ("broad-criteria = 9", "broad-criteria"),
    ("several-defects = 5\nmany-defects = 3", "many-defects"),
])
def test_an_unusable_defect_scale_is_one_line_exit_2(tmp_path, text, key):
    book, _ = build_book([{"project": "A", "level1": l1, "level2": l2, "level3": l3, "description": "", "value": v,
                           "expected": ""} for l1, l2, l3, v in CLEAN], [PROJECT])
    path = tmp_path / "book.xlsx"
    write_book(book, path)
    (tmp_path / "wbe.toml").write_text(f"[tool.workbook-engine.review]\n{text}\n", encoding="utf-8")
    result = run_cli("review", path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and key in result.stderr and "wbe.toml" in result.stderr
