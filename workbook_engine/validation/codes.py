"""Tables of the catalogue (workbook_engine/findings.py) in the shape the tests and benchmarks read them.

The catalogue is the one source; these are views of it, not copies: code -> (severity, title), review code
-> (criterion, points), and extract's codes. The package itself reads ``workbook_engine.findings``.
"""

from __future__ import annotations

from ..findings import CATALOGUE, CRITERIA, EXTRACT_CODES

# code -> (severity, title)
CODES: dict[str, tuple[str, str]] = {code: (e.severity, e.title) for code, e in CATALOGUE.items()}
# review code -> (criterion, points)
REVIEW: dict[str, tuple[str, int]] = {code: (e.criterion, e.points) for code, e in CATALOGUE.items()
                                      if e.criterion is not None}
EXTRACT: tuple[str, ...] = EXTRACT_CODES

__all__ = ["CODES", "REVIEW", "EXTRACT", "CRITERIA"]
