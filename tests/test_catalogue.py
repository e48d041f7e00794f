"""The findings catalogue is the single source: templates complete, docs generated from it, no message
written elsewhere; and the package's layers import downward only (no import cycle)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from cogapp import Cog

from workbook_engine import findings as catalogue
from workbook_engine.findings import CATALOGUE, CRITERIA, ERROR, WARNING, Location, Report, finding

from .conftest import ROOT

PACKAGE = ROOT / "workbook_engine"
GENERATED_DOCS = [ROOT / "docs" / "rules.md", ROOT / "docs" / "review-rules.md"]


# -- the catalogue -----------------------------------------------------------------------------------------
def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_entry_is_complete(code):
    entry = CATALOGUE[code]
    assert re.fullmatch(r"WBE-[EWRI]\d{3}", code) and entry.code == code
    assert entry.severity == (ERROR if code[4] in "EI" else WARNING)  # I: input refused, an error
    assert entry.title and entry.what and entry.example and entry.remedy
    if code.startswith("WBE-R"):
        assert entry.criterion in CRITERIA and 0 < entry.points <= 100
    else:
        assert entry.criterion is None and entry.points == 0
    for variant in (None, *entry.variants):
        template, fix = entry.texts(variant)
        assert re.search("[\u4e00-\u9fff]", template + fix) and template.endswith(("。", "，", "；", "）")), (code, variant)
        assert fix, f"{code} {variant}: every message says how to fix it"
        fields = {name: f"<{name}>" for name in _fields(template + fix)}
        message = entry.message(variant, **fields)
        assert "{" not in message and "}" not in message
        assert all(f"<{name}>" in message for name in fields)


def test_a_missing_field_is_a_bug_not_a_silent_blank():
    with pytest.raises(KeyError):
        finding("WBE-E030", Location.at("项目", 2, 5), 1.0, budget="1.00")


def test_finding_takes_severity_message_and_location_from_the_catalogue():
    f = finding("WBE-E033", Location.at("项目", 7, 2, "项目编码", file="a.xlsx"), "X", code="X", first_row=3)
    assert (f.code, f.severity, f.sheet, f.cell, f.row, f.column, f.file) == \
        ("WBE-E033", "error", "项目", "C7", 7, "项目编码", "a.xlsx")
    assert f.message == "项目编码 X 重复（第一次出现在第 3 行）。项目编码在全县唯一，请删除重复行或改正编码。"
    assert f.location == Location("a.xlsx", "项目", "C7", 7, "项目编码") and f.location.text() == "a.xlsx 项目!C7"


def test_one_flattening_for_json_table_and_sheet():
    single = finding("WBE-W005", Location(sheet="指标"), name="指标")
    other = finding("WBE-W070", Location.at("备注", file="b.xlsx"), name="备注")
    report = Report("a.xlsx", [single, other])
    assert report.to_dict()["findings"][0] == {
        "code": "WBE-W005", "severity": "warning", "sheet": "指标", "cell": None, "row": None, "column": None,
        "value": None, "message": "工作表“指标”没有数据行。请在标题行下方填写数据。"}  # no file: the contract
    assert report.to_dict()["findings"][1]["file"] == "b.xlsx"
    assert report.flatten(("code", "file", "title")) == [["WBE-W005", "a.xlsx", "工作表没有数据行"],
                                                          ["WBE-W070", "b.xlsx", "未识别的工作表，已跳过"]]
    assert [r["file"] for r in report.records()] == ["a.xlsx", "b.xlsx"]


# -- generated docs ----------------------------------------------------------------------------------------
def test_rules_docs_tables_are_generated_from_the_catalogue():
    """`cog --check`: the tables in the docs are what the catalogue generates (regenerate: cog -I . -r docs/*.md)."""
    status = Cog().main(["cog", "--check", "-I", str(ROOT), *map(str, GENERATED_DOCS)])
    assert status == 0, "docs out of date: run `cog -I . -r docs/rules.md docs/review-rules.md`"


def test_the_check_fails_on_a_stale_table(tmp_path):
    stale = tmp_path / "rules.md"
    stale.write_text(GENERATED_DOCS[0].read_text(encoding="utf-8").replace("| WBE-E001 | error |",
                                                                          "| WBE-E001 | warning |"),
                     encoding="utf-8")
    assert Cog().main(["cog", "--check", "-I", str(ROOT), str(stale)]) != 0


# -- no message outside the catalogue ----------------------------------------------------------------------
# The calls that build findings: the constructor and the producers' wrappers around it.
FINDING_CALLS = {"finding", "at", "note", "_note"}
# Every producer passes named fields to the catalogue (review/rules.py too, since issue 11).
NOT_YET_CONVERTED: set[str] = set()
CJK = re.compile("[\u4e00-\u9fff]")


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _prose(node: ast.AST) -> bool:
    """A string literal or f-string with Chinese text: a message being written."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(CJK.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_prose(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _prose(node.left) or _prose(node.right)
    return False


def test_no_finding_message_is_written_outside_the_catalogue():
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in ("workbook_engine/findings.py", *NOT_YET_CONVERTED):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            called = _called_name(node)
            if called == "Finding":
                offences.append(f"{name}:{node.lineno} constructs Finding (use findings.finding)")
            elif called in FINDING_CALLS or (called == "replace" and isinstance(node.func, ast.Name)):
                arguments = [*node.args, *(k.value for k in node.keywords)]
                if any(k.arg == "message" for k in node.keywords) or any(_prose(a) for a in arguments):
                    offences.append(f"{name}:{node.lineno} writes a message in {called}()")
    assert offences == []


def test_the_scan_would_see_an_inline_message(tmp_path):
    tree = ast.parse('finding("WBE-E030", at, 1, budget=f"预算数 {x} 不对")')
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert _called_name(call) == "finding" and any(_prose(k.value) for k in call.keywords)


# -- layers without cycles ---------------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports, anywhere in the file (imports inside functions count:
    a lazy import hides a cycle, it does not remove it)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                submodules = {f"{module}.{a.name}" for a in node.names} & set(modules)
                found.update(submodules)
                if len(submodules) < len(node.names):  # `from . import tasks` needs the package no further
                    found.add(module)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_between_modules():
    assert cycles(import_graph()) == []


def test_no_import_cycle_between_subpackages():
    """importer/, official/, publish/, review/, validation/ … import each other downward only."""
    def top(module: str) -> str:
        return ".".join(module.split(".")[:2])

    graph: dict[str, set[str]] = {}
    for module, imported in import_graph().items():
        graph.setdefault(top(module), set()).update(top(m) for m in imported if top(m) != top(module))
    assert cycles(graph) == []


def test_the_validator_does_not_know_the_review():
    graph = import_graph()
    validation = {m for m in graph if m.startswith("workbook_engine.validation")}
    assert not {m for v in validation for m in graph[v] if m.startswith("workbook_engine.review")}


def test_the_cycle_check_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_findings_is_a_leaf():
    assert import_graph()["workbook_engine.findings"] <= {"workbook_engine.a1"}
    assert catalogue.__name__ == "workbook_engine.findings"


# -- typed locations beyond findings -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_versions(tmp_path_factory):
    import openpyxl

    from .conftest import SAMPLE

    folder = tmp_path_factory.mktemp("versions")
    ours, theirs = folder / "ours.xlsx", folder / "theirs.xlsx"
    for path, budget in ((ours, 201), (theirs, 202)):
        workbook = openpyxl.load_workbook(SAMPLE)
        workbook["项目"]["F2"] = budget
        workbook["项目"]["G2"] = budget
        workbook.save(path)
    return ours, theirs


def test_diff_changes_and_merge_conflicts_name_file_and_cell(two_versions, tmp_path):
    import json

    from workbook_engine import api

    ours, theirs = two_versions
    change = next(c for c in api.diff(ours, theirs).changes.changes if c.field == "预算数")
    assert change.location == Location(str(theirs), "项目", "F2", 2, "预算数")
    outcome = api.merge([ours, theirs], tmp_path / "merged.xlsx")
    assert not outcome.written
    data = json.loads(outcome.to_json())
    conflict = next(c for c in data["conflicts"] if c["field"] == "预算数")
    assert [(c["file"], c["sheet"], c["cell"], c["value"]) for c in conflict["candidates"]] == \
        [(str(ours), "项目", "F2", "201.00"), (str(theirs), "项目", "F2", "202.00")]
    assert data["written"] is False and data["output"] == str(tmp_path / "merged.xlsx")


def test_render_result_has_the_same_json_findings(tmp_path):
    import json

    from workbook_engine import api

    from .conftest import SAMPLE

    result = api.render(SAMPLE, tmp_path / "official.xlsx")
    data = json.loads(result.to_json())
    assert data["written"] is True and data["valid"] is True and result.exit_code() == 0
    assert [f["path"] for f in data["files"]] == [str(tmp_path / "official.xlsx")]
    assert data["files"][0]["projects"] == 9
    assert data["findings"] == result.report.records()  # the report's flattening, each naming its file


def test_every_type_ignore_names_its_code_and_reason():
    """mypy runs over the package, tests and benchmarks (issue 21): a silenced error says which and why."""
    bare = []
    for folder in ("workbook_engine", "tests", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if "type: ignore" in line and not re.search(r"type: ignore\[[\w, -]+\]\s+#\s*\S", line) \
                        and "re.search" not in line:
                    bare.append(f"{path.relative_to(ROOT)}:{number}")
    assert bare == []
