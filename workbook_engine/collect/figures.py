"""The figures of a round's county overview (issue 22), computed from the check of one upload and kept with
its submission: for 运行监控 each project's 执行率 against its plan at the end of the period and whether it is
flagged, for 年度自评 each project's scores and grade (scoring.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import EVALUATION, MONITOR

if TYPE_CHECKING:
    from ..validation import Checked as ValidationChecked

# Findings on the 监控 sheets that flag a project in the county overview of the 运行监控 round.
MONITOR_FLAGS = ("WBE-W236", "WBE-E235", "WBE-E237", "WBE-E238")


def _float(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def figures_of(checked: ValidationChecked, stage: str) -> dict[str, Any]:
    """What the round's county overview shows of one checked workbook, kept with its submission: for
    运行监控 each project's 执行率 against its plan at the end of the period and whether it is flagged; for
    年度自评 each project's scores and grade (scoring.py, with the county's weights beside the file)."""
    book = checked.book
    names = {p.code: p.name for p in book.projects}
    if stage == MONITOR:
        return {"projects": _monitor_figures(checked, names)}
    if stage == EVALUATION:
        from ..scoring import score_book
        from ..year_config import load_year_config

        scores = score_book(book, load_year_config(checked.loaded.path))
        return {"projects": [{"code": s.project_code, "name": names.get(s.project_code, ""),
                              "budget_rate": _float(s.budget_rate), "budget_score": _float(s.budget_score),
                              "total": _float(s.total), "grade": s.grade or ""} for s in scores]}
    return {}


def _monitor_figures(checked: ValidationChecked, names: dict[str, str]) -> list[dict[str, Any]]:
    from ..validation.year_rules import planned_share
    from ..year_config import parse_period

    book, loaded = checked.book, checked.loaded
    projects = {p.code: p for p in book.projects}
    sheets = {kind: table.sheet_name for kind in ("monitor_projects", "monitor_indicators")
              if (table := loaded.table(kind)) is not None}
    owner = {(sheets.get("monitor_projects"), r.row): r.project_code for r in book.monitor_projects}
    owner.update({(sheets.get("monitor_indicators"), r.row): r.project_code for r in book.monitor_indicators})
    flags: dict[str, list[str]] = {}
    for found in checked.report.findings:
        code = owner.get((found.sheet, found.row))
        if code is not None and found.code in MONITOR_FLAGS:
            flags.setdefault(code, []).append(f"{found.cell or ''} {found.message}".strip())
    rows = []
    for row in book.monitor_projects:
        budget = row.full_budget or row.initial_budget
        rate = row.executed / budget * 100 if row.executed is not None and budget else None
        period = parse_period(row.period)
        project = projects.get(row.project_code)
        planned = planned_share(project, period[1]) if project is not None and period else None
        rows.append({"code": row.project_code, "name": names.get(row.project_code, ""), "period": row.period,
                     "budget": _float(budget), "executed": _float(row.executed), "rate": _float(rate),
                     "planned": _float(planned),
                     "behind": _float(planned - rate) if planned is not None and rate is not None else None,
                     "flagged": bool(flags.get(row.project_code)), "flags": flags.get(row.project_code, [])})
    return rows
