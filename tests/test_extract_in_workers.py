"""extract reads several official workbooks in worker processes (io/parallel.py).

The book, the report and any error must be exactly those of reading the files one after another in this
process; Ctrl-C and SIGTERM must end the command as before (已中断, status 130/143, no output, no worker left).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from workbook_engine.canonical_writer import write_book
from workbook_engine.errors import UsageError
from workbook_engine.io import parallel
from workbook_engine.io.interrupts import INTERRUPTED
from workbook_engine.official.extract import extract_workbooks
from workbook_engine.official.pipeline import render_official

from .conftest import ROOT, SAMPLE
from .official_helpers import small_book


@pytest.fixture(scope="module")
def official_folder(tmp_path_factory) -> Path:
    """Six departments' official workbooks, two of them edited so that extract has findings to report."""
    folder = tmp_path_factory.mktemp("parallel")
    source = folder / "county.xlsx"
    write_book(small_book(6, 3), source)
    assert render_official(source, f"{folder / 'official'}/").rendered
    files = sorted((folder / "official").glob("*.xlsx"))
    for index in (1, 4):
        workbook = openpyxl.load_workbook(files[index])
        workbook.worksheets[1]["K5"] = f"表外的字 {index}"  # beside the goals: WBE-E071
        workbook.create_sheet("备注")["A1"] = "不认识的表"  # not an official sheet: WBE-W070
        workbook.save(files[index])
    return folder / "official"


def _results(book, report):
    return book, [(f.code, f.file, f.location, f.message) for f in report.findings]


@pytest.mark.fresh_process
def test_workers_read_the_same_book_and_report_as_one_process(official_folder):
    paths = sorted(official_folder.glob("*.xlsx"))
    here = _results(*extract_workbooks(paths, workers=1))
    assert len(here[0].departments()) == 6 and {code for code, *_ in here[1]} >= {"WBE-E071", "WBE-W070"}
    assert _results(*extract_workbooks(paths, workers=2)) == here
    assert _results(*extract_workbooks(list(reversed(paths)), workers=2))[1] == here[1]  # sorted findings


@pytest.mark.fresh_process
def test_the_first_failing_input_in_order_is_the_error(official_folder, tmp_path):
    paths = sorted(official_folder.glob("*.xlsx"))
    first, second = tmp_path / "a-canonical.xlsx", tmp_path / "b-canonical.xlsx"
    shutil.copy(SAMPLE, first)
    shutil.copy(SAMPLE, second)
    inputs = [paths[0], first, *paths[1:4], second, *paths[4:]]
    with pytest.raises(UsageError) as here:
        extract_workbooks(inputs, workers=1)
    with pytest.raises(UsageError) as there:
        extract_workbooks(inputs, workers=2)
    assert str(there.value) == str(here.value) and str(first) in str(here.value)


def square(item: int) -> int:
    return item * item


def die_in_a_worker(item: tuple[int, int]) -> int:
    parent, value = item
    if value == 30 and os.getpid() != parent:
        os._exit(9)  # as if the kernel had killed the worker (out of memory)
    return value


def in_a_worker_sigint_is_ignored(_: object) -> bool:
    return signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def fail_at(item: int) -> int:
    if item in (17, 25):
        raise UsageError(f"第 {item} 项不对")
    return item


@pytest.mark.fresh_process
def test_map_in_order_keeps_the_order_and_falls_back_here():
    seen: list[tuple[int, int]] = []
    assert parallel.map_in_order(square, range(40), workers=3, on_result=lambda i, r: seen.append((i, r))) \
        == [n * n for n in range(40)]
    assert seen == [(n, n * n) for n in range(40)]  # progress in input order, here
    items = [(os.getpid(), n) for n in range(40)]
    assert parallel.map_in_order(die_in_a_worker, items, workers=3) == list(range(40))
    assert all(parallel.map_in_order(in_a_worker_sigint_is_ignored, range(8), workers=3, share_here=0))
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN  # the parent handles Ctrl-C
    with pytest.raises(UsageError, match="第 17 项不对"):  # the first failing item in input order
        parallel.map_in_order(fail_at, range(40), workers=3, share_here=0)


@pytest.mark.fresh_process
def test_process_count(monkeypatch):
    monkeypatch.delenv(parallel.WORKERS_ENV, raising=False)
    assert parallel.process_count(1) == 1 and parallel.process_count(parallel.MIN_ITEMS - 1) == 1
    assert 1 <= parallel.process_count(100) <= parallel.MAX_PROCESSES
    assert parallel.process_count(100, workers=1) == 1 and parallel.process_count(3, workers=8) == 3
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    assert parallel.process_count(100) == 1


def _workers_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to find the workers")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_extract_in_workers_stops_them_and_writes_nothing(official_folder, tmp_path, signum):
    folder = tmp_path / "many"
    folder.mkdir()
    files = sorted(official_folder.glob("*.xlsx"))
    for n in range(90):  # enough work that the command is still reading when the signal comes
        shutil.copy(files[n % len(files)], folder / f"{n:03d}.xlsx")
    out = tmp_path / "out.xlsx"
    process = subprocess.Popen([sys.executable, "-m", "workbook_engine", "extract", str(folder), "-o", str(out)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, parallel.WORKERS_ENV: "3"}, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(workers := _workers_of(process.pid)) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    # the two workers, and at times the short-lived child that reads one workbook contained (io/containment.py)
    assert len(workers) >= 2, process.communicate()
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)  # a terminal's Ctrl-C reaches the whole process group
    else:
        process.send_signal(signum)  # kill(1) or a service manager: the parent only
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, stderr
    assert stderr.strip().splitlines() == [INTERRUPTED]
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["many"]
    for pid in workers:  # ended and reaped by the parent
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
