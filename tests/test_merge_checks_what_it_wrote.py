"""The cheaper check of the written merge keeps its guarantee — the findings are those
``wbe validate`` gives of the output, and a file that does not read back as planned is never put in place."""

from __future__ import annotations

import copy
import os
import signal
from decimal import Decimal
from pathlib import Path

import pytest

from workbook_engine.api import merge, read_book, validate
from workbook_engine.canonical_writer import write_book
from workbook_engine.errors import OutputError
from workbook_engine.io import parallel
from workbook_engine.merge.verify import check_written
from workbook_engine.validation import engine

from .conftest import SAMPLE
from .workbooks import edited, set_cells


def _findings(report):
    return [(f.code, f.severity, f.sheet, f.cell, f.message) for f in report.findings]


def test_merged_findings_are_those_of_validating_the_output(tmp_path):
    broken = edited(SAMPLE, tmp_path / "坏.xlsx", set_cells({"项目": {"F3": 41, "G4": 1000}}))
    out = tmp_path / "out.xlsx"
    outcome = merge([broken], out, force=True)
    assert outcome.written and not outcome.result_report.valid
    again = validate(out, review=False)
    assert _findings(outcome.result_report) == _findings(again) and len(again.errors) == 2


def test_a_file_that_does_not_read_back_as_planned_is_refused(tmp_path):
    book = read_book(SAMPLE)
    written = tmp_path / "written.xlsx"
    write_book(book, written)
    assert check_written(written, book, tmp_path / "out.xlsx").report.valid
    planned = copy.deepcopy(book)
    planned.projects[3].budget += Decimal("0.01")
    with pytest.raises(OutputError, match=r"out\.xlsx：.*工作表“项目”第 5 行"):
        check_written(written, planned, tmp_path / "out.xlsx")
    fewer = copy.deepcopy(book)
    fewer.indicators.pop()
    with pytest.raises(OutputError, match="工作表“指标”"):
        check_written(written, fewer, tmp_path / "out.xlsx")


def test_extra_columns_are_compared_too(tmp_path):
    book = read_book(SAMPLE)
    book.projects[0].extra = {"备注": "保留", "页码": 3}
    written = tmp_path / "written.xlsx"
    write_book(book, written)
    assert check_written(written, book).book == book
    changed = copy.deepcopy(book)
    changed.projects[0].extra = {"备注": "保留", "页码": 4}
    with pytest.raises(OutputError, match="第 2 行"):
        check_written(written, changed)


def test_a_refused_check_leaves_no_output(tmp_path, monkeypatch):
    import workbook_engine.merge.verify as verify

    out = tmp_path / "out.xlsx"

    def differs(path: Path, planned, shown_as=None):
        raise OutputError(f"{shown_as}：合并结果读回后与合并内容不一致")

    monkeypatch.setattr(verify, "check_written", differs)
    with pytest.raises(OutputError):
        merge([SAMPLE], out)
    assert not out.exists() and list(tmp_path.iterdir()) == []


# Reading the inputs in worker processes (validation.check_many on io/parallel.py) must not change anything but
# the time taken.

@pytest.fixture(scope="module")
def four_inputs(tmp_path_factory):
    """Two departments, an edited copy of the first (conflicts) and one with a validation error."""
    from .workbooks import department, save

    folder = tmp_path_factory.mktemp("inputs")
    b = save(department("450002", "乐亭县民政局", "MZ"), folder / "民政局.xlsx")
    c = edited(SAMPLE, folder / "改.xlsx", set_cells({"项目": {"F2": 220, "G2": 220}}))
    d = save(department("450003", "乐亭县财政局", "CZ"), folder / "财政局.xlsx")
    d = edited(d, folder / "财政局-坏.xlsx", set_cells({"项目": {"F3": 41}}))
    return [SAMPLE, b, c, d]


def _merge_with(processes: str, inputs, out, monkeypatch, **options):
    monkeypatch.setenv("WBE_WORKERS", processes)
    calls = []
    outcome = merge(inputs, out, progress=lambda *args: calls.append(args), overwrite=True, **options)
    return outcome, calls


@pytest.mark.fresh_process
def test_reading_in_workers_changes_nothing(four_inputs, tmp_path, monkeypatch):
    monkeypatch.delenv("WBE_WORKERS", raising=False)
    assert parallel.process_count(3) == 1  # few inputs: in-process unless asked
    monkeypatch.setenv("WBE_WORKERS", "2")
    assert parallel.process_count(3) == 2
    results = {}
    for processes in ("1", "2"):
        for force in (False, True):
            out = tmp_path / f"out-{processes}-{force}.xlsx"
            outcome, calls = _merge_with(processes, four_inputs, out, monkeypatch, force=force, prefer="last")
            calls = [(done, total, str(item).replace(str(out), "OUT")) for done, total, item in calls]
            results[processes, force] = (outcome.to_json().replace(str(out), "OUT"), calls, outcome.written,
                                         outcome.plan.book if outcome.plan else None)
    for force in (False, True):
        assert results["1", force] == results["2", force]
    assert not results["1", False][2] and "WBE-E030" in results["1", False][0]
    assert results["1", True][2] and results["1", True][3] is not None
    assert [c[0] for c in results["2", True][1][:4]] == [1, 2, 3, 4]


@pytest.mark.fresh_process
def test_an_unreadable_input_read_by_a_worker_gives_the_same_error(four_inputs, tmp_path, monkeypatch):
    from workbook_engine.errors import InputError

    bad = tmp_path / "坏掉的.xlsx"
    bad.write_text("不是工作簿", encoding="utf-8")
    worse = tmp_path / "也坏.xlsx"
    worse.write_bytes(b"")
    inputs = [*four_inputs, bad, worse]
    messages = []
    for processes in ("1", "2"):
        monkeypatch.setenv("WBE_WORKERS", processes)
        with pytest.raises(InputError) as raised:
            merge(inputs, tmp_path / "out.xlsx")
        messages.append((type(raised.value), str(raised.value)))
    assert messages[0] == messages[1] and str(bad) in messages[0][1]
    assert not (tmp_path / "out.xlsx").exists()


_PARENT = os.getpid()
_READ = engine._read_and_parse


def _worker_fails(path):
    if os.getpid() == _PARENT:  # this process reads as always
        return _READ(path)
    raise ValueError("cannot send this back")  # e.g. a result that does not pickle


def _worker_dies(path):
    if os.getpid() == _PARENT:
        return _READ(path)
    os._exit(1)  # as a worker killed by the kernel (out of memory) would


@pytest.mark.fresh_process
def test_without_workers_or_when_one_dies_the_inputs_are_read_here(four_inputs, tmp_path, monkeypatch):
    expected, _ = _merge_with("1", four_inputs, tmp_path / "a.xlsx", monkeypatch, force=True, prefer="first")

    def no_processes(*args, **kwargs):
        raise OSError("no processes")

    for module, name, replacement in ((parallel, "ProcessPoolExecutor", no_processes),
                                      (engine, "_read_and_parse", _worker_dies),
                                      (engine, "_read_and_parse", _worker_fails)):
        with monkeypatch.context() as patch:
            patch.setattr(module, name, replacement)
            outcome, calls = _merge_with("2", four_inputs, tmp_path / f"{replacement.__name__}.xlsx", monkeypatch,
                                         force=True, prefer="first")
        assert outcome.plan.book == expected.plan.book and outcome.written
        assert [c[0] for c in calls[:4]] == [1, 2, 3, 4]


@pytest.mark.parametrize("signum, group", [(signal.SIGINT, True), (signal.SIGTERM, False)])
def test_interrupting_a_merge_read_by_workers_stops_them_and_cleans_up(signum, group, tmp_path):
    """Ctrl-C reaches the whole process group (workers included); `kill` only the command."""
    import shutil
    import subprocess
    import sys
    import time

    from .conftest import ROOT

    inputs = []
    for number in range(16):
        inputs.append(tmp_path / f"副本{number}.xlsx")
        shutil.copyfile(SAMPLE, inputs[-1])
    out = tmp_path / "out.xlsx"
    process = subprocess.Popen([sys.executable, "-m", "workbook_engine", "merge", *map(str, inputs), "-o", str(out)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "WBE_WORKERS": "3"}, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (workers := _children(process.pid)) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert workers, "the workers did not start"
    (os.killpg if group else os.kill)(process.pid, signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 128 + signum, stderr
    assert stderr.strip().splitlines() == ["已中断；输出文件未被改动，临时文件已删除。"]
    time.sleep(0.3)
    assert [pid for pid in workers if _alive(pid)] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in inputs)


def _children(pid: int) -> list[int]:
    import subprocess

    ps = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in ps.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.fresh_process
def test_workers_only_from_the_main_thread_of_a_command(monkeypatch):
    """A web server's task thread, or its job processes, read in-process (forking there is unsafe, and
    they are the parallelism already)."""
    import multiprocessing
    import threading

    monkeypatch.setenv("WBE_WORKERS", "2")
    assert parallel.process_count(100) == 2
    found = []
    thread = threading.Thread(target=lambda: found.append(parallel.process_count(100)))
    thread.start()
    thread.join()
    assert found == [1]
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: object())
    assert parallel.process_count(100) == 1
    monkeypatch.setenv("WBE_WORKERS", "1")
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: None)
    assert parallel.process_count(100) == 1
