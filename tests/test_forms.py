"""The budget-year forms (issue 22): `wbe render --form monitor|evaluation` and reading them back with `wbe extract`.

Expected cells are computed from the workbook the form is rendered from (the book's goals, the engine's
scores), never copied from a rendered form."""

from __future__ import annotations

import re
from decimal import Decimal

import openpyxl
import pytest

from workbook_engine.api import extract, read_book, render_form
from workbook_engine.canonical_writer import write_book
from workbook_engine.layout import standard_level
from workbook_engine.official.forms import is_form_workbook
from workbook_engine.official.forms_render import DATA_SHEET
from workbook_engine.scoring import score_book
from workbook_engine.values import parse_indicator_value

from .conftest import SAMPLE, libreoffice_convert, needs_soffice, run_cli
from .year_books import filled_year

MONITOR_TITLE = "项目支出绩效目标执行监控表（{year}年度）"
EVALUATION_TITLE = "项目支出绩效自评表（{year}年度）"


@pytest.fixture(scope="module")
def year_book(tmp_path_factory):
    """The sample with its 监控 and 自评 sheets filled (every target met), as a canonical workbook."""
    book = filled_year(read_book(SAMPLE))
    path = tmp_path_factory.mktemp("forms") / "year.xlsx"
    write_book(book, path)
    return path, read_book(path)


@pytest.fixture(scope="module")
def monitor_form(year_book, tmp_path_factory):
    path = tmp_path_factory.mktemp("monitor") / "monitor.xlsx"
    result = render_form(year_book[0], path, form="monitor", period="1-7")
    assert not result.refused
    return path


@pytest.fixture(scope="module")
def evaluation_form(year_book, tmp_path_factory):
    path = tmp_path_factory.mktemp("evaluation") / "evaluation.xlsx"
    result = render_form(year_book[0], path, form="evaluation")
    assert not result.refused
    return path


def year_of(book) -> int:
    return next(g.year for g in book.goals if g.year)


def find(sheet, text: str, *, after: int = 0) -> tuple[int, int]:
    """(row, column) of the first cell showing ``text`` below row ``after``."""
    for row in sheet.iter_rows(min_row=after + 1):
        for cell in row:
            if cell.value == text:
                return cell.row, cell.column
    raise AssertionError(f"{text!r} not in {sheet.title}")


def right_of(sheet, r: int, c: int):
    """The value of the next filled cell right of (r, c) in the same row."""
    for col in range(c + 1, sheet.max_column + 1):
        value = sheet.cell(r, col).value
        if value not in (None, ""):
            return value
    return None


def indicator_rows(sheet, header_text: str, count: int, header_rows: int) -> list[int]:
    first = find(sheet, header_text)[0] + header_rows
    return list(range(first, first + count))


# --- golden: every goal cell equals the workbook's -------------------------------------------------------------

def test_monitor_form_cells_are_the_books_goals_and_monitoring(year_book, monitor_form):
    _, book = year_book
    workbook = openpyxl.load_workbook(monitor_form)
    assert workbook[DATA_SHEET].sheet_state == "hidden"
    sheets = [s for s in workbook.worksheets if s.title != DATA_SHEET]
    assert len(sheets) == len(book.projects)
    monitored = {r.project_code: r for r in book.monitor_projects}
    for sheet, project in zip(sheets, book.projects):
        assert sheet["A1"].value == MONITOR_TITLE.format(year=year_of(book))
        assert right_of(sheet, *find(sheet, "项目名称")) == project.name
        assert find(sheet, "1-7月执行数") and find(sheet, "1-7月执行情况")
        r, c = find(sheet, "年度资金总额")
        initial_col = find(sheet, "年初预算数")[1]
        executed_col = find(sheet, "1-7月执行数")[1]
        assert Decimal(str(sheet.cell(r, initial_col).value)) == project.budget
        assert Decimal(str(sheet.cell(r, executed_col).value)) == monitored[project.code].executed
        assert str(sheet.cell(r, find(sheet, "执行率")[1]).value).startswith("=")  # a live 执行率
        indicators = book.indicators_of(project.code)
        rows = indicator_rows(sheet, "一级指标", len(indicators), 2)
        level3_col, value_col = find(sheet, "三级指标")[1], find(sheet, "年度指标值")[1]
        for r, indicator in zip(rows, indicators):
            assert sheet.cell(r, level3_col).value == indicator.level3
            assert sheet.cell(r, value_col).value == indicator.value
        assert sheet.cell(rows[-1] + 1, level3_col).value in (None, "")  # no row beyond the indicators
        # the two-row header: 偏差原因分析 over its five causes, 完成目标可能性 over its three
        cause_r, cause_c = find(sheet, "偏差原因分析")
        assert [sheet.cell(cause_r + 1, cause_c + i).value for i in range(5)] == [
            "经费保障", "制度保障", "人员保障", "硬件条件保障", "其他"]
        likely_r, likely_c = find(sheet, "完成目标可能性")
        assert [sheet.cell(likely_r + 1, likely_c + i).value for i in range(3)] == ["确定能", "有可能", "完全不可能"]


def test_evaluation_form_scores_are_the_engines(year_book, evaluation_form):
    _, book = year_book
    formulas = openpyxl.load_workbook(evaluation_form)
    cached = openpyxl.load_workbook(evaluation_form, data_only=True)
    scores = {s.project_code: s for s in score_book(book)}
    sheets = [s.title for s in formulas.worksheets if s.title != DATA_SHEET]
    assert len(sheets) == len(book.projects) == len(scores)
    for title, project in zip(sheets, book.projects):
        sheet, shown = formulas[title], cached[title]
        assert sheet["A1"].value == EVALUATION_TITLE.format(year=year_of(book))
        expected = scores[project.code]
        r = find(sheet, "年度资金总额")[0]
        points_c = find(sheet, "分值")[1]
        score_c = find(sheet, "得分")[1]
        assert sheet.cell(r, points_c).value == 10
        assert str(sheet.cell(r, score_c).value).startswith("=")
        assert Decimal(str(shown.cell(r, score_c).value)) == expected.budget_score
        indicators = book.indicators_of(project.code)
        rows = indicator_rows(sheet, "一级指标", len(indicators), 1)
        header_r, level1_c = find(sheet, "一级指标")
        score_c = find(sheet, "得分", after=header_r - 1)[1]  # the indicators' 得分, not the funds'
        for r, indicator, scored in zip(rows, indicators, expected.indicators):
            assert scored.record.level3 == indicator.level3
            assert str(sheet.cell(r, score_c).value).startswith("=")
            assert Decimal(str(shown.cell(r, score_c).value)) == scored.score
            level1 = sheet.cell(r, level1_c).value
            assert level1 in (None, standard_level(indicator, "level1"))  # merged down its 一级
        total_r, total_c = find(sheet, "总分")
        total = shown.cell(total_r, score_c).value
        assert Decimal(str(total)) == expected.total
        assert shown.cell(total_r, score_c + 1).value == expected.grade


def test_forms_are_recognised_by_their_title(monitor_form, evaluation_form):
    assert is_form_workbook(monitor_form) and is_form_workbook(evaluation_form)
    assert not is_form_workbook(SAMPLE)


# --- read back -------------------------------------------------------------------------------------------------

def edited(form, tmp_path, edit) -> tuple:
    """A copy of ``form`` edited as staff would (openpyxl), read back by extract."""
    workbook = openpyxl.load_workbook(form)
    sheet = workbook.worksheets[0]
    edit(sheet)
    copy = tmp_path / form.name
    workbook.save(copy)
    return extract([copy], tmp_path / "back.xlsx")


def test_a_monitor_form_edited_by_staff_comes_back_into_the_monitor_sheets(year_book, monitor_form, tmp_path):
    _, book = year_book
    project = book.projects[0]
    first = book.indicators_of(project.code)[0]

    def edit(sheet):
        r = indicator_rows(sheet, "一级指标", 1, 2)[0]
        sheet.cell(r, find(sheet, "1-7月执行情况", after=r - 3)[1]).value = "已审查5次"
        sheet.cell(r, find(sheet, "全年预计完成情况")[1]).value = "10次"
        cause_r, cause_c = find(sheet, "偏差原因分析")
        sheet.cell(r, cause_c).value = "✓"  # 经费保障
        sheet.cell(r, cause_c + 2).value = "是"  # 人员保障
        likely_c = find(sheet, "完成目标可能性")[1]
        for i in range(3):
            sheet.cell(r, likely_c + i).value = None
        sheet.cell(r, likely_c + 1).value = "√"  # 有可能
        total_r = find(sheet, "年度资金总额")[0]
        sheet.cell(total_r, find(sheet, "1-7月执行数")[1]).value = 88.5

    back, report = edited(monitor_form, tmp_path, edit)
    assert report.findings == []
    row = next(r for r in back.monitor_indicators if r.project_code == project.code and r.level3 == first.level3)
    assert (row.progress, row.expected, row.likelihood) == ("已审查5次", "10次", "有可能")
    assert set(re.split("[、,，]", row.deviation_causes)) == {"经费保障", "人员保障"}
    monitored = next(r for r in back.monitor_projects if r.project_code == project.code)
    assert monitored.executed == Decimal("88.5") and monitored.period.startswith("1-7")
    assert again_valid(tmp_path / "back.xlsx")
    # everything else as rendered
    others = [r for r in back.monitor_indicators if r is not row]
    assert len(others) == len(book.monitor_indicators) - 1
    assert [i.value for i in back.indicators] == [i.value for i in book.indicators]


def again_valid(path) -> bool:
    """The read-back workbook is a canonical workbook the engine reads again."""
    return len(read_book(path).monitor_indicators) > 0


def test_an_evaluation_form_with_an_actual_value_scores_the_new_value(year_book, evaluation_form, tmp_path):
    _, book = year_book
    project = book.projects[0]
    quantitative = next(i for i in book.indicators_of(project.code) if re.match(r"^[≥≤]\d", i.value or ""))
    number = Decimal(re.sub(r"[^\d.]", "", quantitative.value))
    unit = re.sub(r"[≥≤\d.]", "", quantitative.value)
    half = f"{(number / 2).normalize()}{unit}"

    def edit(sheet):
        level3_c = find(sheet, "三级指标")[1]
        r = find(sheet, quantitative.level3, after=find(sheet, "三级指标")[0])[0]
        assert sheet.cell(r, level3_c).value == quantitative.level3
        sheet.cell(r, find(sheet, "实际完成值")[1]).value = half
        sheet.cell(r, find(sheet, "偏差原因分析及改进措施")[1]).value = "汛期推迟"

    back, report = edited(evaluation_form, tmp_path, edit)
    assert report.findings == []
    row = next(r for r in back.evaluation_indicators
               if r.project_code == project.code and r.level3 == quantitative.level3)
    assert (row.actual, row.analysis) == (half, "汛期推迟")
    scored = next(s for s in score_book(back) if s.project_code == project.code)
    before = next(s for s in score_book(book) if s.project_code == project.code)
    assert scored.total < before.total  # the shortfall costs points


def test_a_goal_typed_over_in_a_form_is_reported_and_kept(year_book, monitor_form, tmp_path):
    _, book = year_book
    indicator = book.indicators_of(book.projects[0].code)[0]

    def edit(sheet):
        r = indicator_rows(sheet, "一级指标", 1, 2)[0]
        sheet.cell(r, find(sheet, "年度指标值")[1]).value = "≥1次"

    back, report = edited(monitor_form, tmp_path, edit)
    assert [f.code for f in report.findings] == ["WBE-W221"]
    assert "≥1次" in report.findings[0].message and indicator.value in report.findings[0].message
    assert back.indicators_of(indicator.project_code)[0].value == indicator.value


def test_a_money_cell_that_is_not_a_number_is_reported(monitor_form, tmp_path):
    def edit(sheet):
        sheet.cell(find(sheet, "年度资金总额")[0], find(sheet, "1-7月执行数")[1]).value = "约80"

    _, report = edited(monitor_form, tmp_path, edit)
    assert [f.code for f in report.findings] == ["WBE-E222"]
    assert "约80" in report.findings[0].message and report.findings[0].cell


def test_a_project_the_form_does_not_keep_is_reported(monitor_form, tmp_path):
    def edit(sheet):
        r, c = find(sheet, "项目名称")
        next(cell for cell in sheet[r] if cell.column > c and cell.value).value = "另一个项目"

    _, report = edited(monitor_form, tmp_path, edit)
    assert "WBE-W223" in {f.code for f in report.findings}
    assert any("另一个项目" in f.message for f in report.findings)


def test_a_form_without_its_hidden_goals_is_reported(monitor_form, tmp_path):
    workbook = openpyxl.load_workbook(monitor_form)
    del workbook[DATA_SHEET]
    copy = tmp_path / "copied.xlsx"
    workbook.save(copy)
    _, report = extract([copy], tmp_path / "back.xlsx")
    assert "WBE-W224" in {f.code for f in report.findings}


# --- the CLI ---------------------------------------------------------------------------------------------------

def test_cli_renders_and_extracts_a_form(year_book, tmp_path):
    out = tmp_path / "m.xlsx"
    result = run_cli("render", "--form", "monitor", year_book[0], "-o", out, "--period", "1-6")
    assert result.returncode == 0, result.stderr
    assert "监控表" in result.stdout and out.exists()
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert find(sheet, "1-6月执行数")
    back = run_cli("extract", out, "-o", tmp_path / "back.xlsx")
    assert back.returncode == 0, back.stderr
    assert {r.period for r in read_book(tmp_path / "back.xlsx").monitor_projects} == {"1-6月"}


def test_cli_refuses_a_period_for_the_evaluation_form(year_book, tmp_path):
    result = run_cli("render", "--form", "evaluation", year_book[0], "-o", tmp_path / "e.xlsx", "--period", "1-6")
    assert result.returncode == 2
    assert "--period 只用于 --form monitor" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "e.xlsx").exists()


# --- LibreOffice: its recalculation of the 得分 formulas equals the engine, and its re-save reads back ---------

def typed_indicators(book, project, share: Decimal) -> tuple:
    """The project's indicators, its first ≥ quantitative one, its qualitative ones, and an actual value of
    ``share`` of that quantitative target (with its unit), as staff would type it."""
    indicators = book.indicators_of(project.code)
    quantitative = next(i for i in indicators if re.match(r"^≥\d", i.value or ""))
    qualitative = [i for i in indicators if parse_indicator_value(i.value).kind != "quantitative"]
    unit = re.sub(r"[≥\d.]", "", quantitative.value)
    low = f"{(Decimal(re.sub(r'[^0-9.]', '', quantitative.value)) * share).normalize()}{unit}"
    return indicators, quantitative, qualitative, low


@needs_soffice
@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_scores_the_engine_computes(year_book, evaluation_form, tmp_path):
    _, book = year_book
    project = book.projects[0]
    indicators, quantitative, qualitative, low = typed_indicators(book, project, Decimal("0.8"))

    def edit(sheet):
        after = find(sheet, "三级指标")[0]
        actual_c = find(sheet, "实际完成值")[1]
        sheet.cell(find(sheet, quantitative.level3, after=after)[0], actual_c).value = low
        sheet.cell(find(sheet, qualitative[0].level3, after=after)[0], actual_c).value = "部分达成：推迟一个月"
        sheet.cell(find(sheet, qualitative[1].level3, after=after)[0], actual_c).value = "不适用"

    workbook = openpyxl.load_workbook(evaluation_form)  # openpyxl keeps no cached values: LibreOffice computes
    edit(workbook.worksheets[0])
    typed = tmp_path / "typed.xlsx"
    workbook.save(typed)
    resaved = libreoffice_convert(typed, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    back, report = extract([resaved], tmp_path / "back.xlsx")
    assert report.findings == []
    scored = next(s for s in score_book(back) if s.project_code == project.code)
    methods = {s.record.level3: s for s in scored.indicators}
    assert methods[qualitative[1].level3].score is None  # 不适用: left out, the total rescaled
    assert methods[qualitative[0].level3].record.attainment == "部分达成"
    shown = openpyxl.load_workbook(resaved, data_only=True).worksheets[0]
    header_r = find(shown, "一级指标")[0]
    score_c = find(shown, "得分", after=header_r - 1)[1]
    for indicator, expected in zip(indicators, scored.indicators):
        r = find(shown, indicator.level3, after=header_r)[0]
        value = shown.cell(r, score_c).value
        assert (None if value in (None, "") else Decimal(str(value)).quantize(Decimal("0.01"))) == expected.score
    total_r = find(shown, "总分")[0]
    assert Decimal(str(shown.cell(total_r, score_c).value)).quantize(Decimal("0.01")) == scored.total
    assert shown.cell(total_r, score_c + 1).value == scored.grade


# --- a county's own weights, qualitative shares and grades (wbe.toml) in the cached values and the formulas ---

COUNTY_TOML = """[tool.workbook-engine.year]
weights = { "预算执行率" = 20, "产出指标" = 40, "效益指标" = 25, "满意度指标" = 15 }
qualitative = { "达成" = 90, "部分达成" = 65, "未达成" = 20 }
grades = { "优" = 95, "良" = 85, "中" = 70 }
"""


@pytest.fixture(scope="module")
def county(year_book, tmp_path_factory):
    """The year book in a folder with the county's wbe.toml, and its evaluation form rendered by the CLI."""
    import shutil

    from workbook_engine.year_config import load_year_config

    folder = tmp_path_factory.mktemp("county")
    (folder / "wbe.toml").write_text(COUNTY_TOML, encoding="utf-8")
    book = folder / "year.xlsx"
    shutil.copy(year_book[0], book)
    out = folder / "evaluation.xlsx"
    result = run_cli("render", "--form", "evaluation", book, "-o", out)
    assert result.returncode == 0, result.stderr
    return folder, book, out, load_year_config(book)


def test_the_evaluation_form_carries_the_countys_weights(year_book, county):
    _, book = year_book
    _, _, form, config = county
    assert config.weights["预算执行率"] == 20 and config.qualitative["达成"] == 90  # the wbe.toml was read
    scores = {s.project_code: s for s in score_book(book, config)}
    defaults = {s.project_code: s for s in score_book(book)}
    formulas = openpyxl.load_workbook(form)
    cached = openpyxl.load_workbook(form, data_only=True)
    sheets = [s.title for s in formulas.worksheets if s.title != DATA_SHEET]
    assert any(scores[p.code].total != defaults[p.code].total for p in book.projects)  # the county's differ
    for title, project in zip(sheets, book.projects):
        sheet, shown = formulas[title], cached[title]
        expected = scores[project.code]
        r = find(sheet, "年度资金总额")[0]
        assert shown.cell(r, find(sheet, "分值")[1]).value == 20
        assert Decimal(str(shown.cell(r, find(sheet, "得分")[1]).value)) == expected.budget_score
        header_r = find(sheet, "一级指标")[0]
        points_c = find(sheet, "分值", after=header_r - 1)[1]
        score_c = find(sheet, "得分", after=header_r - 1)[1]
        rows = indicator_rows(sheet, "一级指标", len(expected.indicators), 1)
        for r, scored in zip(rows, expected.indicators):
            assert Decimal(str(shown.cell(r, points_c).value)) == scored.points
            assert Decimal(str(shown.cell(r, score_c).value)) == scored.score
        total_r = find(sheet, "总分")[0]
        assert Decimal(str(shown.cell(total_r, score_c).value)) == expected.total
        assert shown.cell(total_r, score_c + 1).value == expected.grade
        grade_formula = str(sheet.cell(total_r, score_c + 1).value)
        assert ">=95," in grade_formula and ">=85," in grade_formula and ">=90," not in grade_formula
    band = [str(c.value) for row in formulas[sheets[0]].iter_rows() for c in row
            if str(c.value).startswith("=IF(LEFT(TRIM(")]
    assert band and all(",90," in f and ",65," in f and ",20," in f for f in band)


@needs_soffice
@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_countys_scores_as_wbe_score(year_book, county, tmp_path):
    """Typed as staff would, re-saved (recalculated) by LibreOffice, read back beside the same wbe.toml: every
    得分, 总分 and 等级 LibreOffice shows equals `wbe score` with that wbe.toml."""
    import json
    import shutil

    _, book = year_book
    _, _, form, _ = county
    project = book.projects[0]
    indicators, quantitative, qualitative, low = typed_indicators(book, project, Decimal("0.7"))
    workbook = openpyxl.load_workbook(form)
    sheet = workbook.worksheets[0]
    after = find(sheet, "三级指标")[0]
    actual_c = find(sheet, "实际完成值")[1]
    analysis_c = find(sheet, "偏差原因分析及改进措施")[1]
    for indicator, text in ((quantitative, low), (qualitative[0], "部分达成：推迟一个月"),
                            (qualitative[1], "未达成：未开展"), (qualitative[2], "不适用")):
        r = find(sheet, indicator.level3, after=after)[0]
        sheet.cell(r, actual_c).value = text
        sheet.cell(r, analysis_c).value = "原因已查明，明年改进"
    typed = tmp_path / "typed.xlsx"
    workbook.save(typed)
    resaved = libreoffice_convert(typed, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    back_dir = tmp_path / "back"
    back_dir.mkdir()
    shutil.copy(county[0] / "wbe.toml", back_dir / "wbe.toml")
    back = back_dir / "back.xlsx"
    _, report = extract([resaved], back)
    assert [f.code for f in report.findings] == []  # the recalculated 得分 are the engine's: no WBE-W241
    result = run_cli("score", back, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    scored = next(p for p in json.loads(result.stdout)["projects"] if p["project_code"] == project.code)
    assert scored["total"] != next(s for s in score_book(read_book(back)) if s.project_code == project.code).total
    shown = openpyxl.load_workbook(resaved, data_only=True).worksheets[0]
    header_r = find(shown, "一级指标")[0]
    score_c = find(shown, "得分", after=header_r - 1)[1]
    points_c = find(shown, "分值", after=header_r - 1)[1]
    by_name = {i["level3"]: i for i in scored["indicators"]}
    for indicator in indicators:
        r = find(shown, indicator.level3, after=header_r)[0]
        value = shown.cell(r, score_c).value
        assert (None if value in (None, "") else round(float(value), 2)) == by_name[indicator.level3]["score"]
        assert round(float(shown.cell(r, points_c).value), 2) == by_name[indicator.level3]["points"]
    assert by_name[qualitative[2].level3]["score"] is None
    total_r = find(shown, "总分")[0]
    assert round(float(shown.cell(total_r, score_c).value), 2) == scored["total"]
    assert shown.cell(total_r, score_c + 1).value == scored["grade"]
    budget_r = find(shown, "年度资金总额")[0]
    assert round(float(shown.cell(budget_r, find(shown, "得分")[1]).value), 2) == scored["budget_score"]
