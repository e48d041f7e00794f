"""Jobs: CPU-heavy tasks run in a pool of worker processes, so that one user's merge of a hundred files
or PDF publishing never blocks another user's page. A job belongs to the session that started it; its
progress is a JSON file the task writes (tasks.Progress) and the page polls. A worker that dies takes
its job down with a clear message; tasks write outputs atomically, so no half file is left behind.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .storage import new_id, valid_id
from .tasks import read_progress

log = logging.getLogger("workbook_engine.web")
PRELOAD = ["workbook_engine.web.tasks", "workbook_engine.api", "workbook_engine.validation.engine",
           "workbook_engine.review"]
INTERRUPTED = "处理被中断（工作进程意外退出），没有生成任何文件。请重试；如问题持续，请联系管理员。"


def _warm_up() -> bool:
    """A worker's first task: import what the jobs use (a no-op where the forkserver preloaded it)."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    time.sleep(0.05)  # hold the worker a moment, so that each warm-up task starts its own worker
    return True


@dataclass
class Job:
    id: str
    sid: str
    title: str
    folder: Path
    next_url: str
    future: cf.Future
    started: float = field(default_factory=time.time)
    on_done: Callable[[dict[str, Any]], None] | None = None

    def result(self) -> dict[str, Any] | None:
        """The task's result when finished (a failed task's result has ok False and a message)."""
        if not self.future.done():
            return None
        try:
            return self.future.result()
        except BrokenProcessPool:
            return {"ok": False, "message": INTERRUPTED}
        except cf.CancelledError:
            return {"ok": False, "message": "处理已取消（服务器正在关闭），没有生成任何文件。"}
        except Exception as exc:  # noqa: BLE001 - a task that could not even start
            log.error("job %s failed: %r", self.id, exc)
            return {"ok": False, "message": "处理失败，没有生成任何文件。请重试。"}

    def status(self) -> dict[str, Any]:
        result = self.result()
        progress = read_progress(self.folder)
        if result is None:
            return {"state": "running", "title": self.title, **progress}
        if result.get("ok"):
            return {"state": "done", "title": self.title, "next": self.next_url, **progress}
        return {"state": "failed", "title": self.title, "message": result.get("message", ""), "next": self.next_url}


class JobRunner:
    """A pool of ``workers`` processes (threads with ``kind='thread'``, for fast in-process tests)."""

    def __init__(self, workers: int | None = None, kind: str = "process"):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.kind = kind
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.pool = self._new_pool()

    def _new_pool(self) -> cf.Executor:
        if self.kind == "thread":
            return cf.ThreadPoolExecutor(self.workers, thread_name_prefix="wbe-job")
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return cf.ProcessPoolExecutor(self.workers, mp_context=context)

    def warm(self) -> int:
        """Start every worker and import the library in it before the first job (issue 25): the first
        upload does not pay for the imports. Returns the number of workers ready."""
        futures = [self.pool.submit(_warm_up) for _ in range(self.workers)]
        return sum(1 for f in futures if f.result())

    def submit(self, sid: str, title: str, folder: Path, next_url: str, fn: Callable[..., dict[str, Any]],
               *args: Any, on_done: Callable[[dict[str, Any]], None] | None = None) -> Job:
        with self.lock:
            try:
                future = self.pool.submit(fn, *args)
            except BrokenProcessPool:
                self.pool = self._new_pool()  # a worker died earlier: start afresh
                future = self.pool.submit(fn, *args)
            job = Job(new_id(), sid, title, folder, next_url, future, on_done=on_done)
            self.jobs[job.id] = job
        if on_done is not None:
            future.add_done_callback(lambda _f: self._finish(job))
        return job

    def _finish(self, job: Job) -> None:
        try:
            result = job.result() or {}
            if job.on_done is not None:
                job.on_done(result)
        except Exception:
            log.exception("job callback failed")

    def get(self, sid: str, job_id: str) -> Job | None:
        """The session's own job, or None (another session's job id is simply not found)."""
        if not valid_id(job_id):
            return None
        job = self.jobs.get(job_id)
        return job if job is not None and job.sid == sid else None

    async def wait(self, job: Job, seconds: float) -> dict[str, Any] | None:
        """The result if the job finishes within ``seconds`` (the page then skips the progress page)."""
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(job.future)), seconds)
        except (asyncio.TimeoutError, Exception):  # noqa: BLE001, S110 - the status page reports failures
            pass
        return job.result()

    def forget(self, older_than: float) -> None:
        cutoff = time.time() - older_than
        with self.lock:
            for key in [k for k, j in self.jobs.items() if j.future.done() and j.started < cutoff]:
                del self.jobs[key]

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
