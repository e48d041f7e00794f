"""Stand-ins for the year records until model.py has them (removed once the yeardata branch is merged)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class MonitorProject:
    dept_code: str
    project_code: str
    period: str
    initial_budget: Decimal | None
    full_budget: Decimal | None
    executed: Decimal | None
    expected_executed: Decimal | None
    goal_progress: str
    note: str
    row: int | None = field(default=None, compare=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class MonitorIndicator:
    dept_code: str
    project_code: str
    level1: str
    level2: str
    level3: str
    target: str
    progress: str
    expected: str
    deviation_causes: str
    deviation_note: str
    likelihood: str
    corrective: str
    note: str
    row: int | None = field(default=None, compare=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class EvaluationProject:
    dept_code: str
    project_code: str
    initial_budget: Decimal | None
    full_budget: Decimal | None
    executed: Decimal | None
    achievement: str
    conclusion: str
    problems: str
    improvements: str
    row: int | None = field(default=None, compare=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class EvaluationIndicator:
    dept_code: str
    project_code: str
    level1: str
    level2: str
    level3: str
    target: str
    actual: str
    attainment: str
    points: Decimal | None
    score: Decimal | None
    analysis: str
    row: int | None = field(default=None, compare=False, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
