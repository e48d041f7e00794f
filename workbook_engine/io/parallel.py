"""Reading independent input files in worker processes, the results in input order.

Why: extract reads up to a hundred official workbooks, each guarded, read by calamine and placed cell by
cell in Python, none depending on another; two CPUs read them in about half the time (docs/decisions.md
15.X.2). What callers can rely on, whether the work ran in workers or here:
- the results are ``[function(item) for item in items]``, in that order;
- an error is the one the first failing item (in input order) raises, with the same message;
- Ctrl-C, SIGTERM and SIGHUP reach the parent as always (io/interrupts.py): the workers ignore SIGINT (the
  terminal sends it to the whole process group; only the parent reports 已中断), unread items are
  cancelled and the parent waits for the workers to finish the item in hand (a fraction of a second);
- nothing is written by the workers; outputs stay the parent's, written atomically as before.

Workers are forked (they inherit the imported modules, the templates found and the settings in force:
nothing is imported again), and only from a process with one thread, since forking a threaded process
can copy a lock some other thread holds. Anything else, fewer than MIN_ITEMS items, one CPU,
``WBE_WORKERS=1``, a platform without fork, or a pool that cannot start or breaks (a worker killed, out
of memory), reads here, in this process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, TypeVar

from .interrupts import TERMINATING

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 2  # peak memory: every worker is a copy of this process (docs/decisions.md 15.X.2)
MIN_ITEMS = 4  # starting workers costs about 20 ms; a few files are read faster here
WORKERS_ENV = "WBE_WORKERS"  # 1 reads everything in this process; 2 or more asks for that many workers


def worker_count(items: int, workers: int | None = None) -> int:
    """How many worker processes to use for ``items`` inputs (1: none, read here)."""
    if workers is None:
        setting = os.environ.get(WORKERS_ENV, "").strip()
        if setting.isdigit():
            workers = int(setting)
        else:
            if items < MIN_ITEMS:
                return 1
            try:
                cpus = len(os.sched_getaffinity(0))
            except (AttributeError, OSError):
                cpus = os.cpu_count() or 1
            workers = min(cpus, MAX_WORKERS)
    return max(1, min(workers, items))


def _can_fork() -> bool:
    return ("fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
            and threading.current_thread() is threading.main_thread())


def read_in_order(function: Callable[[T], R], items: Iterable[T], workers: int | None = None) -> list[R]:
    """``[function(item) for item in items]``, in worker processes when that is faster (module docstring).

    ``function`` must be a module-level function and its results and errors picklable.
    """
    items = list(items)
    count = worker_count(len(items), workers)
    if count <= 1 or not _can_fork():
        return [function(item) for item in items]
    results: list[R] = []
    blocked = set(TERMINATING) | {signal.SIGINT}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)  # forked with these held: see _worker_start
    try:
        pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_worker_start, initargs=(previous,))
        futures: list[Future[R]] = [pool.submit(function, item) for item in items]  # forks the workers
    except (OSError, RuntimeError, BrokenProcessPool):  # no processes here (limits, sandbox): read here
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return [function(item) for item in items]
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a Ctrl-C held meanwhile is raised now
        for future in futures:
            results.append(future.result())
    except BrokenProcessPool:  # a worker died (killed, out of memory): what it had not returned is read here
        pool.shutdown(wait=True, cancel_futures=True)
        results.extend(function(item) for item in items[len(results):])
        return results
    except BaseException:  # an input's error, or an interrupt: stop the rest, then raise it as it came
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results


def _worker_start(mask: Iterable[int]) -> None:
    """In a new worker: SIGINT ignored (the parent handles the terminal's Ctrl-C), SIGTERM and SIGHUP end
    it at once (the parent's handlers would raise Interrupted here), then the parent's signal mask back.

    The objects inherited from the parent are frozen out of the garbage collector: a worker makes a
    book's worth of small objects per file, and every full collection would walk the whole copied heap
    again (and touch its pages, copying them).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in TERMINATING:
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    gc.freeze()
