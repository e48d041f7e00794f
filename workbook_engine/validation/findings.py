"""One finding type with its location as fields and a stable code (after frictionless' errors).

Tests and the CLI branch on ``code``, never on the message text. The message is Chinese and says how to
fix the problem; ``cell`` is an A1 name, ``row`` the Excel row number, ``column`` the header name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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
        """The JSON contract's fields (not group and project), built directly: asdict deep-copies and is slow."""
        return {"code": self.code, "severity": self.severity, "sheet": self.sheet, "cell": self.cell,
                "row": self.row, "column": self.column, "value": json_value(self.value), "message": self.message}


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


def dumps_report(data: dict[str, Any]) -> str:
    """JSON with one top-level key and one list item per line: readable, and encoded by the C encoder
    (``indent`` would switch json to its pure-Python encoder, seconds for a county's 30,000 findings)."""
    parts = []
    for key, value in data.items():
        name = json.dumps(key, ensure_ascii=False)
        if isinstance(value, list) and value:
            items = ",\n".join("    " + json.dumps(item, ensure_ascii=False) for item in value)
            parts.append(f"  {name}: [\n{items}\n  ]")
        else:
            parts.append(f"  {name}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}"


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
        return dumps_report(self.to_dict())

    def exit_code(self) -> int:
        return 0 if self.valid else 1
