"""Per-project grade 优/良/中/差 from the review findings: defects cost what a reviewer would charge
(the scale and two worked examples are in docs/review-rules.md, "评分").

A project starts at 100 points; each finding costs its rule's points (catalogue default, wbe.toml may change
them per project), but at most ``cap`` findings of one rule count, so one habit repeated on every row does not
outweigh several different problems. A missing category (WBE-R104) costs its points once per category it lacks:
an absent 时效 and 成本 are two gaps, and each costs more than any wording issue. The score picks the grade by the
thresholds (优 ≥ 90, 良 ≥ 75, 中 ≥ 60).

Points alone let a project with several small defects stay 优 (two 4-point rows leave 92), which no reviewer
does; so the grade then counts *defects*: distinct rows with a finding that is more than wording (points above
``wording_points``, 2: R112 description, R103 basis, R125 vague word), plus each missing category.
``several_defects`` (2) make it at best 良; ``many_defects`` (4), or defects under ``broad_criteria`` (3) of the
four criteria (完整性/相关性/适当性/可行性), at best 中 (config.py; wbe.toml may move them).

Two limits apply before those, because a reviewer returns such a table whatever else it does well: a project
with any validation error (on its own rows, its department's 部门目标 rows, or the workbook as a whole) is at
best 差 (its score is capped just below the 中 threshold), and one without any 效益指标 is at best 良.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..findings import CATALOGUE, CRITERIA, Finding
from ..framework import canonical_level1
from ..model import Book
from .config import ReviewConfig
from .rules import missing_categories

GRADES = ("优", "良", "中", "差")
MISSING_CATEGORY = "WBE-R104"


@dataclass
class ProjectGrade:
    dept_code: str
    code: str
    name: str
    row: int | None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CRITERIA, 0))
    deduction: int = 0
    score: int = 100
    grade: str = "优"
    errors: int = 0  # validation errors that concern the project
    limit: str = ""  # why the grade was capped: 有校验错误 / 缺少效益指标 / 有 N 处问题… (docs/review-rules.md)
    defects: int = 0  # distinct rows with more than a wording issue, plus each missing category

    def to_dict(self) -> dict[str, Any]:
        return {"dept_code": self.dept_code, "code": self.code, "name": self.name, "score": self.score,
                "grade": self.grade, "deduction": self.deduction, "criteria": dict(self.counts),
                "errors": self.errors, "limit": self.limit or None, "defects": self.defects}


def grade_of(score: int, config: ReviewConfig) -> str:
    for grade in GRADES[:-1]:
        if score >= config.grades[grade]:
            return grade
    return GRADES[-1]


def errors_per_project(book: Book, errors: Iterable[Finding], sheets: dict[str, str]) -> Counter[str]:
    """How many validation errors concern each project: on its 项目 row or its 指标 rows (by row), on its
    department's 部门目标 rows, or without a row at all (a missing sheet or column concerns every project)."""
    project_at = {p.row: p.code for p in book.projects}
    indicator_at = {i.row: i.project_code for i in book.indicators}
    dept_at = {g.row: g.dept_code for g in book.goals}
    counts: Counter[str] = Counter()
    for f in errors:
        if f.project:
            counts[f.project] += 1
        elif f.row is not None and f.sheet == sheets.get("projects") and f.row in project_at:
            counts[project_at[f.row]] += 1
        elif f.row is not None and f.sheet == sheets.get("indicators") and f.row in indicator_at:
            counts[indicator_at[f.row]] += 1
        elif f.row is not None and f.sheet == sheets.get("goals") and f.row in dept_at:
            for p in book.projects:
                if p.dept_code == dept_at[f.row]:
                    counts[p.code] += 1
        elif f.row is None:
            for p in book.projects:
                counts[p.code] += 1
    return counts


def grade_projects(book: Book, findings: Iterable[Finding], config: ReviewConfig,
                   errors: Counter[str] | None = None) -> list[ProjectGrade]:
    """One grade per project of the book, in the book's order; ``errors`` counts validation errors per project
    (errors_per_project), which the caller passes in: the review does not validate."""
    errors = errors or Counter()
    level1 = [canonical_level1(i.level1) for i in book.indicators]  # once, for both
    with_effects = {i.project_code for i, name in zip(book.indicators, level1) if name == "效益指标"}
    missing = missing_categories(book, level1)
    per_project: dict[str, Counter[str]] = defaultdict(Counter)
    defect_rows: dict[str, set[tuple[str | None, int | None]]] = defaultdict(set)
    defect_criteria: dict[str, set[str]] = defaultdict(set)
    defect_gaps: set[str] = set()  # projects whose WBE-R104 counts as a defect
    for f in findings:
        criterion = CATALOGUE[f.code].criterion
        if not f.project or criterion is None:
            continue
        per_project[f.project][f.code] += 1
        if config.setting(f.code, f.project).points > config.wording_points:
            defect_criteria[f.project].add(criterion)
            if f.code == MISSING_CATEGORY:  # counted once per missing category below
                defect_gaps.add(f.project)
            else:
                defect_rows[f.project].add((f.sheet, f.row))
    grades: list[ProjectGrade] = []
    seen: set[str] = set()
    for p in book.projects:
        if not p.code or p.code in seen:
            continue
        seen.add(p.code)
        grade = ProjectGrade(p.dept_code, p.code, p.name, p.row)
        gaps = len(missing.get(p.code, ()))
        for code, count in per_project.get(p.code, Counter()).items():
            grade.counts[CATALOGUE[code].criterion or ""] += count  # review codes all have their criterion
            charged = gaps if code == MISSING_CATEGORY and gaps else min(count, config.cap)
            grade.deduction += config.setting(code, p.code).points * charged
        grade.defects = len(defect_rows.get(p.code, ())) + (max(gaps, 1) if p.code in defect_gaps else 0)
        grade.score = max(0, 100 - grade.deduction)
        grade.errors = errors.get(p.code, 0)
        if grade.errors:
            grade.score, grade.limit = min(grade.score, max(0, config.grades["中"] - 1)), "有校验错误"
        else:
            if p.code not in with_effects:
                grade.score, grade.limit = min(grade.score, max(0, config.grades["优"] - 1)), "缺少效益指标"
            ceiling, reason = _defect_ceiling(grade.defects, len(defect_criteria.get(p.code, ())), config)
            if grade.score > ceiling:  # named only where it lowers the grade the points give
                grade.score, grade.limit = ceiling, reason
        grade.grade = grade_of(grade.score, config)
        grades.append(grade)
    return grades


def _defect_ceiling(defects: int, broad: int, config: ReviewConfig) -> tuple[int, str]:
    """The highest score ``defects`` (and defects under ``broad`` criteria) allow, and why (module docstring)."""
    if defects >= config.many_defects or broad >= config.broad_criteria:
        reason = (f"有 {defects} 处问题，等级最高为 中" if defects >= config.many_defects
                  else f"问题涉及 {broad} 项审核要点，等级最高为 中")
        return max(0, config.grades["良"] - 1), reason
    if defects >= config.several_defects:
        return max(0, config.grades["优"] - 1), f"有 {defects} 处问题，等级最高为 良"
    return 100, ""
