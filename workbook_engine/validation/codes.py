"""Tables of the catalogue (workbook_engine/findings.py) in the shape the tests and benchmarks read them.

The catalogue is the one source; these are views of it, not copies: code -> (severity, title), review code
-> (criterion, points), and extract's codes. The package itself reads ``workbook_engine.findings``.
"""

from __future__ import annotations

from ..findings import CATALOGUE, CRITERIA, EXTRACT_CODES, PEERS_SECTION

# The peer review's codes (WBE-R2…, issue 23) need a 指标库: their cases are in tests/test_library.py and
# their documentation in docs/library.md, so the tables of validate's and review's own codes leave them out.
PEERS: tuple[str, ...] = tuple(code for code, e in CATALOGUE.items() if e.section == PEERS_SECTION)
# code -> (severity, title)
CODES: dict[str, tuple[str, str]] = {code: (e.severity, e.title) for code, e in CATALOGUE.items() if code not in PEERS}
# review code -> (criterion, points)
REVIEW: dict[str, tuple[str, int]] = {code: (e.criterion, e.points) for code, e in CATALOGUE.items()
                                      if e.criterion is not None and code not in PEERS}
EXTRACT: tuple[str, ...] = EXTRACT_CODES

__all__ = ["CODES", "REVIEW", "EXTRACT", "CRITERIA", "PEERS"]
