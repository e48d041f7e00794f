"""Independent jobs (one input read, or one output written, each) shared with forked worker processes.

Why: extract reads up to a hundred official workbooks, merge a hundred department workbooks, render writes a
hundred departments' workbooks; each job is CPU-bound Python that needs nothing from the others, so two CPUs
do them in about half the time (docs/decisions.md 15.8). What callers can rely on, whether the jobs ran in
workers or here:
- the results are ``[function(item) for item in items]``, in that order, and ``on_result(index, result)``
  is called here for each of them in that order;
- an error is the one the first failing item (in input order) raises, with the same message: a job's own
  error (WorkbookEngineError) travels back as it is; anything else, and a result that cannot travel back,
  is produced again by running that item here;
- Ctrl-C reaches the whole terminal's process group: workers ignore it, and the parent cancels the items
  not started and waits for the ones in hand (a file each) before the interrupt goes on; SIGTERM and SIGHUP
  sent to a worker make it unwind like the main process (io/interrupts.py: ``atomic_path`` removes its
  temporary file);
- a worker that dies (killed, out of memory), or a pool that cannot start, costs only time: the items not
  returned are run here.

This process takes a share of the items itself (``share_here`` of an even share: receiving the workers'
results costs it time too); the rest are fed to ``processes - 1`` workers. The function and the items are
inherited by the forked workers, never pickled; only an item's index goes out and its result comes back.
Jobs run here alone for fewer than MIN_ITEMS items, with one usable CPU, off the main thread or with other
threads running (forking a threaded process can copy a lock another thread holds: a server's request
threads), inside a pool's worker process (the web server's jobs are spread over the CPUs already), on a
platform without fork, and when WBE_WORKERS=1. WBE_WORKERS=N asks for N processes in all.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from ..errors import WorkbookEngineError
from . import interrupts

T = TypeVar("T")
R = TypeVar("R")

WORKERS_ENV = "WBE_WORKERS"  # 1: everything in this process; N: N processes in all, this one included
MAX_PROCESSES = 4  # every worker is a copy of this process: four keep a county job under 400 MB
MIN_ITEMS = 4  # starting workers costs about 20 ms; a few items are done faster here

# The function and items of the pool being started: forked workers inherit them (nothing is pickled).
_JOB: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def process_count(items: int, workers: int | None = None) -> int:
    """How many processes, this one included, should share ``items`` jobs (1: this one alone)."""
    if workers is None:
        setting = os.environ.get(WORKERS_ENV, "").strip()
        if setting.isdigit() and int(setting) >= 1:
            workers = int(setting)
        elif items < MIN_ITEMS:
            return 1
        else:
            workers = min(cpus(), MAX_PROCESSES)
    if workers > 1 and not _can_fork():
        return 1
    return max(1, min(workers, items))


def cpus() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _can_fork() -> bool:
    return ("fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
            and threading.current_thread() is threading.main_thread()
            and multiprocessing.parent_process() is None)  # a pool's worker (the web server's jobs) has none


def map_in_order(function: Callable[[T], R], items: Sequence[T], *,
                 on_result: Callable[[int, R], None] | None = None, workers: int | None = None,
                 share_here: float = 1.0) -> list[R]:
    """``[function(item) for item in items]``, shared with worker processes when that is faster (see the
    module docstring); ``on_result(index, result)`` is called here, in order, as results come in."""
    items = list(items)
    results: list[R] = []

    def done(result: R) -> None:
        results.append(result)
        if on_result is not None:
            on_result(len(results) - 1, result)

    processes = process_count(len(items), workers)
    if processes <= 1:
        for item in items:
            done(function(item))
        return results
    own = min(len(items) - 1, max(0, round(len(items) * share_here / processes)))
    executor, futures = _start(function, items, own, processes - 1)
    finished = False
    try:
        for item in items[:own]:
            done(function(item))
        for index, future in zip(range(own, len(items)), futures):
            try:
                result = future.result()
            except BrokenProcessPool:  # a worker died: what is not back yet is run here
                break
            except WorkbookEngineError:  # the item's own error, with its message
                raise
            except Exception:  # noqa: BLE001 - anything else (or a result that cannot travel): run it here,
                result = function(items[index])  # where the same problem raises as it would in one process
            done(result)
        for item in items[len(results):]:
            done(function(item))
        finished = True
    finally:
        _stop(executor, finished)
    return results


def _start(function: Callable[[Any], Any], items: Sequence[Any], first: int,
           workers: int) -> tuple[ProcessPoolExecutor | None, list[Future]]:
    """The pool, fed items[first:] by index; (None, []) when no process can be had (limits, a sandbox)."""
    global _JOB
    blocked = {signal.SIGINT, *interrupts.TERMINATING}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)  # no signal between fork and _worker_start
    _JOB = (function, items)
    try:
        executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_worker_start, initargs=(previous,))
        futures = [executor.submit(_run, index) for index in range(first, len(items))]  # forks the workers
    except (OSError, RuntimeError, BrokenProcessPool):
        return None, []
    finally:
        _JOB = None
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a signal held meanwhile is raised now
    return executor, futures


def _stop(executor: ProcessPoolExecutor | None, finished: bool) -> None:
    """The pool ends with this call, its thread included (a later pool may only fork with no other thread
    running). After an error or an interrupt the items not started are cancelled and the workers finish the
    one in hand (a file: a fraction of a second); a worker sent SIGTERM itself unwinds at once."""
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=not finished)


def _worker_start(mask: set[int]) -> None:
    """In a new worker: Ctrl-C ignored (the parent handles the terminal's), SIGTERM and SIGHUP unwind a job
    in hand (its ``atomic_path`` removes the temporary file) or end an idle worker quietly; the parent's
    signal mask back; the inherited objects frozen out of the garbage collector, so that collections
    neither walk nor copy the pages shared with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in interrupts.TERMINATING:
        signal.signal(signum, _worker_signal)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    gc.freeze()


_BUSY = False  # a worker is running a job


def _worker_signal(signum: int, frame: object) -> None:
    if not _BUSY:
        os._exit(0)  # nothing to clean up: no traceback from the pool's queue
    for other in interrupts.TERMINATING:
        signal.signal(other, _ignore)  # a second one while cleaning up changes nothing
    raise interrupts.Interrupted(signum)


def _ignore(signum: int, frame: object) -> None:
    return None


def _run(index: int) -> Any:
    """A worker's job: the inherited function on the inherited item."""
    global _BUSY
    assert _JOB is not None
    function, items = _JOB
    _BUSY = True
    try:
        return function(items[index])
    finally:
        _BUSY = False
