"""Never losing a user's data: atomic outputs, --overwrite, never over an input, text always as text."""

from __future__ import annotations

import copy
import os
import resource
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
import xlsxwriter

from workbook_engine import api
from workbook_engine.api import validate
from workbook_engine.canonical_writer import write_book
from workbook_engine.errors import OutputError, UnwritableText
from workbook_engine.io.cell_text import EXCEL_MAX_CHARS

from .conftest import ROOT, SAMPLE, SEED, libreoffice_convert, needs_soffice, run_cli

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
    with pytest.raises(OutputError if failure is OSError else failure) as info:
        api.new_workbook(out, dept_code="450001", overwrite=True)
    if failure is OSError:  # a full disk is named, in one line
        assert "磁盘空间不足" in str(info.value) and "\n" not in str(info.value)
    assert out.read_bytes() == PRECIOUS
    assert leftovers(tmp_path) == []


def test_interrupted_annotate_leaves_the_old_output_intact(tmp_path, monkeypatch):
    out = tmp_path / "annotated.xlsx"
    out.write_bytes(PRECIOUS)

    def save(self, filename):
        Path(filename).write_bytes(b"PK\x03\x04 half")
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(openpyxl.Workbook, "save", save)
    with pytest.raises(OutputError, match="写入失败（Input/output error）"):
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
    found: list[tuple[str, str, object, str]] = []
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
# The temporary trimmed copy is written to a private temporary folder, never to a user's path. The collection
# box's blob store is content-addressed and write-once: a blob is written to a temporary name, fsynced and
# hard-linked to its SHA-256 name (never replacing one), which is stricter than atomic_path's rename.
# The collection box checks an upload under a random name in its own private work folder (collect/workflow.py,
# web/collection.py), deleted right after the check: never a user's path.
NOT_OUTPUTS = {"io/trim.py", "io/atomic.py", "collect/storage.py", "collect/workflow.py", "web/collection.py",
               "collect/spool.py", "io/legacy.py"}  # spool.py: its lock file is no output; legacy.py: a private
# copy of an .xls in a private temporary folder, read in the file's place (like trim.py's), never an output


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


# --- Faults on the way out (issue 12): full disk, SIGTERM/SIGHUP, Ctrl-C while starting -------------------

def run_with_file_size_limit(args: list[str], limit: int, cwd: Path) -> subprocess.CompletedProcess:
    """A command whose writes fail beyond ``limit`` bytes per file, as on a full disk: RLIMIT_FSIZE with
    SIGXFSZ ignored makes write() fail with EFBIG (no root, no special file system needed)."""
    def limit_writes():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "workbook_engine", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, preexec_fn=limit_writes, check=False,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


@pytest.fixture(scope="module")
def official_book(tmp_path_factory) -> Path:
    official = tmp_path_factory.mktemp("official") / "official.xlsx"
    assert run_cli("render", SAMPLE, "-o", official).returncode == 0
    return official


@pytest.mark.parametrize("command", [*WRITERS, "extract"])
def test_full_disk_is_one_line_and_leaves_no_temporary_file(command, tmp_path, official_book):
    out = tmp_path / ("out.docx" if command == "publish" else "out.xlsx")
    argv = ["extract", str(official_book), "-o", str(out)] if command == "extract" else WRITERS[command](out)
    result = run_with_file_size_limit(argv, 4096, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "磁盘空间不足" in lines[0] and str(out) in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_sigterm_and_sighup_unwind_like_ctrl_c(tmp_path):
    """The handler turns the signal into an exception: the temporary file goes, the output is untouched."""
    from workbook_engine.io import interrupts
    from workbook_engine.io.atomic import atomic_path

    out = tmp_path / "book.xlsx"
    out.write_bytes(PRECIOUS)
    previous = {signum: signal.getsignal(signum) for signum in interrupts.TERMINATING}
    try:
        for signum in interrupts.TERMINATING:
            interrupts.install()
            with pytest.raises(KeyboardInterrupt) as info, atomic_path(out, overwrite=True) as temp:
                temp.write_bytes(b"half")
                os.kill(os.getpid(), signum)
            assert interrupts.exit_status(info.value) == 128 + signum
            assert out.read_bytes() == PRECIOUS and leftovers(tmp_path) == []
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


STARTUP_INTERRUPTED = """
import builtins, sys
real_import = builtins.__import__
def interrupted(name, *args, **kwargs):
    if name == "typer":
        raise KeyboardInterrupt
    return real_import(name, *args, **kwargs)
builtins.__import__ = interrupted
sys.argv = ["wbe", "validate", sys.argv[1]]
from workbook_engine.__main__ import main
main()
"""


def test_ctrl_c_while_starting_prints_no_traceback():
    result = subprocess.run([sys.executable, "-c", STARTUP_INTERRUPTED, str(SAMPLE)], capture_output=True,
                            text=True, cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 130 and result.stderr.strip() == "已中断。", result.stderr


def test_publish_pdf_refuses_an_existing_pdf_before_writing_anything(tmp_path):
    (tmp_path / "out.pdf").write_bytes(PRECIOUS)
    result = run_cli("publish", SAMPLE, "-o", tmp_path / "out.docx", "--pdf")
    assert result.returncode == 2 and "out.pdf" in result.stderr and "--overwrite" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf"]
    assert (tmp_path / "out.pdf").read_bytes() == PRECIOUS


def _children(pid: int) -> list[int]:
    ps = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in ps.stdout.split()]


def _alive_in_group(pgid: int) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "pgid=,stat=,args="], capture_output=True, text=True, check=False)
    return [line for line in ps.stdout.splitlines()
            if line.split()[0] == str(pgid) and not line.split()[1].startswith("Z")]


@needs_soffice
@pytest.mark.libreoffice
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_terminating_publish_pdf_stops_libreoffice_and_cleans_up(signum, tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "workbook_engine", "publish", str(SAMPLE), "-o",
                                str(tmp_path / "out.docx"), "--pdf"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (children := _children(process.pid)) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    assert children, "soffice did not start"
    time.sleep(1)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 128 + signum, stderr
    assert stderr.strip().splitlines() == ["已中断；输出文件未被改动，临时文件已删除。"]
    time.sleep(0.5)
    assert _alive_in_group(children[0]) == []  # soffice and soffice.bin are gone
    assert leftovers(tmp_path) == [] and not (tmp_path / "out.pdf").exists()


# --- Text no output can store as it is: named at its cell by render and publish (issue 12) --------------

@pytest.fixture(scope="module")
def unstorable_books(tmp_path_factory) -> dict[str, Path]:
    from . import corpus

    folder = tmp_path_factory.mktemp("unstorable")
    return {name: build(folder) for name, (build, _) in corpus.UNSTORABLE_TEXT.items()}


def _unstorable_cases():
    from . import corpus

    return [(name, code) for name, (_, code) in corpus.UNSTORABLE_TEXT.items()]


@pytest.mark.parametrize("name,code", _unstorable_cases())
def test_unstorable_text_is_named_at_its_cell_by_render_and_publish(name, code, unstorable_books, tmp_path):
    from docx import Document
    from typer.testing import CliRunner

    from workbook_engine.cli import app

    book = unstorable_books[name]
    found = [(f.code, f.sheet, f.cell) for f in validate(book, review=False).findings
             if f.code in ("WBE-E028", "WBE-W029")]
    assert found == [(code, "项目", "I2")]
    runner = CliRunner()
    for command, out in (("render", tmp_path / "official.xlsx"), ("publish", tmp_path / "published.docx")):
        plain = runner.invoke(app, [command, str(book), "-o", str(out)])
        if code == "WBE-E028":  # an error: refused, the finding printed at its cell
            assert plain.exit_code == 1 and "WBE-E028" in plain.stdout and "I2" in plain.stdout, plain.stdout
            assert not out.exists()
            forced = runner.invoke(app, [command, str(book), "-o", str(out), "--force"])
            assert forced.exit_code == 0, forced.stdout
        else:  # a warning, counted in the command's output
            assert plain.exit_code == 0 and "警告" in plain.stderr, plain.stderr
    workbook = openpyxl.load_workbook(tmp_path / "official.xlsx")  # every output opens
    texts = [c.value for ws in workbook.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(ch in text for text in texts for ch in "\ufffe\uffff")
    assert max(map(len, texts)) <= EXCEL_MAX_CHARS
    document = Document(str(tmp_path / "published.docx"))
    assert document.paragraphs
    annotated = tmp_path / "annotated.xlsx"
    assert runner.invoke(app, ["validate", str(book), "--annotate", str(annotated)]).exit_code in (0, 1)
    assert openpyxl.load_workbook(annotated)["项目"]["I2"].comment is not None


@needs_soffice
@pytest.mark.libreoffice
def test_forced_outputs_with_unstorable_text_open_in_libreoffice(unstorable_books, tmp_path):
    for name in ("non-character-uffff", "cell-of-3.5-million-characters"):
        out = tmp_path / f"{name}.xlsx"
        assert run_cli("render", unstorable_books[name], "-o", out, "--force").returncode == 0
        resaved = libreoffice_convert(out, "xlsx", tmp_path / f"lo-{name}")
        assert openpyxl.load_workbook(resaved).sheetnames == openpyxl.load_workbook(out).sheetnames
