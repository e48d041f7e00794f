"""Jobs: CPU-heavy tasks run in a pool of worker processes, so that one user's merge of a hundred files
or PDF publishing never blocks another user's page. A job belongs to the session that started it; its
progress is a JSON file the task writes (tasks.ProgressFile) and the page polls. A worker that dies takes
its job down with a clear message, and a job that runs past its limit is stopped with one (issue 26);
tasks write outputs atomically, so no half file is left behind.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .tasks import read_progress
from .workspace import new_id, valid_id

log = logging.getLogger("workbook_engine.web")
PRELOAD = ["workbook_engine.web.tasks", "workbook_engine.api", "workbook_engine.validation.engine",
           "workbook_engine.review"]
INTERRUPTED = "处理被中断（工作进程意外退出），没有生成任何文件。请重试；如问题持续，请联系管理员。"
JOB_TIMEOUT = 300.0  # seconds a job may run (wbe serve --job-timeout); a county merge takes well under a minute
GRACE = 15.0  # past the limit, a worker that did not stop by itself is killed (code that never yields)


def timed_out_message(seconds: float) -> str:
    return (f"处理超过 {seconds:g} 秒仍未完成，已停止，没有生成任何文件。文件可能过大或结构异常："
            "请检查文件或把它拆小后重试；如问题持续，请联系管理员。")


class JobTimedOut(BaseException):
    """Raised in a worker by its alarm; a BaseException, so that no ``except Exception`` of a task keeps
    it running."""


def _alarm(signum: int, frame: Any) -> None:
    raise JobTimedOut


def run_with_limit(seconds: float, fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run a job in a worker under a wall-clock limit (SIGALRM in the worker's main thread): past it the
    job unwinds, its atomic outputs are never placed, and the worker is free for the next job."""
    if threading.current_thread() is not threading.main_thread() or not seconds:
        return fn(*args)  # thread workers (tests) cannot take signals
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    except JobTimedOut:
        log.warning("job %s stopped after %g s", getattr(fn, "__name__", fn), seconds)
        return {"ok": False, "message": timed_out_message(seconds), "timed_out": True}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


WORKER_NICENESS = 10  # below the server's requests: CFS gives a nice-0 thread about ten times the share


def _start_worker() -> None:
    """A worker process's start. Checks are batch work, so they run at a lower scheduling priority than the
    server's own process: a login, a page or a database change is served at once and the checks take every
    cycle it leaves (with both at one priority, a transaction waited for a core and held the write lock
    for 20-30 ms instead of 2). And the worker's contained readers are forked from a lean helper process
    (api.fork_readers_from_zygote), started after the nice so that it and its readers run behind too."""
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # not permitted here: the same priority as the server
        pass
    from .. import api

    api.fork_readers_from_zygote()


def _warm_up() -> bool:
    """A worker's first task: import what the jobs use (a no-op where the forkserver preloaded it), then check
    a starter workbook as the page and the box do, so that what the first check builds on first use (the
    modules each step imports when it is needed, the grammar, the compiled rules and schemas) is built
    before the first upload: measured, a worker's first check took 0.30 s and its next ones 0.05 s."""
    import importlib
    import tempfile

    for name in PRELOAD:
        importlib.import_module(name)
    from .. import api

    try:
        with tempfile.TemporaryDirectory(prefix="wbe-warm-") as folder:
            starter = Path(folder) / "starter.xlsx"
            api.new_workbook(starter, dept_code="450001", dept_name="预热", year=2025)
            api.page_analysis(starter)
            api.box_analysis(starter, None)
    except Exception:  # noqa: BLE001 - warming is an optimisation: a worker that cannot warm still serves
        log.exception("worker warm-up check failed")
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
    pool: cf.Executor | None = None  # the pool it runs in (killed if the job overruns its limit)
    limit: float = 0.0  # seconds it may run; 0 without a limit
    overran: bool = False

    def result(self) -> dict[str, Any] | None:
        """The task's result when finished (a failed task's result has ok False and a message)."""
        if not self.future.done():
            return None
        try:
            return self.future.result()
        except BrokenProcessPool:
            if self.overran:
                return {"ok": False, "message": timed_out_message(self.limit), "timed_out": True}
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

    def __init__(self, workers: int | None = None, kind: str = "process", timeout: float = JOB_TIMEOUT,
                 grace: float = GRACE):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.kind = kind
        self.timeout = timeout
        self.grace = grace
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.pool = self._new_pool()

    def _new_pool(self) -> cf.Executor:
        if self.kind == "thread":
            return cf.ThreadPoolExecutor(self.workers, thread_name_prefix="wbe-job")
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return cf.ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker)

    def warm(self) -> int:
        """Start every worker and import the library in it before the first job (issue 25): the first
        upload does not pay for the imports. Returns the number of workers ready."""
        futures = [self.pool.submit(_warm_up) for _ in range(self.workers)]
        return sum(1 for f in futures if f.result())

    def submit(self, sid: str, title: str, folder: Path, next_url: str, fn: Callable[..., dict[str, Any]],
               *args: Any, on_done: Callable[[dict[str, Any]], None] | None = None) -> Job:
        limit = self.timeout if self.kind == "process" else 0
        with self.lock:
            try:
                future = self.pool.submit(run_with_limit, limit, fn, *args)
            except BrokenProcessPool:
                self.pool = self._new_pool()  # a worker died earlier: start afresh
                future = self.pool.submit(run_with_limit, limit, fn, *args)
            job = Job(new_id(), sid, title, folder, next_url, future, on_done=on_done, pool=self.pool, limit=limit)
            self.jobs[job.id] = job
        if limit:
            self._watch(job, limit + self.grace)
        if on_done is not None:
            future.add_done_callback(lambda _f: self._finish(job))
        return job

    def _watch(self, job: Job, seconds: float) -> None:
        """The backstop of the alarm: a job still running ``seconds`` after it started (stuck in code that
        never returns to Python) has its pool's workers killed; the pool is replaced and every job that
        was in it answers at once."""
        def check() -> None:
            if job.future.done():
                return
            log.error("job %s still running after %g s: killing its pool's workers", job.id, seconds)
            job.overran = True
            with self.lock:
                if self.pool is job.pool:
                    self.pool = self._new_pool()
            for process in list(getattr(job.pool, "_processes", {}).values()):  # no public way to kill one
                process.kill()

        timer = threading.Timer(seconds, check)
        timer.daemon = True
        timer.start()
        job.future.add_done_callback(lambda _f: timer.cancel())

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
