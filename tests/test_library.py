"""The 指标库 (issue 23): build, counts through plain SQL, search, suggest, the peer review and the page, on
the sample plus two small generated counties (benchmarks/province.py)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import pytest

from workbook_engine import api
from workbook_engine.canonical_writer import write_book
from workbook_engine.library.normalise import level2_key, level3_key, parse_value, project_stem
from workbook_engine.library.query import Library, info

from .conftest import ROOT, SAMPLE, run_cli
from .corpus import encrypted, zip_bomb_declared

SATISFACTION = ("满意度指标", "服务对象满意度指标", "服务对象满意度")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from benchmarks.province import Shape, write_workbooks

    folder = tmp_path_factory.mktemp("library-inputs")
    counties = write_workbooks(Shape(counties=2, departments=12, projects=4, indicators=15, years=(2024,)),
                               folder / "counties", 2)
    corrupt = folder / "bad" / "corrupt.xlsx"
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"PK\x03\x04 not really a workbook")
    # Last year's table of the sample's first project, with its actual result (a Parquet export).
    import pyarrow as pa
    import pyarrow.parquet as pq

    last = folder / "last-year.parquet"
    pq.write_table(pa.table({
        "year": [2023], "region": ["130225"], "dept_code": ["450001"], "dept_name": ["乐亭县应急管理局本级"],
        "project_code": ["13022523P00CL0E10035D"], "project_name": ["安全生产专家会诊服务费"], "purpose": [""],
        "goal": [""], "level1": ["产出指标"], "level2": ["数量指标"], "level3": ["组织专家审查次数"],
        "description": [""], "value": ["≥12次"], "basis": ["计划标准"], "actual": ["15次"], "score": [10.0]}), last)
    return {"counties": counties[0].parent, "corrupt": corrupt, "encrypted": encrypted(folder / "bad"),
            "bomb": zip_bomb_declared(folder / "bad"), "last": last, "folder": folder}


@pytest.fixture(scope="module")
def library(inputs: dict[str, Path]) -> Path:
    target = inputs["folder"] / "library"
    result = api.library_build([SAMPLE, inputs["counties"], inputs["corrupt"], inputs["encrypted"], inputs["bomb"],
                                inputs["last"]], target)
    skipped = {Path(p.file).name for p in result.problems if p.skipped}
    assert skipped == {"corrupt.xlsx", "encrypted.xlsx", "zip-bomb-declared.xlsx"}
    assert len(result.added) == 4 and result.exit_code() == 1
    return target


# -- building ----------------------------------------------------------------------------------------------
def test_bad_inputs_are_reported_and_skipped_the_others_are_in(library: Path, inputs: dict[str, Path]):
    held = info(library)
    assert held.inputs == 4 and held.years == [2023, 2024]
    assert held.regions == ["130101", "130102", "130225"]
    assert held.indicators == 81 + 2 * 12 * 4 * 15 + 1
    result = run_cli("library", "build", inputs["corrupt"], "-o", inputs["folder"] / "only-bad")
    assert result.returncode == 1 and "已跳过" in result.stderr and "Traceback" not in result.stderr


def test_the_dataset_is_partitioned_by_year_and_region(library: Path):
    parts = sorted(p.relative_to(library / "data").parts[:2] for p in (library / "data").rglob("*.parquet"))
    assert ("year=2024", "region=130225") in parts and ("year=2023", "region=130225") in parts
    assert all(re.fullmatch(r"year=\d{4}", y) and re.fullmatch(r"region=\d{6}", r) for y, r in parts)


def test_append_adds_a_county_and_the_same_workbook_is_not_counted_twice(library: Path, inputs, tmp_path: Path):
    import shutil

    copy = tmp_path / "library"
    shutil.copytree(library, copy)
    before = info(copy).indicators
    again = api.library_build([SAMPLE, inputs["counties"]], copy, append=True)
    assert not again.added and len(again.duplicates) == 3 and info(copy).indicators == before
    book = api.read_book(SAMPLE)
    other = dataclasses.replace(book.projects[0], code="13022624P00CL0E10035D")
    book.projects = [other]
    book.indicators = [dataclasses.replace(i, project_code=other.code) for i in book.indicators_of(book.projects[0].code.replace("130226", "130225"))]
    write_book(book, tmp_path / "county-130226.xlsx")
    added = api.library_build([tmp_path / "county-130226.xlsx"], copy, append=True)
    assert added.rows == 9 and info(copy).indicators == before + 9 and "130226" in info(copy).regions


def test_plain_sql_on_the_files_gives_the_counts_of_info_and_of_the_page(library: Path):
    import duckdb

    pattern = str(library / "data" / "**" / "*.parquet")
    row = duckdb.connect().execute(f"""
        SELECT count(*), count(DISTINCT region || '/' || dept_code), count(DISTINCT region || '/' || project_code),
               count(DISTINCT region)
        FROM read_parquet('{pattern}', hive_partitioning = true)""").fetchone()
    held = info(library)
    assert row == (held.indicators, held.departments, held.projects, len(held.regions))
    from starlette.testclient import TestClient

    from workbook_engine.web import create_app

    with TestClient(create_app(executor="thread", library=library)) as client:
        page = client.get("/library.json", params={"q": "满意度"}).json()
    assert (page["indicators"], page["departments"], page["projects"], page["regions"]) == \
        (held.indicators, held.departments, held.projects, len(held.regions))


def test_the_scale_doc_query_runs_on_duckdb(library: Path):
    """docs/scale.md's example query (the one Spark and Trino run) on DuckDB gives the library's figures."""
    import duckdb

    text = (ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    tested = re.search(r"<!-- tested-query -->\s*```sql\n(.*?)```", text, re.S)
    assert tested is not None, "docs/scale.md lost its tested query"
    sql = tested.group(1)
    sql = sql.replace("indicators", f"read_parquet('{library / 'data'}/**/*.parquet', hive_partitioning = true)", 1)
    rows = duckdb.connect().execute(sql).fetchall()
    with Library(library) as opened:
        record = opened.record(SATISFACTION)
        assert record is not None
        opened.attach([record], examples=0)
    top = next(r for r in rows if tuple(r[:3]) == SATISFACTION)
    dist = record.distributions[0]
    assert top[3:6] == (dist.unit, dist.direction, dist.n) and top[6] == pytest.approx(dist.median)


# -- records and search ------------------------------------------------------------------------------------
def test_grouping_folds_synonyms_width_and_spacing_but_keeps_units_apart():
    assert level2_key("满意度指标", "群众满意度") == "服务对象满意度指标"
    assert level2_key("效益指标", "环境效益指标") == "生态效益指标" and level2_key("产出指标", "数量") == "数量指标"
    assert level3_key("服务对象 满意率（％）") == level3_key("服务对象满意度") == "服务对象满意度"
    assert level3_key("验收合格率（2）") == "验收合格率"
    assert (parse_value("≥95％").unit, parse_value(">=95%").direction) == ("%", "≥")
    assert parse_value("≤30天").unit == "天" and parse_value("按时完成").direction == "定性"
    assert project_stem("13022524P00CL0E10035D") == project_stem("13022523P00CL0E10035D")


def test_search_returns_the_record_with_its_distribution_bases_and_projects(library: Path):
    result = run_cli("library", "search", "满意度", "--library", library, "--format", "json")
    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout)["results"]
    top = next(r for r in results if (r["key_level1"], r["key_level2"], r["key_level3"]) == SATISFACTION)
    # 96 generated projects and one of the sample use it; a few spell it with a typo (a group of their own)
    assert 0.9 * 96 <= top["projects"] <= 97 and top["regions"] == 3 and top["departments"] >= 20  # + the sample
    dist = top["distributions"][0]
    assert (dist["unit"], dist["direction"]) == ("%", "≥") and 85 <= dist["p10"] <= dist["median"] <= dist["p90"] <= 98
    assert top["bases"] and top["examples"] and sum(dist["histogram"]) == dist["n"]
    only_output = run_cli("library", "search", "满意度", "--library", library, "--level1", "产出指标",
                          "--format", "json")
    assert all(r["key_level1"] == "产出指标" for r in json.loads(only_output.stdout)["results"])
    text = run_cli("library", "search", "隐患整改率", "--library", library)
    assert "隐患整改率" in text.stdout and "中位数" in text.stdout


def test_library_info_and_a_missing_library_say_it_in_chinese(library: Path, tmp_path: Path):
    shown = run_cli("library", "info", library)
    assert shown.returncode == 0 and f"指标：{81 + 2 * 12 * 4 * 15 + 1} 个" in shown.stdout
    missing = run_cli("library", "info", tmp_path / "nowhere")
    assert missing.returncode == 2 and "不是指标库" in missing.stderr and "Traceback" not in missing.stderr


# -- suggest -----------------------------------------------------------------------------------------------
def _sample_without_satisfaction(tmp_path: Path) -> tuple[Path, str]:
    book = api.read_book(SAMPLE)
    project = book.projects[0].code
    book.indicators = [i for i in book.indicators if not (i.project_code == project and i.level1 == "满意度指标")]
    path = tmp_path / "no-satisfaction.xlsx"
    write_book(book, path)
    return path, project


def test_suggest_proposes_the_satisfaction_indicator_peers_use_with_its_typical_value(library: Path, tmp_path: Path):
    book, project = _sample_without_satisfaction(tmp_path)
    before = hashlib.sha256(book.read_bytes()).hexdigest()
    out = tmp_path / "suggested.xlsx"
    result = run_cli("suggest", book, "--library", library, "-o", out, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    mine = [s for s in data["suggestions"] if s["project_code"] == project]
    satisfaction = next(s for s in mine if s["level2"] == "服务对象满意度指标")
    assert satisfaction["missing_category"] and mine[0]["missing_category"]  # missing categories first
    assert re.fullmatch(r"≥(8[5-9]|9[0-8])(\.\d+)?%", satisfaction["typical"]) and satisfaction["peers_using"] >= 2
    assert hashlib.sha256(book.read_bytes()).hexdigest() == before
    from openpyxl import load_workbook

    sheets = load_workbook(out, read_only=True).sheetnames
    assert "指标建议" in sheets and {"部门目标", "项目", "指标"} <= set(sheets)
    again = run_cli("suggest", book, "--library", library, "-o", out)
    assert again.returncode == 2 and "已存在" in again.stderr  # the --overwrite rule


# -- the peer review ---------------------------------------------------------------------------------------
def test_a_target_weaker_than_peers_is_flagged_with_the_peer_median(library: Path, tmp_path: Path):
    book = api.read_book(SAMPLE)
    weak = next(i for i in book.indicators if i.level1 == "满意度指标")
    weak.level3, weak.value = "服务对象满意度", "≥60%"
    path = tmp_path / "weak.xlsx"
    write_book(book, path)
    with Library(library) as opened:
        record = opened.record(SATISFACTION)
        assert record is not None
        opened.attach([record], examples=0)
    median = record.distributions[0].typical()
    result = run_cli("review", path, "--library", library, "--format", "json", "--all")
    findings = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "WBE-R201"]
    assert len(findings) == 1 and findings[0]["value"] == "≥60%" and findings[0]["sheet"] == "指标"
    assert f"中位数为 {median}" in findings[0]["message"]
    validated = run_cli("validate", path, "--library", library, "--format", "json")
    assert "WBE-R201" in {f["code"] for f in json.loads(validated.stdout)["findings"]}
    plain = run_cli("review", path, "--format", "json", "--all")
    assert "WBE-R201" not in {f["code"] for f in json.loads(plain.stdout)["findings"]}


def test_a_value_copied_from_last_year_that_was_exceeded_is_flagged(library: Path):
    found = api.peer_review(SAMPLE, library)
    copied = [f for f in found if f.code == "WBE-R203"]
    assert len(copied) == 1 and copied[0].value == "≥12次" and "15次" in copied[0].message
    assert "2023" in copied[0].message and "≥15次" in copied[0].message


def test_peer_thresholds_come_from_wbe_toml(library: Path, tmp_path: Path):
    from workbook_engine.review.peers import load_rules

    (tmp_path / "wbe.toml").write_text("[tool.workbook-engine.library]\nmin_peers = 5000\n", encoding="utf-8")
    assert load_rules(tmp_path / "book.xlsx").min_peers == 5000
    (tmp_path / "wbe.toml").write_text('[tool.workbook-engine.library]\noff = ["WBE-R202"]\n', encoding="utf-8")
    assert load_rules(tmp_path / "book.xlsx").off == ("WBE-R202",)
    (tmp_path / "wbe.toml").write_text("[tool.workbook-engine.library]\nmin_pears = 5\n", encoding="utf-8")
    with pytest.raises(Exception, match="没有设置项 min_pears"):
        load_rules(tmp_path / "book.xlsx")


def test_an_indicator_no_similar_project_uses_is_flagged_when_common_ones_are_missing(library: Path, tmp_path):
    from benchmarks.province import Shape, county_book

    book = county_book(0, Shape(counties=1, departments=1, projects=1), 2024)
    project = book.projects[0]
    book.projects[0] = dataclasses.replace(project, code=project.code.replace("130101", "130109"))
    book.indicators = [dataclasses.replace(i, project_code=book.projects[0].code) for i in book.indicators]
    book.indicators = [i for i in book.indicators if i.level3 not in ("组织专家会诊次数", "抽查企业数量", "隐患整改率")]
    book.indicators[0] = dataclasses.replace(book.indicators[0], level3="养殖场粪污处理率")
    path = tmp_path / "unusual.xlsx"
    write_book(book, path)
    found = [f for f in api.peer_review(path, library) if f.code == "WBE-R202"]
    assert [f.value for f in found] == ["养殖场粪污处理率"] and "隐患整改率" in found[0].message


# -- the page ----------------------------------------------------------------------------------------------
def test_the_library_page_shows_the_distribution_chart_and_only_aggregates(library: Path):
    from starlette.testclient import TestClient

    from workbook_engine.web import create_app

    with TestClient(create_app(executor="thread", library=library)) as client:
        page = client.get("/library", params={"q": "满意度"})
        assert page.status_code == 200 and "<svg" in page.text and "中位数" in page.text
        assert "乐亭县应急管理局本级" not in page.text  # no department names, values or scores
        lone = client.get("/library.json", params={"q": "组织专家审查次数"}).json()["results"]
        mine = next(r for r in lone if r["name"] == "组织专家审查次数")
        assert mine["departments"] < 3 and not mine["distributions"] and not mine["bases"]
        assert client.get("/library", params={"q": "满" * 60}).status_code == 400
    with TestClient(create_app(executor="thread")) as client:
        assert client.get("/library").status_code == 404  # no library, no page


def test_every_peer_code_has_a_case_here_and_a_section_in_docs_library():
    from workbook_engine.validation.codes import PEERS

    source = Path(__file__).read_text(encoding="utf-8")
    doc = (ROOT / "docs" / "library.md").read_text(encoding="utf-8")
    assert PEERS == ("WBE-R201", "WBE-R202", "WBE-R203")
    for code in PEERS:
        assert f'== "{code}"' in source, code  # a test that selects its findings
        assert f"### {code}" in doc, code


# -- WBE-R139 with the peers' figures (issue 24) -------------------------------------------------------------
def _afforestation_library(folder: Path, survival_rates: list[int]) -> Path:
    """A library of afforestation projects from a Parquet export: one 造林成活率 target per project."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = len(survival_rates)
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "afforestation.parquet"
    pq.write_table(pa.table({
        "year": [2024] * n, "region": ["130225"] * n, "dept_code": ["470001"] * n, "dept_name": ["某县林业局"] * n,
        "project_code": [f"13022524P00LY0E1{k:05d}" for k in range(n)], "project_name": ["国土绿化造林"] * n,
        "purpose": ["荒山造林"] * n, "goal": [""] * n, "level1": ["产出指标"] * n, "level2": ["质量指标"] * n,
        "level3": ["造林成活率"] * n, "description": [""] * n, "value": [f"≥{v}%" for v in survival_rates],
        "basis": ["行业标准"] * n, "actual": [""] * n, "score": [None] * n}), export)
    target = folder / "library"
    assert api.library_build([export], target).exit_code() == 0
    return target


def _r139(path: Path, *extra: object) -> dict:
    result = run_cli("review", path, *extra, "--format", "json", "--all")
    assert result.returncode == 0, result.stderr
    found = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "WBE-R139"]
    assert len(found) == 1 and found[0]["cell"] == "H3" and found[0]["value"] == "≥60%"
    return found[0]


def test_a_target_below_the_sector_norm_also_states_the_peers_median_and_p10(tmp_path: Path):
    from openpyxl import load_workbook

    workbook = load_workbook(SAMPLE)
    workbook["指标"]["F3"], workbook["指标"]["G3"], workbook["指标"]["H3"] = "造林成活率", "反映造林成活的比例", "≥60%"
    book = tmp_path / "book" / "afforestation.xlsx"
    book.parent.mkdir()
    workbook.save(book)
    plain = _r139(book)
    assert "GB/T 15776-2016" in plain["message"] and "指标库" not in plain["message"]

    library = _afforestation_library(tmp_path, list(range(85, 94)))  # 85 … 93: median 89, p10 85.8
    with_peers = _r139(book, "--library", library)
    assert "GB/T 15776-2016" in with_peers["message"] and "≥85%" in with_peers["message"]
    assert "指标库中 9 个同类目标（单位 %）的中位数为 ≥89%，10% 分位数为 85.8%" in with_peers["message"]
    assert "同类项目多为 ≥89%" in with_peers["message"]

    few = _afforestation_library(tmp_path / "few", [90, 92])  # two values say nothing about a sector
    assert _r139(book, "--library", few)["message"] == plain["message"]

    (book.parent / "wbe.toml").write_text('[tool.workbook-engine.review]\nseverity = { "WBE-R139" = "error" }\n',
                                          encoding="utf-8")
    result = run_cli("review", book, "--library", library, "--format", "json", "--all")
    regraded = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "WBE-R139"]
    assert result.returncode == 1 and [f["severity"] for f in regraded] == ["error"]
    assert regraded[0]["message"] == with_peers["message"]
