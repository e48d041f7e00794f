"""The validator: structure, pandera schemas per sheet, then cross-row and cross-sheet rules, in one pass.

``validate(path)`` collects every finding and returns a Report (exit status 0 without errors, 1 with errors);
``check(path)`` also returns the typed Book. The finding types and the code catalogue are in
workbook_engine/findings.py; the review rules are not part of the validator (api.py composes the two).
"""

from __future__ import annotations

from ..findings import ERROR, WARNING, Finding, Report
from .engine import Checked, check, check_many, schema_findings, validate, validate_loaded

__all__ = ["validate", "check", "check_many", "validate_loaded", "schema_findings", "Checked", "Report", "Finding", "ERROR",
           "WARNING"]
