"""Independent jobs (one output file each) in forked worker processes, or here when that cannot help.

Rendering 100 departments is 100 independent workbooks, all CPU-bound Python: two processes write them in
about half the time on two cores. Workers are forked, so they share the caller's data (the validated book)
without copying or pickling it; each job's result and its progress steps come back over a pipe.

Behaviour is that of running the jobs one after the other here:
- results come back in job order, and ``on_step(index)`` is called here for every step a job reports;
- the first job that fails stops the others and its exception is raised here (a job whose error cannot
  be pickled back is run again here, so that its own error is raised);
- Ctrl-C, SIGTERM and SIGHUP stop every worker the way they stop this process (``io/interrupts``: the
  worker unwinds, so its ``atomic_path`` removes its temporary file) before the interrupt is raised here;
- a worker that dies without a word (killed, out of memory) costs nothing but time: its job and the ones
  not started are run here; a pool that cannot start (no ``fork`` on this system, no processes left) runs
  everything here.

Jobs run here rather than in workers when there is one job, one usable CPU, the caller is not the main
thread (a server's request thread: forking a threaded process is only safe from the main thread) or is
itself a pool's worker process (the web server's jobs, which are spread over the CPUs already), or the
environment variable WBE_WORKERS is 1. WBE_WORKERS=N sets the number of workers (at most MAX_WORKERS).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import threading
from collections import deque
from typing import Any, Callable, Iterable, Sequence, TypeVar

from .io import interrupts

WORKERS_ENV = "WBE_WORKERS"
MAX_WORKERS = 4  # each worker holds one workbook being written; four keep the whole under 400 MB
STOP_WAIT_SECONDS = 10.0

T = TypeVar("T")
Step = Callable[[], None]
Job = Callable[..., T]

_STEP, _DONE, _FAILED = "step", "done", "failed"


def worker_count(jobs: int, workers: int | None = None) -> int:
    """How many worker processes ``jobs`` jobs get: 0 means run them here."""
    if workers is None:
        try:
            workers = int(os.environ.get(WORKERS_ENV, "") or 0) or None
        except ValueError:
            workers = None
    if workers is None:
        try:
            workers = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            workers = os.cpu_count() or 1
    workers = min(workers, MAX_WORKERS, jobs)
    if workers < 2 or threading.current_thread() is not threading.main_thread():
        return 0
    import multiprocessing

    if multiprocessing.parent_process() is not None:  # a pool's worker already (the web server's jobs)
        return 0
    return workers


def map_in_workers(function: Job, jobs: Sequence[tuple], *, on_step: Callable[[int], None] | None = None,
                   workers: int | None = None, sizes: Sequence[float] | None = None) -> list[T]:
    """``[function(*job, step) for job in jobs]``, the jobs spread over forked workers.

    ``step`` is a function without arguments the job calls at each unit of progress (a sheet written);
    ``on_step(index)`` is then called here with the job's index. Results must be picklable. With ``sizes``
    (e.g. a department's projects), workers take the largest jobs first, so that no large job is left to
    run alone at the end while the other workers have nothing to do.
    """
    count = worker_count(len(jobs), workers)
    results: list[Any] = [_PENDING] * len(jobs)
    if count:
        order = range(len(jobs)) if sizes is None else sorted(range(len(jobs)), key=lambda i: -sizes[i])
        pool = _Pool.start(function, jobs, count, order)
        if pool is not None:
            pool.run(results, on_step)
    for index, job in enumerate(jobs):  # everything when no pool could start; else what died with a worker
        if results[index] is _PENDING:
            results[index] = function(*job, _stepper(on_step, index))
    return results


_PENDING = object()


def _stepper(on_step: Callable[[int], None] | None, index: int) -> Step:
    if on_step is None:
        return lambda: None
    return lambda: on_step(index)


class _Worker:
    def __init__(self, process, connection):
        self.process = process
        self.connection = connection
        self.job: int | None = None


class _Pool:
    """Forked workers fed one job index at a time (departments differ in size: no fixed shares)."""

    def __init__(self, workers: list[_Worker], order: Iterable[int]):
        self.workers = workers
        self.queue = deque(order)

    @classmethod
    def start(cls, function: Job, jobs: Sequence[tuple], count: int, order: Iterable[int]) -> _Pool | None:
        import multiprocessing

        try:
            context = multiprocessing.get_context("fork")
        except ValueError:  # Windows; the jobs run here
            return None
        workers: list[_Worker] = []
        for _ in range(count):
            try:
                mine, theirs = context.Pipe()
                process = context.Process(target=_work, args=(function, jobs, theirs,
                                                              [w.connection for w in workers] + [mine]),
                                          daemon=True)
                process.start()
            except Exception:  # noqa: BLE001 - no processes or memory left, a daemon process: fewer or none
                break
            theirs.close()
            workers.append(_Worker(process, mine))
        if not workers:
            return None
        return cls(workers, order)

    def run(self, results: list[Any], on_step: Callable[[int], None] | None) -> None:
        """Feed jobs to the workers until all are done; a failure stops everything and is raised."""
        from multiprocessing.connection import wait

        live = {w.connection: w for w in self.workers}
        try:
            for worker in self.workers:
                self._feed(worker)
            while any(w.job is not None for w in live.values()):
                for connection in wait(list(live)):
                    worker = live[connection]
                    try:
                        message = connection.recv()
                    except (EOFError, OSError, pickle.UnpicklingError):  # the worker died: its job runs here
                        del live[connection]
                        self._close(worker)
                        continue
                    kind, index = message[0], message[1]
                    if kind == _STEP:
                        if on_step is not None:
                            on_step(index)
                    elif kind == _DONE:
                        results[index] = message[2]
                        worker.job = None
                        self._feed(worker)
                    else:  # _FAILED: the job's exception, or None when it could not be sent (run it here)
                        if message[2] is not None:
                            raise message[2]
                        worker.job = None
                        self.queue.clear()
        finally:
            self.stop()

    def _feed(self, worker: _Worker) -> None:
        worker.job = self.queue.popleft() if self.queue else None
        try:
            worker.connection.send(worker.job)  # None: no more work, the worker exits
        except OSError:  # died meanwhile: noticed at its end of the pipe
            pass

    @staticmethod
    def _close(worker: _Worker) -> None:
        worker.job = None
        with contextlib.suppress(OSError):
            worker.connection.close()

    def stop(self) -> None:
        """Every worker ends: done ones exit on their own, busy ones are interrupted and clean up first."""
        for worker in self.workers:
            if worker.process.is_alive() and worker.job is not None:
                with contextlib.suppress(OSError):
                    os.kill(worker.process.pid, signal.SIGTERM)
            self._close(worker)
        for worker in self.workers:
            worker.process.join(STOP_WAIT_SECONDS)
            if worker.process.is_alive():  # did not unwind in time
                worker.process.kill()
                worker.process.join()


def _work(function: Job, jobs: Sequence[tuple], connection, inherited: list) -> None:
    """A worker: run the jobs it is sent until told to stop; interrupts unwind it like the main process."""
    for other in inherited:  # the other workers' pipes: their ends must close when those workers exit
        with contextlib.suppress(OSError):
            other.close()
    for signum in (signal.SIGINT, *interrupts.TERMINATING):  # raise, so atomic_path removes the temporary file
        signal.signal(signum, _interrupted)
    gc.freeze()  # the inherited objects are never scanned: their pages stay shared with the parent
    try:
        while True:
            index = connection.recv()
            if index is None:
                return

            def step(index: int = index) -> None:
                connection.send((_STEP, index))

            try:
                result = function(*jobs[index], step)
            except Exception as exc:  # noqa: BLE001 - sent to the parent, which raises it
                connection.send((_FAILED, index, _sendable(exc)))
                return
            try:
                connection.send((_DONE, index, result))
            except (pickle.PicklingError, TypeError, AttributeError):  # a result that cannot travel
                connection.send((_FAILED, index, None))
                return
    except (KeyboardInterrupt, EOFError, OSError):  # interrupted, or the parent is gone: exit quietly
        return


def _interrupted(signum: int, frame) -> None:
    """Ctrl-C reaches a worker from the terminal and SIGTERM from the main process: the first one unwinds
    it, any later one is ignored so that the clean-up finishes (by a handler that does nothing: with SIG_IGN,
    a signal already pending would raise "ignored due to race condition")."""
    for other in (signal.SIGINT, *interrupts.TERMINATING):
        signal.signal(other, _ignored)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise interrupts.Interrupted(signum)


def _ignored(signum: int, frame) -> None:
    pass


def _sendable(exc: BaseException) -> BaseException | None:
    """The exception if it survives pickling unchanged in type and message, else None."""
    try:
        copy = pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any failure means "run the job in the parent instead"
        return None
    if type(copy) is not type(exc) or str(copy) != str(exc):
        return None
    return copy
