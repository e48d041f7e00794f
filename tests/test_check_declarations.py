"""Every check declares its codes where it is defined, and nothing a check finds is dropped.

frictionless's "a check declares its errors": validation and review rules carry ``produces(...)``, schema
fields ``coded({...})``. From those declarations (and the producers that build findings by code) the tests
derive that every catalogue code has a producer and a test, and that a rule reports no code it did not
declare.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest

from workbook_engine.findings import CATALOGUE, declared_codes, produces
from workbook_engine.review.rules import RULES as REVIEW_RULES
from workbook_engine.validation import engine, schemas
from workbook_engine.validation.pandera_import import Series, pa
from workbook_engine.validation.rules import RULES

from .conftest import ROOT, SAMPLE, run_cli

CODE = re.compile(r"WBE-[EWR]\d{3}")
PACKAGE = ROOT / "workbook_engine"


def _codes_in(function) -> set[str]:
    """The codes a function passes to the calls that build findings (code literals as call arguments in its
    own body; comments, docstrings and the declaration itself do not count)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    body = tree.body[0]
    assert isinstance(body, ast.FunctionDef)
    return {arg.value for statement in body.body for node in ast.walk(statement) if isinstance(node, ast.Call)
            for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            and CODE.fullmatch(arg.value)}


@pytest.mark.parametrize("rule", [*RULES, *REVIEW_RULES], ids=lambda r: f"{r.__module__}.{r.__name__}")
def test_every_rule_declares_exactly_the_codes_it_reports(rule):
    declared = set(declared_codes(rule))
    assert declared, f"{rule.__name__} declares no code"
    assert _codes_in(rule) <= declared, f"{rule.__name__} reports codes it does not declare"


def test_an_unknown_code_fails_where_it_is_declared():
    with pytest.raises(KeyError, match="WBE-E998"):
        produces("WBE-E030", "WBE-E998")


def test_every_schema_code_is_in_the_catalogue():
    for kind in schemas.SCHEMAS:
        for field_name, codes in engine.schema_codes(kind).items():
            assert set(codes.values()) <= set(CATALOGUE), (kind, field_name)


def _producers() -> set[str]:
    """Codes some producer can report: the rules' and schemas' declarations, and the code literals of the
    modules that build findings (readers, parser, extract, merge, the box) outside the catalogue itself."""
    rules: list[Callable[..., Any]] = [*RULES, *REVIEW_RULES]
    codes = {code for rule in rules for code in declared_codes(rule)}
    codes |= {code for kind in schemas.SCHEMAS for field in engine.schema_codes(kind).values()
              for code in field.values()}
    codes |= {schemas.MISSING, engine.GENERIC_SCHEMA_CODE}
    for path in PACKAGE.rglob("*.py"):
        if path.name != "findings.py" and "migrations" not in path.parts:
            codes |= set(CODE.findall(path.read_text(encoding="utf-8")))
    return codes


def test_every_code_has_a_producer_and_a_test():
    tested = set()
    for path in (ROOT / "tests").rglob("*.py"):
        tested |= set(CODE.findall(path.read_text(encoding="utf-8")))
    catalogue = set(CATALOGUE)
    assert catalogue - _producers() == set(), "codes nobody can report"
    assert catalogue - tested == set(), "codes no test names"
    assert _producers() - catalogue == set(), "codes reported but not in the catalogue"


def test_a_schema_check_without_a_code_becomes_a_generic_finding(monkeypatch):
    """The issue's case: a str_length check added to a projects field gave 6 failure cases, 0 findings and
    exit 0. Now each failure case is a WBE-E099 finding naming the check, and the exit status is 1."""

    class Stricter(schemas.ProjectsSchema):
        name: Series[str] = pa.Field(nullable=False, str_length={"max_value": 4})

    monkeypatch.setitem(schemas.SCHEMAS, "projects", Stricter)
    engine.schema_codes.cache_clear()
    try:
        result = run_cli("validate", SAMPLE, "--no-review", "--format", "json")
    finally:
        engine.schema_codes.cache_clear()
    found = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "WBE-E099"]
    assert result.returncode == 1
    long_names = sum(len(p.name) > 4 for p in __import__("workbook_engine.api", fromlist=["read_book"])
                     .read_book(SAMPLE).projects)
    assert len(found) == long_names > 0
    assert {f["column"] for f in found} == {"项目名称"} and all(f["cell"].startswith("D") for f in found)
    assert all("str_length" in f["message"] for f in found)


def test_the_scan_of_rule_sources_sees_an_undeclared_code(tmp_path, monkeypatch):
    """The declaration test would fail on a rule that reports a code it did not declare."""
    module = tmp_path / "rule_under_test.py"
    module.write_text(textwrap.dedent('''
        from workbook_engine.findings import produces

        @produces("WBE-E030")
        def sums(ctx):
            yield ctx.at("WBE-E031", "projects", 2, "budget", 1)
    '''), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import rule_under_test

    assert _codes_in(rule_under_test.sums) == {"WBE-E031"} > set() and "WBE-E031" not in declared_codes(
        rule_under_test.sums)
    assert Path(rule_under_test.__file__).exists()
