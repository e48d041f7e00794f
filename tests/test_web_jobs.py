"""A worker that dies answers at once with one Chinese line and is replaced (issue 26)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from workbook_engine.web.jobs import INTERRUPTED, JobRunner


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
