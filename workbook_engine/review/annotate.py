"""The annotated copy of a review: cells marked and commented, and a 审核结果 sheet with the grades."""

from __future__ import annotations

import os
from pathlib import Path

from ..findings import CRITERIA
from ..sheets import REVIEW_SHEET
from ..validation.annotate import annotate
from . import ReviewResult

GRADE_HEADERS = ("部门编码", "项目编码", "项目名称", *CRITERIA, "扣分", "得分", "等级", "校验错误", "等级上限原因")


def summary_line(result: ReviewResult) -> str:
    """审核结果：n 条意见（完整性 a，相关性 b，…），校验错误 k 个."""
    groups = result.by_criterion()
    counts = "，".join(f"{c} {len(groups.get(c, []))}" for c in CRITERIA)
    line = f"审核结果：{len(result.report.findings)} 条审核意见（{counts}）"
    if result.validation.errors:
        line += f"；另有 {len(result.validation.errors)} 个校验错误，请先运行 wbe validate 修正"
    return line


def annotate_review(source: str | os.PathLike[str], result: ReviewResult, output: str | os.PathLike[str], *,
                    overwrite: bool = False) -> Path:
    rows = [(g.dept_code, g.code, g.name, *(g.counts[c] for c in CRITERIA), g.deduction, g.score, g.grade,
             g.errors, g.limit) for g in result.grades]
    return annotate(source, result.report, output, sheet_name=REVIEW_SHEET, title=summary_line(result), overwrite=overwrite,
                    appendix=("项目等级（满分 100，见 docs/review-rules.md）", GRADE_HEADERS, rows))
