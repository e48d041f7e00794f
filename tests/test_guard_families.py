"""Every spelling of every round-3 family (tests/corpus.py FAMILIES), through the library API in-process:
a WorkbookEngineError with its family's WBE-I… code and one Chinese line naming the file, never another
exception and never the catch-all; the input unchanged and nothing written."""

from __future__ import annotations

import re

import pytest

from workbook_engine import api
from workbook_engine.errors import WorkbookEngineError
from workbook_engine.findings import CATALOGUE

from . import corpus

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
