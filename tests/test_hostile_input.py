"""Hostile and broken input (issue 6): every command against every bad file, bombs, odd workbooks.

The bad files are generated once per session from the shipped sample (tests/corpus.py). Commands run
through the real typer app in-process (fast enough to try each command on each file); a subprocess run
per file checks what a user sees from `python -m workbook_engine`, and measures peak memory on the bombs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from workbook_engine.api import read_book
from workbook_engine.api import validate as _validate
from workbook_engine.cli import app
from workbook_engine.errors import UnsafeInput
from workbook_engine.io import guard

from . import corpus
from .conftest import ROOT, SAMPLE, SEED, run_cli


def validate(path: Path):
    """Validation findings only: the review rules (WBE-R…, issue 5) have their own tests."""
    return _validate(path, review=False)


# Every command that reads a workbook or document, as argv for (bad input, output folder). A command that
# lands later is one line here; a two-input command (merge, diff) gets the bad file as one of its inputs.
COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "validate": lambda bad, out: ["validate", str(bad)],
    "validate-json": lambda bad, out: ["validate", str(bad), "--format", "json"],
    "validate-annotate": lambda bad, out: ["validate", str(bad), "--annotate", str(out / "annotated.xlsx")],
    "import": lambda bad, out: ["import", str(bad), "-o", str(out / "imported.xlsx")],
    "render": lambda bad, out: ["render", str(bad), "-o", str(out / "official.xlsx")],
    "extract": lambda bad, out: ["extract", str(bad), "-o", str(out / "extracted.xlsx")],
    "merge": lambda bad, out: ["merge", str(SAMPLE), str(bad), "-o", str(out / "merged.xlsx")],
    "diff": lambda bad, out: ["diff", str(SAMPLE), str(bad)],
    "review": lambda bad, out: ["review", str(bad)],
    "review-annotate": lambda bad, out: ["review", str(bad), "--annotate", str(out / "reviewed.xlsx")],
    "publish": lambda bad, out: ["publish", str(bad), "-o", str(out / "published.docx")],
}


@pytest.fixture(scope="session")
def refused_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("refused")
    return {name: build(folder) for name, build in corpus.REFUSED.items()}


@pytest.fixture(scope="session")
def trailing_book(tmp_path_factory) -> Path:
    return corpus.trailing_formatting(tmp_path_factory.mktemp("trailing"))


def unreadable(monkeypatch, path: Path) -> None:
    """Tests run as root, who may read anything: simulate a file without read permission."""
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if Path(p) == path and mode == os.R_OK
                        else real_access(p, mode, *a, **k))


def assert_one_clear_line(stderr: str, path: Path, says: str | None) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("错误：") and "Traceback" not in stderr
    assert str(path) in line, line
    assert any("\u4e00" <= ch <= "\u9fff" for ch in line)
    if says:
        assert says in line, line


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("bad", list(corpus.REFUSED))
def test_every_command_refuses_every_bad_file(command, bad, refused_files, tmp_path, monkeypatch):
    path = refused_files[bad]
    if bad == "no-read-permission":
        unreadable(monkeypatch, path)
    before = path.read_bytes() if path.is_file() else None
    result = CliRunner().invoke(app, COMMANDS[command](path, tmp_path))
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert "意外问题" not in result.stderr  # the catch-all is for bugs only (issue 26)
    says = corpus.REFUSED_SAYS.get(bad) if command != "import" or bad in IMPORT_SAYS_THE_SAME else None
    assert_one_clear_line(result.stderr, path, says)
    assert list(tmp_path.iterdir()) == [], "nothing may be written for a refused input"
    if before is not None:
        assert path.read_bytes() == before


@pytest.fixture(scope="session")
def declared_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("declared")
    return {name: build(folder) for name, build in corpus.DECLARED.items()}


@pytest.fixture(scope="session")
def sample_outcomes(tmp_path_factory) -> dict[str, tuple[int, str]]:
    """(exit status, stdout) of every command on the plain sample, to compare the declared-size files with."""
    outcomes = {}
    for command in DECLARED_COMMANDS:
        argv = COMMANDS[command]
        out = tmp_path_factory.mktemp(f"sample-{command}")
        result = CliRunner().invoke(app, argv(SAMPLE, out))
        outcomes[command] = (result.exit_code, result.stdout.replace(str(SAMPLE), "BOOK").replace(str(out), "OUT"))
    return outcomes


# The readers behind the commands: calamine (every command), openpyxl (the annotated copies), the merge
# writer. The full command x file matrix runs in benchmarks/hostile_matrix.py (docs/decisions.md).
DECLARED_COMMANDS = ("validate", "validate-annotate", "review-annotate", "merge")


@pytest.mark.parametrize("command", DECLARED_COMMANDS)
@pytest.mark.parametrize("declared", list(corpus.DECLARED))
def test_declared_sizes_change_nothing(command, declared, declared_files, sample_outcomes, tmp_path):
    """A workbook declaring a huge dimension, spans, column range or string count is read as the sample is."""
    path = declared_files[declared]
    result = CliRunner().invoke(app, COMMANDS[command](path, tmp_path))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    status, stdout = sample_outcomes[command]
    assert result.exit_code == status, (result.stdout, result.stderr)
    if command != "import":
        assert result.stdout.replace(str(path), "BOOK").replace(str(tmp_path), "OUT") == stdout


# Refusals import words the same way as the workbook commands (the rest are refused as "not a text export").
IMPORT_SAYS_THE_SAME = {"missing-path", "directory", "no-read-permission"}


# In real processes: the files that could make a native reader abort or allocate (the rest are refused by the
# same guard, shown in-process above for every command; every file x every command in subprocesses:
# benchmarks/hostile_matrix.py).
IN_SUBPROCESS = [b for b in corpus.REFUSED if b.startswith(("far-cell", "zip-bomb", "billion", "shared-strings",
                                                             "merged", "sheets-on", "too-many", "damaged"))]


@pytest.mark.parametrize("bad", IN_SUBPROCESS)
def test_bad_file_from_the_real_command_line(bad, refused_files, tmp_path):
    """As a user runs it, under a 4 GB address-space limit: exit status 2 within 30 s, one line on stderr,
    nothing on stdout, no traceback, peak under 1 GB."""
    path = refused_files[bad]
    peak = tmp_path / "peak"
    result = limited_run("validate", path, peak_file=peak)
    assert result.returncode == 2 and result.stdout == ""
    assert_one_clear_line(result.stderr, path, corpus.REFUSED_SAYS.get(bad))
    assert_ends_well(result, peak)


@pytest.mark.parametrize("declared", list(corpus.DECLARED))
def test_declared_sizes_from_the_real_command_line(declared, declared_files, tmp_path):
    """The openpyxl path (annotated copy) on a file declaring huge sizes, under the same limits."""
    peak = tmp_path / "peak"
    result = limited_run("validate", declared_files[declared], "--annotate", tmp_path / "annotated.xlsx",
                         peak_file=peak)
    assert result.returncode == 0, result.stderr
    assert_ends_well(result, peak)
    assert openpyxl.load_workbook(tmp_path / "annotated.xlsx")["项目"].max_row == 10


LIMITED = """
import atexit, os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))
resource.setrlimit(resource.RLIMIT_CPU, (30, 30))  # ends by itself: 30 s of CPU, whatever the machine's load
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forking process (a big pytest worker).
atexit.register(lambda: open(os.environ["WBE_PEAK_FILE"], "w").write(
    str(int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024)))
sys.argv = ["wbe", *sys.argv[1:]]
from workbook_engine.cli import main
main()
"""


def limited_run(*args, peak_file: Path) -> subprocess.CompletedProcess:
    """A command as a user runs it, under a 4 GB address-space limit; it must end by itself within 30 s of
    CPU (RLIMIT_CPU: a wall-clock limit would fail on a busy machine). Its peak resident memory (bytes) is
    written to ``peak_file``."""
    return subprocess.run([sys.executable, "-c", LIMITED, *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600, env={**os.environ, "WBE_PEAK_FILE": str(peak_file)}, check=False)


def assert_ends_well(result: subprocess.CompletedProcess, peak_file: Path) -> None:
    """Exit 0/1/2, no traceback, an exit-2 message on one line, peak under 1 GB."""
    assert result.returncode in (0, 1, 2), (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    if result.returncode == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert int(peak_file.read_text()) < 2**30


PEAK = """
import sys
from workbook_engine.cli import main
sys.argv = ["wbe", "validate", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forking process (a big pytest worker).
    print("PEAK", exit.code, open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""


def peak_run(path: Path, *options: str | Path) -> tuple[int, int]:
    """Exit status and peak resident memory (bytes) of `wbe validate path [options]` in a fresh process."""
    result = subprocess.run([sys.executable, "-c", PEAK, str(path), *map(str, options)], capture_output=True,
                            text=True, cwd=ROOT,
                            timeout=600)
    _, status, kilobytes = result.stdout.strip().splitlines()[-1].split()
    return int(status), int(kilobytes) * 1024


@pytest.mark.parametrize("bomb", ["zip-bomb-declared", "zip-bomb-lying", "billion-laughs", "far-cell"])
def test_bombs_are_refused_within_500_mb(bomb, refused_files):
    path = refused_files[bomb]
    assert path.stat().st_size < 1024 * 1024  # a tiny file (a far cell would make calamine abort)...
    status, peak = peak_run(path)
    assert status == 2
    assert peak < 500 * 2**20, f"peak memory {peak / 2**20:.0f} MB"


def test_lying_bomb_really_inflates_beyond_what_it_declares(refused_files):
    with zipfile.ZipFile(refused_files["zip-bomb-lying"]) as archive:
        info = archive.getinfo("xl/media/blob.xml")
        assert info.file_size == 1000 and info.compress_size < 2**20
    with pytest.raises(UnsafeInput, match="大于声明"):
        guard.inspect_xlsx(refused_files["zip-bomb-lying"])


# --- XML bombs: our refusal, and the parsers' own defences behind it -----------------------------------

def test_openpyxl_uses_defusedxml():
    import defusedxml  # noqa: F401  (installed: a declared dependency)
    from openpyxl.xml import functions

    assert openpyxl.DEFUSEDXML is True
    assert functions.iterparse.__module__.startswith("defusedxml")


def test_parsers_refuse_entity_bombs_even_without_the_guard(refused_files):
    import python_calamine
    from defusedxml import EntitiesForbidden

    for name in ("billion-laughs", "external-entity"):
        with pytest.raises(ValueError) as info:  # openpyxl wraps defusedxml's refusal
            openpyxl.load_workbook(refused_files[name])
        assert isinstance(info.value.__cause__, EntitiesForbidden)
        with pytest.raises(python_calamine.XmlError, match="unrecognized entity"):
            book = python_calamine.CalamineWorkbook.from_path(str(refused_files[name]))
            book.get_sheet_by_name("部门目标").to_python()


def test_limits_on_value_cells_entry_size_and_total(sample_copy, monkeypatch):
    monkeypatch.setattr(guard, "MAX_VALUE_CELLS", 1000)
    with pytest.raises(UnsafeInput, match="有值的单元格"):
        guard.inspect_xlsx(sample_copy)
    monkeypatch.setattr(guard, "MAX_VALUE_CELLS", 2_000_000)
    monkeypatch.setattr(guard, "MAX_ENTRY_BYTES", 20_000)
    with pytest.raises(UnsafeInput, match="上限"):
        guard.inspect_xlsx(sample_copy)
    monkeypatch.setattr(guard, "MAX_ENTRY_BYTES", 2**28)
    monkeypatch.setattr(guard, "MAX_TOTAL_BYTES", 50_000)
    with pytest.raises(UnsafeInput, match="共"):
        guard.inspect_xlsx(sample_copy)


# --- Odd but readable workbooks ----------------------------------------------------------------------

def codes(path: Path) -> list[str]:
    return validate(path).codes()


def at(path: Path, code: str) -> list[tuple[str | None, str | None]]:
    return [(f.sheet, f.cell) for f in validate(path).findings if f.code == code]


def test_macro_workbook_is_read_and_macros_are_not_kept(tmp_path):
    book = corpus.rezip(SAMPLE, tmp_path / "macros.xlsm", add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 not run"})
    report = validate(book)
    assert report.codes() == ["WBE-W027"] and report.valid
    assert read_book(book) == read_book(SAMPLE)
    result = run_cli("validate", book, "--annotate", tmp_path / "annotated.xlsx")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "annotated.xlsx") as archive:
        assert not any("vbaProject" in name for name in archive.namelist())
    refused = run_cli("validate", book, "--annotate", tmp_path / "annotated.xlsm")
    assert refused.returncode == 2 and ".xlsx" in refused.stderr


def test_formula_with_cached_value_is_read_with_a_warning(tmp_path):
    book = corpus.rezip(SAMPLE, tmp_path / "formula.xlsx",
                        replace={corpus.PROJECTS_PART: corpus.formula("F2", "G2+H2", cached=True)})
    assert at(book, "WBE-W007") == [("项目", "F2")]
    assert "WBE-W026" not in codes(book) and validate(book).valid
    assert read_book(book) == read_book(SAMPLE)


def test_formula_without_cached_value_is_named(tmp_path):
    book = corpus.rezip(SAMPLE, tmp_path / "no-cache.xlsx",
                        replace={corpus.PROJECTS_PART: corpus.formula("F2", "G2+H2", cached=False)})
    assert at(book, "WBE-W026") == [("项目", "F2")]
    assert ("项目", "F2") in at(book, "WBE-W007")
    assert "WBE-E010" in codes(book)  # read as blank, and the required budget is then missing


def test_hidden_rows_and_columns_are_named(edit_sample):
    def hide(workbook):
        sheet = workbook["指标"]
        for row in (3, 4, 5, 9):
            sheet.row_dimensions[row].hidden = True
        sheet.row_dimensions[200].hidden = True  # no data there: nothing to say
        workbook["项目"].column_dimensions["I"].hidden = True

    book = edit_sample({}, func=hide)
    report = validate(book)
    hidden = [(f.sheet, f.cell, f.message) for f in report.findings if f.code == "WBE-W009"]
    assert [(s, c) for s, c, _ in hidden] == [("项目", "I1"), ("指标", "A3"), ("指标", "A9")]
    assert "第 3–5 行" in hidden[1][2]
    assert read_book(book) == read_book(SAMPLE)


def test_reordered_columns_read_the_same(edit_sample):
    def reorder(workbook):
        sheet = workbook["项目"]
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        order = list(reversed(range(len(rows[0]))))
        for r, values in enumerate(rows, start=1):
            for c, source in enumerate(order, start=1):
                sheet.cell(r, c).value = values[source]

    book = edit_sample({}, func=reorder)
    assert codes(book) == []
    assert read_book(book) == read_book(SAMPLE)


def test_numbers_as_text_full_width_and_non_breaking_spaces(edit_sample):
    book = edit_sample({"项目": {"F2": "２００．００", "G2": "200.00\u00a0", "J2": "２５％"},
                        "指标": {"H2": "≧１２次", "A1": "部门\u00a0编码"}})
    report = validate(book)
    assert [f.cell for f in report.findings if f.code == "WBE-W025"] == ["F2", "G2"]
    assert report.valid, report.codes()
    ours, sample = read_book(book), read_book(SAMPLE)
    assert (ours.projects[0].budget, ours.projects[0].fiscal) == (sample.projects[0].budget, sample.projects[0].fiscal)
    assert ours.indicators[0].value == "≧１２次"


def test_dates_where_numbers_belong(edit_sample):
    import datetime

    book = edit_sample({"项目": {"F2": datetime.datetime(2024, 3, 1)}})
    finding = next(f for f in validate(book).findings if f.code == "WBE-E011")
    assert finding.cell == "F2" and "日期" in finding.message


def test_header_on_row_two_and_merged_cells(edit_sample):
    def shift_and_merge(workbook):
        workbook["项目"].insert_rows(1)
        workbook["项目"]["A1"] = "乐亭县应急管理局 2024 年项目"
        workbook["指标"].merge_cells("A2:A3")

    book = edit_sample({}, func=shift_and_merge)
    report = validate(book)
    assert ("项目", "A2") in [(f.sheet, f.cell) for f in report.findings if f.code == "WBE-W006"]
    assert ("指标", "A2") in [(f.sheet, f.cell) for f in report.findings if f.code == "WBE-W008"]


def test_annotating_a_finding_inside_a_merged_range(edit_sample, tmp_path):
    """Found by the property test: a finding on a covered cell of a merge crashed the annotated copy."""
    book = edit_sample({}, func=lambda workbook: workbook["指标"].merge_cells("A1:B1"))
    assert ("指标", "B1") in [(f.sheet, f.cell) for f in validate(book).findings]  # B1 repeats A1's header
    out = tmp_path / "annotated.xlsx"
    result = run_cli("validate", book, "--annotate", out)
    assert result.returncode == 1, result.stderr
    assert "WBE-E003" in openpyxl.load_workbook(out)["指标"]["A1"].comment.text


def test_million_rows_of_trailing_formatting(trailing_book, tmp_path):
    with zipfile.ZipFile(trailing_book) as archive:
        assert archive.getinfo(corpus.PROJECTS_PART).file_size > 50 * 2**20
        assert b'r="1048576"' in archive.read(corpus.PROJECTS_PART)[-4000:]
    out = tmp_path / "annotated.xlsx"
    status, peak = peak_run(trailing_book, "--annotate", out)  # one pass of the 50 MB sheet: read, check, annotate
    assert status == 0 and peak < 500 * 2**20, f"peak memory {peak / 2**20:.0f} MB"
    assert read_book(trailing_book) == read_book(SAMPLE)
    annotated = openpyxl.load_workbook(out, read_only=True)
    assert annotated["项目"].max_row <= 10 + 1000 + 1
    assert validate(out).codes() == []


# --- Documents for import ----------------------------------------------------------------------------

def test_import_of_a_gbk_document_from_the_command_line(tmp_path):
    document = corpus.seed_variant(tmp_path, "gbk.txt", lambda text: text, encoding="gbk")
    result = run_cli("import", document, "-o", tmp_path / "book.xlsx")
    assert result.returncode == 0, result.stderr
    assert read_book(tmp_path / "book.xlsx") == read_book(SAMPLE)


@pytest.mark.parametrize("name,change,says", [
    ("truncated.txt", lambda t: t[: t.index("\t资金支出计划（%）")], "行"),
    ("missing-row.txt", lambda t: t.replace("\t绩效目标\n", "", 1), "行"),
    ("not-utf8-nor-gbk.txt", None, "编码"),
    ("utf16-broken.txt", None, "UTF-16"),
])
def test_broken_documents_name_the_line(tmp_path, name, change, says):
    if name == "not-utf8-nor-gbk.txt":
        document = tmp_path / name
        document.write_bytes(SEED.read_bytes()[:200] + b"\xff\xff\xff\n")
    elif name == "utf16-broken.txt":
        document = tmp_path / name
        document.write_bytes(b"\xff\xfe" + "第一部分\n".encode("utf-16-le") + b"\x00\xd8\x41")
    else:
        document = corpus.seed_variant(tmp_path, name, change)
    result = run_cli("import", document, "-o", tmp_path / "book.xlsx")
    assert result.returncode == 2
    assert_one_clear_line(result.stderr, document, says)
    assert "第" in result.stderr and "行" in result.stderr
    assert not (tmp_path / "book.xlsx").exists()


@pytest.mark.parametrize("kind", ["fifo", "device", "sparse-4-gb", "over-the-limit"])
def test_import_refuses_pipes_devices_and_huge_documents(kind, tmp_path):
    """Refused before reading: a FIFO would block forever, a device or a 4 GB file would be read whole."""
    document = tmp_path / "document.txt"
    says = "不是普通文件"
    if kind == "fifo":
        os.mkfifo(document)
    elif kind == "device":
        document = Path("/dev/zero")
    elif kind == "sparse-4-gb":
        with document.open("wb") as handle:
            handle.truncate(4 * 2**30)
        says = "上限"
    else:
        document.write_bytes(SEED.read_bytes() * (guard.MAX_TEXT_DOCUMENT_BYTES // SEED.stat().st_size + 1))
        says = "上限"
    peak = tmp_path / "peak"
    result = limited_run("import", document, "-o", tmp_path / "book.xlsx", peak_file=peak)
    assert result.returncode == 2
    assert_one_clear_line(result.stderr, document, says)
    assert_ends_well(result, peak)
    assert not (tmp_path / "book.xlsx").exists()


def test_text_document_is_read_with_a_bound_even_if_it_grows(tmp_path, monkeypatch):
    document = tmp_path / "growing.txt"
    document.write_bytes(b"x" * 100)
    monkeypatch.setattr(guard, "MAX_TEXT_DOCUMENT_BYTES", 50)
    with pytest.raises(UnsafeInput, match="上限"):
        guard.read_text_document(document)
    monkeypatch.setattr(guard, "MAX_TEXT_DOCUMENT_BYTES", 100)
    assert guard.read_text_document(document) == b"x" * 100


def test_huge_integers_in_year_and_sequence(edit_sample):
    """Found by the property test: a 20-digit 年度 overflowed the validator's int64 frame."""
    report = validate(edit_sample({"部门目标": {"C2": 9.223372036854776e18, "E2": "99999999999999999999"}}))
    assert ("WBE-E020", "C2") in [(f.code, f.cell) for f in report.findings]
    assert ("WBE-E021", "E2") in [(f.code, f.cell) for f in report.findings]


def test_huge_amounts_and_percentages(edit_sample):
    """Found by the property test: rounding a 1e300 plan percentage to cents raised InvalidOperation."""
    report = validate(edit_sample({"项目": {"F2": "12345678901234567890.12345678", "K2": 1e300}}))
    assert ("WBE-E030", "F2") in [(f.code, f.cell) for f in report.findings]
    assert "WBE-E015" in report.codes()


def test_far_cell_is_found_across_chunk_boundaries(tmp_path, monkeypatch):
    """The XML scan is fed the inflated chunks as they come: a reference split between two chunks still counts,
    and a wide but short sheet (BZ83) passes."""
    monkeypatch.setattr(guard, "INFLATE_CHUNK", 7)
    wide = b'<row r="83"><c r="BZ83" t="inlineStr"><is><t>wide</t></is></c></row>'
    book = corpus.rezip(SAMPLE, tmp_path / "wide.xlsx", replace={"xl/worksheets/sheet3.xml": corpus.far_rows(wide)})
    part = guard.inspect_xlsx(book).parts["xl/worksheets/sheet3.xml"]
    assert (part.last_row, part.last_col) == (83, 77)
    far = corpus.rezip(SAMPLE, tmp_path / "far.xlsx", replace={"xl/worksheets/sheet3.xml": corpus.far_rows(corpus.FAR_CELL)})
    with pytest.raises(UnsafeInput, match="XFD1048576"):
        guard.inspect_xlsx(far)


def test_guard_counts_what_readers_see(sample_copy):
    """Exact counts from the XML scan: value cells, all cells, sheets and the parts they read."""
    inspection = guard.inspect_xlsx(sample_copy)
    projects = inspection.parts[inspection.sheets["项目"]]
    assert inspection.sheets["项目"] == corpus.PROJECTS_PART and projects.uses == 1
    assert (projects.last_row, projects.last_col) == (10, 13)
    with zipfile.ZipFile(sample_copy) as archive:
        xml = archive.read(corpus.PROJECTS_PART)
    assert projects.value_cells == xml.count(b"<v>") + xml.count(b"<is>")
    assert projects.facts.cells == xml.count(b"<c ")


@pytest.mark.parametrize("limit,value,says", [
    ("MAX_SHEETS", 4, "个工作表"), ("MAX_CELLS", 1000, "只有格式"), ("MAX_TOTAL_AREA", 1000, "范围共"),
    ("MAX_XML_ELEMENTS", 1000, "XML 元素"), ("MAX_SHARED_STRINGS", 100, "共享字符串"),
])
def test_each_limit_is_enforced(limit, value, says, sample_copy, monkeypatch):
    monkeypatch.setattr(guard, limit, value)
    with pytest.raises(UnsafeInput, match=says):
        guard.inspect_xlsx(sample_copy)


def test_merged_cells_limit(tmp_path, monkeypatch):
    book = corpus.rezip(SAMPLE, tmp_path / "merged.xlsx", replace={corpus.PROJECTS_PART: corpus.merged_over(b"A1:N10")})
    assert guard.inspect_xlsx(book).parts[corpus.PROJECTS_PART].facts.merged_cells == 140
    monkeypatch.setattr(guard, "MAX_MERGED_CELLS", 100)
    with pytest.raises(UnsafeInput, match="合并单元格共覆盖 140"):
        guard.inspect_xlsx(book)


# --- Messages (issue 12) -------------------------------------------------------------------------------

ESCAPES = "红\x1b[31m字\x1b]0;title\x07\u202eevil[bold]x[/]"


def test_workbook_text_printed_to_a_terminal_shows_escapes_visibly(seed_book, tmp_path):
    import copy

    from workbook_engine.canonical_writer import write_book

    book = copy.deepcopy(seed_book)
    book.projects[0].name = "项目" + ESCAPES
    book.goals[0].category = "目标" + ESCAPES  # not a category: the finding quotes the text
    changed = tmp_path / "changed.xlsx"
    write_book(book, changed)
    runner = CliRunner()
    outputs = [runner.invoke(app, ["validate", str(changed), "--no-review"]).stdout,
               runner.invoke(app, ["diff", str(SAMPLE), str(changed)]).stdout,
               runner.invoke(app, ["merge", str(SAMPLE), str(changed), "-o", str(tmp_path / "m.xlsx")]).stdout]
    for output in outputs:
        assert not any(ch in output for ch in "\x1b\x07\u202e"), output
    assert "\\x1b[31m" in outputs[0] and "\\u202e" in outputs[0] and "[bold]x[/]" in outputs[0]
    assert "\\x1b[31m" in outputs[1] and "\\u202e" in outputs[1]


def test_file_names_from_department_names_drop_bidi_and_forbidden_characters():
    from workbook_engine.safe_names import clean_file_name

    assert clean_file_name("450001报告\u202excod.exe.xlsx") == "450001报告xcod.exe.xlsx"
    assert clean_file_name('450001 a<b>:c"d|e?f*g\x7f.  ') == "450001 a_b__c_d_e_f_g_"
    assert clean_file_name("\u200f\u2066 . ") == "department"


def test_render_refuses_an_output_that_is_not_xlsx(tmp_path):
    result = CliRunner().invoke(app, ["render", str(SAMPLE), "-o", str(tmp_path / "official.docx")])
    assert result.exit_code == 2 and ".xlsx" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("error", ["#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!"])
def test_excel_365_error_values_read_like_the_others(error, tmp_path):
    def cached(value: bytes):
        return lambda xml: corpus.set_cell_xml(xml, "F2", lambda attributes, content:
                                               b'<c r="F2" t="e"><f>G2/0</f><v>' + value + b"</v></c>")

    known = corpus.rezip(SAMPLE, tmp_path / "div0.xlsx", replace={corpus.PROJECTS_PART: cached(b"#DIV/0!")})
    new = corpus.rezip(SAMPLE, tmp_path / "new.xlsx", replace={corpus.PROJECTS_PART: cached(error.encode())})
    assert [(f.code, f.cell) for f in validate(new).findings] == [(f.code, f.cell) for f in validate(known).findings]
    assert ("WBE-W007", "F2") in [(f.code, f.cell) for f in validate(new).findings]


@pytest.mark.parametrize("command,job", [("validate-annotate", "annotate"), ("render", "render"),
                                         ("publish", "publish"), ("review-annotate", "annotate")])
def test_above_the_documented_size_a_command_refuses_instead_of_grinding(command, job, tmp_path, monkeypatch):
    monkeypatch.setitem(guard.WORKLOADS, job, 1000)  # the sample has 1,154 cells holding a value
    result = CliRunner().invoke(app, COMMANDS[command](SAMPLE, tmp_path))
    assert result.exit_code == 2, result.stdout
    assert_one_clear_line(result.stderr, SAMPLE, "30 秒内能处理的上限 1000")
    assert list(tmp_path.iterdir()) == []
