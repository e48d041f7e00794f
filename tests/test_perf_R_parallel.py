"""Departments rendered in forked workers (workbook_engine/parallel.py): same files, same errors, same
clean-up on interrupts as rendering them one after the other in one process."""

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

from workbook_engine import parallel
from workbook_engine.canonical_writer import write_book
from workbook_engine.errors import OutputError
from workbook_engine.official.pipeline import render_official

from .conftest import ROOT
from .official_helpers import small_book

PARENT = os.getpid()


def _pid_job(number: int, step) -> tuple[int, int]:
    for _ in range(number):
        step()
    time.sleep(0.05)  # long enough that both workers get jobs
    return number * number, os.getpid()


def test_results_in_job_order_with_every_step_reported_here():
    steps: list[int] = []
    results = parallel.map_in_workers(_pid_job, [(n,) for n in range(8)], on_step=steps.append, workers=2)
    assert [square for square, _ in results] == [n * n for n in range(8)]
    assert sorted(steps) == sorted(n for n in range(8) for _ in range(n))
    pids = {pid for _, pid in results}
    assert PARENT not in pids and len(pids) == 2


_taken: list[int] = []  # in a worker: the jobs it ran, in order (each forked worker starts with none)


def _taking_job(number: int, step) -> tuple[int, int, list[int]]:
    _taken.append(number)
    time.sleep(0.02)
    return number, os.getpid(), list(_taken)


def test_the_largest_jobs_start_first_and_results_keep_job_order():
    sizes = [1, 5, 2, 9, 3, 7]
    results = parallel.map_in_workers(_taking_job, [(n,) for n in range(6)], workers=2, sizes=sizes)
    assert [n for n, _, _ in results] == list(range(6))
    runs = {pid: max((taken for _, p, taken in results if p == pid), key=len) for _, pid, _ in results}
    assert {run[0] for run in runs.values()} == {3, 5}  # the two largest, one to each worker
    for run in runs.values():  # each worker took its jobs largest first
        assert [sizes[n] for n in run] == sorted((sizes[n] for n in run), reverse=True)


def test_one_job_or_one_worker_runs_here(monkeypatch):
    assert parallel.map_in_workers(_pid_job, [(3,)], workers=2) == [(9, PARENT)]
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    assert {pid for _, pid in parallel.map_in_workers(_pid_job, [(1,), (2,)])} == {PARENT}
    assert parallel.worker_count(100, 64) == parallel.MAX_WORKERS


def _pids_inside_a_pool_worker(connection) -> None:
    connection.send({pid for _, pid in parallel.map_in_workers(_pid_job, [(1,), (2,), (3,)], workers=2)})


def test_a_pool_worker_does_not_start_workers_of_its_own():
    import multiprocessing

    context = multiprocessing.get_context("fork")
    mine, theirs = context.Pipe()
    child = context.Process(target=_pids_inside_a_pool_worker, args=(theirs,))  # as the web server's jobs
    child.start()
    assert mine.recv() == {child.pid}
    child.join()


def _failing_job(number: int, step) -> int:
    if number == 3:
        raise OutputError(f"第 {number} 个：写入失败。")
    return number


def test_a_failing_job_raises_its_own_error_here():
    with pytest.raises(OutputError, match="^第 3 个：写入失败。$"):
        parallel.map_in_workers(_failing_job, [(n,) for n in range(6)], workers=2)


class Unpicklable(Exception):
    def __init__(self, number: int, where: str):  # pickling calls __init__(*args): the copy fails
        super().__init__(f"{where}{number}")


def _unpicklable_failure(number: int, step) -> int:
    if number == 2:
        raise Unpicklable(number, "here" if os.getpid() == PARENT else "worker")
    return number


def test_an_error_that_cannot_travel_is_raised_by_running_the_job_here():
    with pytest.raises(Unpicklable, match="^here2$"):
        parallel.map_in_workers(_unpicklable_failure, [(n,) for n in range(4)], workers=2)


def _dying_job(number: int, step) -> tuple[int, bool]:
    if number == 1 and os.getpid() != PARENT:
        os._exit(9)  # a worker killed mid-job (out of memory, kill -9)
    return number, os.getpid() == PARENT


def test_a_worker_that_dies_costs_only_time():
    results = parallel.map_in_workers(_dying_job, [(n,) for n in range(5)], workers=2)
    assert [n for n, _ in results] == list(range(5))
    assert results[1] == (1, True)  # its job was run here


def _contents(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:  # the creation time in core.xml differs from run to run
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("county") / "county.xlsx"
    write_book(small_book(4, 3), source)
    return source


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
    assert [done for done, _, _ in seen] == list(range(1, 13)) and {t for _, t, _ in seen} == {12}
    assert sorted(code for _, _, code in seen) == sorted(f.department.code for f in result.files for _ in range(3))
    assert not list((tmp_path / "workers").glob(".*.part"))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupt_stops_every_worker_and_leaves_no_temporary_file(signum, tmp_path):
    source = tmp_path / "county.xlsx"
    write_book(small_book(40, 12), source)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "workbook_engine", "render", str(source), "-o", f"{out}/"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, parallel.WORKERS_ENV: "2"}, start_new_session=True)
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
