"""Similar projects ("peers") of a book's projects in the library, and what the peers use.

Similarity (docs/decisions.md 23.4) is deterministic: each project text is cut into character bigrams
(punctuation and digits dropped, the first 160 characters); two texts score the cosine of their bigram sets,
counting only bigrams that occur in at most ``COMMON`` of the library's texts of that field (工作, 经费 say
nothing); a project scores ``0.5·name + 0.3·资金用途 + 0.2·绩效目标``. The peers of a project are the ``k``
best-scoring library projects above ``threshold`` (ties by the project's position in the library), never
the project itself (same 地区 and 项目编码); of one project's several years only the latest counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .query import CLEAN_SQL, GRAM_LIMIT, Library, temp_table

if TYPE_CHECKING:
    from ..model import Project

WEIGHTS = {"name": 0.5, "purpose": 0.3, "goal": 0.2}
COMMON = 0.05  # a bigram in more than this share of a field's texts is ignored (at least 20 texts kept)


@dataclass(frozen=True)
class PeerSettings:
    k: int = 30
    threshold: float = 0.2


@dataclass
class Usage:
    """How a project's peers use one indicator group."""

    key_level1: str
    key_level2: str
    key_level3: str
    name: str
    peers: int
    unit: str
    direction: str
    values: int
    median: float | None
    p10: float | None
    p90: float | None
    typical: str
    basis: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.key_level1, self.key_level2, self.key_level3


@dataclass
class PeerGroup:
    """The peers of one project and the indicators they use (most used first)."""

    project_code: str
    peers: list[dict[str, Any]] = field(default_factory=list)
    usage: list[Usage] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.peers)


def find_peers(library: Library, projects: Sequence[Project], region: str | None = None,
               settings: PeerSettings = PeerSettings()) -> dict[str, PeerGroup]:
    """The peer group of every project (by 项目编码), with the peers' indicator use."""
    groups = {p.code: PeerGroup(p.code) for p in projects}
    con = library.con
    tables = {row[0] for row in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
    if not projects or not {"projects", "sigs", "uses", "words", "grams"} <= tables:
        return groups
    rows = []
    for qid, project in enumerate(projects):
        for name, text in (("name", project.name), ("purpose", project.purpose), ("goal", project.goal)):
            rows.append((qid, project.code, name, text or ""))
    temp_table(con, "q", {"qid": "INTEGER", "project_code": "VARCHAR", "field": "VARCHAR", "t": "VARCHAR"}, rows)
    clean = CLEAN_SQL.format(col="t")
    found = con.execute(f"""
        WITH qc AS (SELECT qid, project_code, field, substr({clean}, 1, {GRAM_LIMIT}) AS c FROM q),
        qg AS (SELECT DISTINCT qid, field, substr(c, i, 2) AS gram
               FROM (SELECT qid, field, c, unnest(range(1, greatest(length(c), 2))) AS i FROM qc WHERE c <> '')),
        qn AS (SELECT qid, field, count(*) AS n FROM qg GROUP BY ALL),
        caps AS (SELECT field, greatest(20, count(DISTINCT text_id) * {COMMON}) AS cap FROM grams GROUP BY ALL),
        hits AS (
          SELECT qg.qid, qg.field, g.text_id, count(*) / sqrt(any_value(qn.n) * any_value(g.grams)) AS s
          FROM qg JOIN grams g ON g.field = qg.field AND g.gram = qg.gram
               JOIN caps ON caps.field = g.field JOIN qn ON qn.qid = qg.qid AND qn.field = qg.field
          WHERE g.df <= caps.cap GROUP BY qg.qid, qg.field, g.text_id),
        scored AS (
          SELECT qid, sig, sum(w) AS score, any_value(n) AS n FROM (
            SELECT h.qid, s.sig, s.n, {WEIGHTS['name']} * h.s AS w FROM hits h JOIN sigs s
              ON h.field = 'name' AND s.name_id = h.text_id
            UNION ALL SELECT h.qid, s.sig, s.n, {WEIGHTS['purpose']} * h.s FROM hits h JOIN sigs s
              ON h.field = 'purpose' AND s.purpose_id = h.text_id
            UNION ALL SELECT h.qid, s.sig, s.n, {WEIGHTS['goal']} * h.s FROM hits h JOIN sigs s
              ON h.field = 'goal' AND s.goal_id = h.text_id) GROUP BY qid, sig),
        needed AS (  -- the best texts until they hold enough projects (several years of one project count once)
          SELECT qid, sig, score FROM (
            SELECT qid, sig, score, n, sum(n) OVER (PARTITION BY qid ORDER BY score DESC, sig
                                                    ROWS UNBOUNDED PRECEDING) AS running
            FROM scored WHERE score >= {float(settings.threshold)})
          WHERE running - n < {4 * int(settings.k) + 1}),
        latest AS (
          SELECT s.qid, p.pid, s.score FROM needed s JOIN projects p USING (sig)
          JOIN (SELECT DISTINCT qid, project_code FROM q) own ON own.qid = s.qid
          WHERE NOT (p.project_code = own.project_code AND ({'TRUE' if region is None else 'p.region = ?'}))
          QUALIFY row_number() OVER (PARTITION BY s.qid, p.region,
                                     substr(p.project_code, 1, 6) || substr(p.project_code, 9)
                                     ORDER BY p.year DESC, s.score DESC, p.pid) = 1),
        ranked AS (
          SELECT qid, pid, score, row_number() OVER (PARTITION BY qid ORDER BY score DESC, pid) AS r FROM latest)
        SELECT r.qid, r.pid, r.score, p.year, p.region, p.dept_code, p.project_code, p.name
        FROM ranked r JOIN projects p USING (pid) WHERE r.r <= {int(settings.k)} ORDER BY r.qid, r.r""",
                        [] if region is None else [region]).fetchall()
    codes = [p.code for p in projects]
    peer_rows = []
    for qid, pid, score, year, peer_region, dept, code, name in found:
        groups[codes[qid]].peers.append({"score": round(float(score), 4), "year": year, "region": peer_region,
                                         "dept_code": dept, "project_code": code, "name": name})
        peer_rows.append((qid, pid))
    if peer_rows:
        _usage(library, groups, codes, peer_rows)
    return groups


def _usage(library: Library, groups: dict[str, PeerGroup], codes: list[str],
           peer_rows: list[tuple[int, int]]) -> None:
    from .query import number_text

    con = library.con
    temp_table(con, "peer", {"qid": "INTEGER", "pid": "UBIGINT"}, peer_rows)
    # Only numbers are read per indicator row (hashes of unit/direction, basis and text); the words are looked
    # up for the few aggregated rows at the end.
    rows = con.execute("""
        WITH used AS (
          SELECT peer.qid, u.pid, u.gid, u.form, u.number, u.basis, u.text FROM uses u JOIN peer USING (pid)),
        groups AS (
          SELECT qid, gid, count(DISTINCT pid) AS peers, mode(basis) AS basis, mode(text) AS text
          FROM used GROUP BY ALL),
        forms AS (
          SELECT qid, gid, form, count(*) AS n, quantile_cont(number, 0.5) AS median,
                 quantile_cont(number, 0.1) AS p10, quantile_cont(number, 0.9) AS p90,
                 row_number() OVER (PARTITION BY qid, gid ORDER BY count(*) DESC, form) AS r
          FROM used GROUP BY qid, gid, form)
        SELECT g.qid, r.key_level1, r.key_level2, r.key_level3, r.name, g.peers, fw.unit, fw.direction, f.n,
               f.median, f.p10, f.p90, coalesce(bw.text, ''), coalesce(tw.text, '')
        FROM groups g JOIN forms f USING (qid, gid) JOIN records r USING (gid)
             JOIN words fw ON fw.id = f.form AND fw.unit IS NOT NULL
             LEFT JOIN words bw ON bw.id = g.basis AND bw.text IS NOT NULL
             LEFT JOIN words tw ON tw.id = g.text AND tw.text IS NOT NULL
        WHERE f.r = 1 ORDER BY g.qid, g.peers DESC, r.key_level1, r.key_level2, r.key_level3""").fetchall()
    for row in rows:
        qid, k1, k2, k3, name, peers, unit, direction, n, median, p10, p90, basis, text = row
        if direction == "定性" or median is None:
            median = p10 = p90 = None
            typical = text
        else:
            typical = f"{direction}{number_text(float(median))}{unit}"
        groups[codes[qid]].usage.append(Usage(k1, k2, k3, name, int(peers), unit, direction, int(n),
                                              None if median is None else float(median),
                                              None if p10 is None else float(p10),
                                              None if p90 is None else float(p90), typical, basis))
