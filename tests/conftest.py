"""Shared fixtures: the customer's published document (seed) and the shipped sample workbook."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence, overload

import openpyxl
import pytest
from hypothesis import HealthCheck, settings

from workbook_engine.canonical_writer import write_book
from workbook_engine.importer import import_document
from workbook_engine.model import Book

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "leting-2024-emergency.txt"
SAMPLE = ROOT / "workbooks" / "leting-emergency-2024.xlsx"
SHARED_SEED = ROOT.parent / "shared" / "seeds" / "000_98938871c6735dfe.txt"

# CI: the same properties, with examples derived from each test's name (the same examples on every run,
# so a failure in CI reproduces locally with HYPOTHESIS_PROFILE=ci), no example database and no deadline
# (a shared machine's timing says nothing about the code). Tests keep their own max_examples.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test skipped without LibreOffice is a LibreOffice test, whether or not it says so: mark it, so
    that `pytest -m "not libreoffice"` leaves out every one. Group what shares an outside resource."""
    for item in items:
        if any(mark.kwargs.get("reason", "").startswith("LibreOffice") for mark in item.iter_markers("skipif")):
            item.add_marker(pytest.mark.libreoffice)
        # Under pytest-xdist (--dist loadgroup), tests that share something outside the process run in one
        # worker: one LibreOffice profile, one PostgreSQL database, one browser.
        for shared in ("libreoffice", "postgres", "browser"):
            if item.get_closest_marker(shared) is not None:
                item.add_marker(pytest.mark.xdist_group(shared))
                break
        else:
            if item.get_closest_marker("fresh_process") is not None:  # one fresh process per module
                item.add_marker(pytest.mark.xdist_group("fresh:" + item.nodeid.split("::")[0]))


FRESH_PROCESS_ENV = "WBE_TEST_IN_FRESH_PROCESS"
_FRESH_RESULTS: dict[str, str] = {}  # nodeid -> "" when it passed in the fresh process, else its report


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A test marked ``fresh_process`` runs in a new single-threaded pytest process.

    Worker pools (io/parallel.py) never fork beside other threads, and a test worker that has run the web
    tests has threads left: there the jobs would quietly run in one process and the test would prove
    nothing. The first such test of a module runs all of that module's selected ones in one new process
    (their fixtures are built there); each then passes or fails with its own result."""
    if pyfuncitem.get_closest_marker("fresh_process") is None or os.environ.get(FRESH_PROCESS_ENV):
        return None
    own = _plain_nodeid(pyfuncitem)
    if own not in _FRESH_RESULTS:
        module = own.split("::")[0]
        batch = [_plain_nodeid(item) for item in pyfuncitem.session.items
                 if item.nodeid.split("::")[0] == module and item.get_closest_marker("fresh_process") is not None]
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-n0", "-p", "no:cacheprovider", *batch],
                              cwd=ROOT, capture_output=True, text=True, env={**os.environ, FRESH_PROCESS_ENV: "1"},
                              timeout=900)
        passed = {line.split(" ", 1)[1].strip() for line in done.stdout.splitlines() if line.startswith("PASSED ")}
        for nodeid in batch:
            _FRESH_RESULTS[nodeid] = "" if nodeid in passed else f"{done.stdout[-8000:]}\n{done.stderr[-2000:]}"
    if _FRESH_RESULTS[own]:
        pytest.fail(f"in a fresh process:\n{_FRESH_RESULTS[own]}", pytrace=False)
    return True


def _plain_nodeid(item: pytest.Item) -> str:
    """The node id without the ``@group`` pytest-xdist appends under --dist loadgroup."""
    group = item.get_closest_marker("xdist_group")
    suffix = f"@{group.args[0]}" if group is not None and group.args else ""
    return item.nodeid[: -len(suffix)] if suffix and item.nodeid.endswith(suffix) else item.nodeid


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_book() -> Book:
    return import_document(SEED)


@pytest.fixture()
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped sample workbook, safe to modify."""
    target = tmp_path / "sample.xlsx"
    shutil.copyfile(SAMPLE, target)
    return target


@pytest.fixture()
def edit_sample(tmp_path: Path) -> Callable[..., Path]:
    """Write a copy of the sample with cells changed: edit_sample({"项目": {"F2": 1}})."""

    def make(changes: dict[str, dict[str, object]], *, name: str = "edited.xlsx",
             func: Callable[[openpyxl.Workbook], None] | None = None) -> Path:
        workbook = openpyxl.load_workbook(SAMPLE)
        for sheet, cells in changes.items():
            for cell, value in cells.items():
                workbook[sheet][cell] = value
        if func:
            func(workbook)
        target = tmp_path / name
        workbook.save(target)
        return target

    return make


@pytest.fixture()
def write(tmp_path: Path) -> Callable[[Book, str], Path]:
    def make(book: Book, name: str = "book.xlsx") -> Path:
        target = tmp_path / name
        write_book(book, target)
        return target

    return make


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    """contextlib.chdir, which Python 3.10 lacks."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@dataclass
class CliResult:
    """What a command printed and returned, shaped like subprocess.CompletedProcess."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: object, cwd: Path | None = None, env: dict[str, str] | None = None) -> CliResult:
    """Run `wbe ARGS` in this process through the real typer app, capturing its text output.

    Starting a Python process per call (which imports pandas, pandera, openpyxl and docx) made the suite
    slow; real processes are kept for the few tests of what only a process shows (tests/test_cli_process.py).
    An exception that escapes the app is reported as a traceback on stderr with status 1, as Python would."""
    from typer.testing import CliRunner

    from workbook_engine.cli import app

    argv = [str(arg) for arg in args]
    with working_directory(cwd or ROOT):
        result = CliRunner().invoke(app, argv, env=env, catch_exceptions=True)
    stderr, code = result.stderr, result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "Traceback (most recent call last):\n" + "".join(traceback.format_exception(result.exception))
        code = 1
    return CliResult(argv, code, result.stdout, stderr)


def run_process(*args: object, cwd: Path | None = None, env: dict[str, str] | None = None,
                timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `python -m workbook_engine ARGS` in a new process, as a user would."""
    return subprocess.run([sys.executable, "-m", "workbook_engine", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd or ROOT, env=env, timeout=timeout)


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")


_profile: Path | None = None


def libreoffice_profile() -> Path:
    """One LibreOffice profile per test process: creating a profile is most of a conversion's time."""
    global _profile
    if _profile is None:
        _profile = Path(tempfile.mkdtemp(prefix="wbe-test-lo-"))
        atexit.register(shutil.rmtree, _profile, ignore_errors=True)
    return _profile


@overload
def libreoffice_convert(source: Path, target_format: str, outdir: Path) -> Path: ...
@overload
def libreoffice_convert(source: Sequence[Path], target_format: str, outdir: Path) -> list[Path]: ...
def libreoffice_convert(source, target_format, outdir):
    """Convert with LibreOffice headless (the shared test profile); returns the converted file(s).

    Given several files, one LibreOffice start converts them all."""
    sources = [source] if isinstance(source, Path) else list(source)
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [soffice(), f"-env:UserInstallation={libreoffice_profile().as_uri()}", "--headless", "--norestore",
         "--convert-to", target_format, "--outdir", str(outdir), *map(str, sources)],
        check=True, capture_output=True, timeout=300,
    )
    produced = [outdir / (path.stem + "." + target_format.split(":")[0]) for path in sources]
    for path in produced:
        assert path.exists(), f"LibreOffice did not produce {path}"
    return produced[0] if isinstance(source, Path) else produced
