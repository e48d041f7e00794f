"""Reading filled-in budget-year forms (监控表, 自评表) back into a Book: the goals as rendered (kept in the
form's hidden 目标数据 sheet) and the 监控/自评 records typed by staff.

A sheet is a form when its title is a form template's title (项目支出绩效目标执行监控表（2024年度）). Rows are
found by their labels in template order (a row without labels of its own is the row after the previous
one); within a row, cells are at the template's columns (the sheets are protected, so columns do not move;
LibreOffice keeps them too). A goal cell whose text differs from the goal is reported cell by cell
(WBE-W221) and the goal is kept: a goal changes only through a formal 目标调整. A number that cannot be
read is reported (WBE-E222); nothing typed is dropped silently (unplaced cells: WBE-E071).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import model
from ..a1 import cell_name
from ..findings import Finding, Location, Report, finding
from ..grammar import label
from ..io.calamine_reader import CalamineWorkbook
from ..model import Book, Goal, Indicator, Project
from ..parsing import parse_text
from ..values import as_text, parse_number
from .extract import Grid
from .forms_layout import (
    EVALUATION,
    FORM_TEMPLATES,
    MONITOR,
    TICKS,
    UNTICKED,
    FormCellSpec,
    FormRowSpec,
    FormTemplate,
    form_template,
    label_text,
    normalize_period,
)
from .forms_render import DATA_SHEET
from .forms_values import key_of, record_key, records

_PERIOD_IN_LABEL = re.compile(r"\d{1,2}\s*[-—–~～至到]\s*\d{1,2}\s*月")
RECORD_CLASSES = {"goals": Goal, "projects": Project, "indicators": Indicator,
                  "monitor_projects": model.MonitorProject, "monitor_indicators": model.MonitorIndicator,
                  "evaluation_projects": model.EvaluationProject, "evaluation_indicators": model.EvaluationIndicator}
YEAR_LISTS = ("monitor_projects", "monitor_indicators", "evaluation_projects", "evaluation_indicators")


def record_class(kind: str) -> Any:
    return RECORD_CLASSES[kind]


def label_key(text: Any) -> str:
    """A label's comparison form, with the monitoring period as {period} (1—7月执行数 = 1-7月执行数)."""
    return label(_PERIOD_IN_LABEL.sub("{period}", as_text(text)))


def _period_of(text: Any) -> str | None:
    match = _PERIOD_IN_LABEL.search(as_text(text))
    return normalize_period(match.group(0)) if match else None


# --- the hidden data sheet -----------------------------------------------------------------------------------

def _decode(kind: str, data: dict[str, Any]) -> Any:
    cls = record_class(kind)
    if cls is None:
        return None
    values: dict[str, Any] = {}
    for item in fields(cls):
        if item.name not in data:
            continue
        value = data[item.name]
        if "Decimal" in str(item.type) and value is not None and value != "":
            value = Decimal(str(value))
        values[item.name] = value
    try:
        return cls(**values)
    except TypeError:
        return None


def read_data_sheet(grid: Grid) -> Book:
    """The goals and year sheets as rendered (one JSON record a row)."""
    book = Book()
    for line in grid.rows[1:]:
        if len(line) < 2 or not isinstance(line[0], str) or line[0] not in RECORD_CLASSES:
            continue
        try:
            data = json.loads(str(line[1]))
        except ValueError:
            continue
        record = _decode(line[0], data) if isinstance(data, dict) else None
        if record is not None:
            if not hasattr(book, line[0]):
                setattr(book, line[0], [])
            getattr(book, line[0]).append(record)
    return book


# --- one form sheet ------------------------------------------------------------------------------------------

def recognise(grid: Grid) -> tuple[FormTemplate, int | None, int, int] | None:
    """(template, year, row, column) of the sheet's title when it is a form's title."""
    for r in grid.nonempty_rows()[:3]:
        for c, value in grid.filled(r):
            text = "".join(as_text(value).split())
            for kind in FORM_TEMPLATES:
                template = form_template(kind)
                match = template.title_pattern.match(text)
                if match:
                    year = int(match.group("year")) if match.group("year") else None
                    return template, year, r, c
    return None


@dataclass
class SheetValues:
    """What one form sheet holds: project-level and per-indicator-row values by field, with their cells."""

    project: dict[str, tuple[Any, int, int]] = field(default_factory=dict)
    rows: list[dict[str, tuple[Any, int, int]]] = field(default_factory=list)
    period: str | None = None


class FormSheetReader:
    def __init__(self, grid: Grid, template: FormTemplate, findings: list[Finding], formulas: set[tuple[int, int]]):
        self.grid = grid
        self.template = template
        self.findings = findings
        self.formulas = formulas  # (0-based row, column) of formula cells
        self.values = SheetValues()

    def note(self, code: str, r: int | None, c: int | None, value: Any = None, /, variant: str | None = None,
             **extra: Any) -> None:
        at = Location.at(self.grid.name, None if r is None else r + 1, c)
        cell = cell_name(r + 1, c) if r is not None and c is not None else ""
        self.findings.append(finding(code, at, value, variant=variant, cell=cell, **extra))

    def find_row(self, spec: FormRowSpec, start: int) -> int | None:
        wanted = [label_key(label_text(t, "{period}")) for t in spec.labels if t]
        if not wanted:
            return None
        for r in self.grid.nonempty_rows():
            if r < start:
                continue
            keys = {label_key(v) for _, v in self.grid.filled(r)}
            if all(w in keys for w in wanted):
                return r
        return None

    def take_row(self, spec: FormRowSpec, r: int, into: dict[str, tuple[Any, int, int]]) -> None:
        for cell in spec.cells:
            if cell.continues:
                continue
            self.grid.used.add(self.grid.anchor(r, cell.col))
            if cell.label is not None:
                period = _period_of(self.grid.value(r, cell.col))
                if period and self.values.period is None:
                    self.values.period = period
                continue
            key = _cell_key(cell)
            if key is not None:
                into[key] = (self.grid.value(r, cell.col), r, cell.col)

    def read(self) -> SheetValues:
        template = self.template
        start = 0
        previous: int | None = None
        for spec in template.rows:
            r = self.find_row(spec, start)
            if r is None and not spec.labels and previous is not None:
                r = previous + 1
            if r is None:
                self.note("WBE-E072", None, None, labels="、".join(label_text(t, "") for t in spec.labels if t))
                continue
            self.take_row(spec, r, self.values.project)
            previous, start = r, r + 1
        header = self.find_row(template.indicator_header[0], start)
        if header is None:
            self.note("WBE-E072", None, None, variant="header")
            return self.values
        for offset, spec in enumerate(template.indicator_header):
            self.take_row(spec, header + offset, {})
        for helper in template.helpers:  # the hidden helper columns' captions, written beside the header
            self.grid.used.add(self.grid.anchor(header, helper.col))
        first = header + len(template.indicator_header)
        footer_rows: list[tuple[FormRowSpec, int]] = []
        search = first
        for spec in template.footer:
            r = self.find_row(spec, search)
            if r is not None:
                footer_rows.append((spec, r))
                search = r + 1
        end = footer_rows[0][1] if footer_rows else len(self.grid.rows)
        for r in self.grid.nonempty_rows():
            if first <= r < end:
                row: dict[str, tuple[Any, int, int]] = {}
                cells = FormRowSpec("indicator", (*template.indicator_cells, *template.helpers))
                for cell in cells.cells:
                    if cell.continues or cell.label is not None:
                        continue
                    self.grid.used.add(self.grid.anchor(r, cell.col))
                    key = _cell_key(cell)
                    if key is not None:
                        row[key] = (self.grid.value(r, cell.col), r, cell.col)
                self.values.rows.append(row)
        for spec, r in footer_rows:
            self.take_row(spec, r, self.values.project)
        return self.values


def _cell_key(cell: FormCellSpec) -> str | None:
    if cell.tick is not None:
        return f"{cell.tick}#{cell.option}"
    if cell.field is not None:
        return cell.field
    if cell.formula is not None and cell.id is not None:
        return f"formula.{cell.id}"
    return None


# --- from the values to records ----------------------------------------------------------------------------

def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == ""


def _shown(value: Any, kind: str) -> str:
    """A value compared as the form shows it: money to the cent, text without surrounding blanks."""
    if _blank(value):
        return ""
    if kind == "money":
        parsed = parse_number(value)
        return f"{parsed.value:.2f}" if parsed.value is not None else as_text(value).strip()
    return "".join(as_text(value).split())


def is_tick(value: Any) -> bool:
    return as_text(value).strip() in TICKS


def is_unticked(value: Any) -> bool:
    return as_text(value).strip() in UNTICKED


class FormBuilder:
    """Values of form sheets -> 监控/自评 records, the goals kept (changes reported)."""

    def __init__(self, kind: str, template: FormTemplate, goals: Book, findings: list[Finding], sheet: str):
        self.kind = kind
        self.template = template
        self.goals = goals
        self.findings = findings
        self.sheet = sheet

    def note(self, code: str, r: int | None, c: int | None, value: Any = None, /, variant: str | None = None,
             **extra: Any) -> None:
        at = Location.at(self.sheet, None if r is None else r + 1, c)
        cell = cell_name(r + 1, c) if r is not None and c is not None else ""
        self.findings.append(finding(code, at, value, variant=variant, cell=cell, **extra))

    def check_goal(self, spec: FormCellSpec, typed: tuple[Any, int, int] | None, expected: Any, name: str) -> None:
        if typed is None:
            return
        kind = "money" if spec.style == "money" else "text"
        if _shown(typed[0], kind) != _shown(expected, kind):
            self.note("WBE-W221", typed[1], typed[2], typed[0], name=name, typed=as_text(typed[0]) or "空",
                      goal=_shown(expected, kind) or "空")

    def money(self, value: tuple[Any, int, int] | None, name: str) -> Decimal | None:
        if value is None or _blank(value[0]):
            return None
        parsed = parse_number(value[0])
        if parsed.error or parsed.value is None:
            self.note("WBE-E222", value[1], value[2], value[0], name=name, text=as_text(value[0]))
            return None
        return parsed.value

    def points(self, value: tuple[Any, int, int] | None, name: str) -> Decimal | None:
        return self.money(value, name)


def _text(value: tuple[Any, int, int] | None) -> str:
    if value is None or _blank(value[0]):
        return ""
    return parse_text(value[0]).strip()


SPEC_NAMES = {"project.name": "项目名称", "project.budget": "年初预算数（年度资金总额）",
              "project.fiscal": "年初预算数（财政资金）", "project.other": "年初预算数（其他资金）",
              "project.goal": "年度目标", "indicator.level1": "一级指标", "indicator.level2": "二级指标",
              "indicator.level3": "三级指标", "indicator.value": "年度指标值"}


@dataclass
class FormFileResult:
    """What one form workbook holds: its goals (as rendered) with the records read, and the findings."""

    book: Book
    kinds: set[str]
    findings: list[Finding]


def read_form_file(path: str | os.PathLike[str]) -> FormFileResult:
    """Read one workbook of forms."""
    findings: list[Finding] = []
    with CalamineWorkbook(path) as workbook:
        grids = {name: Grid(workbook.grid(name)) for name in workbook.sheet_names}
        formulas = {name: {(r - 1, c) for (r, c) in workbook.scan(name).formulas} for name in workbook.sheet_names}
    data = grids.get(DATA_SHEET)
    goals = read_data_sheet(data) if data is not None else Book()
    if data is None:
        findings.append(finding("WBE-W224", Location.at(None), None))
    for name in YEAR_LISTS:
        if not hasattr(goals, name):
            setattr(goals, name, [])
    kinds: set[str] = set()
    read: dict[str, dict[str, list[Any]]] = {}
    for name, grid in grids.items():
        if name == DATA_SHEET:
            continue
        found = recognise(grid)
        if found is None:
            findings.append(finding("WBE-W070", Location.at(name), None, name=name))
            continue
        template, _year, title_row, title_col = found
        grid.used.add((title_row, title_col))
        values = FormSheetReader(grid, template, findings, formulas[name]).read()
        kinds.add(template.kind)
        project_record, indicator_records = _records(template, values, goals, findings, name, formulas[name])
        bucket = read.setdefault(template.kind, {"projects": [], "indicators": []})
        if project_record is not None:
            bucket["projects"].append(project_record)
        bucket["indicators"].extend(indicator_records)
        from .extract import report_unplaced

        report_unplaced(grid, grid.nonempty_rows(), findings)
    for kind, bucket in read.items():
        projects_list, indicators_list = ("monitor_projects", "monitor_indicators") if kind == MONITOR else \
            ("evaluation_projects", "evaluation_indicators")
        done = {r.project_code for r in bucket["projects"]} | {r.project_code for r in bucket["indicators"]}
        kept_projects = [r for r in getattr(goals, projects_list) if r.project_code not in done]
        kept_indicators = [r for r in getattr(goals, indicators_list) if r.project_code not in done]
        setattr(goals, projects_list, kept_projects + bucket["projects"])
        setattr(goals, indicators_list, kept_indicators + bucket["indicators"])
    return FormFileResult(goals, kinds, [replace(f, file=str(path)) for f in findings])


def _project_of(goals: Book, values: SheetValues) -> Project | None:
    name = _text(values.project.get("project.name"))
    found = [p for p in goals.projects if p.name == name]
    return found[0] if len(found) == 1 else None


def _records(template: FormTemplate, values: SheetValues, goals: Book, findings: list[Finding], sheet: str,
             formulas: set[tuple[int, int]]) -> tuple[Any, list[Any]]:
    builder = FormBuilder(template.kind, template, goals, findings, sheet)
    project = _project_of(goals, values)
    if project is None:
        typed = values.project.get("project.name")
        builder.note("WBE-W223", typed[1] if typed else None, typed[2] if typed else None,
                     typed[0] if typed else None, name=_text(typed) or "空")
        return None, []
    indicators = goals.indicators_of(project.code)
    # goals shown in the project rows
    for spec in template.rows + template.footer:
        for cell in spec.cells:
            if cell.goal and cell.field and cell.field.startswith("project."):
                builder.check_goal(cell, values.project.get(cell.field), getattr(project, cell.field.split(".", 1)[1]),
                                   SPEC_NAMES.get(cell.field, cell.field))
    kind = template.kind
    record = _project_record(builder, template, values, project, kind)
    rows = values.rows
    matched = _match_rows(rows, indicators)
    indicator_records = []
    for row, indicator in matched:
        if indicator is None:
            first = next(iter(row.values()), None)
            builder.note("WBE-W223", first[1] if first else None, first[2] if first else None,
                         variant="indicator", name=_text(row.get("indicator.level3")) or "空")
            continue
        for cell in template.indicator_cells:
            if cell.goal and cell.field:
                attr = cell.field.split(".", 1)[1]
                from ..layout import standard_level

                expected = standard_level(indicator, attr) if attr in ("level1", "level2") else getattr(indicator, attr)
                typed = row.get(cell.field)
                if typed is not None and cell.merge and _blank(typed[0]):
                    continue
                builder.check_goal(cell, typed, expected, SPEC_NAMES.get(cell.field, cell.field))
        made = _indicator_record(builder, template, row, indicator, kind, formulas)
        if made is not None:
            indicator_records.append(made)
    if record is None and indicator_records:
        record = _project_record(builder, template, values, project, kind, force=True)
    return record, indicator_records


def _match_rows(rows: list[dict[str, tuple[Any, int, int]]], indicators: list[Indicator]
                ) -> list[tuple[dict[str, tuple[Any, int, int]], Indicator | None]]:
    """Each indicator row with its indicator: by 一级/二级/三级 where they match, else by position."""
    by_key: dict[tuple[str, str, str, str], Indicator] = {key_of(i): i for i in indicators}
    taken: set[int] = set()
    pairs: list[tuple[dict[str, tuple[Any, int, int]], Indicator | None]] = []
    pending: list[int] = []
    last1 = last2 = ""
    for index, row in enumerate(rows):
        level1 = _text(row.get("indicator.level1")) or last1
        level2 = _text(row.get("indicator.level2")) or last2
        last1, last2 = level1, level2
        key = (indicators[0].project_code if indicators else "", *_key_tail(level1, level2,
                                                                             _text(row.get("indicator.level3"))))
        found = by_key.get(key)
        if found is not None and id(found) not in taken:
            taken.add(id(found))
            pairs.append((row, found))
        else:
            pairs.append((row, None))
            pending.append(index)
    free = [i for i in indicators if id(i) not in taken]
    for index in pending:
        if free:
            # a changed indicator text: matched by position among the unmatched ones (the change is reported)
            position = indicators.index(free[0])
            if position < len(rows):
                pairs[index] = (pairs[index][0], free.pop(0))
    return pairs


def _key_tail(level1: str, level2: str, level3: str) -> tuple[str, str, str]:
    from .forms_values import indicator_key

    return indicator_key("", level1, level2, level3)[1:]


def _tick_values(row: dict[str, tuple[Any, int, int]], choice: str, builder: FormBuilder
                 ) -> tuple[list[str], list[str]]:
    """(options chosen, texts typed in their cells) of a tick field."""
    chosen: list[str] = []
    texts: list[str] = []
    for key, value in row.items():
        if not key.startswith(choice + "#"):
            continue
        option = key.split("#", 1)[1]
        raw = value[0]
        if _blank(raw) or is_unticked(raw):
            continue
        chosen.append(option)
        if not is_tick(raw):
            texts.append(parse_text(raw).strip())
    return chosen, texts


def _project_record(builder: FormBuilder, template: FormTemplate, values: SheetValues, project: Project,
                    kind: str, force: bool = False) -> Any:
    v = values.project
    extra: dict[str, Any] = {}
    for spec in template.rows + template.footer:
        for cell in spec.cells:
            if cell.input and cell.field and ".extra." in cell.field:
                name = cell.field.split(".extra.", 1)[1]
                if cell.style == "money":
                    number = builder.money(v.get(cell.field), name)
                    if number is not None:
                        extra[name] = number
                elif _text(v.get(cell.field)):
                    extra[name] = _text(v.get(cell.field))
    if kind == MONITOR:
        cls = record_class("monitor_projects")
        full = builder.money(v.get("monitor.full_budget"), "全年预算数")
        executed = builder.money(v.get("monitor.executed"), "执行数")
        expected = builder.money(v.get("monitor.expected_executed"), "全年预计执行数")
        progress = _text(v.get("monitor.goal_progress"))
        note = _text(v.get("monitor.note"))
        if not force and not extra and all(x in (None, "") for x in (full, executed, expected, progress, note)):
            return None
        if cls is None:
            return None
        record = cls(project.dept_code, project.code, values.period or "", project.budget, full, executed,
                     expected, progress, note)
    else:
        cls = record_class("evaluation_projects")
        full = builder.money(v.get("evaluation.full_budget"), "全年预算数")
        executed = builder.money(v.get("evaluation.executed"), "全年执行数")
        texts = [_text(v.get(f"evaluation.{name}")) for name in ("achievement", "conclusion", "problems",
                                                                 "improvements")]
        if not force and not extra and full is None and executed is None and not any(texts):
            return None
        if cls is None:
            return None
        record = cls(project.dept_code, project.code, project.budget, full, executed, *texts)
    if extra and hasattr(record, "extra"):
        record.extra.update(extra)
    return record


def _indicator_record(builder: FormBuilder, template: FormTemplate, row: dict[str, tuple[Any, int, int]],
                      indicator: Indicator, kind: str, formulas: set[tuple[int, int]]) -> Any:
    from ..layout import standard_level

    level1, level2 = standard_level(indicator, "level1"), standard_level(indicator, "level2")
    if kind == MONITOR:
        cls = record_class("monitor_indicators")
        progress = _text(row.get("monitor_indicator.progress"))
        expected = _text(row.get("monitor_indicator.expected"))
        causes, cause_texts = _tick_values(row, "monitor_indicator.deviation_causes", builder)
        likely, likely_texts = _tick_values(row, "monitor_indicator.likelihood", builder)
        note = _text(row.get("monitor_indicator.note"))
        if not (progress or expected or causes or likely or note) or cls is None:
            return None
        return cls(indicator.dept_code, indicator.project_code, indicator.level1, indicator.level2,
                   indicator.level3, indicator.value, progress, expected, "、".join(causes),
                   "；".join(cause_texts), "、".join(likely), "；".join(likely_texts), note)
    cls = record_class("evaluation_indicators")
    actual = _text(row.get("evaluation_indicator.actual"))
    analysis = _text(row.get("evaluation_indicator.analysis"))
    typed_points = builder.points(row.get("evaluation_indicator.points"), "分值")
    score_cell = row.get("formula.score")
    score = None
    if score_cell is not None and (score_cell[1], score_cell[2]) not in formulas and not _blank(score_cell[0]):
        score = builder.points(score_cell, "得分")  # a typed 得分 (the formula replaced)
    from .forms_values import default_points, split_actual

    defaults = default_points(builder.goals.indicators_of(indicator.project_code))
    position = next((n for n, i in enumerate(builder.goals.indicators_of(indicator.project_code)) if i is indicator), -1)
    points = typed_points
    if points is not None and 0 <= position < len(defaults) and points == defaults[position]:
        points = None  # the default split, as rendered: not a 分值 of its own
    attainment, actual = split_actual(actual)  # 达成：按时完成 -> 完成程度 and 实际完成值
    if not (actual or attainment or analysis or points is not None or score is not None) or cls is None:
        return None
    del level1, level2
    return cls(indicator.dept_code, indicator.project_code, indicator.level1, indicator.level2, indicator.level3,
               indicator.value, actual, attainment, points, score, analysis)


def merge_form_results(results: list[FormFileResult]) -> Book:
    """One Book from several form files: each department's goals once (the first file that holds them), every
    file's records."""
    book = Book()
    for name in YEAR_LISTS:
        setattr(book, name, [])
    seen_projects: set[tuple[str, str]] = set()
    seen_goals: set[str] = set()
    for result in results:
        part = result.book
        new_depts = {p.dept_code for p in part.projects} - seen_goals
        book.goals.extend(g for g in part.goals if g.dept_code in new_depts)
        for project in part.projects:
            if (project.dept_code, project.code) not in seen_projects:
                seen_projects.add((project.dept_code, project.code))
                book.projects.append(project)
                book.indicators.extend(i for i in part.indicators if i.project_code == project.code
                                       and i.dept_code == project.dept_code)
        seen_goals |= new_depts
        for name in YEAR_LISTS:
            have = {(r.dept_code, r.project_code, record_key(r) if hasattr(r, "level3") else "")
                    for r in getattr(book, name)}
            for record in getattr(part, name, []):
                marker = (record.dept_code, record.project_code, record_key(record) if hasattr(record, "level3") else "")
                existing = [r for r in getattr(book, name)
                            if (r.dept_code, r.project_code, record_key(r) if hasattr(r, "level3") else "") == marker]
                if marker in have and existing:
                    getattr(book, name).remove(existing[0])
                getattr(book, name).append(record)
    return book


def combine_with_forms(book: Book, report: Report, forms: list[Path], others: bool) -> tuple[Book, Report]:
    """The book read from official workbooks (if any) with the forms' goals and records added: a project the
    official workbooks already hold keeps their content; the forms' 监控/自评 records are added."""
    results = [read_form_file(path) for path in forms]
    found = merge_form_results(results)
    if not others:
        report = Report(", ".join(str(p) for p in forms))
    else:
        have = {(p.dept_code, p.code) for p in book.projects}
        depts = {p.dept_code for p in book.projects} | {g.dept_code for g in book.goals}
        book.goals.extend(g for g in found.goals if g.dept_code not in depts)
        for project in found.projects:
            if (project.dept_code, project.code) not in have:
                book.projects.append(project)
                book.indicators.extend(i for i in found.indicators if i.project_code == project.code
                                       and i.dept_code == project.dept_code)
        for name in YEAR_LISTS:
            setattr(book, name, [*(getattr(book, name, None) or []), *getattr(found, name)])
        found = book
    for result in results:
        report.extend(result.findings)
    report.sort()
    return _sorted(found), report


def _sorted(book: Book) -> Book:
    """Book.sorted(), the year sheets carried along (a Book that does not sort them itself)."""
    out = book.sorted()
    for name in YEAR_LISTS:
        if not getattr(out, name, None):
            setattr(out, name, list(getattr(book, name, None) or []))
    return out


__all__ = ["read_form_file", "merge_form_results", "FormFileResult", "EVALUATION", "MONITOR", "records"]
