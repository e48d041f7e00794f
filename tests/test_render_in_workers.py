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
def test_an_interrupt_stops_every_worker_and_leaves_no_temporary_file(signum, tmp_path):
    source = tmp_path / "county.xlsx"
    write_book(small_book(40, 12), source)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "workbook_engine", "render", str(source), "-o", f"{out}/"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, parallel.WORKERS_ENV: "3"}, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (out.is_dir() and list(out.glob("*.xlsx"))):
        time.sleep(0.02)
    assert process.poll() is None, process.communicate()
    children = _children(process.pid)
    if signum == signal.SIGINT:  # Ctrl-C reaches the whole foreground process group
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, stderr
    assert "已中断" in stderr and "Traceback" not in stderr
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]
    assert len(list(out.glob("*.xlsx"))) < 40
    for name in out.glob("*.xlsx"):
        openpyxl.load_workbook(name, read_only=True).close()  # every file left is complete
    assert children and not [pid for pid in children if _alive(pid)]


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
