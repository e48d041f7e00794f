"""Transition shim: the finding types moved to workbook_engine/findings.py (issue 10).

Kept only while review/rules.py (being rewritten for issue 11) and branches in flight still import from
here; new code imports ``workbook_engine.findings``. Remove once nothing does.
"""

from __future__ import annotations

from ..findings import (ERROR, WARNING, Finding, Location, Report, dumps_report, finding, json_value,
                        position_key)

__all__ = ["ERROR", "WARNING", "Finding", "Location", "Report", "dumps_report", "finding", "json_value",
           "position_key"]
