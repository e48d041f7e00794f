"""One finding type with its location as fields and a stable code (after frictionless' errors).

Tests and the CLI branch on ``code``, never on the message text. The message is Chinese and says how to
fix the problem; ``cell`` is an A1 name, ``row`` the Excel row number, ``column`` the header name.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    sheet: str | None
    cell: str | None
    row: int | None
    column: str | None
    value: Any
    message: str
    # Where the finding belongs for grouping (review criteria, project code); not part of the JSON contract.
    group: str | None = field(default=None, compare=False)
    project: str | None = field(default=None, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("group")
        data.pop("project")
        data["value"] = json_value(self.value)
        return data


_SHEET_ORDER = {"部门目标": 1, "项目": 2, "指标": 3}


def position_key(f: Finding) -> tuple:
    """Sheet order of the canonical workbook, then row, then column; workbook-level findings first."""
    return (
        _SHEET_ORDER.get(f.sheet or "", 0 if f.sheet is None else 4),
        f.sheet or "",
        f.row or 0,
        len(f.cell or ""),
        f.cell or "",
        f.code,
    )


def json_value(value: Any) -> Any:
    """A cell value as JSON can carry it: numbers stay numbers, everything else becomes text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    return str(value)


@dataclass
class Report:
    """All findings of one pass over one file; the exit status follows from it."""

    file: str
    findings: list[Finding] = field(default_factory=list)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    @property
    def valid(self) -> bool:
        return not self.errors

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def sort(self, key: Callable[[Finding], tuple] | None = None) -> None:
        """By ``key``, by default ``position_key``: the order a person reads the workbook in."""
        self.findings.sort(key=key or position_key)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "valid": self.valid, "findings": [f.to_dict() for f in self.findings]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def exit_code(self) -> int:
        return 0 if self.valid else 1
