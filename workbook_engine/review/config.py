"""Review configuration: the `[tool.workbook-engine.review]` table of a `wbe.toml` beside the workbook.

A county matches its own practice here (docs/review-rules.md, "配置"): switch rules off or re-grade them
(severity, points) for all projects or for one project, replace or extend the vague-word list, and move the
grade thresholds. Without a wbe.toml the defaults apply. A wbe.toml that cannot be used is an InputError
(exit 2), never silently ignored: a reviewer must know which rules ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..county_config import ConfigError, config_path, engine_table
from ..findings import CATALOGUE, ERROR, REVIEW_CODES, WARNING

OFF = "off"
SEVERITIES = (ERROR, WARNING, OFF)

# Words a reviewer sends back when they stand for a target (practice; extend in wbe.toml).
DEFAULT_VAGUE_WORDS: tuple[str, ...] = (
    "进一步提高", "进一步提升", "进一步增强", "进一步加强", "进一步改善", "进一步完善",
    "明显改善", "明显提高", "明显提升", "显著提高", "显著提升", "显著改善",
    "有效促进", "有效提升", "有效改善", "有效提高",
    "逐渐提高", "逐渐提升", "逐步提高", "逐步提升", "不断提高", "不断提升", "稳步提升", "大幅提升",
    "有所提高", "有所提升", "合理控制", "高效开展",
    "不断完善", "不断改善", "不断加强", "不断优化", "持续改善", "持续提升", "持续提高", "持续优化", "持续推进",
    "日益完善", "日益提高", "逐步完善", "逐步改善", "逐步推进", "稳步推进", "稳步提高", "大幅提高", "大力推进",
    "全面提升", "全面提高", "切实提高", "切实加强", "积极推进", "更加完善",
)
DEFAULT_GRADES: dict[str, int] = {"优": 90, "良": 75, "中": 60}
DEFAULT_CAP = 3  # at most this many findings of one rule count towards a project's score
# Floors of WBE-R137/R138 (percent points) and WBE-R118's and WBE-R119's settings; wbe.toml may change them.
DEFAULT_SATISFACTION_FLOOR = 80
DEFAULT_RATE_FLOOR = 60
DEFAULT_FULL_RATE_FLOOR = 90
DEFAULT_BOILERPLATE_MIN_PROJECTS = 3
DEFAULT_RELATED_THRESHOLD = 0.2  # chosen on tests/data/labelled_indicators.csv (docs/review-rules.md)
# The grade's defect scale (review/grading.py, docs/review-rules.md 评分): a finding of at most WORDING points
# is no defect; SEVERAL defects → at best 良; MANY, or defects under BROAD criteria → at best 中.
DEFAULT_WORDING_POINTS, DEFAULT_SEVERAL, DEFAULT_MANY, DEFAULT_BROAD = 2, 2, 4, 3


@dataclass(frozen=True)
class RuleSetting:
    severity: str  # error, warning or off
    points: int


@dataclass
class ReviewConfig:
    """Resolved settings; ``setting(code, project)`` applies the project's table over the global one."""

    source: Path | None = None
    severity: dict[str, str] = field(default_factory=dict)
    points: dict[str, int] = field(default_factory=dict)
    projects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    vague_words: tuple[str, ...] = DEFAULT_VAGUE_WORDS
    grades: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_GRADES))
    cap: int = DEFAULT_CAP
    copied_set_min_projects: int = 2
    satisfaction_floor: int = DEFAULT_SATISFACTION_FLOOR
    rate_floor: int = DEFAULT_RATE_FLOOR
    full_rate_floor: int = DEFAULT_FULL_RATE_FLOOR
    boilerplate_min_projects: int = DEFAULT_BOILERPLATE_MIN_PROJECTS
    related_threshold: float = DEFAULT_RELATED_THRESHOLD
    wording_points: int = DEFAULT_WORDING_POINTS
    several_defects: int = DEFAULT_SEVERAL
    many_defects: int = DEFAULT_MANY
    broad_criteria: int = DEFAULT_BROAD

    def setting(self, code: str, project: str | None = None) -> RuleSetting:
        severity = self.severity.get(code, CATALOGUE[code].severity)
        points = self.points.get(code, CATALOGUE[code].points)
        local = self.projects.get(project or "", {})
        severity = local.get("severity", {}).get(code, severity)
        points = local.get("points", {}).get(code, points)
        return RuleSetting(severity, points)

    def enabled(self, code: str, project: str | None = None) -> bool:
        return self.setting(code, project).severity != OFF

    def globally_off(self, code: str) -> bool:
        """Off for every project: the rule need not run at all."""
        return self.severity.get(code) == OFF and not any(
            p.get("severity", {}).get(code, OFF) != OFF for p in self.projects.values())


def config_path_for(workbook: str | Path) -> Path:
    return config_path(workbook)


def load_config(workbook: str | Path) -> ReviewConfig:
    """The review settings for a workbook: its directory's wbe.toml, or the defaults."""
    found = engine_table(workbook, "review", what="审核配置")
    return ReviewConfig() if found is None else parse_config(*found)


def parse_config(table: dict[str, Any], path: Path | None = None) -> ReviewConfig:
    where = f"{path}：" if path else ""
    known = {"off", "severity", "points", "projects", "vague-words", "extra-vague-words", "grades", "cap",
             "copied-set-min-projects", "satisfaction-floor", "rate-floor", "full-rate-floor",
             "boilerplate-min-projects", "related-threshold", "wording-points", "several-defects", "many-defects",
             "broad-criteria"}
    _no_unknown_keys(table, known, where, "[tool.workbook-engine.review]")
    config = ReviewConfig(source=path)
    config.severity, config.points = _rules(table, where, "[tool.workbook-engine.review]")
    projects = table.get("projects", {})
    if not isinstance(projects, dict):
        raise ConfigError(f"{where}projects 应是以项目编码为键的表。")
    for code, local in projects.items():
        name = f'[tool.workbook-engine.review.projects."{code}"]'
        if not isinstance(local, dict):
            raise ConfigError(f"{where}{name} 应是一个表。")
        _no_unknown_keys(local, {"off", "severity", "points"}, where, name)
        severity, points = _rules(local, where, name)
        config.projects["".join(str(code).split()).upper()] = {"severity": severity, "points": points}
    if "vague-words" in table:
        config.vague_words = tuple(_words(table["vague-words"], where, "vague-words"))
    if "extra-vague-words" in table:
        config.vague_words = tuple(dict.fromkeys((*config.vague_words,
                                                  *_words(table["extra-vague-words"], where, "extra-vague-words"))))
    if "grades" in table:
        grades = table["grades"]
        if (not isinstance(grades, dict) or set(grades) - set(DEFAULT_GRADES)
                or not all(isinstance(v, int) and 0 <= v <= 100 for v in grades.values())):
            raise ConfigError(f'{where}grades 应写成 {{ "优" = 90, "良" = 75, "中" = 60 }}，分数为 0–100 的整数。')
        config.grades.update(grades)
        if not config.grades["优"] >= config.grades["良"] >= config.grades["中"]:
            raise ConfigError(f"{where}grades 的分数线应满足 优 ≥ 良 ≥ 中。")
    for key, attr in (("cap", "cap"), ("copied-set-min-projects", "copied_set_min_projects")):
        if key in table:
            value = table[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < (1 if key == "cap" else 2):
                raise ConfigError(f"{where}{key} 应为{'正整数' if key == 'cap' else '不小于 2 的整数'}。")
            setattr(config, attr, value)
    for key, attr in (("satisfaction-floor", "satisfaction_floor"), ("rate-floor", "rate_floor"),
                      ("full-rate-floor", "full_rate_floor")):
        if key in table:
            value = table[key]
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
                raise ConfigError(f"{where}{key} 应为 0–100 的整数（百分点），如 {key} = 80。")
            setattr(config, attr, value)
    if "boilerplate-min-projects" in table:
        value = table["boilerplate-min-projects"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 2:
            raise ConfigError(f"{where}boilerplate-min-projects 应为不小于 2 的整数。")
        config.boilerplate_min_projects = value
    if "related-threshold" in table:
        value = table["related-threshold"]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
            raise ConfigError(f"{where}related-threshold 应为 0–1 之间的数，如 related-threshold = 0.2。")
        config.related_threshold = float(value)
    for key, attr, low, high in (("wording-points", "wording_points", 0, 100), ("several-defects", "several_defects", 1, 99),
                                 ("many-defects", "many_defects", 1, 99), ("broad-criteria", "broad_criteria", 1, 5)):
        if key in table:
            value = table[key]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ConfigError(f"{where}{key} 应为 {low}–{high} 的整数，如 {key} = {getattr(ReviewConfig, attr)}。")
            setattr(config, attr, value)
    if config.many_defects < config.several_defects:
        raise ConfigError(f"{where}many-defects（{config.many_defects}）应不小于 several-defects（{config.several_defects}）。")
    return config


def _no_unknown_keys(table: dict[str, Any], known: set[str], where: str, name: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{where}{name} 中有未知的设置：{'、'.join(unknown)}。可用：{'、'.join(sorted(known))}。")


def _check_code(code: Any, where: str, name: str) -> str:
    if code not in REVIEW_CODES:
        raise ConfigError(f"{where}{name} 中的“{code}”不是审核规则代码（WBE-R101 等，见 docs/review-rules.md）。")
    return code


def _rules(table: dict[str, Any], where: str, name: str) -> tuple[dict[str, str], dict[str, int]]:
    """off = [codes], severity = {code = "error"|"warning"|"off"}, points = {code = n}."""
    severity: dict[str, str] = {}
    off = table.get("off", [])
    if not isinstance(off, list):
        raise ConfigError(f"{where}{name} 的 off 应是代码列表，如 off = [\"WBE-R112\"]。")
    for code in off:
        severity[_check_code(code, where, name)] = OFF
    levels = table.get("severity", {})
    if not isinstance(levels, dict):
        raise ConfigError(f"{where}{name} 的 severity 应是表，如 severity = {{ \"WBE-R101\" = \"error\" }}。")
    for code, level in levels.items():
        if level not in SEVERITIES:
            raise ConfigError(f"{where}{name} 中 {code} 的级别“{level}”无效，应为 error、warning 或 off。")
        severity[_check_code(code, where, name)] = level
    points: dict[str, int] = {}
    given = table.get("points", {})
    if not isinstance(given, dict):
        raise ConfigError(f"{where}{name} 的 points 应是表，如 points = {{ \"WBE-R112\" = 0 }}。")
    for code, value in given.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            raise ConfigError(f"{where}{name} 中 {code} 的扣分“{value}”无效，应为 0–100 的整数。")
        points[_check_code(code, where, name)] = value
    return severity, points


def _words(value: Any, where: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
        raise ConfigError(f"{where}{key} 应是非空字符串的列表，如 {key} = [\"进一步提高\", \"明显改善\"]。")
    return [w.strip() for w in value]
