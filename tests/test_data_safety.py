"""Never losing a user's data: atomic outputs, --overwrite, never over an input, text always as text."""

from __future__ import annotations

import copy
import os
import stat
import zipfile
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
import xlsxwriter

from workbook_engine import api
from workbook_engine.canonical_writer import write_book
from workbook_engine.errors import OutputError, UnwritableText
from workbook_engine.io.cell_text import EXCEL_MAX_CHARS
from workbook_engine.api import validate

from .conftest import SAMPLE, SEED, libreoffice_convert, needs_soffice, run_cli

# Every command that writes a file, as argv for an output path. A command that lands later (publish) is one
# line here.
WRITERS: dict[str, Callable[[Path], list[str]]] = {
    "new": lambda out: ["new", str(out), "--dept-code", "450001", "--dept-name", "乐亭县应急管理局本级", "--year", "2025"],
    "import": lambda out: ["import", str(SEED), "-o", str(out)],
    "validate-annotate": lambda out: ["validate", str(SAMPLE), "--annotate", str(out)],
    "render": lambda out: ["render", str(SAMPLE), "-o", str(out)],
    "merge": lambda out: ["merge", str(SAMPLE), "-o", str(out)],
    "diff": lambda out: ["diff", str(SAMPLE), str(SAMPLE), "-o", str(out)],
    "review-annotate": lambda out: ["review", str(SAMPLE), "--annotate", str(out)],
    "publish": lambda out: ["publish", str(SAMPLE), "-o", str(out)],
    # extract (needs an official workbook as input) is checked in test_extract_output_needs_overwrite below.
}

PRECIOUS = b"what staff typed for a week"


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize("command", list(WRITERS))
def test_existing_output_is_replaced_only_with_overwrite(command, tmp_path):
    out = tmp_path / ("out.docx" if command == "publish" else "out.xlsx")
    out.write_bytes(PRECIOUS)
    refused = run_cli(*WRITERS[command](out))
    assert refused.returncode == 2 and "--overwrite" in refused.stderr and str(out) in refused.stderr
    assert out.read_bytes() == PRECIOUS
    replaced = run_cli(*WRITERS[command](out), "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    assert zipfile.is_zipfile(out) and out.read_bytes() != PRECIOUS
    assert leftovers(tmp_path) == []


def test_extract_output_needs_overwrite(tmp_path):
    official = tmp_path / "official.xlsx"
    assert run_cli("render", SAMPLE, "-o", official).returncode == 0
    out = tmp_path / "book.xlsx"
    out.write_bytes(PRECIOUS)
    refused = run_cli("extract", official, "-o", out)
    assert refused.returncode == 2 and "--overwrite" in refused.stderr and out.read_bytes() == PRECIOUS
    assert run_cli("extract", official, "-o", out, "--overwrite").returncode == 0
    assert openpyxl.load_workbook(out).sheetnames


@pytest.mark.parametrize("link", ["same-path", "symlink", "hardlink"])
def test_output_over_an_input_is_refused_even_with_overwrite(link, tmp_path):
    book = tmp_path / "book.xlsx"
    book.write_bytes(SAMPLE.read_bytes())
    target = tmp_path / "copy.xlsx"
    if link == "same-path":
        target = book
    elif link == "symlink":
        target.symlink_to(book)
    else:
        os.link(book, target)
    result = run_cli("validate", book, "--annotate", target, "--overwrite")
    assert result.returncode == 2 and "输入文件" in result.stderr
    assert book.read_bytes() == SAMPLE.read_bytes()


def test_import_refuses_its_own_document_as_output(tmp_path):
    document = tmp_path / "document.xlsx"  # a text export given a workbook's name by mistake
    document.write_bytes(SEED.read_bytes())
    result = run_cli("import", document, "-o", document, "--overwrite")
    assert result.returncode == 2 and "输入文件" in result.stderr
    assert document.read_bytes() == SEED.read_bytes()


def test_output_must_be_named_xlsx(tmp_path):
    result = run_cli("import", SEED, "-o", tmp_path / "book.xls")
    assert result.returncode == 2 and ".xlsx" in result.stderr
    assert list(tmp_path.iterdir()) == []


def _fail_midway(real_close):
    def close(self):
        real_close(self)
        with open(self.filename, "r+b") as handle:  # half a file on disk, then the failure
            handle.truncate(os.path.getsize(self.filename) // 2)
        raise OSError(28, "No space left on device")
    return close


@pytest.mark.parametrize("failure", [OSError, KeyboardInterrupt])
def test_interrupted_write_leaves_the_old_output_intact(failure, tmp_path, monkeypatch):
    out = tmp_path / "book.xlsx"
    out.write_bytes(PRECIOUS)
    if failure is OSError:
        monkeypatch.setattr(xlsxwriter.Workbook, "close", _fail_midway(xlsxwriter.Workbook.close))
    else:
        def interrupted(self, *args, **kwargs):
            raise KeyboardInterrupt
        monkeypatch.setattr(xlsxwriter.Workbook, "add_worksheet", interrupted)
    with pytest.raises(failure):
        api.new_workbook(out, dept_code="450001", overwrite=True)
    assert out.read_bytes() == PRECIOUS
    assert leftovers(tmp_path) == []


def test_interrupted_annotate_leaves_the_old_output_intact(tmp_path, monkeypatch):
    out = tmp_path / "annotated.xlsx"
    out.write_bytes(PRECIOUS)

    def save(self, filename):
        Path(filename).write_bytes(b"PK\x03\x04 half")
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(openpyxl.Workbook, "save", save)
    with pytest.raises(OSError):
        api.annotate(SAMPLE, validate(SAMPLE, review=True), out, overwrite=True)
    assert out.read_bytes() == PRECIOUS and leftovers(tmp_path) == []


def test_outputs_have_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.xlsx"
        api.new_workbook(fresh, dept_code="450001")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        shared = tmp_path / "shared.xlsx"
        shared.write_bytes(PRECIOUS)
        shared.chmod(0o664)
        api.new_workbook(shared, dept_code="450001", overwrite=True)
        assert stat.S_IMODE(shared.stat().st_mode) == 0o664
    finally:
        os.umask(old)


def test_no_clobber_even_if_the_output_appears_during_the_write(tmp_path, monkeypatch):
    out = tmp_path / "book.xlsx"
    real_close = xlsxwriter.Workbook.close

    def close(self):
        real_close(self)
        out.write_bytes(PRECIOUS)  # someone saved this file meanwhile

    monkeypatch.setattr(xlsxwriter.Workbook, "close", close)
    with pytest.raises(OutputError, match="已存在"):
        api.new_workbook(out, dept_code="450001")
    assert out.read_bytes() == PRECIOUS and leftovers(tmp_path) == []


# --- Text is written as text, never as a formula -----------------------------------------------------

FORMULA_LIKE = ["=1+1", "+86 10 1234", "-5%", "@SUM(A1:A3)", "\t=tab first", '=HYPERLINK("http://x.invalid","点我")',
                "=cmd|' /C calc'!A0"]


def formula_like_book(seed_book):
    book = copy.deepcopy(seed_book)
    for project, text in zip(book.projects, FORMULA_LIKE):
        project.name = text
        project.extra = {"备注": text}
    for goal, text in zip(book.goals, FORMULA_LIKE):
        goal.content = text
    return book


def formula_like_cells(path: Path) -> list[tuple[str, str, object, str]]:
    """(sheet, cell, value, data type) of every cell whose value is one of FORMULA_LIKE."""
    workbook = openpyxl.load_workbook(path)
    found = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in FORMULA_LIKE:
                    found.append((sheet.title, cell.coordinate, cell.value, cell.data_type))
    return found


@pytest.fixture()
def formula_like_outputs(seed_book, tmp_path) -> dict[str, Path]:
    written = tmp_path / "written.xlsx"
    write_book(formula_like_book(seed_book), written)
    annotated = tmp_path / "annotated.xlsx"
    assert run_cli("validate", written, "--annotate", annotated).returncode in (0, 1)
    new = tmp_path / "new.xlsx"
    assert run_cli("new", new, "--dept-code", "450001", "--dept-name", FORMULA_LIKE[-1]).returncode == 0
    official = tmp_path / "official.xlsx"
    result = run_cli("render", written, "-o", official, "--force")
    assert result.returncode == 0, result.stderr
    return {"write_book": written, "annotate": annotated, "new": new, "render": official}


def test_formula_like_text_is_text_in_every_workbook_we_write(formula_like_outputs, seed_book):
    for name, path in formula_like_outputs.items():
        cells = formula_like_cells(path)
        assert cells, name
        assert {t for *_, t in cells} == {"s"}, (name, [c for c in cells if c[3] != "s"])
    assert api.read_book(formula_like_outputs["write_book"]) == formula_like_book(seed_book)


@needs_soffice
@pytest.mark.libreoffice
def test_formula_like_text_stays_text_after_libreoffice_resave(formula_like_outputs, tmp_path):
    paths = list(formula_like_outputs.values())
    assert len({path.stem for path in paths}) == len(paths)  # one output folder for all
    everything = libreoffice_convert(paths, "xlsx", tmp_path / "lo")  # one LibreOffice start for all
    for (name, path), resaved in zip(formula_like_outputs.items(), everything):
        ours = formula_like_cells(path)
        theirs = formula_like_cells(resaved)
        assert [(s, c, v) for s, c, v, _ in theirs] == [(s, c, v) for s, c, v, _ in ours], name
        assert {t for *_, t in theirs} == {"s"}, name


# --- Text Excel cannot hold is refused, never cut or broken ------------------------------------------

@pytest.mark.parametrize("text,says", [
    ("坏\ud800字", "U+D800"),
    ("非字符\uffff", "U+FFFF"),
    ("长" * (EXCEL_MAX_CHARS + 1), "32767"),
    ("\U00020000" * (EXCEL_MAX_CHARS // 2 + 1), "32767"),  # outside the BMP: two units each in Excel
])
def test_unwritable_text_is_refused_naming_the_place(text, says, seed_book, tmp_path):
    book = copy.deepcopy(seed_book)
    book.projects[2].purpose = text
    out = tmp_path / "book.xlsx"
    with pytest.raises(UnwritableText) as info:
        write_book(book, out)
    message = str(info.value)
    assert "项目" in message and "第 4 行" in message and "资金用途" in message and says in message
    assert list(tmp_path.iterdir()) == []


def test_longest_cell_and_control_characters_round_trip(seed_book, tmp_path):
    book = copy.deepcopy(seed_book)
    book.projects[0].purpose = "长" * EXCEL_MAX_CHARS
    book.projects[1].purpose = "控制\x01字符\x1f和_x0041_转义\t制表"
    out = tmp_path / "book.xlsx"
    write_book(book, out)
    assert api.read_book(out) == book
    result = run_cli("validate", out, "--annotate", tmp_path / "annotated.xlsx")
    assert result.returncode == 0, result.stderr


def test_import_of_an_over_long_cell_is_refused_from_the_command_line(tmp_path, seed_text):
    document = tmp_path / "long.txt"
    first_purpose = seed_text.split("\t预算规模及资金用途")[1].split("\n\n")[1].split("\n")[1]
    document.write_text(seed_text.replace(first_purpose, "\t" + "很长" * 20_000, 1), encoding="utf-8")
    result = run_cli("import", document, "-o", tmp_path / "book.xlsx")
    assert result.returncode == 2 and "32767" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "book.xlsx").exists()


# --- Audit: every module that writes a file does it through atomic_path ------------------------------

WRITES = ("xlsxwriter.Workbook(", ".save(", ".write_bytes(", ".write_text(", 'open("w', "open('w",
          ', "w")', ", 'w')", ', "wb")', ", 'wb')")
# The temporary trimmed copy is written to a private temporary folder, never to a user's path.
NOT_OUTPUTS = {"io/trim.py", "io/atomic.py"}


def test_every_writer_goes_through_atomic_path():
    package = Path(__file__).resolve().parent.parent / "workbook_engine"
    writers = []
    for module in sorted(package.rglob("*.py")):
        name = module.relative_to(package).as_posix()
        source = module.read_text(encoding="utf-8")
        if name not in NOT_OUTPUTS and any(w in source for w in WRITES):
            writers.append(name)
            assert "atomic_path(" in source, f"{name} writes a file without io/atomic.py::atomic_path"
    assert {"canonical_writer.py", "validation/annotate.py"} <= set(writers)
