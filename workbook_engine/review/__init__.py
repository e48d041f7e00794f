"""The review: a finance-bureau reviewer's checks (docs/review-rules.md), grouped under the four criteria
完整性/相关性/适当性/可行性, with a grade 优/良/中/差 per project.

``review(path)`` reads the workbook once, validates it (the review reports how many validation problems
remain, since a reviewer sends an invalid book back first) and runs the review rules; ``review_check`` is the
same rules as an extra check inside ``validate`` (WBE-R… warnings there).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..canonical_reader import LoadedWorkbook
from ..findings import (
    CATALOGUE,
    CRITERIA,
    REVIEW_CODES,
    Finding,
    Report,
    dumps_report,
    position_key,
)
from ..model import Book
from .config import OFF, ReviewConfig, load_config
from .grading import ProjectGrade, errors_per_project, grade_projects
from .rules import RULES, ReviewContext
from .year_rules import YEAR_REVIEW_RULES, YearView, year_view

if TYPE_CHECKING:
    from ..validation import Checked

__all__ = ["review", "review_book", "review_findings", "review_check", "ReviewResult", "ProjectGrade",
           "ReviewConfig", "load_config"]


def review_findings(book: Book, loaded: LoadedWorkbook, config: ReviewConfig) -> list[Finding]:
    """All review findings of a book, with the configuration applied (rules off, re-graded severity)."""
    context = ReviewContext(book, loaded, config)
    found: list[Finding] = []
    severities: dict[tuple[str, str | None], str] = {}  # (code, project) -> severity, looked up once each
    for rule in (*RULES, *YEAR_REVIEW_RULES):  # the budget year's rule (issue 22) after review/rules.py's
        if all(config.globally_off(code) for code in rule.codes):  # type: ignore[attr-defined]  # set by @rule
            continue
        for f in rule(context):
            severity = severities.get((f.code, f.project))
            if severity is None:
                severity = severities[(f.code, f.project)] = config.setting(f.code, f.project).severity
            if severity == OFF:
                continue
            found.append(f if severity == f.severity else replace(f, severity=severity))
    return found


def review_check(config: ReviewConfig | None = None):
    """The review as a validator extra check; the config defaults to the workbook's wbe.toml."""

    def run(book: Book, loaded: LoadedWorkbook) -> list[Finding]:
        return review_findings(book, loaded, config if config is not None else load_config(loaded.path))

    return run


def criterion_key(f: Finding) -> tuple:
    """Review order: criterion, then position in the workbook."""
    return (CRITERIA.index(f.group) if f.group in CRITERIA else len(CRITERIA), *position_key(f))


@dataclass
class ReviewResult:
    """The review findings, the grades, and what validation still reports (the book must be valid first)."""

    report: Report
    grades: list[ProjectGrade]
    validation: Report
    config: ReviewConfig
    year: list[YearView] = field(default_factory=list)  # 绩效自评 beside the review grade (issue 22)

    @property
    def valid(self) -> bool:
        return self.validation.valid and self.report.valid

    def exit_code(self) -> int:
        return 0 if self.valid else 1

    def by_criterion(self) -> dict[str, list[Finding]]:
        groups: dict[str, list[Finding]] = {c: [] for c in CRITERIA}
        for f in self.report.findings:
            groups.setdefault(f.group or "", []).append(f)
        return groups

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.report.file,
            "valid": self.valid,
            "findings": [f.to_dict() for f in self.report.findings],
            "criteria": {c: [code for code in REVIEW_CODES if CATALOGUE[code].criterion == c] for c in CRITERIA},
            "projects": [g.to_dict() for g in self.grades],
            "validation": {"valid": self.validation.valid, "errors": len(self.validation.errors),
                           "warnings": len(self.validation.warnings)},
            "config": str(self.config.source) if self.config.source else None,
            "year": [v.to_dict() for v in self.year],
        }

    def to_json(self) -> str:
        return dumps_report(self.to_dict())


def review_book(book: Book, loaded: LoadedWorkbook, validation: Report, config: ReviewConfig) -> ReviewResult:
    """Review a book the caller has validated: ``validation`` is that report (its errors cap the grades;
    the review itself never validates, so validation never depends on the review)."""
    report = Report(validation.file, review_findings(book, loaded, config))
    report.sort(criterion_key)
    sheets = {kind: table.sheet_name for kind in ("goals", "projects", "indicators")
              if (table := loaded.table(kind)) is not None}
    errors = errors_per_project(book, [f for f in validation.findings if f.is_error and f.code not in REVIEW_CODES],
                                sheets)
    grades = grade_projects(book, report.findings, config, errors)
    return ReviewResult(report, grades, validation, config, year_view(book, grades, loaded.path))


def check_and_review(path: str | os.PathLike[str], config: ReviewConfig | None = None) -> Checked:
    """The one "validate, then review" composition (api.check with review): the report holds the validation
    and review findings in report order, ``checked.review`` the review alone (findings by criterion, grades
    capped by the validation errors); ``config`` None is the wbe.toml beside the workbook, else the defaults."""
    from ..validation import check as check_book

    checked = check_book(Path(path))
    config = config if config is not None else load_config(checked.loaded.path)
    result = review_book(checked.book, checked.loaded, checked.report, config)
    report = Report(checked.report.file, [*checked.report.findings, *result.report.findings])
    report.sort()
    checked.report = report
    checked.review = result
    return checked


def review(path: str | Path, *, config: ReviewConfig | None = None) -> ReviewResult:
    """Review a canonical workbook; the config defaults to the wbe.toml beside it."""
    result: ReviewResult = check_and_review(path, config).review
    return result
