"""The review that knows the peers (WBE-R201…R203): a book's targets against the 指标库.

- WBE-R201: a target clearly weaker than what the library's projects set for the same indicator, unit and
  direction: below their 10 % quantile for ≥ (above their 90 % quantile for ≤), with at least
  ``min_peers`` values. Money is left out (a cost depends on the project's size, not on its peers).
- WBE-R202: an indicator that none of the project's similar projects (library/peers.py) uses, while the
  project lacks indicators that most of them use (at least ``common_share`` of at least ``min_similar``).
- WBE-R203: a target equal to last year's for the same project (项目编码 without its year digits) and
  indicator, while last year's 实际完成值 exceeded it.

Thresholds come from ``[tool.workbook-engine.library]`` in the wbe.toml beside the book (PeerRules, and
``off = ["WBE-R202"]`` to switch rules off); points per code are the catalogue's. Every message states
the peer figures it is based on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..findings import Finding, Location, finding
from ..values import fold

if TYPE_CHECKING:
    from ..canonical_reader import LoadedWorkbook
    from ..library.query import Library
    from ..model import Book
    from . import ReviewConfig, ReviewResult

MONEY = ("万元", "元", "亿元", "千元")


@dataclass(frozen=True)
class PeerRules:
    """The thresholds of the peer review (wbe.toml ``[tool.workbook-engine.library]``)."""

    min_peers: int = 20
    min_similar: int = 5
    common_share: float = 0.5
    similar_k: int = 30
    similarity: float = 0.2
    off: tuple[str, ...] = ()


def load_rules(workbook: str | os.PathLike[str] | None) -> PeerRules:
    """The thresholds for a workbook: its folder's wbe.toml, or the defaults (a bad value is a clear error)."""
    from ..county_config import ConfigError, engine_table

    found = engine_table(workbook, "library", what="指标库审核设置")
    if found is None:
        return PeerRules()
    table, path = found
    known = {f.name: f.type for f in fields(PeerRules)}
    values: dict[str, Any] = {}
    for name, value in table.items():
        if name == "off":
            from ..findings import CATALOGUE, PEERS_SECTION

            codes = value if isinstance(value, list) else [value]
            wrong = [str(c) for c in codes if not (isinstance(c, str) and c in CATALOGUE
                                                   and CATALOGUE[c].section == PEERS_SECTION)]
            if wrong:
                raise ConfigError(f"{path}：[tool.workbook-engine.library] off 中的 {'、'.join(wrong)} 不是指标库审核规则"
                                 "代码（WBE-R201、WBE-R202、WBE-R203）。")
            values["off"] = tuple(codes)
            continue
        if name not in known:
            raise ConfigError(f"{path}：[tool.workbook-engine.library] 没有设置项 {name}（可用：{'、'.join(known)}）。")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{path}：[tool.workbook-engine.library] {name} 应为非负数字。")
        values[name] = int(value) if known[name] == "int" else float(value)
    return PeerRules(**values)


class _Places:
    """Cell locations of indicator fields (when the workbook's layout is known)."""

    def __init__(self, loaded: LoadedWorkbook | None):
        table = loaded.table("indicators") if loaded is not None else None
        self.sheet = table.sheet_name if table is not None else "指标"
        self.columns: dict[str, int] = dict(table.columns) if table is not None else {}
        self.headers = {name: table.spec.header_of(name) for name in self.columns} if table is not None else {}

    def at(self, row: int | None, field_name: str) -> Location:
        return Location.at(self.sheet, row, self.columns.get(field_name), self.headers.get(field_name, "指标值"))


def _num(value: float | None) -> str:
    from ..library.query import number_text

    return "—" if value is None else number_text(value)


def peer_findings(book: Book, library: str | os.PathLike[str] | Library, *, loaded: LoadedWorkbook | None = None,
                  rules: PeerRules | None = None, config: ReviewConfig | None = None) -> list[Finding]:
    """The peer findings of a book against a library (a path or an open Library)."""
    from ..library.query import Library

    if rules is None:
        rules = load_rules(loaded.path if loaded is not None else None)
    if isinstance(library, Library):
        found = _findings(book, library, _Places(loaded), rules)
    else:
        with Library(library) as opened:
            found = _findings(book, opened, _Places(loaded), rules)
    found = [f for f in found if f.code not in rules.off]
    if config is None:
        return found
    from dataclasses import replace

    from .config import OFF

    kept = []
    for f in found:
        severity = config.setting(f.code, f.project).severity
        if severity != OFF:
            kept.append(f if severity == f.severity else replace(f, severity=severity))
    return kept


def _findings(book: Book, library: Library, places: _Places, rules: PeerRules) -> list[Finding]:
    from ..library.normalise import level1_key, level2_key, level3_key, parse_value

    keyed = []
    for ind in book.indicators:
        key = (level1_key(ind.level1), level2_key(ind.level1, ind.level2), level3_key(ind.level3))
        keyed.append((ind, key, parse_value(ind.value or "")))
    found = _weaker(library, keyed, places, rules)
    found += _unusual(book, library, keyed, places, rules)
    found += _copied(book, library, keyed, places)
    return found


def _distributions(library: Library, wanted: set[tuple[str, ...]], min_n: int) -> dict[tuple[str, ...], tuple]:
    """(key_level1, key_level2, key_level3, unit, direction) -> (n, p10, median, p90) of the library's values,
    for the wanted keys with at least ``min_n`` values (one query, whatever the number of keys)."""
    from ..library.query import temp_table

    if not wanted:  # no query at all (a review whose findings have no WBE-R139 asks with none)
        return {}
    con = library.con
    views = {row[0] for row in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
    if "dists" not in views:
        return {}
    temp_table(con, "peer_keys", {"k1": "VARCHAR", "k2": "VARCHAR", "k3": "VARCHAR", "unit": "VARCHAR",
                                  "direction": "VARCHAR"}, sorted(wanted))
    return {tuple(row[:5]): row[5:] for row in con.execute("""
        SELECT d.key_level1, d.key_level2, d.key_level3, d.unit, d.direction, d.n, d.p10, d.median, d.p90
        FROM dists d JOIN peer_keys k ON d.key_level1 = k.k1 AND d.key_level2 = k.k2 AND d.key_level3 = k.k3
                                      AND d.unit = k.unit AND d.direction = k.direction
        WHERE d.n >= ?""", [min_n]).fetchall()}


def _weaker(library: Library, keyed: list[tuple[Any, tuple[str, str, str], Any]], places: _Places,
            rules: PeerRules) -> list[Finding]:
    wanted: set[tuple[str, ...]] = {(*key, value.unit, value.direction) for _, key, value in keyed
                                    if value.number is not None and value.direction in ("≥", "≤")
                                    and value.unit not in MONEY}
    dists = _distributions(library, wanted, rules.min_peers)
    if not dists:
        return []
    found = []
    for ind, key, value in keyed:
        figures = dists.get((*key, value.unit, value.direction))
        if figures is None or value.number is None:
            continue
        n, p10, median, p90 = int(figures[0]), float(figures[1]), float(figures[2]), float(figures[3])
        common = dict(name=ind.level3, value=ind.value, peers=n, unit=value.unit or "无",
                      direction=value.direction, median=f"{value.direction}{_num(median)}{value.unit}",
                      p10=f"{_num(p10)}{value.unit}", p90=f"{_num(p90)}{value.unit}",
                      typical=f"{value.direction}{_num(median)}{value.unit}")
        if value.direction == "≥" and value.number < p10:
            found.append(finding("WBE-R201", places.at(ind.row, "value"), ind.value, project=ind.project_code,
                                 **common))
        elif value.direction == "≤" and value.number > p90:
            found.append(finding("WBE-R201", places.at(ind.row, "value"), ind.value, variant="upper",
                                 project=ind.project_code, **common))
    return found


def _unusual(book: Book, library: Library, keyed: list[tuple[Any, tuple[str, str, str], Any]], places: _Places,
             rules: PeerRules) -> list[Finding]:
    from ..library.normalise import region_of
    from ..library.peers import PeerSettings, find_peers

    region = next((r for r in (region_of(p.code) for p in book.projects) if r), None)
    groups = find_peers(library, book.projects, region, PeerSettings(rules.similar_k, rules.similarity))
    found = []
    for project in book.projects:
        group = groups[project.code]
        if group.size < rules.min_similar:
            continue
        used = {u.key: u for u in group.usage}
        own = [(ind, key) for ind, key, _ in keyed if ind.project_code == project.code]
        own_keys = {key for _, key in own}
        missing = [u for u in group.usage if u.peers >= rules.common_share * group.size and u.key not in own_keys]
        if not missing:
            continue
        names = "、".join(f"{u.name}（{u.peers}/{group.size} 个相似项目，常见 {u.typical or '—'}）" for u in missing[:3])
        for ind, key in own:
            if key not in used:
                found.append(finding("WBE-R202", places.at(ind.row, "level3"), ind.level3, project=project.code,
                                     name=ind.level3, peers=group.size, missing=names))
    return found


def _copied(book: Book, library: Library, keyed: list[tuple[Any, tuple[str, str, str], Any]],
            places: _Places) -> list[Finding]:
    from ..library.normalise import parse_value, project_stem, region_of, year_of

    years = {d.code: d.year for d in book.departments()}
    wanted = []
    for ind, key, value in keyed:
        year = years.get(ind.dept_code) or year_of(ind.project_code)
        region = region_of(ind.project_code)
        if year and region and value.number is not None and value.direction in ("≥", "≤"):
            wanted.append((year - 1, region, project_stem(ind.project_code), *key))
    if not wanted:
        return []
    from ..library.query import temp_table

    con = library.con
    temp_table(con, "last_keys", {"year": "INTEGER", "region": "VARCHAR", "stem": "VARCHAR", "k1": "VARCHAR",
                                  "k2": "VARCHAR", "k3": "VARCHAR"}, sorted(set(wanted)))
    years_list = sorted({w[0] for w in wanted})
    regions = sorted({w[1] for w in wanted})
    rows = con.execute(f"""
        SELECT k.year, k.region, k.stem, k.k1, k.k2, k.k3, i.value, i.actual
        FROM ind i JOIN last_keys k ON i.year = k.year AND i.region = k.region
             AND substr(i.project_code, 1, 6) || substr(i.project_code, 9) = k.stem
             AND i.key_level1 = k.k1 AND i.key_level2 = k.k2 AND i.key_level3 = k.k3
        WHERE i.year IN ({', '.join('?' * len(years_list))}) AND i.region IN ({', '.join('?' * len(regions))})
          AND i.actual <> ''""", [*years_list, *regions]).fetchall()
    last = {tuple(row[:6]): (row[6], row[7]) for row in rows}
    found = []
    for ind, key, value in keyed:
        year = years.get(ind.dept_code) or year_of(ind.project_code)
        if not year or value.number is None:
            continue
        hit = last.get((year - 1, region_of(ind.project_code), project_stem(ind.project_code), *key))
        if hit is None or fold(hit[0]).strip() != fold(ind.value).strip():
            continue
        actual_text = hit[1]
        actual = parse_value(actual_text if any(c in actual_text for c in "≥≤=<>") else "=" + actual_text)
        if actual.number is None or (actual.unit and actual.unit != value.unit):
            continue
        better = actual.number > value.number if value.direction == "≥" else actual.number < value.number
        if better:
            found.append(finding("WBE-R203", places.at(ind.row, "value"), ind.value, project=ind.project_code,
                                 name=ind.level3, value=ind.value, last_year=year - 1, actual=actual_text,
                                 suggest=f"{value.direction}{_num(actual.number)}{value.unit}"))
    return found


# WBE-R139 with a library: the peers' figures are shown from this many values of the same indicator and unit
# (fewer say nothing about a sector; the standard itself still applies).
FIGURES_MIN = 5


def with_peer_figures(book: Book, findings: list[Finding], library: Library) -> list[Finding]:
    """The review's findings with each WBE-R139 (a target below the sector norm) also stating the library's
    median and 10 % quantile of lower-bound targets (≥) for the same indicator and unit; others unchanged."""
    from dataclasses import replace

    from ..library.normalise import level1_key, level2_key, level3_key, parse_value
    from ..values import parse_indicator_value
    from .rules import Standard, compact, norm_fields, norm_missed

    at_row = {(ind.project_code, ind.row): ind for ind in book.indicators}
    targets: dict[int, tuple[Any, Standard, tuple[str, ...]]] = {}
    for n, f in enumerate(findings):
        ind = at_row.get((f.project or "", f.row)) if f.code == "WBE-R139" else None
        if ind is None:
            continue
        norm = norm_missed(compact(ind.level3), parse_indicator_value(ind.value))
        value = parse_value(ind.value or "")
        if norm is None or value.number is None:
            continue
        targets[n] = (ind, norm, (level1_key(ind.level1), level2_key(ind.level1, ind.level2),
                                  level3_key(ind.level3), value.unit, "≥"))
    dists = _distributions(library, {wanted for _, _, wanted in targets.values()}, FIGURES_MIN)
    result = list(findings)
    for n, (ind, norm, key) in targets.items():
        figures = dists.get(key)
        if figures is None:
            continue
        unit, old = key[3], findings[n]
        new = finding("WBE-R139", old.location, old.value, variant="peers", project=old.project, name=ind.level3,
                      value=ind.value, **norm_fields(norm), peers=int(figures[0]), unit=unit or "无",
                      median=f"≥{_num(float(figures[2]))}{unit}", p10=f"{_num(float(figures[1]))}{unit}")
        result[n] = new if new.severity == old.severity else replace(new, severity=old.severity)  # wbe.toml's
    return result


def peer_check(library: str | os.PathLike[str]) -> Any:
    """The peer review as a validator extra check (`wbe validate --library`)."""

    def run(book: Book, loaded: LoadedWorkbook) -> list[Finding]:
        from .config import load_config

        return peer_findings(book, library, loaded=loaded, config=load_config(loaded.path))

    return run


def review_with_peers(path: str | os.PathLike[str], library: str | os.PathLike[str], *,
                      config: ReviewConfig | None = None) -> ReviewResult:
    """`wbe review --library`: the review, plus the peer findings, graded together."""
    from ..findings import REVIEW_CODES, Report
    from ..library.query import Library
    from ..validation.engine import check
    from . import criterion_key, review_book
    from .config import load_config
    from .grading import errors_per_project, grade_projects

    checked = check(Path(path))
    config = config if config is not None else load_config(checked.loaded.path)
    result = review_book(checked.book, checked.loaded, checked.report, config)
    with Library(library) as opened:
        extra = peer_findings(checked.book, opened, loaded=checked.loaded, config=config)
        own = with_peer_figures(checked.book, result.report.findings, opened)
    report = Report(result.report.file, [*own, *extra])
    report.sort(criterion_key)
    sheets = {kind: table.sheet_name for kind in ("goals", "projects", "indicators")
              if (table := checked.loaded.table(kind)) is not None}
    errors = errors_per_project(checked.book, [f for f in checked.report.findings
                                               if f.is_error and f.code not in REVIEW_CODES], sheets)
    result.report = report
    result.grades = grade_projects(checked.book, report.findings, config, errors)
    return result
