"""The status board: every department with the state of its current submission and what is in it.

A department's state follows from its latest submitted version (drafts do not count):
未提交 (none) · 已提交·有错误 · 已提交·待审核 · 已退回 · 已通过.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only

from .models import ACCEPTED, GOALS, RETURNED, SUBMITTED, CollectionDepartment, Submission, Transition

NOT_SUBMITTED = "未提交"
WITH_ERRORS = "已提交·有错误"
PENDING = "已提交·待审核"
RETURNED_STATE = "已退回"
ACCEPTED_STATE = "已通过"
BOARD_STATES = (NOT_SUBMITTED, WITH_ERRORS, PENDING, RETURNED_STATE, ACCEPTED_STATE)
BOARD_HEADERS = ("部门编码", "部门名称", "状态", "最近提交时间", "提交次数", "项目数", "指标数", "预算合计（万元）",
                 "错误", "警告", "等级（优/良/中/差）", "当前版本")
GRADES = ("优", "良", "中", "差")


@dataclass
class BoardRow:
    department: CollectionDepartment
    state: str
    submission: Submission | None
    submissions: int

    @property
    def last_submitted(self) -> datetime | None:
        return self.submission.submitted_at if self.submission else None

    @property
    def budget(self) -> Decimal:
        return Decimal(self.submission.budget) if self.submission else Decimal(0)

    @property
    def projects(self) -> int:
        return self.submission.projects if self.submission else 0

    @property
    def indicators(self) -> int:
        return self.submission.indicators if self.submission else 0

    @property
    def errors(self) -> int:
        return self.submission.errors if self.submission else 0

    @property
    def warnings(self) -> int:
        return self.submission.warnings if self.submission else 0

    def grade_counts(self) -> dict[str, int]:
        counts = Counter(g["grade"] for g in (self.submission.grades if self.submission else {}).values())
        return {g: counts.get(g, 0) for g in GRADES}

    def grades_text(self) -> str:
        counts = self.grade_counts()
        return "/".join(str(counts[g]) for g in GRADES) if self.submission else ""

    def cells(self) -> list:
        when = self.last_submitted.strftime("%Y-%m-%d %H:%M:%S") if self.last_submitted else ""
        return [self.department.code, self.department.name, self.state, when, self.submissions, self.projects,
                self.indicators, float(self.budget), self.errors, self.warnings, self.grades_text(),
                self.submission.id if self.submission else ""]


def state_of(submission: Submission | None) -> str:
    if submission is None:
        return NOT_SUBMITTED
    if submission.state == ACCEPTED:
        return ACCEPTED_STATE
    if submission.state == RETURNED:
        return RETURNED_STATE
    return WITH_ERRORS if submission.errors else PENDING


# What a board row shows of a submission: loaded at once; any other column (the file's hash for a merge,
# the round's figures) is loaded when a caller asks for it, inside its session.
BOARD_COLUMNS = (Submission.id, Submission.department_id, Submission.state, Submission.stage, Submission.version,
                 Submission.submitted_at, Submission.errors, Submission.warnings, Submission.projects,
                 Submission.indicators, Submission.budget, Submission.grades)


def board(session: Session, collection_id: int, stage: str = GOALS, also: tuple = ()) -> list[BoardRow]:
    """One row per department, in 部门编码 order, for the round of ``stage`` (the 目标申报 round by default);
    ``also``: further Submission columns the caller reads of every row, loaded with the rest."""
    departments = list(session.scalars(select(CollectionDepartment).where(CollectionDepartment.collection_id == collection_id)
                                       .order_by(CollectionDepartment.code)))
    current: dict[int, Submission] = {}
    count: Counter[int] = Counter()
    for submission in session.scalars(select(Submission).options(load_only(*BOARD_COLUMNS, *also)).where(
            Submission.stage == stage,
            Submission.state.in_((SUBMITTED, RETURNED, ACCEPTED, "superseded"))).order_by(Submission.id)):
        count[submission.department_id] += 1
        if submission.state in (SUBMITTED, RETURNED, ACCEPTED):
            current[submission.department_id] = submission
    return [BoardRow(d, state_of(current.get(d.id)), current.get(d.id), count[d.id]) for d in departments]



def round_progress(session: Session, collection_id: int, stage: str) -> tuple[int, int, int]:
    """(departments, with a current submission, accepted) of a round: what its tab shows, from two small
    queries instead of the board's rows."""
    departments = session.scalar(select(func.count()).select_from(CollectionDepartment)
                                 .where(CollectionDepartment.collection_id == collection_id)) or 0
    latest: dict[int, str] = {}
    for department_id, state in session.execute(
            select(Submission.department_id, Submission.state).join(CollectionDepartment)
            .where(CollectionDepartment.collection_id == collection_id, Submission.stage == stage,
                   Submission.state.in_((SUBMITTED, RETURNED, ACCEPTED))).order_by(Submission.id)):
        latest[department_id] = state
    return departments, len(latest), sum(1 for state in latest.values() if state == ACCEPTED)


def change_stamp(session: Session, collection_id: int) -> tuple[int, ...]:
    """What the board shows changes only with these: a submission enters the board (and every later change
    of its state) through a new transition (workflow._move; an upload is a draft, which the board does not
    show, until it is submitted), and a department is only ever added. One small query, so that a page may
    keep the board it rendered until the stamp moves (the rounds' deadlines are the caller's to compare)."""
    found = session.execute(select(
        select(func.coalesce(func.max(Transition.id), 0)).scalar_subquery(),
        select(func.count()).select_from(CollectionDepartment)
        .where(CollectionDepartment.collection_id == collection_id).scalar_subquery(),
        select(func.coalesce(func.max(CollectionDepartment.id), 0)).scalar_subquery())).one()
    return tuple(int(value) for value in found)


SORT_KEYS = {
    "code": lambda r: r.department.code,
    "name": lambda r: r.department.name,
    "state": lambda r: BOARD_STATES.index(r.state),
    "time": lambda r: r.last_submitted or datetime.min,
    "budget": lambda r: r.budget,
    "projects": lambda r: r.projects,
    "errors": lambda r: r.errors,
    "warnings": lambda r: r.warnings,
}


def filtered(rows: list[BoardRow], *, state: str = "", query: str = "", sort: str = "code",
             descending: bool = False) -> list[BoardRow]:
    """The board as the page shows it: one state, a search in code or name, sorted by a column."""
    if state:
        rows = [r for r in rows if r.state == state]
    if query:
        rows = [r for r in rows if query in r.department.code or query in r.department.name]
    return sorted(rows, key=SORT_KEYS.get(sort, SORT_KEYS["code"]), reverse=descending)


def write_board(rows: list[BoardRow], output: str | os.PathLike[str], *, year: int | None = None,
                overwrite: bool = False) -> Path:
    """The board as an xlsx (written atomically): one row per department and a total line."""
    import xlsxwriter

    from ..io.atomic import atomic_path

    with atomic_path(output, overwrite=overwrite, suffix=".xlsx") as temp:
        workbook = xlsxwriter.Workbook(str(temp), {"strings_to_formulas": False, "strings_to_urls": False})
        sheet = workbook.add_worksheet("征集状态")
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        money = workbook.add_format({"num_format": "0.00"})
        title = workbook.add_format({"bold": True, "font_size": 13})
        counts = Counter(r.state for r in rows)
        sheet.write(0, 0, f"{year or ''}年度部门预算绩效目标征集状态：" + "，".join(
            f"{s} {counts.get(s, 0)}" for s in BOARD_STATES), title)
        for col, header in enumerate(BOARD_HEADERS):
            sheet.write_string(1, col, header, bold)
        for number, row in enumerate(rows, start=2):
            for col, value in enumerate(row.cells()):
                if isinstance(value, str):
                    sheet.write_string(number, col, value)
                elif col == 7:
                    sheet.write_number(number, col, value, money)
                else:
                    sheet.write_number(number, col, value)
        total_row = len(rows) + 2
        sheet.write_string(total_row, 0, "合计", bold)
        sheet.write_number(total_row, 5, sum(r.projects for r in rows))
        sheet.write_number(total_row, 6, sum(r.indicators for r in rows))
        sheet.write_number(total_row, 7, float(sum((r.budget for r in rows), Decimal(0))), money)
        for col, width in enumerate((10, 30, 14, 20, 8, 8, 8, 16, 6, 6, 16, 10)):
            sheet.set_column(col, col, width)
        sheet.freeze_panes(2, 2)
        sheet.autofilter(1, 0, max(1, len(rows) + 1), len(BOARD_HEADERS) - 1)
        workbook.close()
    return Path(output)


def budget_chart_svg(rows: list[BoardRow], *, width: int = 760, bar_height: int = 20) -> str:
    """A horizontal bar chart of 预算合计 by department, drawn as SVG on the server (no script)."""
    from html import escape

    shown = [r for r in rows if r.submission is not None]
    if not shown:
        return '<p class="muted">还没有部门提交。</p>'
    top = max((r.budget for r in shown), default=Decimal(0)) or Decimal(1)
    label_width, value_width = 220, 110
    bar_space = width - label_width - value_width
    height = bar_height * len(shown) + 10
    colours = {ACCEPTED_STATE: "#4a8a4a", RETURNED_STATE: "#c07a1c", WITH_ERRORS: "#b03a2e", PENDING: "#2f5d8a"}
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="各部门预算合计" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" font-size="12">')]
    for n, row in enumerate(shown):
        y = 5 + n * bar_height
        length = int(bar_space * float(row.budget / top)) if top else 0
        label = escape(f"{row.department.code} {row.department.name}"[:22])
        parts.append(f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{max(1, length)}" height="{bar_height - 6}" '
                     f'fill="{colours.get(row.state, "#777")}"><title>{escape(row.state)}</title></rect>')
        parts.append(f'<text x="{label_width + length + 4}" y="{y + 14}">{row.budget:,.2f} 万元</text>')
    parts.append("</svg>")
    return "".join(parts)
