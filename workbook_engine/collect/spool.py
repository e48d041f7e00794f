"""The data folder's work area (DATA_DIR/work/): every temporary file of a process lives in that process's
own spool folder, so that nothing is left behind, whatever ends the process.

A process's folder is ``work/spool-PID-RANDOM/`` with a ``.lock`` file it holds an exclusive lock on for
its lifetime (the lock ends with the process, even on SIGKILL). ``sweep`` removes every spool folder whose
lock nobody holds — what a killed server left — and the loose ``upload-*``/``job-*`` entries of versions
before this one; a running process's folder is never touched. Each temporary file is further removed on
every path of the code that made it (``Collect.scratch``), and the process's folder at exit.
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import shutil
import threading
from pathlib import Path
from typing import IO

log = logging.getLogger("workbook_engine.collect")

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; folders of other processes are swept by age instead
    fcntl = None  # type: ignore[assignment]  # the module is optional

PREFIX = "spool-"
LOCK = ".lock"
LEGACY = ("upload-", "job-")  # loose temporary entries written straight into work/ before spool folders
UNLOCKED_AGE = 24 * 3600  # without fcntl: another process's folder this old is taken as abandoned


class Spool:
    """This process's spool folder inside ``work`` (made on first use, removed at exit)."""

    def __init__(self, work: Path):
        self.work = work
        self._folder: Path | None = None
        self._lock_file: IO[bytes] | None = None
        self._pid = 0
        self._guard = threading.Lock()

    def folder(self) -> Path:
        with self._guard:
            if self._folder is None or self._pid != os.getpid():  # a forked child gets its own
                self._folder = self._make()
                self._pid = os.getpid()
            return self._folder

    def _make(self) -> Path:
        folder = self.work / f"{PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        folder.mkdir(parents=True)
        handle = open(folder / LOCK, "wb")  # noqa: SIM115 - held open (locked) for the process's lifetime
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._lock_file = handle
        atexit.register(self._remove, folder, handle, os.getpid())
        return folder

    @staticmethod
    def _remove(folder: Path, handle: IO[bytes], pid: int) -> None:
        if os.getpid() != pid:  # a forked worker exiting: the folder is its parent's
            return
        shutil.rmtree(folder, ignore_errors=True)
        handle.close()


def _abandoned(folder: Path) -> bool:
    """Whether no live process holds the folder's lock."""
    lock = folder / LOCK
    if fcntl is None:
        try:
            return folder.stat().st_mtime < __import__("time").time() - UNLOCKED_AGE
        except OSError:
            return False
    try:
        handle = open(lock, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return True  # killed between mkdir and taking the lock
    except OSError:
        return False
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # held: a running process
    finally:
        handle.close()  # closing also releases the lock just taken
    return True


def sweep(work: Path, own: Path | None = None) -> int:
    """Remove what dead processes left in ``work``; returns how many entries were removed."""
    removed = 0
    try:
        entries = list(work.iterdir())
    except FileNotFoundError:
        return 0
    for entry in entries:
        if own is not None and entry == own:
            continue
        name = entry.name
        if name.startswith(PREFIX) and entry.is_dir() and _abandoned(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
        elif name.startswith(LEGACY):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed += 1
    if removed:
        log.info("swept %d temporary entries left in %s by stopped processes", removed, work)
    return removed
