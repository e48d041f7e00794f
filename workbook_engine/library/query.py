"""Queries on the library with DuckDB over ``read_parquet(..., hive_partitioning = true)``.

``refresh_index`` derives the index tables from the dataset (records: one row per indicator group;
dists: the value distribution per group, unit and direction; projects, texts and grams: for similarity);
``info``, ``search`` and ``projects_using`` read them. Every statement is plain SQL over Parquet files,
so the same queries run in Spark or Trino (docs/scale.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .normalise import grams
from .store import Store

if TYPE_CHECKING:
    import duckdb

MEMORY_LIMIT = os.environ.get("WBE_LIBRARY_MEMORY", "1GB")
GRAM_LIMIT = 160  # characters of a text that take part in similarity (goal texts can be pages long)
INDEX_TABLES = ("records", "dists", "projects", "sigs", "uses", "words", "texts", "grams")
EXAMPLES = 10  # projects kept per record as examples of its use
# The characters dropped before grams are taken (as normalise.grams, in SQL).
CLEAN_SQL = r"regexp_replace({col}, '[\s　·•、，,。.；;：:！!？?“”\"''‘’（）()\[\]【】《》<>〈〉—\-_/\\|*0-9%]+', '', 'g')"


def dataset_sql(store: Store) -> str:
    """The FROM clause of the dataset: every data file, partition columns typed (region keeps its zeros)."""
    pattern = store.glob().replace("'", "''")
    return (f"read_parquet('{pattern}', hive_partitioning = true, union_by_name = true, "
            "hive_types = {'year': INTEGER, 'region': VARCHAR})")


def connect(store: Store, *, index: bool = True) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the views ``ind`` (the dataset) and, with ``index``, the index tables."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "threads": min(4, os.cpu_count() or 1)})
    if store.has_data():
        con.execute(f"CREATE VIEW ind AS SELECT * FROM {dataset_sql(store)}")
    else:
        con.execute("CREATE VIEW ind AS SELECT NULL::INTEGER AS year, NULL::VARCHAR AS region WHERE false")
    if index:
        for name in INDEX_TABLES:
            path = store.index / f"{name}.parquet"
            if path.exists():
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{_quoted(path)}')")
    return con


def temp_table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str],
               rows: list[tuple[Any, ...]] | list[Any]) -> None:
    """A temporary table ``name`` (column -> SQL type) holding ``rows``, loaded in one piece through Arrow
    (executemany inserts row by row: 6,000 peer rows took 2.5 s)."""
    import pyarrow as pa

    types = {"UBIGINT": pa.uint64(), "INTEGER": pa.int32(), "VARCHAR": pa.string()}
    data = {column: pa.array([row[n] for row in rows], types[sql]) for n, (column, sql) in enumerate(columns.items())}
    con.register(f"{name}_rows", pa.table(data))
    casts = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in columns.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {casts} FROM {name}_rows")
    con.unregister(f"{name}_rows")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def refresh_index(store: Store) -> None:
    """Derive the index tables from the dataset (each written to a temporary file, then renamed)."""
    store.index.mkdir(parents=True, exist_ok=True)
    if not store.has_data():
        for name in INDEX_TABLES:
            (store.index / f"{name}.parquet").unlink(missing_ok=True)
        return
    con = connect(store, index=False)
    try:
        statements = {
            "records": f"""
                WITH g AS (
                  SELECT key_level1, key_level2, key_level3, count(*) AS uses,
                         count(DISTINCT hash(region, project_code)) AS projects,
                         count(DISTINCT hash(region, dept_code)) AS departments,
                         count(DISTINCT region) AS regions, min(year) AS first_year, max(year) AS last_year,
                         mode(level3) AS name, min(description) AS description,
                         count(met) AS evaluated, avg(CASE WHEN met THEN 1.0 WHEN NOT met THEN 0.0 END) AS met_rate,
                         min_by(struct_pack(year := year, region := region, dept_name := dept_name,
                                            project_code := project_code, project_name := project_name,
                                            value := value),
                                (9999 - year)::VARCHAR || region || project_code, {EXAMPLES}) AS examples
                  FROM ind GROUP BY ALL),
                b AS (
                  SELECT key_level1, key_level2, key_level3, basis, count(*) AS n,
                         row_number() OVER (PARTITION BY key_level1, key_level2, key_level3
                                            ORDER BY count(*) DESC, basis) AS r
                  FROM ind WHERE basis <> '' GROUP BY key_level1, key_level2, key_level3, basis),
                bases AS (
                  SELECT key_level1, key_level2, key_level3,
                         string_agg(basis || '（' || n || '）', '；' ORDER BY n DESC, basis) AS bases
                  FROM b WHERE r <= 3 GROUP BY ALL)
                SELECT hash(key_level1, key_level2, key_level3) AS gid, g.*, coalesce(bases.bases, '') AS bases,
                       key_level2 || ' ' || key_level3 || ' ' || name || ' ' || coalesce(description, '') AS search_text
                FROM g LEFT JOIN bases USING (key_level1, key_level2, key_level3)
                ORDER BY key_level1, key_level2, key_level3""",
            "dists": """
                WITH v AS (
                  SELECT key_level1, key_level2, key_level3, unit, direction, number FROM ind
                  WHERE number IS NOT NULL AND isfinite(number)),
                s AS (
                  SELECT key_level1, key_level2, key_level3, unit, direction, count(*) AS n,
                         quantile_cont(number, 0.1) AS p10, quantile_cont(number, 0.5) AS median,
                         quantile_cont(number, 0.9) AS p90, min(number) AS lo, max(number) AS hi
                  FROM v GROUP BY ALL),
                h AS (
                  SELECT v.key_level1, v.key_level2, v.key_level3, v.unit, v.direction,
                         CASE WHEN s.hi > s.lo THEN least(9, floor((v.number - s.lo) / (s.hi - s.lo) * 10))::INTEGER
                              ELSE 0 END AS bin, count(*) AS n
                  FROM v JOIN s USING (key_level1, key_level2, key_level3, unit, direction) GROUP BY ALL),
                hm AS (
                  SELECT key_level1, key_level2, key_level3, unit, direction,
                         map_from_entries(list(struct_pack(k := bin, v := n))) AS m
                  FROM h GROUP BY key_level1, key_level2, key_level3, unit, direction),
                hl AS (
                  SELECT key_level1, key_level2, key_level3, unit, direction,
                         list_transform(range(10), lambda i: coalesce(m[i::INTEGER], 0)) AS histogram FROM hm)
                SELECT s.*, hl.histogram FROM s JOIN hl USING (key_level1, key_level2, key_level3, unit, direction)
                ORDER BY key_level1, key_level2, key_level3, n DESC, unit, direction""",
            "projects": """
                SELECT hash(year, region, dept_code, project_code) AS pid, year, region, dept_code, project_code, name, hash(name) AS name_id,
                       hash(purpose) AS purpose_id, hash(goal) AS goal_id, hash(name, purpose, goal) AS sig
                FROM (SELECT year, region, dept_code, project_code, any_value(project_name) AS name,
                             any_value(purpose) AS purpose, any_value(goal) AS goal
                      FROM ind GROUP BY ALL)""",
            "sigs": """
                SELECT sig, any_value(name_id) AS name_id, any_value(purpose_id) AS purpose_id,
                       any_value(goal_id) AS goal_id, count(*) AS n FROM projects GROUP BY sig""",
            "uses": """
                SELECT hash(year, region, dept_code, project_code) AS pid,
                       hash(key_level1, key_level2, key_level3) AS gid, hash(unit, direction) AS form, number,
                       hash(basis) AS basis, CASE WHEN direction = '定性' THEN hash(value) END AS text
                FROM ind""",
            "words": """
                SELECT DISTINCT hash(unit, direction) AS id, unit, direction, NULL AS text FROM ind
                UNION ALL SELECT DISTINCT hash(basis), NULL, NULL, basis FROM ind
                UNION ALL SELECT DISTINCT hash(value), NULL, NULL, value FROM ind WHERE direction = '定性'""",
        }
        for name, sql in statements.items():
            _write(con, store, name, sql)
            con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{_quoted(store.index / (name + '.parquet'))}')")
        clean = CLEAN_SQL.format(col="t")
        _write(con, store, "texts", f"""
            WITH t AS (
              SELECT DISTINCT 'name' AS field, project_name AS t FROM ind
              UNION SELECT DISTINCT 'purpose', purpose FROM ind
              UNION SELECT DISTINCT 'goal', goal FROM ind)
            SELECT field, hash(t) AS text_id, substr({clean}, 1, {GRAM_LIMIT}) AS c FROM t""")
        con.execute(f"CREATE OR REPLACE VIEW texts AS SELECT * FROM read_parquet('{_quoted(store.index / 'texts.parquet')}')")
        _write(con, store, "grams", """
            WITH g AS (
              SELECT DISTINCT field, text_id, substr(c, i, 2) AS gram
              FROM (SELECT field, text_id, c, unnest(range(1, greatest(length(c), 2))) AS i FROM texts)),
            n AS (SELECT field, text_id, count(*) AS grams FROM g GROUP BY ALL),
            df AS (SELECT field, gram, count(*) AS df FROM g GROUP BY ALL)
            SELECT g.field, g.gram, g.text_id, n.grams, df.df
            FROM g JOIN n USING (field, text_id) JOIN df USING (field, gram)
            ORDER BY g.field, g.gram""")
    finally:
        con.close()


def _write(con: duckdb.DuckDBPyConnection, store: Store, name: str, sql: str) -> None:
    target = store.index / f"{name}.parquet"
    temp = store.index / f".{name}.parquet.part"
    con.execute(f"COPY ({sql}) TO '{_quoted(temp)}' (FORMAT parquet, COMPRESSION zstd)")
    os.replace(temp, target)


@dataclass
class Info:
    """What a library holds (`wbe library info`)."""

    library: str
    inputs: int
    years: list[int]
    regions: list[str]
    departments: int
    projects: int
    indicators: int
    groups: int
    evaluated: int
    files: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# The counts of `library info` (and the page), as plain SQL over the dataset (docs/library.md shows it).
INFO_SQL = """
SELECT count(*) AS indicators,
       count(DISTINCT region || '/' || dept_code) AS departments,
       count(DISTINCT region || '/' || project_code) AS projects,
       count(DISTINCT region) AS regions,
       count(actual) FILTER (WHERE actual <> '') AS evaluated
FROM ind"""


def info(library: Store | str | os.PathLike[str]) -> Info:
    store = library if isinstance(library, Store) else Store(library)
    manifest = store.require().load()
    con = connect(store)
    try:
        if store.has_data():
            indicators, departments, projects, regions, evaluated = con.execute(INFO_SQL).fetchone() or (0,) * 5
            years = [row[0] for row in con.execute("SELECT DISTINCT year FROM ind ORDER BY 1").fetchall()]
            region_list = [row[0] for row in con.execute("SELECT DISTINCT region FROM ind ORDER BY 1").fetchall()]
            groups = (con.execute("SELECT count(*) FROM records").fetchone() or (0,))[0] \
                if _has(store, "records") else 0
        else:
            indicators = departments = projects = evaluated = groups = 0
            years, region_list = [], []
    finally:
        con.close()
    return Info(str(store.root), len(manifest.inputs), years, region_list, departments, projects, indicators,
                groups, evaluated, [entry.__dict__ for entry in manifest.inputs])


def _has(store: Store, name: str) -> bool:
    return (store.index / f"{name}.parquet").exists()


@dataclass
class Distribution:
    unit: str
    direction: str
    n: int
    p10: float
    median: float
    p90: float
    lo: float
    hi: float
    histogram: list[int]

    def typical(self) -> str:
        """The median as a 指标值: ≥95%, ≤30天, =12次."""
        return f"{'' if self.direction == '定性' else self.direction}{number_text(self.median)}{self.unit}"


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass
class Record:
    """One library record: an indicator group with its use, distributions, bases and attainment."""

    key_level1: str
    key_level2: str
    key_level3: str
    name: str
    description: str
    uses: int
    projects: int
    departments: int
    regions: int
    bases: str
    evaluated: int
    met_rate: float | None
    gid: int = 0  # hash of the key, the join key of the uses table
    score: float = 0.0
    distributions: list[Distribution] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.key_level1, self.key_level2, self.key_level3

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("distributions", "examples")}
        data["distributions"] = [d.__dict__ | {"typical": d.typical()} for d in self.distributions]
        data["examples"] = self.examples
        return data


RECORD_COLUMNS = ("key_level1", "key_level2", "key_level3", "name", "description", "uses", "projects",
                  "departments", "regions", "bases", "evaluated", "met_rate", "gid")


class Library:
    """An open library: a DuckDB connection over its files, and the records cached for search."""

    def __init__(self, root: str | os.PathLike[str]):
        self.store = Store(root).require()
        self.con = connect(self.store)
        self._records: list[tuple[Record, set[str], str]] | None = None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def records(self) -> list[tuple[Record, set[str], str]]:
        """Every record with the grams of its search text (loaded once per open library)."""
        if self._records is None:
            rows = []
            if _has(self.store, "records"):
                columns = ", ".join(RECORD_COLUMNS)
                for row in self.con.execute(f"SELECT {columns}, search_text FROM records").fetchall():
                    record = Record(*row[:-1])
                    rows.append((record, grams(row[-1], 400), row[-1]))
            self._records = rows
        return self._records

    def search(self, text: str, *, level1: str | None = None, level2: str | None = None, limit: int = 20,
               examples: int = 10) -> list[Record]:
        """Records whose names hold the words of ``text`` (character bigrams, docs/decisions.md 23.3), best
        first: share of the query's bigrams found, then use; ties in key order (deterministic)."""
        from .normalise import level1_key, level2_key

        wanted = grams(text)
        key1 = level1_key(level1) if level1 else None
        key2 = level2_key(level1 or "", level2) if level2 else None
        found: list[Record] = []
        for record, record_grams, search_text in self.records():
            if key1 and record.key_level1 != key1:
                continue
            if key2 and record.key_level2 != key2 and (level2 or "") not in record.key_level2:
                continue
            if wanted:
                shared = len(wanted & record_grams)
                if not shared:
                    continue
                score = shared / len(wanted) + (0.5 if text.strip() and text.strip() in search_text else 0.0)
            else:
                score = 0.0
            found.append(Record(**{**record.__dict__, "score": round(score, 4), "distributions": [],
                                   "examples": []}))
        found.sort(key=lambda r: (-r.score, -r.projects, r.key))
        found = found[:limit]
        self.attach(found, examples=examples)
        return found

    def attach(self, records: list[Record], *, examples: int = 10) -> None:
        """Fill in the distributions and (``examples`` > 0) the projects that use each record."""
        if not records:
            return
        keys = [r.key for r in records]
        by_key = {r.key: r for r in records}
        temp_table(self.con, "wanted", {"key_level1": "VARCHAR", "key_level2": "VARCHAR", "key_level3": "VARCHAR"},
                   keys)
        if _has(self.store, "dists"):
            for row in self.con.execute(
                    "SELECT d.* FROM dists d JOIN wanted USING (key_level1, key_level2, key_level3)").fetchall():
                record = by_key[(row[0], row[1], row[2])]
                p10, median, p90, lo, hi = map(float, row[6:11])
                record.distributions.append(Distribution(row[3], row[4], int(row[5]), p10, median, p90, lo, hi,
                                                         list(row[11])))
            for record in records:
                record.distributions.sort(key=lambda d: (-d.n, d.unit, d.direction))
        if examples > 0:
            for row in self.con.execute("""
                    SELECT key_level1, key_level2, key_level3, examples FROM records
                    JOIN wanted USING (key_level1, key_level2, key_level3)""").fetchall():
                chosen = sorted(row[3], key=lambda e: (-e["year"], e["region"], e["project_code"]))
                by_key[(row[0], row[1], row[2])].examples = [dict(e) for e in chosen[:examples]]

    def record(self, key: tuple[str, str, str]) -> Record | None:
        return next((r for r, _, _ in self.records() if r.key == key), None)
