"""Departments rendered in forked workers (io/parallel.py): same files, same errors, same clean-up on
interrupts as rendering them one after the other in one process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from workbook_engine.canonical_writer import write_book
from workbook_engine.io import parallel
from workbook_engine.jobs import output_paths
from workbook_engine.official.pipeline import render_official

from .conftest import ROOT
from .official_helpers import small_book


def _pids(number: int) -> int:
    time.sleep(0.02)
    return os.getpid()


def _pids_inside_a_pool_worker(connection) -> None:
    connection.send(set(parallel.map_in_order(_pids, range(8), workers=3)))


@pytest.mark.fresh_process
def test_a_pool_worker_does_not_start_workers_of_its_own():
    import multiprocessing

    context = multiprocessing.get_context("fork")
    mine, theirs = context.Pipe()
    child = context.Process(target=_pids_inside_a_pool_worker, args=(theirs,))  # as the web server's jobs
    child.start()
    assert mine.recv() == {child.pid}
    child.join()
    assert len(set(parallel.map_in_order(_pids, range(8), workers=3))) == 3  # here: this process and two workers


def _contents(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:  # the creation time in core.xml differs from run to run
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("county") / "county.xlsx"
    write_book(small_book(4, 3), source)
    return source


@pytest.mark.fresh_process
def test_workers_write_the_same_workbooks_as_one_process(county, tmp_path, monkeypatch):
    seen: list[tuple[int, int, str]] = []
    progress = lambda done, total, dept: seen.append((done, total, dept.code))  # noqa: E731
    result = render_official(county, f"{tmp_path / 'workers'}/", progress=progress)
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    alone = render_official(county, f"{tmp_path / 'alone'}/")
    assert [f.path.name for f in result.files] == [f.path.name for f in alone.files]
    assert [(f.projects, f.indicators) for f in result.files] == [(f.projects, f.indicators) for f in alone.files]
    for ours, theirs in zip(result.files, alone.files):
        assert _contents(ours.path) == _contents(theirs.path)
    assert [done for done, _, _ in seen] == [3, 6, 9, 12] and {t for _, t, _ in seen} == {12}  # per department
    assert [code for _, _, code in seen] == [f.department.code for f in result.files]
    assert not list((tmp_path / "workers").glob(".*.part"))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupt_stops_every_worker_and_leaves_the_old_folder_as_it_was(signum, tmp_path):
    """A folder of department workbooks is one output (issue 26): an interruption while the workers fill the
    stage leaves every old file as it was and no new one, no temporary file and no worker."""
    book = small_book(40, 12)
    source = tmp_path / "county.xlsx"
    write_book(book, source)
    out = tmp_path / "out"
    out.mkdir()
    old = output_paths(f"{out}/", book.departments())[5]
    old.write_bytes(b"last week's official workbook")
    process = subprocess.Popen([sys.executable, "-m", "workbook_engine", "render", str(source), "-o", f"{out}/",
                                "--overwrite"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, parallel.WORKERS_ENV: "3"}, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(p.stat().st_size > 0 for p in out.glob(".*.part")):
        time.sleep(0.02)  # a worker has written a department into the stage
    assert process.poll() is None, process.communicate()
    children = _children(process.pid)
    if signum == signal.SIGINT:  # Ctrl-C reaches the whole foreground process group
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, stderr
    assert "已中断" in stderr and "Traceback" not in stderr
    assert sorted(p.name for p in out.iterdir()) == [old.name]
    assert old.read_bytes() == b"last week's official workbook"
    assert children and not [pid for pid in children if _alive(pid)]


def test_a_folder_is_placed_whole(tmp_path):
    """After a complete run every department is in place at once and the stage is gone."""
    book = small_book(6, 2)
    source = tmp_path / "county.xlsx"
    write_book(book, source)
    result = render_official(source, f"{tmp_path / 'out'}/")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == \
        sorted(p.name for p in output_paths(f"{tmp_path / 'out'}/", book.departments()))
    assert len(result.files) == 6
    for file in result.files:
        openpyxl.load_workbook(file.path, read_only=True).close()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for _ in range(100):
        try:
            found = [int(p) for t in os.listdir(f"/proc/{pid}/task")
                     for p in Path(f"/proc/{pid}/task/{t}/children").read_text().split()]
        except OSError:
            return []
        if found:
            return found
        time.sleep(0.02)
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status
