"""The budget year's settings: the `[tool.workbook-engine.year]` table of the `wbe.toml` beside the workbook.

Every figure of 运行监控 and 绩效自评 is a county's choice; these are the defaults (财预〔2020〕10号 for the scores,
domain notes "The budget year"). A table that cannot be used is a ConfigError (exit 2), as for the review.

    [tool.workbook-engine.year]
    monitor-period = "1-6月"          # default 1-7月
    behind-plan-points = 10           # WBE-W236: execution behind the plan by more than this many points
    far-above-percent = 150           # WBE-W242: 实际完成值 above this share of a ≥ target
    weights = { "预算执行率" = 10, "产出指标" = 50, "效益指标" = 30, "满意度指标" = 10 }
    qualitative = { "达成" = 100, "部分达成" = 70, "未达成" = 30 }   # % of 分值 when no 得分 is typed
    grades = { "优" = 90, "良" = 80, "中" = 60 }
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .county_config import ConfigError, engine_table
from .values import fold

BUDGET_RATE = "预算执行率"
DEFAULT_PERIOD = "1-7月"
DEFAULT_WEIGHTS: dict[str, Decimal] = {BUDGET_RATE: Decimal(10), "产出指标": Decimal(50), "效益指标": Decimal(30),
                                       "满意度指标": Decimal(10)}
# 完成程度 bands of a qualitative indicator in % of its 分值 (财预〔2020〕10号, recalled practice): (low, high).
BANDS: dict[str, tuple[Decimal, Decimal]] = {"达成": (Decimal(80), Decimal(100)), "部分达成": (Decimal(60), Decimal(80)),
                                             "未达成": (Decimal(0), Decimal(60))}
# The share given when no 得分 is typed (decision 22.4): 达成 is the target met, so full points, as for a
# quantitative target met; the others the middle of their band.
DEFAULT_QUALITATIVE: dict[str, Decimal] = {"达成": Decimal(100), "部分达成": Decimal(70), "未达成": Decimal(30)}
DEFAULT_GRADES: dict[str, Decimal] = {"优": Decimal(90), "良": Decimal(80), "中": Decimal(60)}
TABLE = "[tool.workbook-engine.year]"
_PERIOD_RE = re.compile(r"^(\d{1,2})月?[-—–~～至到](\d{1,2})月$")


def parse_period(text: str) -> tuple[int, int] | None:
    """(first month, last month) of a 监控期间 such as 1-7月, 1—7月, 1月-7月, 1～6月; None when unreadable."""
    compact = "".join(fold(text or "").split())
    match = _PERIOD_RE.match(compact)
    if not match:
        return None
    first, last = int(match.group(1)), int(match.group(2))
    return (first, last) if 1 <= first <= last <= 12 else None


@dataclass
class YearConfig:
    source: Path | None = None
    monitor_period: str = DEFAULT_PERIOD
    behind_plan_points: Decimal = Decimal(10)
    far_above_percent: Decimal = Decimal(150)
    weights: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    qualitative: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_QUALITATIVE))
    grades: dict[str, Decimal] = field(default_factory=lambda: dict(DEFAULT_GRADES))


def load_year_config(workbook: str | Path | None) -> YearConfig:
    """The settings for a workbook: its directory's wbe.toml (the year table), or the defaults."""
    found = engine_table(workbook, "year")
    return YearConfig() if found is None else parse_year_config(*found)


def _number(value: Any, where: str, key: str, low: int, high: int) -> Decimal:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"{where}{TABLE} 的 {key} 应为 {low}–{high} 之间的数。")
    return Decimal(str(value))


def _shares(value: Any, where: str, key: str, names: tuple[str, ...], high: int) -> dict[str, Decimal]:
    if not isinstance(value, dict) or set(value) - set(names):
        raise ConfigError(f"{where}{TABLE} 的 {key} 应是表，键为 {'、'.join(names)}。")
    return {name: _number(v, where, f"{key}.{name}", 0, high) for name, v in value.items()}


def parse_year_config(table: dict[str, Any], path: Path | None = None) -> YearConfig:
    where = f"{path}：" if path else ""
    known = {"monitor-period", "behind-plan-points", "far-above-percent", "weights", "qualitative", "grades"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{where}{TABLE} 中有未知的设置：{'、'.join(unknown)}。可用：{'、'.join(sorted(known))}。")
    config = YearConfig(source=path)
    if "monitor-period" in table:
        value = table["monitor-period"]
        if not isinstance(value, str) or parse_period(value) is None:
            raise ConfigError(f"{where}{TABLE} 的 monitor-period 应写成起止月份，如 monitor-period = \"1-6月\"。")
        config.monitor_period = value.strip()
    if "behind-plan-points" in table:
        config.behind_plan_points = _number(table["behind-plan-points"], where, "behind-plan-points", 0, 100)
    if "far-above-percent" in table:
        config.far_above_percent = _number(table["far-above-percent"], where, "far-above-percent", 100, 10000)
    if "weights" in table:
        config.weights.update(_shares(table["weights"], where, "weights",
                                      (BUDGET_RATE, "产出指标", "效益指标", "满意度指标", "成本指标"), 100))
    if "qualitative" in table:
        shares = _shares(table["qualitative"], where, "qualitative", tuple(BANDS), 100)
        for name, share in shares.items():
            low, high = BANDS[name]
            if not low <= share <= high:
                raise ConfigError(f"{where}{TABLE} 的 qualitative.{name} 应在 {low}–{high}（% 分值）之间。")
        config.qualitative.update(shares)
    if "grades" in table:
        config.grades.update(_shares(table["grades"], where, "grades", tuple(DEFAULT_GRADES), 100))
        if not config.grades["优"] >= config.grades["良"] >= config.grades["中"]:
            raise ConfigError(f"{where}{TABLE} 的 grades 应满足 优 ≥ 良 ≥ 中。")
    return config
