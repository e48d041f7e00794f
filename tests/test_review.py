"""The review rules (docs/review-rules.md): the shipped sample pinned finding by finding, each rule's minimal
failing and passing workbook, the wbe.toml configuration, grades, the CLI and the annotated copy."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from workbook_engine.api import validate
from workbook_engine.errors import InputError
from workbook_engine.review import review
from workbook_engine.validation.codes import CODES, CRITERIA, REVIEW
from workbook_engine.values import (
    base_unit,
    is_deadline,
    is_duration,
    money_in_wan,
    parse_indicator_value,
    quantities_in_text,
)

from .conftest import SAMPLE, libreoffice_convert, needs_soffice, run_cli

ROOT = Path(__file__).resolve().parent.parent

# The review of the shipped sample, code by code: (code, sheet, cells in order).
SAMPLE_REVIEW = [
    ("WBE-R101", "指标", "F38 G38"),
    ("WBE-R111", "指标", "F5 F8 F14 F23 F26 F35 F42 F53 F55 F71 F80"),
    ("WBE-R112", "指标", "G2 G3 G4 G6 G7 G8 G9 G10 G11 G12 G13 G16 G17 G18 G19 G20 G21 G22 G24 G25 G26 G27 G28 "
                         "G30 G31 G32 G33 G34 G35 G36 G37 G38 G39 G40 G41 G42 G43 G44 G45 G46 G47 G49 G50 G51 "
                         "G52 G53 G54 G55 G56 G57 G58 G59 G60 G62 G63 G64 G65 G66 G67 G68 G69 G70 G71 G72 G73 "
                         "G75 G76 G77 G78 G79 G80 G81 G82"),
    ("WBE-R113", "指标", "F48"),
    ("WBE-R115", "项目", "N9"),
    # issue 11: the same generic effect in 3+ projects with different purposes (长期使用性 长期, 项目工程完成情况
    # 按时完成, 可持续性 长期)
    ("WBE-R118", "指标", "F9 F18 F27 F45 F51 F60 F63 F69 F72 F78 F81"),
    ("WBE-R121", "指标", "H29 H47 H56 H65"),
    ("WBE-R122", "指标", "H5 H14 H23 H32 H41 H50 H59 H68 H77"),
    ("WBE-R124", "指标", "H4 H13 H22 H31 H40 H49 H58 H67"),
    ("WBE-R125", "项目", "N7"),
    ("WBE-R125", "指标", "H24 H36 H43 H44 H52 H61 H62"),
    ("WBE-R126", "指标", "F38"),
    ("WBE-R127", "指标", "H57"),  # issue 11: 享受社会保险补贴人员数量 ≥95% (a count given as a percentage)
    ("WBE-R129", "指标", "H16 H51 H60 H69 H78"),  # issue 24: 按时完成 / 全部实现 as an effect: no level, no fact
]
# issue 24: WBE-R129 (按时完成 as an effect) costs projects 2, 6, 7, 8, 9 four points each.
SAMPLE_GRADES = [(70, "中"), (72, "中"), (68, "中"), (73, "中"), (49, "差"), (55, "差"), (63, "中"), (62, "中"),
                 (73, "中")]
SAMPLE_TOTAL = 135


def sample_review_findings() -> set[tuple[str, str, str]]:
    """(code, sheet, cell) of every review finding the shipped sample must produce."""
    return {(code, sheet, cell) for code, sheet, cells in SAMPLE_REVIEW for cell in cells.split()}


def at(result, code):
    return [f.cell for f in result.report.findings if f.code == code]


# ---------------------------------------------------------------------------------------------- the sample

def test_sample_review_is_exactly_the_pinned_list():
    result = review(SAMPLE)
    found = [(f.code, f.sheet, f.cell) for f in result.report.findings]
    assert len(found) == len(set(found)), "a cell is reported twice for the same rule"
    assert set(found) == sample_review_findings()
    assert all(f.severity == "warning" for f in result.report.findings)
    assert result.valid and result.exit_code() == 0


def test_sample_review_names_what_the_issue_lists():
    result = review(SAMPLE)
    by_cell = {(f.code, f.cell): f for f in result.report.findings}
    assert by_cell[("WBE-R101", "F38")].value == "防汛天数（≥**天）"
    repeated = {by_cell[("WBE-R111", c)].value for c in at(result, "WBE-R111")}
    assert repeated == {"生态效益指标", "成本指标", "经济效益指标", "服务对象满意度指标"}
    assert {by_cell[("WBE-R122", c)].value for c in at(result, "WBE-R122")} == {"预算成本"}
    assert by_cell[("WBE-R113", "F48")].value == "社会公众对防震减灾知识宣传知名"


def test_sample_quantified_values_are_not_flagged():
    """≥12次 (H2), ≥5次 (H11), ≥25家 (H20), ≥90天 (H38), ≥10次 (H74) and the ≥95% satisfaction rates."""
    result = review(SAMPLE)
    flagged = {f.cell for f in result.report.findings}
    assert not flagged & {"H2", "H11", "H20", "H38", "H74", "H10", "H19", "H28", "H37", "H46", "H55", "H76"}


def test_sample_findings_are_grouped_by_criterion_then_position():
    result = review(SAMPLE)
    groups = [f.group for f in result.report.findings]
    assert groups == sorted(groups, key=CRITERIA.index)
    assert all(f.group == REVIEW[f.code][0] for f in result.report.findings)
    assert {c: len(v) for c, v in result.by_criterion().items()} == {"完整性": 2, "相关性": 97, "适当性": 36, "可行性": 0}
    projects = {f.project for f in result.report.findings}
    assert projects == {p.code for p in result.grades}


def test_sample_grades():
    result = review(SAMPLE)
    assert [(g.score, g.grade) for g in result.grades] == SAMPLE_GRADES
    worst = min(result.grades, key=lambda g: g.score)
    assert worst.name == "应急防汛经费及救援" and worst.counts["完整性"] == 2


# ------------------------------------------------------------------------------- each rule: fail and pass

# (code, changes that make the rule fire, the cell it names, changes that do not)
CASES = [
    ("WBE-R101", {"指标": {"G2": "反映专家审查XX次"}}, "G2", {"指标": {"G2": "反映全年组织专家审查的次数"}}),
    ("WBE-R101", {"项目": {"N2": "完成**次专家会诊……"}}, "N2", {"项目": {"N2": "完成12次专家会诊"}}),
    ("WBE-R102", {"指标": {"H6": "0.00%"}}, "H6", {"指标": {"H6": "=0%"}}),
    ("WBE-R103", {"指标": {"I2": None}}, "I2", {"指标": {"I2": "计划标准"}}),
    ("WBE-R104", {"指标": {"E4": "质量指标"}}, "C2", {"指标": {"E4": "时效指标"}}),
    ("WBE-R111", {"指标": {"F2": "数量指标"}}, "F2", {"指标": {"F2": "专家审查次数"}}),
    ("WBE-R112", {"指标": {"G74": "编制自然灾害类预案数"}}, "G74", {"指标": {"G74": "反映全年编制的预案数量"}}),
    ("WBE-R112", {"指标": {"G74": None}}, "G74", {"指标": {"G74": "反映编制的自然灾害类预案数量"}}),
    ("WBE-R113", {"指标": {"F74": "反映编制的自然灾害类预案数"}}, "F74", {"指标": {"F74": "自然灾害类预案编制数"}}),
    ("WBE-R113", {"指标": {"F74": "预案", "G74": "预案数"}}, "F74", {"指标": {"F74": "预案数", "G74": "预案数（个）"}}),
    ("WBE-R114", "copy", "C3", "copy-changed"),
    ("WBE-R115", {"项目": {"N2": "全年开展16次专家会诊"}}, "N2", {"项目": {"N2": "全年开展12次专家会诊"}}),
    ("WBE-R121", {"指标": {"H2": "全部完成"}}, "H2", {"指标": {"H2": "≥12次"}}),
    ("WBE-R121", {"指标": {"H2": "≥95%"}}, "H2", {"指标": {"H2": "≥2000人次"}}),
    ("WBE-R122", {"指标": {"H5": "不超预算"}}, "H5", {"指标": {"H5": "≤200万元"}}),
    ("WBE-R122", {"指标": {"D5": "成本指标", "E5": "经济成本指标"}}, "H5",
     {"指标": {"D5": "成本指标", "E5": "社会成本指标", "H5": "无明显社会成本"}}),
    ("WBE-R123", {"指标": {"H10": "=95%"}}, "H10", {"指标": {"H10": "≥90%"}}),
    ("WBE-R123", {"指标": {"H10": "较高"}}, "H10", {"指标": {"H10": "＞85％"}}),
    ("WBE-R124", {"指标": {"H76": "及时"}}, "H76", {"指标": {"H76": "2024年12月底前"}}),
    ("WBE-R124", {"指标": {"H4": "按时完成"}}, "H4", {"指标": {"H4": "≤30天"}}),
    ("WBE-R125", {"指标": {"H6": "进一步提高"}}, "H6", {"指标": {"H6": "较上年提高5%"}}),
    ("WBE-R125", {"项目": {"N2": "明显改善企业安全状况"}}, "N2", {"项目": {"N2": "隐患整改率达95%"}}),
    ("WBE-R126", {"指标": {"F2": "组织专家审查次数（≥12次）"}}, "F2", {"指标": {"F2": "组织专家审查次数"}}),
    ("WBE-R126", {"指标": {"F21": "监管覆盖率达95%"}}, "F21", {"指标": {"F21": "监管覆盖率"}}),
    ("WBE-R128", {"指标": {"F16": "促进经济健康发展", "H16": "≥95%"}}, "F16", {"指标": {"F16": "受益群众", "H16": "≥500人"}}),
    ("WBE-R129", {"指标": {"H16": "影响程度明显"}}, "H16", {"指标": {"H16": "显著提升"}}),
    ("WBE-R139", {"指标": {"F3": "造林成活率", "H3": "≥60%"}}, "H3", {"指标": {"F3": "造林成活率", "H3": "≥90%"}}),
    ("WBE-R131", {"指标": {"H6": "≥120%"}}, "H6", {"指标": {"H6": "=100%"}}),
    ("WBE-R132", {"指标": {"H21": "≤95%"}}, "H21", {"指标": {"F21": "安全事故发生率", "H21": "≤1%"}}),
    ("WBE-R133", {"指标": {"H10": "≥100%"}}, "H10", {"指标": {"H10": "≥95%"}}),
    ("WBE-R133", {"指标": {"H10": "=100%"}}, "H10", {"指标": {"H10": "≥98%"}}),
    ("WBE-R134", {"指标": {"H5": "≤300万元"}}, "H5", {"指标": {"H5": "≤2000000元"}}),
    ("WBE-R135", {"指标": {"H76": "2025年12月底前"}}, "H76", {"指标": {"H76": "2024年6月30日前"}}),
    ("WBE-R135", {"指标": {"H4": "2023年12月31日前"}}, "H4", {"指标": {"H4": "12月31日前"}}),
    # issue 11
    ("WBE-R122", {"指标": {"H5": "≤预算数"}}, "H5", {"指标": {"H5": "≤710元/亩"}}),
    ("WBE-R116", {"指标": {"F6": "预算执行率", "G6": "反映预算执行情况"}}, "F6",
     {"指标": {"F6": "隐患整改率", "G6": "反映专家会诊发现隐患的整改情况"}}),
    ("WBE-R116", {"指标": {"F2": "专家会诊资金", "H2": "≥96.5万元"}}, "F2", {"指标": {"F2": "专家会诊次数", "H2": "≥12次"}}),
    ("WBE-R117", {"指标": {"F7": "企业满意度", "H7": "≥90%"}}, "E7", {"指标": {"F7": "隐患整改率", "H7": "≥90%"}}),
    ("WBE-R117", {"指标": {"F3": "完成时间", "H3": "2024年12月31日前"}}, "E3",
     {"指标": {"F3": "会诊报告验收合格率", "H3": "≥95%"}}),
    ("WBE-R117", {"指标": {"F4": "项目完成率", "H4": "100%"}}, "H4", {"指标": {"F4": "会诊报告出具及时率", "H4": "≥95%"}}),
    ("WBE-R117", {"指标": {"F6": "组织专家审查次数", "H6": "≥12次"}}, "E6", {"指标": {"F6": "隐患整改率", "H6": "≥90%"}}),
    ("WBE-R118", {"指标": {"F6": "维护社会稳定", "H6": "≥95%", "F15": "维护社会稳定", "H15": "≥95%",
                         "F24": "维护社会稳定", "H24": "≥95%"}}, "F6",
     {"指标": {"F6": "化工企业隐患整改率", "H6": "≥95%", "F15": "维护社会稳定", "H15": "≥95%",
              "F24": "维护社会稳定", "H24": "≥95%"}}),
    ("WBE-R119", {"指标": {"F7": "秸秆综合利用率", "G7": "反映秸秆综合利用情况", "H7": "≥90%"}}, "F7",
     {"指标": {"F7": "化工企业隐患整改率", "G7": "反映专家会诊发现隐患的整改情况", "H7": "≥90%"}}),
    # issue 24: an indicator of another project of the department (农房保险县配套), named in the message
    ("WBE-R120", {"指标": {"F2": "农村住房保险参保户数", "G2": "反映参保的农户数"}}, "F2",
     {"指标": {"F2": "专家会诊企业户数", "G2": "反映参加会诊的企业户数"}}),
    ("WBE-R127", {"指标": {"F3": "隐患整改率", "H3": "≥12个"}}, "H3", {"指标": {"F3": "隐患整改率", "H3": "≥95%"}}),
    ("WBE-R127", {"指标": {"F4": "完成时间", "H4": "≥95%"}}, "H4", {"指标": {"F4": "完成时间", "H4": "2024年12月底前"}}),
    ("WBE-R136", {"指标": {"H5": "≥200万元"}}, "H5", {"指标": {"H5": "≤200万元"}}),
    ("WBE-R136", {"指标": {"D5": "成本指标", "E5": "经济成本指标", "H5": "≥600元/人"}}, "H5",
     {"指标": {"D5": "成本指标", "E5": "经济成本指标", "H5": "≤600元/人"}}),
    ("WBE-R137", {"指标": {"H10": "≥70%"}}, "H10", {"指标": {"H10": "≥85%"}}),
    ("WBE-R138", {"指标": {"F3": "隐患整改完成率", "H3": "≥40%"}}, "H3", {"指标": {"F3": "隐患整改完成率", "H3": "≥95%"}}),
    ("WBE-R138", {"指标": {"F21": "监管全覆盖率", "H21": "≥80%"}}, "H21", {"指标": {"F21": "监管全覆盖率", "H21": "=100%"}}),
    ("WBE-R230", {"指标": {"I2": "2023年实际完成值：15次"}}, "H2", {"指标": {"I2": "2023年实际完成值：12次"}}),
]


def _copy_project_one_to_two(change_one_value: bool):
    """Give project 2 (指标 rows 11–19) exactly project 1's indicators (rows 2–10)."""

    def apply(workbook):
        sheet = workbook["指标"]
        for offset in range(9):
            for col in "DEFGHI":
                sheet[f"{col}{11 + offset}"] = sheet[f"{col}{2 + offset}"].value
        if change_one_value:
            sheet["H11"] = "≥6次"

    return apply


def _as_text(changes):
    """Set cells as a user typing text would: "=95%" stays text (openpyxl would store a formula)."""

    def apply(workbook):
        for sheet, cells in changes.items():
            for ref, value in cells.items():
                cell = workbook[sheet][ref]
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"

    return apply


def _make(edit_sample, changes, name):
    if changes in ("copy", "copy-changed"):
        return edit_sample({}, func=_copy_project_one_to_two(changes == "copy-changed"), name=name)
    return edit_sample({}, func=_as_text(changes), name=name)


@pytest.mark.parametrize("code,bad,cell,good", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_fails_and_passes(edit_sample, code, bad, cell, good):
    failing = review(_make(edit_sample, bad, "bad.xlsx"))
    assert cell in at(failing, code), [(f.code, f.cell) for f in failing.report.findings if f.code == code]
    finding = next(f for f in failing.report.findings if f.code == code and f.cell == cell)
    assert finding.severity == CODES[code][0] == "warning"
    assert finding.group == REVIEW[code][0]
    assert finding.project, "every review finding on a project's row counts against that project"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in finding.message) and "请" in finding.message
    assert failing.valid, "a review finding alone never makes a workbook invalid"
    passing = review(_make(edit_sample, good, "good.xlsx"))
    assert cell not in at(passing, code)


def test_every_review_code_has_a_case():
    assert {c[0] for c in CASES} == set(REVIEW)
    assert set(REVIEW) <= set(CODES) and {c for c in CODES if c.startswith("WBE-R")} == set(REVIEW)


def test_copied_indicator_sets_name_both_projects(edit_sample):
    result = review(_make(edit_sample, "copy", "copied.xlsx"))
    assert at(result, "WBE-R114") == ["C2", "C3"]
    message = next(f.message for f in result.report.findings if f.cell == "C3" and f.code == "WBE-R114")
    assert "13022524P00CL0E10035D" in message


def test_goal_numbers_carried_by_an_indicator_pass(edit_sample):
    result = review(edit_sample({"指标": {"H66": "≥100%"}}))
    assert "N9" not in at(result, "WBE-R115")


def test_malformed_value_is_not_reported_twice(edit_sample):
    """≥**次 is the validator's WBE-E040 error; the review does not add a placeholder warning on it."""
    path = edit_sample({"指标": {"H2": "≥**次"}})
    report = validate(path, review=True)
    assert [f.code for f in report.findings if f.cell == "H2"] == ["WBE-E040"]


# ------------------------------------------------------------------------------------ inside validate

def test_validate_includes_review_warnings_and_no_review_switches_them_off():
    report = validate(SAMPLE, review=True)
    assert report.errors == [] and report.valid
    assert {(f.code, f.sheet, f.cell) for f in report.findings} == sample_review_findings()
    assert validate(SAMPLE, review=False).findings == []


def test_validate_cli_no_review(tmp_path):
    with_review = run_cli("validate", SAMPLE, "--format", "json")
    without = run_cli("validate", SAMPLE, "--format", "json", "--no-review")
    assert with_review.returncode == without.returncode == 0
    data = json.loads(with_review.stdout)
    assert set(data) == {"file", "valid", "findings"}
    assert {(f["code"], f["sheet"], f["cell"]) for f in data["findings"]} == sample_review_findings()
    assert all(set(f) == {"code", "severity", "sheet", "cell", "row", "column", "value", "message"}
               for f in data["findings"])
    assert json.loads(without.stdout)["findings"] == []


# -------------------------------------------------------------------------------------- configuration

def _config(path: Path, text: str) -> Path:
    (path.parent / "wbe.toml").write_text(text, encoding="utf-8")
    return path


def test_config_switches_a_rule_off(edit_sample):
    path = _config(edit_sample({}), '[tool.workbook-engine.review]\noff = ["WBE-R112"]\n')
    result = review(path)
    assert "WBE-R112" not in result.report.codes()
    assert set(result.report.codes()) == {c for c, _, _ in SAMPLE_REVIEW} - {"WBE-R112"}
    assert result.grades[0].score == SAMPLE_GRADES[0][0] + 3
    assert "WBE-R112" not in validate(path, review=True).codes()


def test_config_regrades_one_project(edit_sample):
    path = _config(edit_sample({}), """
[tool.workbook-engine.review.projects."13022524P00CL0E100361"]
severity = { "WBE-R101" = "error" }
points = { "WBE-R112" = 0 }
off = ["WBE-R126"]
""")
    report = validate(path, review=True)
    assert [(f.code, f.cell) for f in report.errors] == [("WBE-R101", "F38"), ("WBE-R101", "G38")]
    assert report.exit_code() == 1
    result = review(path)
    assert result.exit_code() == 1 and not result.valid
    assert "F38" not in at(result, "WBE-R126")
    grade = next(g for g in result.grades if g.code == "13022524P00CL0E100361")
    assert grade.score == SAMPLE_GRADES[4][0] + 3 + 3  # R112 free, R126 off
    other = next(g for g in result.grades if g.code == "13022524P00CL0E10035D")
    assert other.score == SAMPLE_GRADES[0][0]
    cli = run_cli("review", path)
    assert cli.returncode == 1 and "错误" in cli.stdout


def test_config_vague_words_and_grades(edit_sample):
    path = _config(edit_sample({}), """
[tool.workbook-engine.review]
extra-vague-words = ["长期"]
grades = { "优" = 95, "良" = 85, "中" = 80 }
""")
    result = review(path)
    assert "H7" in at(result, "WBE-R125") and "H24" in at(result, "WBE-R125")
    assert all(g.grade == "差" for g in result.grades if g.score < 80)
    replaced = _config(path, '[tool.workbook-engine.review]\nvague-words = ["全部实现"]\n')
    assert at(review(replaced), "WBE-R125") == ["H16"]


@pytest.mark.parametrize("text", [
    "[tool.workbook-engine.review\n",
    '[tool.workbook-engine.review]\noff = ["WBE-X999"]\n',
    '[tool.workbook-engine.review]\nseverity = { "WBE-R101" = "fatal" }\n',
    '[tool.workbook-engine.review]\nvague-word = ["x"]\n',
    '[tool.workbook-engine.review]\ngrades = { "优" = 60, "良" = 75 }\n',
])
def test_unusable_config_exits_2_with_one_line(edit_sample, text):
    path = _config(edit_sample({}), text)
    result = run_cli("review", path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0
    assert "wbe.toml" in result.stderr
    with pytest.raises(InputError, match="wbe.toml"):
        validate(path, review=True)
    assert validate(path, review=False).findings == []


def test_unusable_config_makes_validate_exit_2(edit_sample):
    path = _config(edit_sample({}), '[tool.workbook-engine.review]\noff = "WBE-R112"\n')
    result = run_cli("validate", path)
    assert result.returncode == 2 and "off" in result.stderr and result.stderr.strip().count("\n") == 0
    assert run_cli("validate", path, "--no-review").returncode == 0


def test_config_outside_the_review_table_is_ignored(edit_sample):
    path = _config(edit_sample({}), '[tool.other]\nx = 1\n')
    assert {(f.code, f.sheet, f.cell) for f in review(path).report.findings} == sample_review_findings()


# ------------------------------------------------------------------------------------------------ CLI

def test_review_json_contract():
    result = run_cli("review", SAMPLE, "--format", "json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert {"file", "valid", "findings"} <= set(data) and data["valid"] is True and data["file"] == str(SAMPLE)
    assert all(set(f) == {"code", "severity", "sheet", "cell", "row", "column", "value", "message"}
               for f in data["findings"])
    assert {(f["code"], f["sheet"], f["cell"]) for f in data["findings"]} == sample_review_findings()
    first = next(f for f in data["findings"] if f["cell"] == "F38")
    assert (first["code"], first["row"], first["column"], first["value"]) == ("WBE-R101", 38, "三级指标", "防汛天数（≥**天）")
    assert list(data["criteria"]) == list(CRITERIA)
    assert sorted(c for codes in data["criteria"].values() for c in codes) == sorted(REVIEW)
    assert [(p["score"], p["grade"]) for p in data["projects"]] == SAMPLE_GRADES
    assert set(data["projects"][0]) == {"dept_code", "code", "name", "score", "grade", "deduction", "criteria",
                                        "errors", "limit", "defects"}
    assert data["validation"] == {"valid": True, "errors": 0, "warnings": 0}


def test_review_text_groups_under_the_four_criteria():
    result = run_cli("review", SAMPLE)
    assert result.returncode == 0
    out = result.stdout
    positions = [out.index(f"{c}（") for c in ("完整性", "相关性", "适当性")]
    assert positions == sorted(positions)
    assert "可行性（" not in out  # nothing to say under 可行性 for the sample
    assert "WBE-R101" in out and "项目等级" in out
    assert re.search(r"优 0 个，良 0 个，中 7 个，差 2 个", out.replace("\n", ""))


def test_review_of_an_invalid_book_exits_1_and_says_so(edit_sample):
    result = run_cli("review", edit_sample({"项目": {"F2": 201}}), "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["validation"]["errors"] == 1
    assert all(f["code"].startswith("WBE-R") for f in data["findings"])


def test_review_unreadable_input_exits_2(tmp_path):
    for name, data in {"missing.xlsx": None, "empty.xlsx": b"", "truncated.xlsx": SAMPLE.read_bytes()[:2000]}.items():
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        result = run_cli("review", path, "--format", "json")
        assert result.returncode == 2 and result.stdout == ""
        assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0


def test_review_annotated_copy(tmp_path, sample_copy):
    before = sample_copy.read_bytes()
    out = tmp_path / "reviewed.xlsx"
    result = run_cli("review", sample_copy, "--annotate", out)
    assert result.returncode == 0 and sample_copy.read_bytes() == before
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames[0] == "审核结果"
    cell = workbook["指标"]["F38"]
    assert "WBE-R101" in cell.comment.text and "WBE-R126" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("FFEB9C")
    rows = list(workbook["审核结果"].iter_rows(values_only=True))
    assert rows[0][0].startswith(f"审核结果：{SAMPLE_TOTAL} 条审核意见（完整性 2，相关性 97，适当性 36，可行性 0）")
    assert rows[1][8] == "审核要点"
    findings = [r for r in rows[2:2 + SAMPLE_TOTAL]]
    assert {(r[1], r[3], r[4]) for r in findings} == sample_review_findings()
    assert {r[8] for r in findings} == {"完整性", "相关性", "适当性"}
    grade_header = rows.index(("部门编码", "项目编码", "项目名称", *CRITERIA, "扣分", "得分", "等级", "校验错误",
                               "等级上限原因"))
    grades = rows[grade_header + 1:grade_header + 10]
    assert [(r[7], r[8]) for r in grades] == [(100 - s, s) for s, _ in SAMPLE_GRADES] and \
           [r[9] for r in grades] == [g for _, g in SAMPLE_GRADES]
    # the copy is still the same canonical workbook
    assert {(f.code, f.sheet, f.cell) for f in review(out).report.findings} == sample_review_findings()


def test_review_output_never_overwrites_the_input(sample_copy):
    result = run_cli("review", sample_copy, "--annotate", sample_copy)
    assert result.returncode == 2 and sample_copy.read_bytes() == SAMPLE.read_bytes()


# ----------------------------------------------------------------------------------- library parsers

def test_value_parsers_used_by_the_review():
    assert money_in_wan(parse_indicator_value("≤4.5万元")) == Decimal("4.5")
    assert money_in_wan(parse_indicator_value("≤2000元")) == Decimal("0.2")
    assert money_in_wan(parse_indicator_value("预算成本")) is None
    assert money_in_wan(parse_indicator_value("≥95%")) is None
    assert base_unit("%以上") == "%" and base_unit("个工作日内") == "个工作日"
    assert is_duration(parse_indicator_value("3个工作日内")) and not is_duration(parse_indicator_value("≥12次"))
    assert is_deadline(parse_indicator_value("2024年12月底前")) and is_deadline(parse_indicator_value("年底前"))
    assert not is_deadline(parse_indicator_value("按时完成"))
    assert quantities_in_text("1.宣传知晓率达100%，2024年开展12次检查，每季度1次") == [
        (Decimal(100), "%"), (Decimal(12), "次"), (Decimal(1), "次")]


# ------------------------------------------------------------------------------------------------ docs

def test_every_code_is_documented():
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    review_doc = (ROOT / "docs" / "review-rules.md").read_text(encoding="utf-8")
    for code in CODES:
        assert code in rules, code
    for code in REVIEW:
        section = review_doc.split(f"### {code}")[1].split("\n### ")[0]
        assert "不合格示例" in section and "合格示例" in section and "理由" in section, code
        assert REVIEW[code][0] in section and f"扣 {REVIEW[code][1]} 分" in section, code


@needs_soffice
@pytest.mark.libreoffice
def test_review_annotated_copy_opens_in_libreoffice(tmp_path):
    """As a user would: the annotated copy opened and re-saved by LibreOffice keeps notes, sheet and content."""
    out = tmp_path / "reviewed.xlsx"
    assert run_cli("review", SAMPLE, "--annotate", out).returncode == 0
    resaved = libreoffice_convert(out, "xlsx", tmp_path / "lo")
    workbook = openpyxl.load_workbook(resaved)
    assert workbook.sheetnames[0] == "审核结果"
    assert "WBE-R101" in workbook["指标"]["F38"].comment.text
    values = [row for row in workbook["审核结果"].iter_rows(values_only=True)]
    assert values[0][0].startswith(f"审核结果：{SAMPLE_TOTAL} 条审核意见")
    assert any(row[:3] == ("450001", "13022524P00CL0E100361", "应急防汛经费及救援") and row[9] == "差" for row in values)
    assert {(f.code, f.sheet, f.cell) for f in review(resaved).report.findings} == sample_review_findings()


# ------------------------------------------------------------------------------------ issue 11: grades

def _goal_year(year: int):
    def apply(workbook):
        sheet = workbook["部门目标"]
        for row in range(2, sheet.max_row + 1):
            if sheet[f"C{row}"].value is not None:
                sheet[f"C{row}"] = year
    return apply


def test_advice_uses_the_workbooks_year(edit_sample):
    """R104 and R124 used to suggest 2024年12月底前 whatever the 年度; following that advice then triggered R135."""
    path = edit_sample({"指标": {"E4": "质量指标"}}, func=_goal_year(2025))
    result = review(path)
    r104 = next(f.message for f in result.report.findings if f.code == "WBE-R104" and f.cell == "C2")
    r124 = next(f.message for f in result.report.findings if f.code == "WBE-R124" and f.cell == "H13")
    assert "2025年12月底前" in r104 and "2025年12月底前" in r124
    assert "2024年" not in r104 and "2024年" not in r124


def test_a_project_with_a_validation_error_is_at_best_poor(edit_sample):
    """The last project grades 良 77; an empty 指标值 (WBE-E010) on one of its rows makes it 差."""
    result = review(edit_sample({"指标": {"H74": None}}))
    assert not result.validation.valid
    last = result.grades[-1]
    assert (last.grade, last.errors, last.limit) == ("差", 1, "有校验错误") and last.score <= 59
    assert [(g.score, g.grade) for g in result.grades[:-1]] == SAMPLE_GRADES[:-1]
    assert result.to_dict()["projects"][-1]["limit"] == "有校验错误"


def test_review_text_says_why_a_grade_was_capped(edit_sample):
    """The text report names the limit beside the grade, so staff see why 77 points grade 差."""
    result = run_cli("review", edit_sample({"指标": {"H74": None}}))
    last_code = review(SAMPLE).grades[-1].code
    line = next(line for line in result.stdout.splitlines() if line.strip().startswith(last_code))
    assert "等级 差" in line and "（有 1 个校验错误，等级最高为 差）" in line
    first = next(line for line in result.stdout.splitlines() if "等级 " in line and last_code not in line)
    assert "等级最高" not in first


def test_errors_on_the_department_row_count_against_its_projects(edit_sample):
    result = review(edit_sample({"部门目标": {"C2": 1999}}))
    assert result.validation.errors and all(g.grade == "差" for g in result.grades)


def test_a_project_without_effects_is_at_best_good():
    from workbook_engine.model import Book, Indicator, Project
    from workbook_engine.review.config import ReviewConfig
    from workbook_engine.review.grading import grade_projects

    projects = [Project("450001", n, f"13022524P00CL0E1003{n}X", f"项目{n}", "", Decimal(10), Decimal(10), None,
                        "", None, None, None, None, "") for n in (1, 2)]
    indicators = [Indicator("450001", projects[0].code, 1, "产出指标", "数量指标", "次数", "", "≥12次", ""),
                  Indicator("450001", projects[1].code, 1, "产出指标", "数量指标", "次数", "", "≥12次", ""),
                  Indicator("450001", projects[1].code, 2, "效益指标", "社会效益指标", "受益人数", "", "≥500人", "")]
    grades = grade_projects(Book([], projects, indicators), [], ReviewConfig())
    assert [(g.score, g.grade, g.limit) for g in grades] == [(89, "良", "缺少效益指标"), (100, "优", "")]


def test_2021_framework_is_reviewed_like_the_classic_one(edit_sample):
    """The sample's first project in the 2021 framework (成本指标 as 一级): the cost rules still apply."""
    changes = {"指标": {"D5": "成本指标", "E5": "经济成本指标", "H5": "≥200万元"}}
    result = review(edit_sample({}, func=_as_text(changes)))
    assert "H5" in at(result, "WBE-R136") and "C2" not in at(result, "WBE-R104")
    changes["指标"]["H5"] = "≤预算数"
    result = review(edit_sample({}, func=_as_text(changes), name="budget.xlsx"))
    r122 = next(f for f in result.report.findings if f.code == "WBE-R122" and f.cell == "H5")
    assert "≤200.00万元" in r122.message and result.validation.valid


def test_config_floors(edit_sample):
    path = _config(edit_sample({"指标": {"H10": "≥75%"}}, func=_as_text({"指标": {"H10": "≥75%"}})),
                   "[tool.workbook-engine.review]\nsatisfaction-floor = 70\n")
    assert "H10" not in at(review(path), "WBE-R137")
    _config(path, "[tool.workbook-engine.review]\nsatisfaction-floor = 85\n")
    assert "H10" in at(review(path), "WBE-R137")
    _config(path, '[tool.workbook-engine.review]\nsatisfaction-floor = "高"\n')
    with pytest.raises(InputError, match="satisfaction-floor"):
        review(path)


@pytest.mark.parametrize("code", sorted(REVIEW))
def test_review_messages_are_catalogue_templates(code):
    """Issue 11: every review message is the catalogue's template with named fields, never written in rules.py."""
    import string

    from workbook_engine.findings import CATALOGUE

    entry = CATALOGUE[code]
    for variant in (None, *entry.variants):
        template, fix = entry.texts(variant)
        assert template != "{message}" and template.endswith(("。", "）")), (code, variant)
        assert "请" in fix, (code, variant)
        fields = {name for _, name, _, _ in string.Formatter().parse(template + fix) if name}
        message = entry.message(variant, **{name: f"<{name}>" for name in fields})
        assert "{" not in message and all(f"<{name}>" in message for name in fields)
