"""Collection rounds per stage of the budget year (issue 22): 目标申报, 运行监控, 年度自评.

The bureau opens a round with a deadline; in the 运行监控 and 年度自评 rounds a department downloads its form
pre-filled from its accepted goals (`wbe render --form` of its accepted 目标申报 workbook), fills it in and
uploads it; the form is read back by `wbe extract` into a canonical workbook with the year sheets, and that
workbook is what is checked, stored, reviewed, diffed and merged like any other submission (the form is kept
beside it as it came). A collection without rounds is the 目标申报 round, as the box was before.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import InputError
from .accounts import audit
from .board import GRADES
from .database import begin_write
from .figures import MONITOR_FLAGS, figures_of
from .models import (
    ACCEPTED,
    DEPARTMENT,
    EVALUATION,
    GOALS,
    MONITOR,
    RETURNED,
    STAGE_NAMES,
    STAGES,
    SUBMITTED,
    Round,
    Submission,
    User,
)
from .workflow import Forbidden, NotFound, WorkflowError, blob_path, is_bureau, not_open_message, staged

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the backport, as review/config.py reads it
    import tomli as tomllib

if TYPE_CHECKING:
    from .service import Collect

FORM_OF = {MONITOR: "monitor", EVALUATION: "evaluation"}  # the `wbe render --form` of a round's uploads


def form_name(stage: str) -> str:
    """The name of a round's form as the county's template gives it (templates/monitor-form.toml …)."""
    from ..official.forms_layout import form_template

    return form_template(FORM_OF[stage]).name if stage in FORM_OF else "规范工作簿"


@dataclass(frozen=True)
class RoundInfo:
    """A round as the pages show it (a plain copy, read while the session is open)."""

    stage: str
    opened: bool
    deadline: date | None
    period: str
    opened_at: datetime | None

    @property
    def name(self) -> str:
        return STAGE_NAMES[self.stage]

    @property
    def takes_forms(self) -> bool:
        return self.stage in FORM_OF

    @property
    def form_name(self) -> str:
        return form_name(self.stage)

    def overdue(self, when: datetime | None = None) -> bool:
        """Whether ``when`` (UTC, as stored; now without one) is after the deadline's day, in local time."""
        if self.deadline is None:
            return False
        moment = (when or datetime.now(timezone.utc).replace(tzinfo=None)).replace(tzinfo=timezone.utc).astimezone()
        return moment.date() > self.deadline


def stage_of(text: Any) -> str:
    """A stage named in a URL or form; anything else is "no such round"."""
    if text in (None, ""):
        return GOALS
    if text not in STAGES:
        raise NotFound("没有这个征集轮次。")
    return str(text)


def _info(stage: str, row: Round | None) -> RoundInfo:
    if row is None:
        return RoundInfo(stage, stage == GOALS, None, "", None)
    return RoundInfo(stage, True, row.deadline, row.period, row.opened_at)


def round_info(session: Session, collection_id: int, stage: str) -> RoundInfo:
    row = session.scalar(select(Round).where(Round.collection_id == collection_id, Round.stage == stage))
    return _info(stage, row)


def rounds(session: Session, collection_id: int) -> list[RoundInfo]:
    """Every stage in the year's order, opened or not (the 目标申报 round is open without a row)."""
    rows = {r.stage: r for r in session.scalars(select(Round).where(Round.collection_id == collection_id))}
    return [_info(stage, rows.get(stage)) for stage in STAGES]


def county_period(config_text: str | None) -> str:
    """The county's 监控期间 (wbe.toml `monitor-period` of the year table, default 1-7月)."""
    from ..year_config import ConfigError, YearConfig, parse_year_config

    if not config_text:
        return YearConfig().monitor_period
    try:
        table = tomllib.loads(config_text).get("tool", {}).get("workbook-engine", {}).get("year")
        return parse_year_config(table).monitor_period if isinstance(table, dict) else YearConfig().monitor_period
    except (tomllib.TOMLDecodeError, ConfigError) as exc:
        raise WorkflowError(f"本县审核配置（wbe.toml）的年度设置无效：{exc}。请管理员在“账号管理”中改正。") from None


def open_round(collect: Collect, session: Session, user: User, stage: str, deadline: date | None) -> RoundInfo:
    """Open the round of ``stage`` (or change its deadline): the bureau's reviewers and administrators only.

    The 运行监控 round's period is the county's (wbe.toml), so the forms it hands out and the checks of what
    comes back agree."""
    from .config import current

    if not is_bureau(user):
        raise Forbidden("只有财政审核人和管理员可以开启征集轮次。")
    stage = stage_of(stage)
    period = county_period(current(collect, session).text) if stage == MONITOR else ""
    begin_write(session)
    collection = collect.collection(session)
    row = session.scalar(select(Round).where(Round.collection_id == collection.id, Round.stage == stage))
    shown = deadline.isoformat() if deadline else "无截止日期"
    if row is None:
        row = Round(collection_id=collection.id, stage=stage, deadline=deadline, period=period, opened_by=user.id)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:  # opened at the same moment by someone else: theirs stands
            session.rollback()
            raise WorkflowError(f"“{STAGE_NAMES[stage]}”轮次刚刚已由他人开启。请刷新页面。") from None
        audit(session, "round", f"开启“{STAGE_NAMES[stage]}”轮次，截止日期 {shown}"
              + (f"，监控期间 {period}" if period else ""), user=user)
    else:
        row.deadline = deadline
        audit(session, "round", f"“{STAGE_NAMES[stage]}”轮次的截止日期改为 {shown}", user=user)
    session.commit()
    return _info(stage, row)


def parse_deadline(text: str) -> date | None:
    """A deadline typed as 2025-08-15 (the date input's form); empty for none."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise WorkflowError(f"截止日期“{text[:20]}”无法识别。请写成 2025-08-15 这样的日期。") from None


def open_for_uploads(session: Session, collection_id: int, stage: str) -> RoundInfo:
    """The round, refused when it was not opened yet (a department cannot upload into it)."""
    found = round_info(session, collection_id, stage)
    if not found.opened:
        raise WorkflowError(not_open_message(stage))
    return found


def accepted_goals(session: Session, department_id: int) -> Submission | None:
    """The department's current 目标申报 submission where the bureau accepted it."""
    current = session.scalar(select(Submission).where(
        Submission.department_id == department_id, Submission.stage == GOALS,
        Submission.state.in_((SUBMITTED, RETURNED, ACCEPTED))).order_by(Submission.id.desc()))
    return current if current is not None and current.state == ACCEPTED else None


def goals_for_forms(session: Session, department_id: int, stage: str) -> Submission:
    """The accepted goals a form of the round is made from and checked against; refused without them."""
    goals = accepted_goals(session, department_id)
    if goals is None:
        name = form_name(stage)
        raise WorkflowError(f"本部门的绩效目标（目标申报轮次）还没有通过财政局审核，暂不能生成或上传{name}。"
                            "请先在“目标申报”轮次提交并等待审核通过。")
    return goals


@dataclass
class Prefilled:
    path: Path
    filename: str  # the name the download is offered under


def prefilled_form(collect: Collect, session: Session, user: User, stage: str, output: Path) -> Prefilled:
    """The department's form of the round, pre-filled from its accepted goals: `wbe render --form monitor
    (--period of the round) | evaluation` of the accepted 目标申报 workbook."""
    from ..official.forms import render_forms

    if user.role != DEPARTMENT or user.department_id is None:
        raise Forbidden("只有部门填报人可以下载本部门的表。")
    stage = stage_of(stage)
    if stage not in FORM_OF:
        raise NotFound("这个轮次没有要下载的表。")
    collection = collect.collection(session)
    found = open_for_uploads(session, collection.id, stage)
    goals = goals_for_forms(session, user.department_id, stage)
    shown = f"{goals.department.code}-{collection.year}年度{found.form_name}.xlsx"
    goals_id = goals.id
    with collect.scratch() as folder:
        source = staged(collect, goals, folder)
        session.rollback()  # no transaction is held while the form is rendered
        result = render_forms(source, output, kind=FORM_OF[stage], period=found.period or None,
                              overwrite=True, force=True)
    if result.refused or not result.files:
        raise WorkflowError(f"无法生成{found.form_name}：已通过的目标工作簿中没有本部门的项目。")
    begin_write(session)
    audit(session, "form", f"下载{found.form_name}（由第 {goals_id} 号已通过的目标生成）", user=user)
    session.commit()
    return Prefilled(output, shown)


def read_form(path: Path, output: Path, stage: str, goals: Path | None = None, goals_id: int | None = None
              ) -> list[Any]:
    """Read an uploaded form back into a canonical workbook with the year sheets (`wbe extract`); returns the
    extract's findings. Refused with one Chinese message when the file holds no form of the round, or when the
    goals it keeps (its hidden 目标数据) are not those of the accepted goals workbook ``goals`` (a form of an
    older version of the goals, or one whose hidden sheet was edited)."""
    from ..official.forms import is_form_workbook
    from ..official.pipeline import extract_official
    from ..validation import check as check_book

    name = form_name(stage)
    if not is_form_workbook(path):
        raise InputError(f"{path}：不是{name}。请先在本页下载本部门预填的{name}，填写后上传该文件。")
    book, report = extract_official([path], output, overwrite=True)
    if goals is not None:
        accepted = check_book(Path(goals)).book
        codes = {p.dept_code for p in book.projects}
        if [p for p in accepted.projects if p.dept_code in codes] != book.projects or \
                [i for i in accepted.indicators if i.dept_code in codes] != book.indicators:
            raise InputError(f"{path}：表中的项目和指标与财政局通过的绩效目标（第 {goals_id} 号）不一致（可能是按旧版本"
                             f"目标下载的表）。请在本页重新下载预填的{name}，把填写的内容转过去后再上传。")
    rows = book.monitor_projects + book.monitor_indicators if stage == MONITOR else \
        book.evaluation_projects + book.evaluation_indicators
    if not rows:
        other = form_name(EVALUATION if stage == MONITOR else MONITOR)
        has_other = bool(book.evaluation_projects or book.evaluation_indicators) if stage == MONITOR else \
            bool(book.monitor_projects or book.monitor_indicators)
        if has_other:
            raise InputError(f"{path}：这是{other}，不是本轮次的{name}。请上传{name}。")
        raise InputError(f"{path}：{name}中还没有填写任何内容。请填写执行数、完成情况等后再上传。")
    return list(report.findings)


def upload_form(collect: Collect, session: Session, user: User, filename: str, data: bytes, stage: str
                ) -> Submission:
    """A department's filled form of a 运行监控/年度自评 round, read back (read_form) and kept as a draft: the
    canonical workbook read from it is checked like any upload (workflow.upload), the form kept beside it."""
    from .config import current
    from .workflow import MAX_UPLOAD_BYTES, check_file, upload

    stage = stage_of(stage)
    if stage not in FORM_OF:
        return upload(collect, session, user, filename, data)
    shown = Path(filename or "上传.xlsx").name
    if user.role != DEPARTMENT or user.department_id is None:
        raise Forbidden("只有部门填报人可以上传本部门的表。")
    open_for_uploads(session, collect.collection(session).id, stage)
    goals = goals_for_forms(session, user.department_id, stage)
    goals_path, goals_id = blob_path(collect, goals), goals.id
    county = current(collect, session)
    session.rollback()
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(f"{shown}：文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB 的上传上限。")
    with collect.scratch() as folder:
        form = folder / ("form" + (Path(shown).suffix.lower() or ".xlsx"))
        form.write_bytes(data)
        canonical = folder / "read-back" / "workbook.xlsx"
        canonical.parent.mkdir()
        try:
            from ..io.guard import check_xlsx

            check_xlsx(form)
            notes = read_form(form, canonical, stage, goals_path, goals_id)
            checked = check_file(canonical, county.text, county.sha256, stage=stage)
        except InputError as exc:
            raise InputError(str(exc).replace(str(form), shown).replace(str(canonical), shown)) from None
        checked.report["source_findings"] = [{"code": f.code, "where": " ".join(x for x in (f.sheet or "", f.cell or "") if x),
                                              "message": f.message} for f in notes]
        read_back = canonical.read_bytes()
        checked.sha256 = hashlib.sha256(read_back).hexdigest()
        return upload(collect, session, user, shown, read_back, checked=checked, stage=stage, source=data)


# --- the county overview -------------------------------------------------------------------------------

@dataclass
class OverviewDepartment:
    """One department's current submission of the round and its figures."""

    code: str
    name: str
    state: str  # the board's state text
    submission_id: int | None
    late: bool
    projects: list[dict[str, Any]]

    def total(self, key: str) -> float:
        return round(sum(p.get(key) or 0 for p in self.projects), 2)

    @property
    def rate(self) -> float | None:
        budget = self.total("budget")
        return round(self.total("executed") / budget * 100, 2) if budget else None

    @property
    def flagged(self) -> int:
        return sum(1 for p in self.projects if p.get("flagged"))

    @property
    def mean_total(self) -> float | None:
        totals = [p["total"] for p in self.projects if p.get("total") is not None]
        return round(sum(totals) / len(totals), 2) if totals else None


@dataclass
class Overview:
    year: int
    round: RoundInfo
    departments: list[OverviewDepartment]

    @property
    def projects(self) -> list[tuple[OverviewDepartment, dict[str, Any]]]:
        return [(d, p) for d in self.departments for p in d.projects]

    def grade_counts(self) -> dict[str, int]:
        counts = {g: 0 for g in GRADES}
        for _d, p in self.projects:
            if p.get("grade") in counts:
                counts[p["grade"]] += 1
        return counts


def overview(collect: Collect, session: Session, stage: str) -> Overview:
    """The county overview of a 运行监控 or 年度自评 round: every department with its current submission of
    the round (submitted, returned or accepted; its state said) and that submission's figures."""
    from .board import board

    stage = stage_of(stage)
    if stage not in FORM_OF:
        raise NotFound("目标申报轮次没有县级汇总；请看征集状态和合并。")
    collection = collect.collection(session)
    found = round_info(session, collection.id, stage)
    departments = []
    for row in board(session, collection.id, stage=stage, also=(Submission.figures,)):  # one query
        submission = row.submission
        departments.append(OverviewDepartment(
            row.department.code, row.department.name, row.state, submission.id if submission else None,
            found.overdue(submission.submitted_at) if submission else False,
            list((submission.figures or {}).get("projects", [])) if submission else []))
    return Overview(collection.year, found, departments)


def overview_chart_svg(view: Overview, *, width: int = 760, bar_height: int = 22) -> str:
    """The overview's chart, drawn on the server: 执行率 against plan per project (运行监控), or each
    project's 自评 total coloured by grade (年度自评)."""
    from html import escape

    rows = view.projects
    if not rows:
        return '<p class="muted">还没有部门提交。</p>'
    label_width, value_width = 250, 150
    space = width - label_width - value_width
    height = bar_height * len(rows) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(view.round.name)}县级汇总图" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-size="12">']
    colours = {"优": "#4a8a4a", "良": "#2f5d8a", "中": "#c07a1c", "差": "#b03a2e"}
    for n, (dept, project) in enumerate(rows):
        y = 5 + n * bar_height
        label = escape(f"{dept.code} {project.get('name') or project.get('code')}"[:24])
        parts.append(f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{label}</text>')
        if view.round.stage == MONITOR:
            rate, planned = project.get("rate"), project.get("planned")
            length = int(space * min(rate or 0, 100) / 100)
            colour = "#b03a2e" if project.get("flagged") else "#2f5d8a"
            parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{max(1, length)}" height="{bar_height - 8}" '
                         f'fill="{colour}"><title>执行率</title></rect>')
            if planned is not None:
                x = label_width + int(space * min(planned, 100) / 100)
                parts.append(f'<line x1="{x}" y1="{y}" x2="{x}" y2="{y + bar_height - 2}" stroke="#222" '
                             f'stroke-width="2"><title>计划进度 {planned:.2f}%</title></line>')
            text = (f"{rate:.2f}%" if rate is not None else "—") + (f" / 计划 {planned:.2f}%" if planned is not None else "")
        else:
            total = project.get("total")
            length = int(space * min(total or 0, 100) / 100)
            parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{max(1, length)}" height="{bar_height - 8}" '
                         f'fill="{colours.get(project.get("grade") or "", "#777")}"><title>{escape(project.get("grade") or "")}</title></rect>')
            text = (f"{total:.2f} 分" if total is not None else "—") + f" {project.get('grade') or ''}"
        parts.append(f'<text x="{label_width + length + 6}" y="{y + 14}">{escape(text)}</text>')
    legend_y = height - 8
    parts.append(f'<text x="{label_width}" y="{legend_y}" fill="#555">'
                 + ("条形：执行率（红色为有提示的项目）；竖线：按资金支出计划应达到的进度" if view.round.stage == MONITOR
                    else "条形：自评总分（颜色为等级：优 绿、良 蓝、中 橙、差 红）") + "</text>")
    parts.append("</svg>")
    return "".join(parts)


MONITOR_HEADERS = ("部门编码", "部门名称", "状态", "项目编码", "项目名称", "监控期间", "全年预算数（万元）",
                   "执行数（万元）", "执行率（%）", "计划进度（%）", "落后计划（百分点）", "提示")
EVALUATION_HEADERS = ("部门编码", "部门名称", "状态", "项目编码", "项目名称", "预算执行率（%）", "预算执行率得分",
                      "总分", "等级")


def write_overview(view: Overview, output: str | Path, *, overwrite: bool = False) -> Path:
    """The county workbook of a round's overview (written atomically): one row per project of every
    department, a summary per department, and a chart sheet (xlsxwriter chart) over the project rows."""
    import xlsxwriter

    from ..io.atomic import atomic_path

    monitor = view.round.stage == MONITOR
    headers = MONITOR_HEADERS if monitor else EVALUATION_HEADERS
    with atomic_path(output, overwrite=overwrite, suffix=".xlsx") as temp:
        workbook = xlsxwriter.Workbook(str(temp), {"strings_to_formulas": False, "strings_to_urls": False})
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        title = workbook.add_format({"bold": True, "font_size": 13})
        money = workbook.add_format({"num_format": "0.00"})
        flagged = workbook.add_format({"num_format": "0.00", "font_color": "#B03A2E", "bold": True})
        data_name = "运行监控汇总" if monitor else "绩效自评汇总"
        sheet = workbook.add_worksheet(data_name)
        sheet.write_string(0, 0, f"{view.year}年度{view.round.name}县级汇总"
                           + (f"（监控期间 {view.round.period}）" if monitor and view.round.period else ""), title)
        for col, header in enumerate(headers):
            sheet.write_string(1, col, header, bold)
        r = 2
        for dept, project in view.projects:
            base = [dept.code, dept.name, dept.state + ("（逾期）" if dept.late else ""), project.get("code", ""),
                    project.get("name", "")]
            if monitor:
                values: list[Any] = [*base, project.get("period", ""), project.get("budget"), project.get("executed"),
                                     project.get("rate"), project.get("planned"), project.get("behind"),
                                     "；".join(project.get("flags") or [])]
            else:
                values = [*base, project.get("budget_rate"), project.get("budget_score"), project.get("total"),
                          project.get("grade", "")]
            for col, value in enumerate(values):
                if isinstance(value, str):
                    sheet.write_string(r, col, value)
                elif value is not None:
                    sheet.write_number(r, col, value, flagged if monitor and col == 8 and project.get("flagged") else money)
            r += 1
        last = r - 1
        widths = (10, 24, 14, 24, 28, 10, 14, 12, 10, 10, 12, 60) if monitor else (10, 24, 14, 24, 28, 14, 14, 10, 8)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        sheet.freeze_panes(2, 3)
        if last >= 2:
            sheet.autofilter(1, 0, last, len(headers) - 1)
        _summary_sheet(workbook, view, bold, title, money)
        chart_sheet = workbook.add_chartsheet("汇总图")
        chart = workbook.add_chart({"type": "bar"})
        categories = [data_name, 2, 4, max(2, last), 4]
        if monitor:
            chart.add_series({"name": "执行率（%）", "categories": categories,
                              "values": [data_name, 2, 8, max(2, last), 8], "fill": {"color": "#2F5D8A"}})
            chart.add_series({"name": "计划进度（%）", "categories": categories,
                              "values": [data_name, 2, 9, max(2, last), 9], "fill": {"color": "#BBBBBB"}})
            chart.set_title({"name": f"{view.year}年度运行监控：各项目执行率与计划进度"})
            chart.set_x_axis({"name": "%", "min": 0})
        else:
            chart.add_series({"name": "自评总分", "categories": categories,
                              "values": [data_name, 2, 7, max(2, last), 7], "fill": {"color": "#4A8A4A"},
                              "data_labels": {"value": True}})
            chart.set_title({"name": f"{view.year}年度绩效自评：各项目总分"})
            chart.set_x_axis({"name": "分", "min": 0, "max": 100})
        chart.set_y_axis({"reverse": True})
        chart_sheet.set_chart(chart)
        workbook.close()
    return Path(output)


def _summary_sheet(workbook: Any, view: Overview, bold: Any, title: Any, money: Any) -> None:
    monitor = view.round.stage == MONITOR
    sheet = workbook.add_worksheet("部门汇总")
    sheet.write_string(0, 0, f"{view.year}年度{view.round.name}：各部门", title)
    headers = (("部门编码", "部门名称", "状态", "项目数", "全年预算数（万元）", "执行数（万元）", "执行率（%）", "有提示的项目")
               if monitor else ("部门编码", "部门名称", "状态", "项目数", "平均总分", *GRADES))
    for col, header in enumerate(headers):
        sheet.write_string(1, col, header, bold)
    for r, dept in enumerate(view.departments, start=2):
        sheet.write_string(r, 0, dept.code)
        sheet.write_string(r, 1, dept.name)
        sheet.write_string(r, 2, dept.state + ("（逾期）" if dept.late else ""))
        sheet.write_number(r, 3, len(dept.projects))
        if monitor:
            values: list[Any] = [dept.total("budget"), dept.total("executed"), dept.rate, dept.flagged]
        else:
            grades = [p.get("grade") for p in dept.projects]
            values = [dept.mean_total, *(grades.count(g) for g in GRADES)]
        for col, value in enumerate(values, start=4):
            if value is not None:
                sheet.write_number(r, col, value, money if isinstance(value, float) else None)
    for col, width in enumerate((10, 24, 14, 8, 16, 14, 12, 12, 8)):
        sheet.set_column(col, col, width)


def deadline_text(deadline: date | None) -> str:
    return deadline.isoformat() if deadline else "未设截止日期"


def days_left(deadline: date | None) -> int | None:
    if deadline is None:
        return None
    return (deadline - (datetime.now(timezone.utc).astimezone().date())).days


__all__ = ["RoundInfo", "rounds", "round_info", "open_round", "prefilled_form", "read_form", "figures_of",
           "overview", "write_overview", "overview_chart_svg", "stage_of", "FORM_OF", "form_name", "MONITOR_FLAGS"]
