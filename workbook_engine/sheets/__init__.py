"""The canonical workbook's sheets (a public format: docs/canonical-workbook.md)."""

from __future__ import annotations

from . import (
    evaluation_indicators,
    evaluation_projects,
    goals,
    indicators,
    monitor_indicators,
    monitor_projects,
    projects,
    unplaced,
)
from .base import Column, SheetSpec, normalize_header

GOALS = goals.SPEC
PROJECTS = projects.SPEC
INDICATORS = indicators.SPEC
MONITOR_PROJECTS = monitor_projects.SPEC
MONITOR_INDICATORS = monitor_indicators.SPEC
EVALUATION_PROJECTS = evaluation_projects.SPEC
EVALUATION_INDICATORS = evaluation_indicators.SPEC
# The budget year's sheets (issue 22) are optional: a book without them is complete.
YEAR_SPECS: tuple[SheetSpec, ...] = (MONITOR_PROJECTS, MONITOR_INDICATORS, EVALUATION_PROJECTS, EVALUATION_INDICATORS)
SPECS: tuple[SheetSpec, ...] = (GOALS, PROJECTS, INDICATORS, *YEAR_SPECS)
BY_KIND = {spec.kind: spec for spec in SPECS}

# Sheets the engine writes beside the canonical ones; readers skip them without a note.
HELP_SHEET = "说明"
LISTS_SHEET = "下拉列表"
FINDINGS_SHEET = "校验结果"
REVIEW_SHEET = "审核结果"
MERGE_LOG_SHEET = "合并记录"
CONFLICTS_SHEET = "冲突"
DIFF_SHEET = "比对结果"
UNPLACED_SHEET = unplaced.NAME  # what `wbe import --force` could not place (sheets/unplaced.py)
AUXILIARY_SHEETS = (HELP_SHEET, LISTS_SHEET, FINDINGS_SHEET, MERGE_LOG_SHEET, CONFLICTS_SHEET, REVIEW_SHEET, DIFF_SHEET,
                    UNPLACED_SHEET)


def spec_for_sheet_name(name: str) -> SheetSpec | None:
    """The spec a sheet name means: the Chinese name or its English alias, whitespace tolerated."""
    key = normalize_header(name)
    for spec in SPECS:
        if key in (normalize_header(spec.name), normalize_header(spec.alias)):
            return spec
    return None


__all__ = [
    "Column", "SheetSpec", "GOALS", "PROJECTS", "INDICATORS", "MONITOR_PROJECTS", "MONITOR_INDICATORS",
    "EVALUATION_PROJECTS", "EVALUATION_INDICATORS", "YEAR_SPECS", "SPECS", "BY_KIND", "HELP_SHEET", "LISTS_SHEET",
    "FINDINGS_SHEET", "REVIEW_SHEET", "MERGE_LOG_SHEET", "CONFLICTS_SHEET", "DIFF_SHEET", "UNPLACED_SHEET",
    "AUXILIARY_SHEETS",
    "spec_for_sheet_name", "normalize_header",
]
