"""The document grammar (issue 21): compiled from templates/, the only place its text lives in the code."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import docx
import pytest

from workbook_engine.grammar import compile_form, grammar
from workbook_engine.layout import TEMPLATE_DIR_ENV
from workbook_engine.sheets import BY_KIND

from .conftest import ROOT, SAMPLE, run_cli

PACKAGE = ROOT / "workbook_engine"
# The grammar compiles the text; the catalogue's messages may name a heading to staff.
OWNERS = {PACKAGE / "grammar.py", PACKAGE / "findings.py"}


def _document_strings() -> set[str]:
    """Headings, titles and labels of the document as the shipped templates have them; the canonical
    workbook's own column headers (项目编码, 预算数 …, owned by sheets/) are another vocabulary."""
    g = grammar()
    strings = set(g.sections) | {line for part in g.parts for line in part}
    strings.add(g.title_form.split("}")[-1])  # 绩效目标表
    for spec in (*g.project.rows, g.indicator_header):
        strings.update(spec.labels)
    canonical = {column.header for spec in BY_KIND.values() for column in spec.columns}
    return {s for s in strings if len(s) > 1 and s not in canonical}


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """String constants of a module that could be document text: not docstrings, and not sentences (a
    message, help or note ending in 。 may name a heading to staff; a heading, label or pattern does not)."""
    return _strings_of(ast.parse(path.read_text(encoding="utf-8")))


def _strings_of(tree: ast.AST) -> list[tuple[int, str]]:
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and not node.value.rstrip().endswith("。")]


def test_no_document_text_outside_the_grammar():
    strings = _document_strings()
    assert {"一、总体绩效目标", "第一部分", "绩效目标表", "预算规模及资金用途"} <= strings  # the scan looks for them
    old_pattern = ast.parse('X = r"^(\\d+)\\s*[.．、]\\s*(.+?)绩效目标表$"')  # what document_format.py had
    assert any("绩效目标表" in text for _, text in _strings_of(old_pattern))
    found = [f"{path.relative_to(ROOT)}:{line}: {text!r} contains {s!r}"
             for path in sorted(PACKAGE.rglob("*.py")) if path not in OWNERS
             for line, text in _code_strings(path) for s in strings if s in text]
    assert not found, "document text belongs in templates/ (read through workbook_engine/grammar.py):\n" + \
        "\n".join(found)


def test_forms_compile_to_tolerant_patterns():
    g = grammar()
    assert g.item_re.match("12．安全  培训").group("seq", "title") == ("12", "安全  培训")
    assert g.measure_re.match("(十二) 加强\n管理").group("seq_cn", "content") == ("十二", "加强\n管理")
    assert g.title_re.match("3、应急物资绩效目标表").group("project__seq", "project__title") == ("3", "应急物资")
    assert compile_form("{seq}、{title}").match("第1、标题") is None
    assert g.is_part_heading("第二部分预算项目绩效目标") and g.is_part_heading("第三部分")
    assert not g.is_part_heading("部门职责")


@pytest.fixture
def county(tmp_path, monkeypatch) -> Path:
    """A copy of templates/ with other part-one headings, another title form and three other row labels."""
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    workbook = folder / "official-workbook.toml"
    workbook.write_text(workbook.read_text(encoding="utf-8").replace(
        'sections = ["一、总体绩效目标", "二、分项绩效目标", "三、工作保障措施"]',
        'sections = ["一、年度总体目标", "二、具体工作目标", "三、保障措施"]'), encoding="utf-8")
    table = folder / "project-table.toml"
    text = table.read_text(encoding="utf-8")
    for old, new in (('template = "{project.seq}.{project.title}绩效目标表"',
                      'template = "{project.seq}、{project.title}项目绩效目标申报表"'),
                     ('label = "预算规模及资金用途"', 'label = "资金规模及用途"'),
                     ('label = "资金支出计划（%）"', 'label = "支出进度（%）"'),
                     ('label = "绩效目标"', 'label = "年度绩效目标"')):
        assert old in text
        text = text.replace(old, new)
    table.write_text(text, encoding="utf-8")
    monkeypatch.setenv(TEMPLATE_DIR_ENV, str(folder))
    return folder


def test_edited_templates_round_trip_through_every_backend(county, tmp_path):
    env = {TEMPLATE_DIR_ENV: str(county)}
    assert grammar().sections[0] == "一、年度总体目标"

    published = run_cli("publish", SAMPLE, "-o", tmp_path / "doc.docx", env=env)
    assert published.returncode == 0, published.stderr
    paragraphs = [p.text for p in docx.Document(str(tmp_path / "doc.docx")).paragraphs]
    assert {"一、年度总体目标", "二、具体工作目标", "三、保障措施"} <= set(paragraphs)
    assert any(p.endswith("项目绩效目标申报表") for p in paragraphs)
    imported = run_cli("import", tmp_path / "doc.docx", "-o", tmp_path / "from-doc.xlsx", env=env)
    assert imported.returncode == 0, imported.stderr
    same = run_cli("diff", SAMPLE, tmp_path / "from-doc.xlsx", env=env)
    assert same.returncode == 0, same.stdout

    rendered = run_cli("render", SAMPLE, "-o", tmp_path / "official.xlsx", env=env)
    assert rendered.returncode == 0, rendered.stderr
    extracted = run_cli("extract", tmp_path / "official.xlsx", "-o", tmp_path / "back.xlsx", env=env)
    assert extracted.returncode == 0, extracted.stderr
    same = run_cli("diff", SAMPLE, tmp_path / "back.xlsx", env=env)
    assert same.returncode == 0, same.stdout
