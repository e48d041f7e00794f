"""Collection rounds per stage (issue 22) on the library, SQLite and PostgreSQL: the bureau opens a 运行监控
or 年度自评 round, a department downloads its form pre-filled from its accepted goals, fills it as staff
would (openpyxl), uploads it (read back into the year sheets and checked like any upload), submits; the
county overview's figures equal a hand computation and scoring.py; the county workbook has its chart sheet;
a collection of before the rounds stays the 目标申报 round after migration 0004."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import inspect, select

from workbook_engine import api
from workbook_engine.collect import board, rounds, workflow
from workbook_engine.collect.models import ACCEPTED, EVALUATION, GOALS, MONITOR, RETURNED, Submission, User
from workbook_engine.errors import InputError
from workbook_engine.scoring import score_book

from .collect_helpers import BACKENDS, cheap_hashes, department_workbook, new_collection  # noqa: F401
from .conftest import SAMPLE, libreoffice_convert, needs_soffice
from .round_forms import fill_evaluation, fill_monitor

PLAN_AT_JULY = Decimal(50) + (Decimal(75) - Decimal(50)) * (7 - 6) / (10 - 6)  # the sample's plan: 25/50/75/100 %


@pytest.fixture(params=BACKENDS)
def made(request, tmp_path):
    collect, passwords = new_collection(tmp_path, request.param)
    yield collect, passwords
    collect.close()


def users(session):
    return {u.username: u for u in session.scalars(select(User))}


def accepted_goals(collect, session, code="450001", folder=None):
    who = users(session)
    sub = workflow.upload(collect, session, who[code], f"{code}.xlsx",
                          department_workbook(folder, code).read_bytes())
    workflow.submit(session, who[code], sub.id)
    workflow.accept(session, who["admin"], sub.id)
    return sub.id


def test_a_monitoring_round_on_the_library(made, tmp_path):
    collect, _ = made
    with collect.writer() as session:
        who = users(session)
        goals_id = accepted_goals(collect, session, folder=tmp_path)
        # before the round is open: nothing to download, nothing to upload
        with pytest.raises(workflow.WorkflowError, match="还没有开启“运行监控”"):
            rounds.prefilled_form(collect, session, who["450001"], MONITOR, tmp_path / "x.xlsx")
        with pytest.raises(workflow.Forbidden):
            rounds.open_round(collect, session, who["450001"], MONITOR, None)
        opened = rounds.open_round(collect, session, who["admin"], MONITOR, date(2025, 8, 15))
        assert (opened.opened, opened.deadline, opened.period) == (True, date(2025, 8, 15), "1-7月")
        assert [r.stage for r in rounds.rounds(session, 1) if r.opened] == [GOALS, MONITOR]
        # a department without accepted goals gets no form
        with pytest.raises(workflow.WorkflowError, match="还没有通过财政局审核"):
            rounds.prefilled_form(collect, session, who["450002"], MONITOR, tmp_path / "x.xlsx")
        pre = rounds.prefilled_form(collect, session, who["450001"], MONITOR, tmp_path / "pre.xlsx")
        assert pre.filename == "450001-2025年度项目支出绩效目标执行监控表.xlsx"
        sheets = openpyxl.load_workbook(pre.path).sheetnames
        goals = api.read_book(SAMPLE)
        assert len(sheets) == len(goals.projects) + 1 and sheets[-1] == "目标数据"
        first = openpyxl.load_workbook(pre.path).worksheets[0]
        assert first["A1"].value.startswith("项目支出绩效目标执行监控表") and first["C3"].value == goals.projects[0].name

        typed = fill_monitor(pre.path, tmp_path / "监控表.xlsx", shares={1: 0.2})
        sub = rounds.upload_form(collect, session, who["450001"], "监控表.xlsx", (tmp_path / "监控表.xlsx").read_bytes(),
                                 MONITOR)
        assert (sub.stage, sub.state, sub.errors) == (MONITOR, "uploaded", 0)
        assert sub.source_sha256 == hashlib.sha256((tmp_path / "监控表.xlsx").read_bytes()).hexdigest()
        stored = api.read_book(collect.blobs.path(sub.sha256))  # the canonical workbook, with the year sheets
        assert len(stored.monitor_projects) == len(goals.projects)
        assert len(stored.monitor_indicators) == len(goals.indicators)
        # the overview's figures, by hand: 执行数 / 全年预算数, against the plan interpolated to the end of July
        figures = {p["code"]: p for p in sub.figures["projects"]}
        for project in goals.projects:
            row = figures[project.code]
            executed = typed[project.name]
            assert row["executed"] == pytest.approx(executed)
            assert row["rate"] == pytest.approx(round(executed / float(project.budget) * 100, 2))
            assert row["planned"] == pytest.approx(float(PLAN_AT_JULY))
        behind = figures[goals.projects[1].code]
        assert behind["flagged"] and behind["rate"] == pytest.approx(20.0) and behind["behind"] == pytest.approx(36.25)
        assert "56.25%" in behind["flags"][0]
        assert [p["code"] for p in sub.figures["projects"] if p["flagged"]] == [goals.projects[1].code]

        workflow.submit(session, who["450001"], sub.id)
        # the monitoring submission supersedes nothing of the goals round
        assert session.get(Submission, goals_id).state == ACCEPTED
        assert [r.state for r in board.board(session, 1)][0] == board.ACCEPTED_STATE
        assert [r.state for r in board.board(session, 1, MONITOR)] == [board.PENDING, board.NOT_SUBMITTED,
                                                                       board.NOT_SUBMITTED]
        # the round tabs' counts (one light query) agree with the boards
        for stage in (GOALS, MONITOR):
            states = [r.state for r in board.board(session, 1, stage)]
            assert board.round_progress(session, 1, stage) == (
                len(states), len(states) - states.count(board.NOT_SUBMITTED), states.count(board.ACCEPTED_STATE))
        assert board.round_progress(session, 1, MONITOR) == (3, 1, 0)
        workflow.add_opinion(session, who["admin"], sub.id, "视频监控项目执行偏慢，请说明原因。",
                             project_code=goals.projects[1].code)
        workflow.return_submission(session, who["admin"], sub.id, "请补充偏差原因")
        assert session.get(Submission, sub.id).state == RETURNED

        view = rounds.overview(collect, session, MONITOR)
        first_dept = view.departments[0]
        assert (first_dept.code, first_dept.state, first_dept.submission_id) == ("450001", board.RETURNED_STATE, sub.id)
        assert first_dept.flagged == 1 and [d.projects for d in view.departments[1:]] == [[], []]
        assert first_dept.rate == pytest.approx(round(sum(typed.values()) / float(goals.total_budget()) * 100, 2))
        out = rounds.write_overview(view, tmp_path / "县级汇总.xlsx")
        county = openpyxl.load_workbook(out)
        assert county.sheetnames == ["运行监控汇总", "部门汇总", "汇总图"]
        assert type(county["汇总图"]).__name__ == "Chartsheet" and county["汇总图"]._charts
        data = county["运行监控汇总"]
        header = [c.value for c in data[2]]
        assert header[:5] == ["部门编码", "部门名称", "状态", "项目编码", "项目名称"]
        rows = {r[3]: r for r in data.iter_rows(min_row=3, values_only=True)}
        assert len(rows) == len(goals.projects)
        slow = rows[goals.projects[1].code]
        assert slow[header.index("执行率（%）")] == pytest.approx(20.0)
        assert slow[header.index("计划进度（%）")] == pytest.approx(56.25)
        assert "落后 36.25 个百分点" in slow[header.index("提示")]
        summary = {r[0]: r for r in county["部门汇总"].iter_rows(min_row=3, values_only=True)}
        assert summary["450001"][7] == 1 and summary["450002"][2] == "未提交"
    from workbook_engine.collect.county import export

    written = export(collect, tmp_path / "导出", every=True)
    names = sorted(p.name for p in written if p.parent.name.startswith("450001"))
    assert names == [f"第{goals_id}号-已通过-450001.xlsx", f"第{sub.id}号-运行监控-已退回-监控表.xlsx"]


def test_a_self_evaluation_round_scores_as_scoring_py(made, tmp_path):
    collect, _ = made
    with collect.writer() as session:
        who = users(session)
        accepted_goals(collect, session, folder=tmp_path)
        rounds.open_round(collect, session, who["admin"], EVALUATION, None)
        pre = rounds.prefilled_form(collect, session, who["450001"], EVALUATION, tmp_path / "pre.xlsx")
        fill_evaluation(pre.path, tmp_path / "自评表.xlsx", executed_share=0.9, half_of_first=0)
        sub = rounds.upload_form(collect, session, who["450001"], "自评表.xlsx", (tmp_path / "自评表.xlsx").read_bytes(),
                                 EVALUATION)
        assert sub.errors == 0, sub.report
        workflow.submit(session, who["450001"], sub.id)
        workflow.accept(session, who["admin"], sub.id)
        scored = {s.project_code: s for s in score_book(api.read_book(collect.blobs.path(sub.sha256)))}
        cli = {p.project_code: p for p in api.score(collect.blobs.path(sub.sha256)).projects}
        view = rounds.overview(collect, session, EVALUATION)
        rows = {p["code"]: p for _d, p in view.projects}
        assert set(rows) == set(scored)
        for code, row in rows.items():
            assert row["total"] == pytest.approx(float(scored[code].total)) == pytest.approx(float(cli[code].total))
            assert row["grade"] == scored[code].grade
            assert row["budget_rate"] == pytest.approx(90.0) and row["budget_score"] == pytest.approx(9.0)
        first = api.read_book(SAMPLE).projects[0]
        # by hand: 9 for 预算执行率, the halved ≥12次 earns half of its 12.5 points, every other row its points
        assert rows[first.code]["total"] == pytest.approx(round((9 + 90 - 12.5 / 2) * 100 / 100, 2))
        assert rows[first.code]["grade"] == "优"
        counts = view.grade_counts()
        assert sum(counts.values()) == len(rows)
        out = rounds.write_overview(view, tmp_path / "自评汇总.xlsx")
        county = openpyxl.load_workbook(out)
        assert county.sheetnames == ["绩效自评汇总", "部门汇总", "汇总图"] and county["汇总图"]._charts
        values = {r[3]: r for r in county["绩效自评汇总"].iter_rows(min_row=3, values_only=True)}
        assert values[first.code][7] == pytest.approx(rows[first.code]["total"]) and values[first.code][8] == "优"
        svg = rounds.overview_chart_svg(view)
        assert svg.startswith("<svg") and f"{rows[first.code]['total']:.2f} 分" in svg


def test_the_wrong_file_in_a_round_is_one_clear_message(made, tmp_path):
    collect, _ = made
    with collect.writer() as session:
        who = users(session)
        accepted_goals(collect, session, folder=tmp_path)
        rounds.open_round(collect, session, who["admin"], MONITOR, None)
        rounds.open_round(collect, session, who["admin"], EVALUATION, None)
        monitor = rounds.prefilled_form(collect, session, who["450001"], MONITOR, tmp_path / "m.xlsx").path
        evaluation = rounds.prefilled_form(collect, session, who["450001"], EVALUATION, tmp_path / "e.xlsx").path
        fill_evaluation(evaluation, tmp_path / "自评表.xlsx")
        cases = [(SAMPLE.read_bytes(), "目标.xlsx", "不是项目支出绩效目标执行监控表"),
                 (monitor.read_bytes(), "空表.xlsx", "还没有填写任何内容"),
                 ((tmp_path / "自评表.xlsx").read_bytes(), "自评表.xlsx", "这是项目支出绩效自评表，不是本轮次的"),
                 (b"not a workbook", "坏.xlsx", "坏.xlsx")]
        for data, name, expected in cases:
            with pytest.raises(InputError) as refused:
                rounds.upload_form(collect, session, who["450001"], name, data, MONITOR)
            message = str(refused.value)
            assert expected in message and str(tmp_path) not in message and "\n" not in message, message
        assert session.scalar(select(Submission).where(Submission.stage == MONITOR)) is None
        # a form of the goals as they were: the department's goals were changed and accepted again since
        fill_monitor(monitor, tmp_path / "旧表.xlsx")
        changed = department_workbook(tmp_path, "450001", budget=250)
        newer = workflow.upload(collect, session, who["450001"], "新目标.xlsx", changed.read_bytes())
        workflow.submit(session, who["450001"], newer.id)
        workflow.accept(session, who["admin"], newer.id)
        with pytest.raises(InputError, match=f"与财政局通过的绩效目标（第 {newer.id} 号）不一致"):
            rounds.upload_form(collect, session, who["450001"], "旧表.xlsx", (tmp_path / "旧表.xlsx").read_bytes(),
                               MONITOR)
        fresh = rounds.prefilled_form(collect, session, who["450001"], MONITOR, tmp_path / "新表.xlsx").path
        fill_monitor(fresh, tmp_path / "新表-填好.xlsx")
        taken = rounds.upload_form(collect, session, who["450001"], "新表.xlsx",
                                   (tmp_path / "新表-填好.xlsx").read_bytes(), MONITOR)
        assert taken.budget == str(api.read_book(changed).total_budget())
        # no accepted goals, no form either way
        with pytest.raises(workflow.WorkflowError, match="还没有通过财政局审核"):
            rounds.upload_form(collect, session, who["450002"], "新表.xlsx",
                               (tmp_path / "新表-填好.xlsx").read_bytes(), MONITOR)


def test_a_round_not_open_takes_no_uploads_and_a_deadline_marks_late(made, tmp_path):
    collect, _ = made
    with collect.writer() as session:
        who = users(session)
        accepted_goals(collect, session, folder=tmp_path)
        with pytest.raises(workflow.WorkflowError, match="还没有开启"):
            workflow.upload(collect, session, who["450001"], "a.xlsx", SAMPLE.read_bytes(), stage=EVALUATION)
        yesterday = date.today() - timedelta(days=1)
        info = rounds.open_round(collect, session, who["admin"], MONITOR, yesterday)
        assert info.overdue() and not rounds.open_round(collect, session, who["admin"], MONITOR,
                                                        date.today() + timedelta(days=3)).overdue()
        assert rounds.round_info(session, 1, MONITOR).deadline == date.today() + timedelta(days=3)
        with pytest.raises(workflow.NotFound):
            rounds.stage_of("yearly")
        with pytest.raises(workflow.WorkflowError, match="无法识别"):
            rounds.parse_deadline("8月15日")


def test_migration_0004_keeps_an_old_collection_as_the_goals_round(made, tmp_path):
    from alembic import command

    from workbook_engine.collect.database import alembic_config

    collect, _ = made
    with collect.writer() as session:
        goals_id = accepted_goals(collect, session, folder=tmp_path)
    with collect.db.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0003")
    with collect.db.engine.connect() as connection:
        columns = [c["name"] for c in inspect(connection).get_columns("submissions")]
        assert "stage" not in columns
    with collect.db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    with collect.session() as session:
        again = session.get(Submission, goals_id)
        assert (again.stage, again.state, again.figures, again.source_sha256) == (GOALS, ACCEPTED, {}, None)
        assert [r.state for r in board.board(session, 1)][0] == board.ACCEPTED_STATE
        assert [r.stage for r in rounds.rounds(session, 1) if r.opened] == [GOALS]


@pytest.mark.libreoffice
@needs_soffice
def test_a_form_resaved_by_libreoffice_is_read_back_the_same(tmp_path):
    """Staff often open the form in WPS or LibreOffice and save it again before uploading."""
    collect, _ = new_collection(tmp_path, "sqlite")
    try:
        with collect.writer() as session:
            who = users(session)
            accepted_goals(collect, session, folder=tmp_path)
            rounds.open_round(collect, session, who["admin"], MONITOR, None)
            pre = rounds.prefilled_form(collect, session, who["450001"], MONITOR, tmp_path / "pre.xlsx")
            fill_monitor(pre.path, tmp_path / "filled.xlsx", shares={1: 0.2})
            resaved = libreoffice_convert(tmp_path / "filled.xlsx", "xlsx", tmp_path / "resaved")
            assert resaved.read_bytes() != (tmp_path / "filled.xlsx").read_bytes()
            direct = rounds.upload_form(collect, session, who["450001"], "a.xlsx",
                                        (tmp_path / "filled.xlsx").read_bytes(), MONITOR)
            again = rounds.upload_form(collect, session, who["450001"], "b.xlsx", resaved.read_bytes(), MONITOR)
            assert again.figures == direct.figures and again.errors == direct.errors == 0
            assert api.read_book(collect.blobs.path(again.sha256)).monitor_indicators == \
                api.read_book(collect.blobs.path(direct.sha256)).monitor_indicators
    finally:
        collect.close()


def test_two_reviewers_opening_a_round_at_once_make_one_round(made):
    """The round's row is unique per stage: two openings at the same moment give one round (the second is
    either the later deadline or refused with a Chinese message), on both backends."""
    import threading

    from workbook_engine.collect.models import Round

    collect, _ = made

    def open_it(stage: str, day: int, barrier: threading.Barrier, outcomes: list[str]) -> None:
        barrier.wait()  # before the first statement: on SQLite that statement takes the write lock
        with collect.writer() as session:
            admin = users(session)["admin"]
            try:
                rounds.open_round(collect, session, admin, stage, date(2025, 8, day))
                outcomes.append("opened")
            except workflow.WorkflowError as exc:
                assert "刚刚已由他人开启" in str(exc)
                outcomes.append("refused")

    for trial in range(8):
        stage = (MONITOR, EVALUATION)[trial % 2]
        with collect.writer() as session:  # a fresh start for the trial
            session.query(Round).delete()
            session.commit()
        barrier = threading.Barrier(2, timeout=60)
        outcomes: list[str] = []
        threads = [threading.Thread(target=open_it, args=(stage, day, barrier, outcomes)) for day in (10, 20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(outcomes) == 2 and "opened" in outcomes, outcomes
        with collect.session() as session:
            rows = list(session.scalars(select(Round).where(Round.stage == stage)))
            assert len(rows) == 1 and rows[0].deadline in (date(2025, 8, 10), date(2025, 8, 20))
