"""Reading the inputs of a merge, several at a time when the machine has the cores for it.

Reading and parsing each input (load_workbook, parse_book) is most of a county merge's time and needs
nothing from the other inputs; the schemas then run in one pandera pass over all inputs and the rules per
input, as validation.check_many does. With more than one CPU, worker processes (fork) read the later
inputs while this process reads the first ones. Results are used in input order, so the progress, every
finding and the error of the first unreadable input are those of reading them one by one; when workers
cannot be started, or one dies, the inputs not read yet are read here. See docs/decisions.md 15.M.3.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..canonical_reader import LoadedWorkbook, load_workbook
from ..errors import WorkbookEngineError
from ..findings import Finding
from ..model import Book
from ..parsing import parse_book
from ..validation import Checked, check_many
from ..validation.engine import _finish, _reported, schema_findings_many

# WBE_WORKERS=1 reads every input in this process; WBE_WORKERS=N uses N processes in all (this one included).
WORKERS_ENV = "WBE_WORKERS"
MAX_WORKERS = 4  # each process holds one input at a time; more than 4 gains little on a county merge
MIN_INPUTS = 8  # below this, starting processes costs more than it saves

Parsed = tuple[LoadedWorkbook, Book, list[Finding]]
OnRead = Callable[[int, Any], None]


def process_count(inputs: int) -> int:
    """How many processes (this one included) should read ``inputs`` workbooks."""
    setting = os.environ.get(WORKERS_ENV, "").strip()
    if setting.isdigit() and int(setting) >= 1:
        wanted = int(setting)
    elif inputs < MIN_INPUTS:
        return 1
    else:
        wanted = min(_cpus(), MAX_WORKERS)
    if wanted > 1 and not _can_fork():
        return 1
    return max(1, min(wanted, inputs))


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _can_fork() -> bool:
    """fork is available, we run in the main thread (forking a process whose other threads hold locks is
    not safe) and not in a worker process of our own (the web server's job processes read in-process:
    they are the parallelism there)."""
    return ("fork" in multiprocessing.get_all_start_methods()
            and threading.current_thread() is threading.main_thread()
            and multiprocessing.parent_process() is None)


def check_inputs(paths: Sequence[str | os.PathLike[str]], on_read: OnRead | None = None) -> list[Checked]:
    """check_many(paths) — the same results, findings and errors — reading in several processes when
    that helps; ``on_read(index, path)`` is called after each input, in input order."""
    processes = process_count(len(paths))
    if processes <= 1:
        return check_many(paths, on_read=on_read)
    parsed = _parse_all(list(paths), processes, on_read)
    schema = schema_findings_many([(book, loaded, _reported(found)) for loaded, book, found in parsed])
    return [_finish(loaded, book, found, schema_found, ())
            for (loaded, book, found), schema_found in zip(parsed, schema)]


def _parse_one(path: str | os.PathLike[str]) -> Parsed:
    loaded = load_workbook(path)
    book, found = parse_book(loaded)
    return loaded, book, found


def _parse_for_transfer(path: str | os.PathLike[str]) -> Parsed:
    """_parse_one in a worker, without what is no longer needed once parsed (the raw cells): less to
    send back."""
    loaded, book, found = _parse_one(path)
    loaded.grids = {}
    for table in loaded.tables.values():
        if table is not None:
            table.rows = []
    return loaded, book, found


def _worker_start() -> None:
    """Ctrl-C reaches the whole terminal's process group: the parent alone handles it and stops the
    workers; a terminating signal ends a worker at once (the parent then reads what is left)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def _parse_all(paths: list[Any], processes: int, on_read: OnRead | None) -> list[Parsed]:
    """Every input parsed, in order: the first share here, the rest by ``processes - 1`` workers.

    This process takes a smaller share (0.8 of an even one): it also receives the workers' results, about
    a third of the cost of reading an input each (county merge, 2 processes: 40 inputs here, 60 there)."""
    own = max(1, int(len(paths) * 0.8 / processes))
    parsed: list[Parsed] = []

    def done(result: Parsed) -> None:
        parsed.append(result)
        if on_read is not None:
            on_read(len(parsed) - 1, paths[len(parsed) - 1])

    before = set(multiprocessing.active_children())
    executor = None
    futures = []
    try:
        try:
            executor = ProcessPoolExecutor(processes - 1, mp_context=multiprocessing.get_context("fork"),
                                           initializer=_worker_start)
            futures = [executor.submit(_parse_for_transfer, path) for path in paths[own:]]
        except Exception:  # noqa: BLE001 - no processes to be had (limits, a daemon process): read here
            futures = []
        for path in paths[:own]:
            done(_parse_one(path))
        for path, future in zip(paths[own:], futures):
            try:
                result = future.result()
            except BrokenProcessPool:  # a worker died (killed, out of memory): read the rest here
                break
            except WorkbookEngineError:  # an unreadable input: the error reading it here would give
                raise
            except Exception:  # noqa: BLE001 - anything else (a result that cannot be sent back): read
                result = _parse_one(path)  # it here, where the same problem raises as it would in-process
            done(result)
        for path in paths[len(parsed):]:
            done(_parse_one(path))
    finally:
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
            for child in set(multiprocessing.active_children()) - before:
                child.terminate()
                child.join()
    return parsed
