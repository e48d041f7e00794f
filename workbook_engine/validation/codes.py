"""Transition shim: the code tables are views of the catalogue in workbook_engine/findings.py (issue 10).

Kept only while review/rules.py (being rewritten for issue 11) and branches in flight still import from
here; new code uses ``workbook_engine.findings.CATALOGUE``. Remove once nothing does.
"""

from __future__ import annotations

from ..findings import CATALOGUE, CRITERIA, EXTRACT_CODES, criterion_of, severity_of, title_of

# code -> (severity, title)
CODES: dict[str, tuple[str, str]] = {code: (e.severity, e.title) for code, e in CATALOGUE.items()}
# review code -> (criterion, points)
REVIEW: dict[str, tuple[str, int]] = {code: (e.criterion, e.points) for code, e in CATALOGUE.items()
                                      if e.criterion is not None}
EXTRACT: tuple[str, ...] = EXTRACT_CODES

__all__ = ["CODES", "REVIEW", "EXTRACT", "CRITERIA", "severity_of", "title_of", "criterion_of"]
