"""Per-project grade 优/良/中/差 from the review findings (the scoring is documented in docs/review-rules.md).

A project starts at 100 points; each finding costs its rule's points (catalogue default, wbe.toml may change
them per project), but at most ``cap`` findings of one rule count, so one habit repeated on every row does not
outweigh several different problems. The score picks the grade by the thresholds (优 ≥ 90, 良 ≥ 75, 中 ≥ 60).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..model import Book
from ..findings import CATALOGUE, CRITERIA, Finding
from .config import ReviewConfig

GRADES = ("优", "良", "中", "差")


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

    def to_dict(self) -> dict[str, Any]:
        return {"dept_code": self.dept_code, "code": self.code, "name": self.name, "score": self.score,
                "grade": self.grade, "deduction": self.deduction, "criteria": dict(self.counts)}


def grade_of(score: int, config: ReviewConfig) -> str:
    for grade in GRADES[:-1]:
        if score >= config.grades[grade]:
            return grade
    return GRADES[-1]


def grade_projects(book: Book, findings: Iterable[Finding], config: ReviewConfig) -> list[ProjectGrade]:
    """One grade per project of the book, in the book's order."""
    per_project: dict[str, Counter[str]] = defaultdict(Counter)
    for f in findings:
        if f.project and CATALOGUE[f.code].criterion is not None:
            per_project[f.project][f.code] += 1
    grades: list[ProjectGrade] = []
    seen: set[str] = set()
    for p in book.projects:
        if not p.code or p.code in seen:
            continue
        seen.add(p.code)
        grade = ProjectGrade(p.dept_code, p.code, p.name, p.row)
        for code, count in per_project.get(p.code, Counter()).items():
            grade.counts[CATALOGUE[code].criterion] += count
            grade.deduction += config.setting(code, p.code).points * min(count, config.cap)
        grade.score = max(0, 100 - grade.deduction)
        grade.grade = grade_of(grade.score, config)
        grades.append(grade)
    return grades
