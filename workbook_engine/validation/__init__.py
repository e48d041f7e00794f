"""The validator: structure, pandera schemas per sheet, then cross-row and cross-sheet rules, in one pass.

``validate(path)`` collects every finding and returns a Report (exit status 0 without errors, 1 with errors);
``check(path)`` also returns the typed Book. The engine lives in engine.py and is imported on first use, so
that the reader can use the finding types here without an import cycle.
"""

from __future__ import annotations

from typing import Any

from .codes import CODES
from .findings import ERROR, WARNING, Finding, Report

__all__ = ["validate", "check", "validate_loaded", "Checked", "Report", "Finding", "ERROR", "WARNING", "CODES"]


def __getattr__(name: str) -> Any:
    if name in ("validate", "check", "validate_loaded", "Checked", "schema_findings"):
        from . import engine

        return getattr(engine, name)
    raise AttributeError(name)
