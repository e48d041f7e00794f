"""Warm workers (issue 25): with on_ready (`wbe serve`), the pool's workers start and import the library
before the first request, and the app says when it is ready."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from starlette.testclient import TestClient

from workbook_engine.web import create_app
from workbook_engine.web.worker_pool import PRELOAD, JobRunner


def _imported() -> bool:
    return all(name in sys.modules for name in PRELOAD)


def test_on_ready_comes_after_every_worker_is_warm(tmp_path: Path) -> None:
    seen: list[tuple[int, float]] = []
    app = create_app(work_dir=tmp_path, executor="process", workers=2,
                     on_ready=lambda workers: seen.append((workers, time.monotonic())))
    with TestClient(app) as client:
        assert seen and seen[0][0] == 2, "ready before the workers were warm"
        started = time.monotonic()
        assert client.get("/healthz").status_code == 200
        assert time.monotonic() - started < 1.0
        assert app.state.runner.pool.submit(_imported).result(timeout=30) is True


def test_warm_starts_each_worker() -> None:
    runner = JobRunner(2, "thread")
    try:
        assert runner.warm() == 2
    finally:
        runner.shutdown()
