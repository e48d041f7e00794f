"""Every spelling of every round-3 family (tests/corpus.py FAMILIES), through the library API, every command
and the upload route, in-process: a WorkbookEngineError with its family's WBE-I… code and one Chinese line
naming the file (exit 2, a 4xx page), never another exception and never the catch-all; the input unchanged
and nothing written."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from workbook_engine import api
from workbook_engine.cli import app
from workbook_engine.errors import WorkbookEngineError
from workbook_engine.findings import CATALOGUE
from workbook_engine.web import create_app

from . import corpus
from .test_hostile_input import COMMANDS, assert_one_clear_line
from .web_helpers import error_message, upload

MEMBERS = [(family, name) for family, members in corpus.FAMILIES.items() for name in members]


def _call(path, tmp_path):
    if path.suffix == ".docx":
        return api.import_document(path, tmp_path / "out" / "imported.xlsx")
    return api.validate(path, review=True)


@pytest.mark.parametrize(("family", "name"), MEMBERS, ids=[name for _, name in MEMBERS])
def test_every_spelling_of_a_family_is_refused_with_its_code(family, name, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    path = corpus.FAMILIES[family][name](source)
    before = path.read_bytes()
    with pytest.raises(WorkbookEngineError) as caught:
        _call(path, tmp_path)
    error = caught.value
    assert type(error) is not WorkbookEngineError  # a specific kind, the CLI maps it to exit 2
    assert error.code in corpus.FAMILY_CODES[family], (name, error.code, str(error))
    assert error.code is None or error.code in CATALOGUE
    message = str(error)
    assert path.name in message and "\n" not in message and re.search("[\u4e00-\u9fff]", message)
    assert "意外问题" not in message and "Traceback" not in message
    assert path.read_bytes() == before
    assert not (tmp_path / "out").exists()


def test_every_family_has_codes_and_more_than_a_name():
    assert set(corpus.FAMILIES) == set(corpus.FAMILY_CODES)
    assert all(corpus.FAMILIES.values())


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(("family", "name"), MEMBERS, ids=[name for _, name in MEMBERS])
def test_every_spelling_through_every_command_is_one_line_never_the_catch_all(family, name, command, tmp_path):
    """The acceptance matrix of issue 26 in-process: exit 2, one Chinese line naming the file, no catch-all
    ("处理时发生意外问题"), nothing written, the input unchanged."""
    source = tmp_path / "in"
    source.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    path = corpus.FAMILIES[family][name](source)
    before = path.read_bytes()
    result = CliRunner().invoke(app, COMMANDS[command](path, out))
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "意外问题" not in result.stderr and "Traceback" not in result.stderr
    assert_one_clear_line(result.stderr, path, None)
    assert list(out.iterdir()) == [] and path.read_bytes() == before


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    with TestClient(create_app(executor="thread", work_dir=tmp_path_factory.mktemp("page"))) as client:
        yield client


@pytest.mark.parametrize(("family", "name"), MEMBERS, ids=[name for _, name in MEMBERS])
def test_every_spelling_uploaded_is_a_4xx_with_the_cli_line(family, name, page, tmp_path):
    """The upload route: a 4xx page whose one line is the CLI's, with the file's own name, no catch-all."""
    path = corpus.FAMILIES[family][name](tmp_path)
    with pytest.raises(WorkbookEngineError) as refused:
        _call(path, tmp_path)
    answer = upload(page, path)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    message = error_message(answer.text)
    assert message == str(refused.value).replace(str(path), path.name)
    assert "意外问题" not in answer.text and "Traceback" not in answer.text and str(tmp_path) not in answer.text
