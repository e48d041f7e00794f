"""A worker that dies, or a job past its time limit, answers at once with one Chinese line, and the worker
is replaced or free again (issue 26)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from workbook_engine.web.worker_pool import INTERRUPTED, JobRunner, timed_out_message


def _die() -> dict[str, Any]:
    os.abort()


def _ok() -> dict[str, Any]:
    return {"ok": True}


def test_a_dying_worker_answers_at_once_and_is_replaced(tmp_path: Path) -> None:
    runner = JobRunner(1, "process")
    try:
        runner.warm()
        started = time.monotonic()
        job = runner.submit("s", "处理", tmp_path, "/", _die)
        while job.result() is None and time.monotonic() - started < 30:
            time.sleep(0.05)
        assert time.monotonic() - started < 5
        assert job.result() == {"ok": False, "message": INTERRUPTED}
        assert "\n" not in INTERRUPTED and "工作进程意外退出" in INTERRUPTED
        again = runner.submit("s", "处理", tmp_path, "/", _ok)
        assert again.future.result(timeout=30) == {"ok": True}
    finally:
        runner.shutdown()


def _spin(seconds: float) -> dict[str, Any]:
    """A task that keeps computing in Python (the alarm stops it)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(range(1000))
    return {"ok": True, "pid": os.getpid()}


def _stuck(seconds: float) -> dict[str, Any]:
    """A task the alarm cannot reach (as code that never returns to Python): SIGALRM blocked."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(seconds)
    return {"ok": True}


def _pid() -> dict[str, Any]:
    return {"ok": True, "pid": os.getpid()}


def _wait(job, limit: float) -> float:
    started = time.monotonic()
    while job.result() is None and time.monotonic() - started < limit:
        time.sleep(0.05)
    return time.monotonic() - started


def test_a_job_past_its_limit_is_stopped_with_one_line_and_the_worker_serves_the_next(tmp_path: Path) -> None:
    runner = JobRunner(1, "process", timeout=1.5)
    try:
        worker = runner.submit("s", "处理", tmp_path, "/", _pid).future.result(timeout=30)["pid"]
        job = runner.submit("s", "处理", tmp_path, "/", _spin, 60.0)
        assert _wait(job, 30) < 10
        result = job.result()
        assert result is not None and result["ok"] is False and result["message"] == timed_out_message(1.5)
        assert "\n" not in result["message"] and "超过 1.5 秒" in result["message"]
        assert job.status()["state"] == "failed"
        again = runner.submit("s", "处理", tmp_path, "/", _spin, 0.1).future.result(timeout=30)
        assert again["ok"] is True and again["pid"] == worker  # the same worker, free again
    finally:
        runner.shutdown()


def test_a_job_the_alarm_cannot_reach_has_its_worker_killed_and_replaced(tmp_path: Path) -> None:
    runner = JobRunner(1, "process", timeout=1, grace=1)
    try:
        runner.warm()
        job = runner.submit("s", "处理", tmp_path, "/", _stuck, 60.0)
        assert _wait(job, 30) < 10
        assert job.result() == {"ok": False, "message": timed_out_message(1), "timed_out": True}
        again = runner.submit("s", "处理", tmp_path, "/", _ok)
        assert again.future.result(timeout=30) == {"ok": True}
    finally:
        runner.shutdown()


def _niceness() -> dict[str, Any]:
    return {"ok": True, "nice": os.nice(0)}


def test_workers_run_behind_the_servers_requests(tmp_path: Path) -> None:
    """Checks are batch work: the workers' scheduling priority is below the server's (issue 25), so that a
    login or a database change is not held up behind a check competing for the same core."""
    from workbook_engine.web.worker_pool import WORKER_NICENESS

    runner = JobRunner(1, "process")
    try:
        found = runner.submit("s", "处理", tmp_path, "/", _niceness).future.result(timeout=60)
        assert found["nice"] == min(19, os.nice(0) + WORKER_NICENESS)
        assert os.nice(0) < found["nice"] or os.nice(0) == 19
    finally:
        runner.shutdown()


def _readers() -> dict[str, Any]:
    from workbook_engine.io import reader_zygote

    zygote = reader_zygote.current()
    if zygote is None:
        return {"ok": True, "zygote": None}
    stat = Path(f"/proc/{zygote.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return {"ok": True, "zygote": zygote.process.pid, "its_parent": int(stat[1]), "worker": os.getpid(),
            "nice": int(stat[16])}


def test_workers_fork_their_readers_from_a_zygote_of_their_own(tmp_path: Path) -> None:
    """Each worker starts a lean reader zygote (io/reader_zygote.py; issue 25: a third of an upload's check),
    behind the server's requests as the worker is; a worker that replaces a dead one has its own."""
    runner = JobRunner(1, "process")
    try:
        found = runner.submit("s", "处理", tmp_path, "/", _readers).future.result(timeout=60)
        assert found["zygote"] is not None and found["its_parent"] == found["worker"]
        assert found["nice"] == runner.submit("s", "处理", tmp_path, "/", _niceness).future.result(timeout=60)["nice"]
        job = runner.submit("s", "处理", tmp_path, "/", _die)
        assert _wait(job, 30) < 10
        again = runner.submit("s", "处理", tmp_path, "/", _readers).future.result(timeout=60)
        assert again["zygote"] is not None and again["worker"] != found["worker"]
        assert again["its_parent"] == again["worker"]
    finally:
        runner.shutdown()


def _loaded() -> dict[str, Any]:
    import sys

    return {"ok": True, "loaded": sorted(m for m in sys.modules if m.startswith("workbook_engine"))}


def test_warm_workers_have_checked_a_workbook_before_the_first_job(tmp_path: Path) -> None:
    """`wbe serve` warms its workers (runner.warm) with a check of a starter workbook as the page and the box
    make it (issue 25: the first upload as fast as the hundredth): what a check imports on first use is
    there before the first job, and is not in a worker that was not warmed."""
    lazily = {"workbook_engine.collect.config", "workbook_engine.layout", "workbook_engine.review.grading"}
    cold = JobRunner(1, "process")
    try:
        found = set(cold.submit("s", "处理", tmp_path, "/", _loaded).future.result(timeout=60)["loaded"])
        assert not lazily <= found
    finally:
        cold.shutdown()
    warm = JobRunner(1, "process")
    try:
        assert warm.warm() == 1
        found = set(warm.submit("s", "处理", tmp_path, "/", _loaded).future.result(timeout=60)["loaded"])
        assert lazily <= found
    finally:
        warm.shutdown()
